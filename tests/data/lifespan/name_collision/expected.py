from fastapi import FastAPI
import functools
import inspect
from contextlib import asynccontextmanager

lifespan = "a module-level name that is not a lifespan"
result = "and another one the generated code must not shadow"


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
async def app_lifespan(app: FastAPI):
    start()
    await run_event_handlers(*getattr(app.router, "on_startup", ()))
    yield
    await run_event_handlers(app_state___class___handler)
    await run_event_handlers(*getattr(app.router, "on_shutdown", ()))


app = FastAPI(lifespan=app_lifespan)


def start() -> None:
    print("start", lifespan, result)


app_state___class___handler = app.state.__class__
