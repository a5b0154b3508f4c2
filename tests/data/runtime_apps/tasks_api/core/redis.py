"""Redis wiring: ``register_redis(app)`` attaches the client's start-up/shut-down to the app."""
import asyncio

from fastapi import FastAPI

from probe import record

from .config import settings


class FakeRedis:
    """Stands in for ``redis.asyncio.Redis`` (no server in the tests)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.closed = False

    async def ping(self) -> bool:
        await asyncio.sleep(0)
        return not self.closed

    async def close(self) -> None:
        self.closed = True


def register_redis(app: FastAPI) -> None:
    @app.on_event("startup")
    async def startup_redis() -> None:
        record("startup_redis")
        app.state.redis = FakeRedis(settings.REDIS_URL)

    @app.on_event("shutdown")
    async def shutdown_redis() -> None:
        record("shutdown_redis")
        await app.state.redis.close()
