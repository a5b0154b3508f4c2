import logging

from fastapi import FastAPI
from sqlalchemy import text

from probe import record

from .core.config import settings
from .db import engine
from .events import check_schema, close_sessions, create_tables, load_fixtures
from .routers import items

logger = logging.getLogger(__name__)

app = FastAPI(title=settings.project_name)
app.include_router(items.router, prefix="/items")


@app.on_event("startup")
async def startup_checks() -> None:
    """Fail fast when the database is unreachable."""
    record("startup_checks")
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


app.router.add_event_handler("startup", create_tables)
app.router.add_event_handler("startup", check_schema)
app.router.add_event_handler("startup", load_fixtures)


@app.on_event("startup")
def warm_cache() -> None:
    record("warm_cache")
    app.state.price_cache = {}


@app.on_event("shutdown")
async def flush_metrics() -> None:
    record("flush_metrics")
    logger.info("flushed %d cached prices", len(app.state.price_cache))


@app.on_event("shutdown")
def log_shutdown() -> None:
    record("log_shutdown")
    logger.info("shop api stopping")


app.router.add_event_handler("shutdown", close_sessions)


@app.get("/health")
def health() -> dict:
    with engine.connect() as connection:
        version = connection.execute(text("SELECT max(version) FROM schema_version")).scalar()
    return {"status": "ok", "schema": version}
