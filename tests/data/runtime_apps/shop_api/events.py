"""Start-up and shut-down work, registered on the app in main.py."""
import asyncio
import logging

from sqlalchemy import select
from sqlalchemy.orm import close_all_sessions

from probe import record

from .core.config import settings
from .db import Base, SessionLocal, engine
from .models import Item, SchemaVersion

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 2


def create_tables() -> None:
    record("create_tables")
    Base.metadata.create_all(bind=engine)


def check_schema() -> None:
    record("check_schema")
    if settings.required_schema > SCHEMA_VERSION:
        raise RuntimeError(
            f"database schema {SCHEMA_VERSION} is older than required {settings.required_schema}"
        )
    with SessionLocal() as session:
        if session.get(SchemaVersion, SCHEMA_VERSION) is None:
            session.add(SchemaVersion(version=SCHEMA_VERSION))
            session.commit()


async def load_fixtures() -> None:
    record("load_fixtures")
    await asyncio.sleep(0)
    with SessionLocal() as session:
        if session.scalar(select(Item).where(Item.name == "widget")) is None:
            session.add(Item(name="widget", price_cents=250))
            session.commit()


def close_sessions() -> None:
    record("close_sessions")
    close_all_sessions()
