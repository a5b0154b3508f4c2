import functools
import inspect
import time
from typing import Any, Callable

from probe import record


def timed(func: Callable[..., Any]) -> Callable[..., Any]:
    """Log how long ``func`` takes; works for sync and async functions."""
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            record(f"timed({func.__name__})")
            started = time.perf_counter()
            try:
                return await func(*args, **kwargs)
            finally:
                _ = time.perf_counter() - started

        return async_wrapper

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        record(f"timed({func.__name__})")
        return func(*args, **kwargs)

    return wrapper
