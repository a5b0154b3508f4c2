import functools
from functools import partial

from fastapi import FastAPI


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

app = FastAPI(
    title="Shop",
    on_startup=[
        partial(open_pool, 5),
        functools.partial(configure, "shop", verbose=True),
        metrics.start,
        lambda: print("lambda"),
    ],
    on_shutdown=[metrics.stop],
    docs_url=None,
)


@app.on_event("startup")
async def after_constructor_handlers() -> None:
    print("decorated")
