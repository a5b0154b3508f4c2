from fastapi import FastAPI
from sqlalchemy.orm import sessionmaker

from .db import engine
import functools
import inspect
from contextlib import asynccontextmanager

SessionLocal = sessionmaker(bind=engine)


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
    create_tables()
    await run_event_handlers(*getattr(app.router, "on_startup", ()))
    yield
    await run_event_handlers(*getattr(app.router, "on_shutdown", ()))
    if inspect.iscoroutinefunction(engine.dispose):
        await engine.dispose()
    else:
        engine.dispose()


app = FastAPI(lifespan=lifespan)


def create_tables() -> None:
    print("create_tables")
