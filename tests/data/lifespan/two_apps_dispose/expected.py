from fastapi import FastAPI
from sqlalchemy import create_engine
from contextlib import asynccontextmanager

engine = create_engine("postgresql://db/app", pool_size=10, max_overflow=20,
                       pool_recycle=3600, pool_pre_ping=True)

public = FastAPI()


@asynccontextmanager
async def lifespan(app: FastAPI):
    warm()
    yield


admin = FastAPI(lifespan=lifespan)


def warm() -> None:
    pass
