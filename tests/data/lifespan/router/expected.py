from fastapi import APIRouter
from contextlib import asynccontextmanager


@asynccontextmanager
async def lifespan(app):
    print("router ctor")
    await router_up()
    yield
    router_down()


router = APIRouter(prefix="/items", lifespan=lifespan)


async def router_up() -> None:
    print("router_up")


def router_down() -> None:
    print("router_down")


@router.get("/")
def list_items() -> list[int]:
    return [1]
