import os

from fastapi import FastAPI
import inspect
from contextlib import asynccontextmanager

SCHEDULER = os.environ.get("SCHEDULER", "1") == "1"


startup_handlers: list = []
shutdown_handlers: list = []


@asynccontextmanager
async def lifespan(app: FastAPI):
    for handler in startup_handlers:
        if inspect.isawaitable(result := handler()):
            await result
    yield
    for handler in shutdown_handlers:
        if inspect.isawaitable(result := handler()):
            await result


app = FastAPI(lifespan=lifespan)


async def first() -> None:
    print("first")


startup_handlers.append(first)


if SCHEDULER:

    def start_scheduler() -> None:
        print("start_scheduler")
    startup_handlers.append(start_scheduler)

    shutdown_handlers.append(lambda: print("stop_scheduler"))

for name in ("a", "b"):
    startup_handlers.append(lambda name=name: print("loop", name))


async def last() -> None:
    print("last")


startup_handlers.append(last)
