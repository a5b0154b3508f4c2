"""A trimmed-down ``fastapi_utils.tasks.repeat_every``: run now, then every N seconds."""
import asyncio
import functools
import inspect
from typing import Any, Awaitable, Callable

from probe import record


def repeat_every(
    *, seconds: float, wait_first: bool = False, max_repetitions: int | None = None
) -> Callable[[Callable[[], Any]], Callable[[], Awaitable[None]]]:
    def decorator(func: Callable[[], Any]) -> Callable[[], Awaitable[None]]:
        @functools.wraps(func)
        async def wrapped() -> None:
            record(f"repeat_every({func.__name__})")

            async def loop(repetitions: int) -> None:
                while max_repetitions is None or repetitions < max_repetitions:
                    await asyncio.sleep(seconds)
                    await _call(func)
                    repetitions += 1

            if not wait_first:
                await _call(func)
            if max_repetitions is None or max_repetitions > 1:
                asyncio.ensure_future(loop(1))

        return wrapped

    return decorator


async def _call(func: Callable[[], Any]) -> None:
    result = func()
    if inspect.isawaitable(result):
        await result
