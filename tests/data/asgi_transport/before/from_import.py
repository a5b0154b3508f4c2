"""The client imported by name: `import httpx` is added after the other imports."""
from __future__ import annotations

from httpx import AsyncClient as Client

from app.main import app


async def test_home():
    async with Client(app=app, base_url="http://t") as client:
        assert (await client.get("/")).status_code == 200
