"""An app with decorator-registered handlers, sync and async."""

from fastapi import FastAPI
from contextlib import asynccontextmanager


@asynccontextmanager
async def lifespan(app: FastAPI):
    await connect()
    warm_cache()
    yield
    await disconnect()
    flush()


app = FastAPI(title="Items", lifespan=lifespan)


async def connect() -> None:
    print("connect")


def warm_cache() -> None:
    print("warm_cache")


async def disconnect() -> None:
    print("disconnect")


def flush() -> None:  # keeps its comment
    print("flush")


@app.get("/items")
def items() -> list[str]:
    return []
