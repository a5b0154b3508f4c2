from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import text

from probe import record

from .core import config
from .db import engine
from .gateway import _client, close_payment_gateway, warm_invoice_templates
from .routers import webhooks


@asynccontextmanager
async def lifespan(app: FastAPI):
    record("lifespan:enter")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS invoices (id INTEGER PRIMARY KEY)"))
    yield
    record("lifespan:exit")


app = FastAPI(title="billing", lifespan=lifespan, on_startup=[warm_invoice_templates])


# Added later by someone who did not know lifespan= disables these: they never run today.
@app.on_event("startup")
async def connect_payment_gateway() -> None:
    record("connect_payment_gateway")
    _client["gateway"] = config.PAYMENT_GATEWAY


app.router.add_event_handler("shutdown", close_payment_gateway)


@app.on_event("shutdown")
def flush_ledger() -> None:
    record("flush_ledger")


app.include_router(webhooks.router)


@app.get("/invoices/count")
def count_invoices() -> dict:
    with engine.connect() as connection:
        return {"invoices": connection.execute(text("SELECT count(*) FROM invoices")).scalar()}
