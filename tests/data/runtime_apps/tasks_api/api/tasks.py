from fastapi import APIRouter, Request
from sqlalchemy import text

from ..db import AsyncSessionLocal

router = APIRouter(prefix="/tasks")


@router.get("/health")
async def health(request: Request) -> dict:
    async with AsyncSessionLocal() as session:
        await session.execute(text("SELECT 1"))
    return {"redis": await request.app.state.redis.ping()}
