"""Metrics service: counters persisted in SQLite, exchange rates refreshed periodically."""
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import Connection

from probe import record

from .db import engine
from .routers import metrics
from .utils.db import transactional
from .utils.tasks import repeat_every

app = FastAPI(title="metrics")
app.include_router(metrics.router)

RATES: dict[str, float] = {}


@app.on_event("startup")
@transactional
def seed_counters(connection: Connection) -> None:
    record("seed_counters")
    connection.execute(text("CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INT)"))
    connection.execute(text("INSERT OR IGNORE INTO counters VALUES ('requests', 0)"))


@app.on_event("startup")
@repeat_every(seconds=60 * 60, max_repetitions=1)  # refresh hourly
async def refresh_exchange_rates() -> None:
    record("refresh_exchange_rates")
    RATES.update({"EUR": 1.0, "USD": 1.08})


@app.on_event("startup")
@repeat_every(seconds=30, max_repetitions=1)
def prune_stale_sessions() -> None:
    record("prune_stale_sessions")


@app.on_event("shutdown")
@transactional
def persist_counters(connection: Connection) -> None:
    record("persist_counters")
    connection.execute(text("UPDATE counters SET value = value + 1 WHERE name = 'requests'"))


@app.on_event("shutdown")
async def clear_rates() -> None:
    record("clear_rates")
    RATES.clear()


@app.get("/rates")
def rates() -> dict:
    return dict(RATES)


@app.get("/health")
def health() -> dict:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    return {"status": "ok"}
