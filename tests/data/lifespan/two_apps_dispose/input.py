from fastapi import FastAPI
from sqlalchemy import create_engine

engine = create_engine("postgresql://db/app", pool_size=10, max_overflow=20,
                       pool_recycle=3600, pool_pre_ping=True)

public = FastAPI()
admin = FastAPI()


@admin.on_event("startup")
def warm() -> None:
    pass
