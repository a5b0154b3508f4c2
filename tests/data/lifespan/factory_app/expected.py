from typing import Callable

from fastapi import FastAPI
import functools
import inspect
from contextlib import asynccontextmanager


def create_start_app_handler(app: FastAPI) -> Callable:
    async def start_app() -> None:
        app.state.ready = True
        print("start_app", app.title)

    return start_app


def create_stop_app_handler(app: FastAPI) -> Callable:
    def stop_app() -> None:
        print("stop_app", app.state.ready)

    return stop_app


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


def get_application() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await run_event_handlers(start_app_handler)
        await local_handler()
        await run_event_handlers(*getattr(app.router, "on_startup", ()))
        yield
        await run_event_handlers(stop_app_handler)
        await run_event_handlers(*getattr(app.router, "on_shutdown", ()))

    application = FastAPI(title="factory", lifespan=lifespan)

    start_app_handler = create_start_app_handler(application)
    stop_app_handler = create_stop_app_handler(application)

    async def local_handler() -> None:
        print("local", application.title)

    return application


app = get_application()
