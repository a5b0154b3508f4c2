"""Inventory service. Run with ``uvicorn inventory_service.main:create_app --factory``."""
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import text

from probe import record

from .core.config import Settings, get_settings
from .database import close_engine, engine
from .routers import stock
from .services import audit


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="inventory")
    app.state.audit = settings.enable_audit
    resources: dict[str, Any] = {}

    @app.on_event("startup")
    async def open_http_client() -> None:
        record("open_http_client")
        resources["client"] = httpx.AsyncClient(base_url=settings.supplier_api)

    @app.on_event("startup")
    def load_feature_flags() -> None:
        record("load_feature_flags")
        app.state.flags = {"bulk-import", "low-stock-alerts"}
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    if settings.enable_audit:
        app.router.add_event_handler("startup", audit.start)
        app.router.add_event_handler("shutdown", audit.stop)

    @app.on_event("shutdown")
    async def close_http_client() -> None:
        record("close_http_client")
        await resources["client"].aclose()

    @app.on_event("shutdown")
    def clear_feature_flags() -> None:
        record("clear_feature_flags")
        app.state.flags.clear()

    app.router.add_event_handler("shutdown", close_engine)
    app.include_router(stock.router)
    return app
