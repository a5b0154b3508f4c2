"""An async test module written for httpx < 0.28, with the FastAPI app it tests.

tests/test_asgi_transport.py runs its ``test_*`` coroutines before and after the codemod.
"""
import contextlib
from collections.abc import AsyncIterator

import httpx
from fastapi import FastAPI, Request
from pydantic import BaseModel

#: What the lifespan did, in order.
EVENTS: list[str] = []


@contextlib.asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, str]]:
    EVENTS.append("startup")
    yield {"greeting": "hello"}
    EVENTS.append("shutdown")


app = FastAPI(lifespan=lifespan)


class Item(BaseModel):
    name: str


@app.get("/items/{item_id}")
async def read_item(item_id: int, q: str = "") -> dict[str, object]:
    return {"item_id": item_id, "q": q}


@app.post("/items", status_code=201)
async def create_item(item: Item) -> Item:
    return item


@app.get("/greeting")
async def greeting(request: Request) -> dict[str, str]:
    return {"greeting": request.state.greeting}


async def test_read_item() -> None:
    async with httpx.AsyncClient(app=app, base_url="http://test") as client:
        response = await client.get("/items/3", params={"q": "x"})
    assert response.status_code == 200
    assert response.json() == {"item_id": 3, "q": "x"}


async def test_create_item() -> None:
    client = httpx.AsyncClient(
        base_url="http://test",
        app=app,  # served in process, no network
    )
    async with client:
        response = await client.post("/items", json={"name": "pen"})
    assert (response.status_code, response.json()) == (201, {"name": "pen"})
