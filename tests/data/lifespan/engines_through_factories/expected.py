"""Engines made by this module's own factory function and class, at import time."""
from fastapi import FastAPI
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import create_async_engine
import functools
import inspect
from contextlib import asynccontextmanager


def get_engine():
    return create_engine("postgresql://db/app", pool_size=10, max_overflow=20, pool_recycle=3600, pool_pre_ping=True)


class Database:
    def __init__(self) -> None:
        self.engine = create_async_engine("postgresql+asyncpg://db/app", pool_size=10, max_overflow=20, pool_recycle=3600, pool_pre_ping=True)


engine = get_engine()
db = Database()


async def run_event_handlers(*handlers):
    """Run start-up/shut-down handlers in order as FastAPI did: await the async ones."""
    for handler in handlers:
        function = handler
        while isinstance(function, functools.partial):
            function = function.func
        if inspect.iscoroutinefunction(function) or (
            callable(function) and inspect.iscoroutinefunction(function.__call__)
        ):
            await handler()
        else:
            handler()


@asynccontextmanager
async def lifespan(app: FastAPI):
    await run_event_handlers(*getattr(app.router, "on_startup", ()))
    yield
    await run_event_handlers(*getattr(app.router, "on_shutdown", ()))
    engine.dispose()
    await db.engine.dispose()


app = FastAPI(lifespan=lifespan)
