import functools

from fastapi import FastAPI

app = FastAPI()


def repeat_every(*, seconds: float):
    """Like fastapi_utils.tasks.repeat_every: the wrapper is async even for sync functions."""

    def decorator(func):
        @functools.wraps(func)
        async def wrapped() -> None:
            print("scheduled every", seconds)
            func()

        return wrapped

    return decorator


@app.on_event("startup")
@repeat_every(seconds=60)
def remove_expired_tokens() -> None:
    print("remove_expired_tokens")
