"""Shaped like nsidnev/fastapi-realworld-example-app: settings passed as **kwargs,
handlers made by factories and registered with add_event_handler (old FastAPI API)."""
from fastapi import FastAPI

from app.core.config import get_app_settings
from app.core.events import create_start_app_handler, create_stop_app_handler
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


def get_application() -> FastAPI:
    settings = get_app_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await run_event_handlers(start_app_handler)
        await run_event_handlers(*getattr(app.router, "on_startup", ()))
        yield
        await run_event_handlers(stop_app_handler)
        await run_event_handlers(*getattr(app.router, "on_shutdown", ()))

    application = FastAPI(**settings.fastapi_kwargs, lifespan=lifespan)

    start_app_handler = create_start_app_handler(application, settings)
    stop_app_handler = create_stop_app_handler(application)

    return application


app = get_application()
