from httpx import ASGITransport as Transport
from httpx import AsyncClient

from app.main import app

already = AsyncClient(transport=Transport(app=app), base_url="http://t")


def make_client():
    return AsyncClient(app=app, base_url="http://t")
