from fastapi import FastAPI
from sqlalchemy.orm import sessionmaker

from .db import engine
import inspect
from contextlib import asynccontextmanager

SessionLocal = sessionmaker(bind=engine)


@asynccontextmanager
async def lifespan(app: FastAPI):
    create_tables()
    yield
    if inspect.isawaitable(result := engine.dispose()):
        await result


app = FastAPI(lifespan=lifespan)


def create_tables() -> None:
    print("create_tables")
