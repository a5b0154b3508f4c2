import logging

from fastapi import FastAPI
import inspect
from contextlib import asynccontextmanager

log = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI):
    await start()
    if inspect.isawaitable(result := cache.warm()):
        await result
    yield
    stop()
    print("bye")


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
# keywords
log.info("registered")
