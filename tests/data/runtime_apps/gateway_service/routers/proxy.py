from fastapi import APIRouter, Request
from sqlalchemy import text

from ..database import engine

router = APIRouter()


@router.get("/routes")
async def routes(request: Request) -> dict:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return {"upstream": request.app.state.upstream, "routes": request.app.state.routes}
