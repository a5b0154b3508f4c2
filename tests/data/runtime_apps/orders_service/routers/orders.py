from fastapi import APIRouter
from sqlalchemy import func, select

from ..database import async_session
from ..models import Order

router = APIRouter(prefix="/orders", tags=["orders"])


@router.get("/count")
async def count_orders() -> dict:
    async with async_session() as session:
        total = await session.scalar(select(func.count()).select_from(Order))
    return {"orders": total}
