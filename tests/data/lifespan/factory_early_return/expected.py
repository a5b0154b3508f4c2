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


def create_app(minimal: bool = False) -> FastAPI:
    startup_handlers: list = []

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await run_event_handlers(*startup_handlers)
        await run_event_handlers(*getattr(app.router, "on_startup", ()))
        yield
        await run_event_handlers(*getattr(app.router, "on_shutdown", ()))

    app = FastAPI(lifespan=lifespan)

    def always() -> None:
        print("always")
    startup_handlers.append(always)

    if minimal:
        return app

    def full_only() -> None:
        print("full_only")
    startup_handlers.append(full_only)

    return app


app = create_app()
