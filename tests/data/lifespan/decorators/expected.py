"""An app with decorator-registered handlers, sync and async."""

from fastapi import FastAPI
import functools
import inspect
from contextlib import asynccontextmanager


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
    await connect()
    warm_cache()
    await run_event_handlers(*getattr(app.router, "on_startup", ()))
    yield
    await disconnect()
    flush()
    await run_event_handlers(*getattr(app.router, "on_shutdown", ()))


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
