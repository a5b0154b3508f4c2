from fastapi import FastAPI

from .events import on_shutdown, on_startup
from . import tasks
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
    await run_event_handlers(on_startup)
    await run_event_handlers(tasks_start_scheduler_handler)
    await run_event_handlers(*getattr(app.router, "on_startup", ()))
    yield
    await run_event_handlers(on_shutdown)
    await run_event_handlers(*getattr(app.router, "on_shutdown", ()))


app = FastAPI(lifespan=lifespan)
tasks_start_scheduler_handler = tasks.start_scheduler
