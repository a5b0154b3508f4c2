"""The app is handed to a helper after its own handlers: what the helper registers on
the app's router lists still runs, after them, exactly where FastAPI ran it."""
from fastapi import FastAPI
from tortoise.contrib.fastapi import register_tortoise
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
    await warm()
    await run_event_handlers(*getattr(app.router, "on_startup", ()))
    yield
    await run_event_handlers(*getattr(app.router, "on_shutdown", ()))


app = FastAPI(lifespan=lifespan)


async def warm() -> None:
    pass


register_tortoise(app, db_url="sqlite://:memory:", modules={"models": ["app.models"]})
