from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI


@asynccontextmanager
async def router_lifespan(app: FastAPI):
    print("router lifespan enter")
    yield
    print("router lifespan exit")


def make_router() -> APIRouter:
    router = APIRouter(lifespan=router_lifespan)

    @router.on_event("startup")
    async def load() -> None:
        print("load")

    return router


router = make_router()
