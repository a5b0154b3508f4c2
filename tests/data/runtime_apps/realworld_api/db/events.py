import logging

from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from probe import record

from ..core.config import AppSettings

logger = logging.getLogger(__name__)


async def connect_to_db(app: FastAPI, settings: AppSettings) -> None:
    logger.info("Connecting to database")
    record("connect_to_db")
    app.state.engine = create_async_engine(settings.database_url)
    async with app.state.engine.begin() as connection:
        await connection.execute(
            text("CREATE TABLE IF NOT EXISTS articles (slug TEXT PRIMARY KEY, title TEXT)")
        )
        await connection.execute(
            text("INSERT OR IGNORE INTO articles VALUES ('hello-world', 'Hello world')")
        )
    logger.info("Connection established")


async def close_db_connection(app: FastAPI) -> None:
    logger.info("Closing connection to database")
    record("close_db_connection")
    await app.state.engine.dispose()
    logger.info("Connection closed")
