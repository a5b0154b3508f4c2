import functools

from fastapi import FastAPI
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
    await run_event_handlers(remove_expired_tokens)
    await run_event_handlers(*getattr(app.router, "on_startup", ()))
    yield
    await run_event_handlers(*getattr(app.router, "on_shutdown", ()))


app = FastAPI(lifespan=lifespan)


def repeat_every(*, seconds: float):
    """Like fastapi_utils.tasks.repeat_every: the wrapper is async even for sync functions."""

    def decorator(func):
        @functools.wraps(func)
        async def wrapped() -> None:
            print("scheduled every", seconds)
            func()

        return wrapped

    return decorator


@repeat_every(seconds=60)
def remove_expired_tokens() -> None:
    print("remove_expired_tokens")
