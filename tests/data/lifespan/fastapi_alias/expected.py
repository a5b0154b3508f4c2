from fastapi import FastAPI as F
from contextlib import asynccontextmanager as acm
import functools
import inspect


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


def build() -> F:
    @acm
    async def lifespan(app: F):
        print("hello")
        await run_event_handlers(*getattr(app.router, "on_startup", ()))
        yield
        await run_event_handlers(*getattr(app.router, "on_shutdown", ()))

    api = F(lifespan=lifespan)
    return api


application = build()
