import logging
from functools import partial

from fastapi import FastAPI
from sqlalchemy import text

from probe import record

from .core.cache import cache
from .core.config import settings
from .database import engine
from .events import close_redis, connect_redis, flush_outbox, init_models
from .relay import start_outbox_relay, stop_outbox_relay
from .routers import orders

logger = logging.getLogger("orders")

app = FastAPI(
    title="orders",
    on_startup=[
        init_models,
        connect_redis,
        start_outbox_relay,
        lambda: record("lambda:startup"),
        partial(cache.warm, size=settings.cache_size),
        partial(flush_outbox, "startup"),
    ],
    on_shutdown=[
        stop_outbox_relay,
        partial(flush_outbox, "shutdown"),
        lambda: record("lambda:shutdown"),
        close_redis,
    ],
)
app.include_router(orders.router)


@app.on_event("startup")
async def announce() -> None:
    record("announce")
    logger.info("orders service ready")


@app.on_event("shutdown")
def goodbye() -> None:
    record("goodbye")


@app.get("/health")
async def health() -> dict:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return {"status": "ok"}
