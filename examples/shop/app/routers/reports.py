"""A router with its own lifecycle."""

from fastapi import APIRouter, Depends
from sqlalchemy import create_engine, text

router = APIRouter(prefix="/reports")


# FPR101: a router's on_event handler runs once per level of include_router nesting
@router.on_event("startup")
def load_templates() -> None:
    ...


def get_reporting_connection():
    # FPR109, FPR106, FPR107, FPR108: a new pool for every request
    reporting = create_engine("postgresql+psycopg://shop@replica/shop")
    with reporting.connect() as connection:
        yield connection


@router.get("/daily")
def daily(connection=Depends(get_reporting_connection)):
    return connection.execute(text("select 1")).all()
