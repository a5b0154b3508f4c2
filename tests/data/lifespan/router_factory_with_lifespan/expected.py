from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI


@asynccontextmanager
async def router_lifespan(app: FastAPI):
    print("router lifespan enter")
    yield
    print("router lifespan exit")


def make_router() -> APIRouter:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        async with router_lifespan(app) as state:
            await load()
            yield state

    router = APIRouter(lifespan=lifespan)

    async def load() -> None:
        print("load")

    return router


router = make_router()
