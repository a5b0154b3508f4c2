"""Fixtures as the tutorials write them."""

import httpx
import pytest
from fastapi.testclient import TestClient

from app.items import get_db
from app.main import app


def override_get_db():
    yield FakeSession()


class FakeSession:
    def get(self, model, key):
        return None


@pytest.fixture
def client():
    # FPR504: never removed, so every later test talks to the fake database
    app.dependency_overrides[get_db] = override_get_db
    return TestClient(app)


@pytest.fixture
async def async_client():
    # FPR501: TypeError on httpx >= 0.28 (and the lifespan would not run anyway)
    async with httpx.AsyncClient(app=app, base_url="http://test") as ac:
        yield ac
