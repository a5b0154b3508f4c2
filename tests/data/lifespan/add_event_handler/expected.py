import logging

from fastapi import FastAPI
import functools
import inspect
from contextlib import asynccontextmanager

log = logging.getLogger(__name__)


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
    await start()
    await run_event_handlers(cache_warm_handler)
    await run_event_handlers(*getattr(app.router, "on_startup", ()))
    yield
    stop()
    print("bye")
    await run_event_handlers(*getattr(app.router, "on_shutdown", ()))


app = FastAPI(lifespan=lifespan)


async def start() -> None:
    print("start")


def stop() -> None:
    print("stop")


class Cache:
    def warm(self) -> None:
        print("warm")


cache = Cache()

# positional form on the router (still exists on FastAPI 0.165)
cache_warm_handler = cache.warm  # keywords
log.info("registered")
