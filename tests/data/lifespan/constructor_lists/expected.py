import functools
from functools import partial

from fastapi import FastAPI
import inspect
from contextlib import asynccontextmanager


async def open_pool(size: int) -> None:
    print("open_pool", size)


def configure(name: str, *, verbose: bool = False) -> None:
    print("configure", name, verbose)


class Metrics:
    def start(self) -> None:
        print("metrics.start")

    async def stop(self) -> None:
        print("metrics.stop")


metrics = Metrics()


@asynccontextmanager
async def lifespan(app: FastAPI):
    await open_pool(5)
    configure("shop", verbose=True)
    if inspect.isawaitable(result := metrics.start()):
        await result
    print("lambda")
    await after_constructor_handlers()
    yield
    if inspect.isawaitable(result := metrics.stop()):
        await result


app = FastAPI(
    title="Shop",
    lifespan=lifespan,
    docs_url=None,
)


async def after_constructor_handlers() -> None:
    print("decorated")
