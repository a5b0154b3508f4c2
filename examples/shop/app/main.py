"""The application module: where the app's lifecycle lives."""

from contextlib import asynccontextmanager

from fastapi import FastAPI

from .db import engine  # FPR105: nothing disposes this engine at shutdown
from .events import register_events
from .routers import reports


async def connect_cache() -> None:
    ...


@asynccontextmanager
async def lifespan(app: FastAPI):
    yield


# FPR102 and FPR103: constructor handlers next to lifespan= never run
app = FastAPI(title="shop", lifespan=lifespan, on_startup=[connect_cache])
app.include_router(reports.router)
register_events(app)


# FPR101 and FPR103: ignored because the app has a lifespan
@app.on_event("shutdown")
def flush_metrics() -> None:
    with engine.connect():
        ...


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
