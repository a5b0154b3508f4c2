import os

from fastapi import FastAPI
import functools
import inspect
from contextlib import asynccontextmanager

SCHEDULER = os.environ.get("SCHEDULER", "1") == "1"


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


startup_handlers: list = []
shutdown_handlers: list = []


@asynccontextmanager
async def lifespan(app: FastAPI):
    await run_event_handlers(*startup_handlers)
    await run_event_handlers(*getattr(app.router, "on_startup", ()))
    yield
    await run_event_handlers(*shutdown_handlers)
    await run_event_handlers(*getattr(app.router, "on_shutdown", ()))


app = FastAPI(lifespan=lifespan)


async def first() -> None:
    print("first")


startup_handlers.append(first)


if SCHEDULER:

    def start_scheduler() -> None:
        print("start_scheduler")
    startup_handlers.append(start_scheduler)

    shutdown_handlers.append(lambda: print("stop_scheduler"))

for name in ("a", "b"):
    startup_handlers.append(lambda name=name: print("loop", name))


async def last() -> None:
    print("last")


startup_handlers.append(last)
