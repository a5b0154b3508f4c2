from fastapi import APIRouter
from sqlalchemy import text

from ..db import engine

router = APIRouter(prefix="/metrics")


@router.get("/")
def read_counters() -> dict:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT name, value FROM counters ORDER BY name")).all()
    return {name: value for name, value in rows}
