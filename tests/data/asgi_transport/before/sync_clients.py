"""Sync clients: only a visibly WSGI app gets a WSGITransport."""
import httpx
from django.core.wsgi import get_wsgi_application
from fastapi import FastAPI
from flask import Flask

flask_app = Flask(__name__)
django_app = get_wsgi_application()
api = FastAPI()


def test_flask():
    with httpx.Client(app=flask_app, base_url="http://flask") as client:
        client.get("/")


def test_django():
    client = httpx.Client(base_url="http://django", app=django_app)
    client.get("/")


def test_inline():
    httpx.Client(app=Flask("inline")).get("/")


def test_fastapi_with_sync_client():
    with httpx.Client(app=api, base_url="http://api") as client:
        client.get("/")


def test_unknown_app(app):
    with httpx.Client(app=app) as client:
        client.get("/")


async def test_flask_with_async_client():
    async with httpx.AsyncClient(app=flask_app) as client:
        await client.get("/")


async def test_app_and_transport(transport):
    async with httpx.AsyncClient(app=api, transport=transport) as client:
        await client.get("/")
