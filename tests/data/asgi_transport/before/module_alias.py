"""Tests written for httpx < 0.28, using the module under two names."""
import httpx
import httpx as hx
import pytest

from app.main import app


@pytest.fixture
async def client():
    async with httpx.AsyncClient(app=app, base_url="http://test") as ac:
        yield ac


async def test_items():
    async with hx.AsyncClient(
        base_url="http://test",  # the host does not matter
        app=app,  # served in process
        timeout=5,
    ) as ac:
        response = await ac.get("/items")
    assert response.status_code == 200


async def test_nested_app():
    async with httpx.AsyncClient(app = make_app(debug=True), follow_redirects=True) as ac:
        await ac.get("/")
