from fastapi import FastAPI
from sqlalchemy import create_engine
import functools
import inspect
from contextlib import asynccontextmanager

engine = create_engine("sqlite:///./app.db", connect_args={"check_same_thread": False})


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
    close()
    await run_event_handlers(*getattr(app.router, "on_shutdown", ()))
    engine.dispose()


app = FastAPI(lifespan=lifespan)


def close() -> None:
    print("close")
