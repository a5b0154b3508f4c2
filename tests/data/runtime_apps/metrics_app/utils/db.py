import functools
from typing import Any, Callable

from sqlalchemy.engine import Connection

from probe import record

from ..db import engine


def transactional(func: Callable[[Connection], Any]) -> Callable[[], Any]:
    """Run ``func`` in one transaction on its own connection."""

    @functools.wraps(func)
    def wrapper() -> Any:
        record(f"transactional({func.__name__})")
        with engine.begin() as connection:
            return func(connection)

    return wrapper
