from httpx._client import AsyncClient
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

from app.main import app


def client(**options) -> "httpx.AsyncClient":
    return AsyncClient(app=app, **options)
