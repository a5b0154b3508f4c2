"""Order exports, webhooks and e-mails run after the response, as first written."""

import asyncio
import subprocess
import time
from pathlib import Path
from typing import Annotated

import httpx
import redis
import requests
from fastapi import APIRouter, BackgroundTasks, Depends
from pydantic_settings import BaseSettings
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.responses import JSONResponse

from .db import SessionLocal, engine

router = APIRouter(prefix="/workers")
EXPORT_DIR = Path(__file__).resolve().parent / "exports"

# FPR403 (with the writes below): job status lives in one worker's memory
JOBS: dict[str, dict] = {}


class Settings(BaseSettings):
    webhook_url: str = "https://hooks.example.com/orders"
    smtp_host: str = "mail"


# FPR202: the environment and .env are parsed again on every request
def get_settings() -> Settings:
    return Settings()


# FPR202: a new connection pool per request, never closed
def get_cache():
    return redis.Redis(host="cache", port=6379)


# FPR201: closed on success only; an exception in the endpoint skips close()
def get_db():
    db = SessionLocal()
    yield db
    db.close()


# FPR203: one session shared by every request of the process
report_session = SessionLocal()

SettingsDep = Annotated[Settings, Depends(get_settings)]
DbDep = Annotated[Session, Depends(get_db)]


def export_orders(job_id: str, customer_id: int) -> str:
    # FPR402: no try/except, a failure leaves the job "running" forever
    JOBS[job_id]["status"] = "running"  # FPR403
    with SessionLocal() as db:
        rows = db.execute(select(Order).where(Order.customer_id == customer_id)).all()
    path = EXPORT_DIR / f"{job_id}.csv"
    path.write_text("\n".join(",".join(map(str, row)) for row in rows))
    JOBS[job_id]["status"] = "done"  # FPR403
    return str(path)  # FPR401: nobody receives the path


async def notify_webhook(url: str, order_id: int) -> None:
    # FPR402 and FPR404: no error handling, and the webhook may never answer
    async with httpx.AsyncClient() as client:
        await client.post(url, json={"order_id": order_id})


@router.post("/exports")
async def start_export(customer_id: int, later: BackgroundTasks, db: DbDep):
    job_id = f"export-{customer_id}-{int(time.time())}"
    JOBS[job_id] = {"status": "pending"}  # FPR403
    later.add_task(export_orders, job_id, customer_id)
    # FPR301: a sync session on the event loop
    count = db.query(Order).filter(Order.customer_id == customer_id).count()
    return {"job": job_id, "orders": count}


@router.get("/exports/{job_id}")
async def export_status(job_id: str):
    return JOBS.get(job_id, {"status": "unknown"})


@router.post("/orders/{order_id}/paid")
async def order_paid(
    order_id: int, settings: SettingsDep, cache: redis.Redis = Depends(get_cache)
):
    # FPR301: requests and the sync Redis client block the loop
    requests.post(settings.webhook_url, json={"order_id": order_id}, timeout=5)
    cache.incr("orders:paid")
    # FPR301: so does sleeping to "give the payment provider time"
    time.sleep(0.5)
    return JSONResponse(
        {"ok": True}, background=BackgroundTask(notify_webhook, settings.webhook_url, order_id)
    )


@router.post("/invoices/{order_id}")
async def render_invoice(order_id: int):
    template = (EXPORT_DIR.parent / "invoice.html").read_text()  # FPR301
    subprocess.run(["wkhtmltopdf", "-", f"/tmp/{order_id}.pdf"], input=template.encode())  # FPR301
    with engine.connect() as conn:  # FPR301
        conn.execute(select(Order).where(Order.id == order_id))  # FPR301
    # FPR302 (off by default): the band-aid instead of a plain `def` endpoint
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, build_pdf, order_id)


class Order:  # stands in for the ORM model
    id = customer_id = None


def build_pdf(order_id: int) -> bytes:
    return b""
