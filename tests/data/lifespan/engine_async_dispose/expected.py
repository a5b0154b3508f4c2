from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine
import functools
import inspect
from contextlib import asynccontextmanager

DATABASE_URL = "postgresql+asyncpg://user:secret@db/app"

engine = create_async_engine(
    DATABASE_URL,
    echo=True,
    pool_size=10,
    max_overflow=20,
    pool_recycle=3600,
    pool_pre_ping=True,
)


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
    await engine.dispose()


app = FastAPI(lifespan=lifespan)
