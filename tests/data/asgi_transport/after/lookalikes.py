"""Nothing here is httpx's removed `app=`: the codemod must leave the file byte-identical."""
import httpx
from fastapi.testclient import TestClient
from myproject.clients import AsyncClient

from app.main import app

# a different library's client with an app= argument
other = AsyncClient(app=app, base_url="http://test")
# already converted
converted = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")
wsgi = httpx.Client(transport=httpx.WSGITransport(app=app))
# TestClient takes app= and is not httpx
sync = TestClient(app=app)


def build(Client):
    # a parameter named like httpx's client
    return Client(app=app)


def options(**kwargs):
    # app hidden in **kwargs: not seen
    return httpx.AsyncClient(**kwargs)


if app == 1:
    httpx.get("http://example.com", params={"app": 1})
