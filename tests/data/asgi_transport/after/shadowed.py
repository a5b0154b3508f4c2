from httpx import AsyncClient

from app.main import app

httpx = "not the module"


async def test_items():
    async with AsyncClient(app=app) as client:
        await client.get("/items")
