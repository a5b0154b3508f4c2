from fastapi import FastAPI
import functools
import inspect
from contextlib import asynccontextmanager

type Alias = int
name = "x"
msg = t"hello {name}"


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
    await s()
    await run_event_handlers(*getattr(app.router, "on_startup", ()))
    yield
    await run_event_handlers(*getattr(app.router, "on_shutdown", ()))


app = FastAPI(lifespan=lifespan)

async def s[T]():
    try:
        pass
    except ValueError, TypeError:
        pass
