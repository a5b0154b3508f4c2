from fastapi import FastAPI
from sqlalchemy.orm import sessionmaker

from .db import engine

SessionLocal = sessionmaker(bind=engine)

app = FastAPI()


@app.on_event("startup")
def create_tables() -> None:
    print("create_tables")
