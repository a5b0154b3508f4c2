"""Engines made by this module's own factory function and class, at import time."""
from fastapi import FastAPI
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import create_async_engine


def get_engine():
    return create_engine("postgresql://db/app")


class Database:
    def __init__(self) -> None:
        self.engine = create_async_engine("postgresql+asyncpg://db/app")


engine = get_engine()
db = Database()

app = FastAPI()
