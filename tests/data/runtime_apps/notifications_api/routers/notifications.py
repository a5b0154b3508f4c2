from fastapi import APIRouter
from sqlalchemy import text

from ..db import SessionLocal
from ..services import broker

router = APIRouter(prefix="/notifications")


@router.get("/status")
async def status() -> dict:
    async with SessionLocal() as session:
        await session.execute(text("SELECT 1"))
    return {"broker": broker.connection.open}
