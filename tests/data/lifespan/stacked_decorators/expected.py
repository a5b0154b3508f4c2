import functools

from fastapi import FastAPI
import inspect
from contextlib import asynccontextmanager


@asynccontextmanager
async def lifespan(app: FastAPI):
    if inspect.isawaitable(result := remove_expired_tokens()):
        await result
    yield


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
