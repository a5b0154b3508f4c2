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
    await open_pool_handler()
    configure_handler()
    await run_event_handlers(metrics_start_handler)
    print("lambda")
    await after_constructor_handlers()
    await run_event_handlers(*getattr(app.router, "on_startup", ()))
    yield
    await run_event_handlers(metrics_stop_handler)
    await run_event_handlers(*getattr(app.router, "on_shutdown", ()))


open_pool_handler = partial(open_pool, 5)
configure_handler = functools.partial(configure, "shop", verbose=True)
metrics_start_handler = metrics.start
metrics_stop_handler = metrics.stop
app = FastAPI(
    title="Shop",
    lifespan=lifespan,
    docs_url=None,
)


async def after_constructor_handlers() -> None:
    print("decorated")
