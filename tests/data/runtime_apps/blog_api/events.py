"""Start-up and shut-down handlers, registered on the shared app when imported by main."""
from sqlalchemy import text

from probe import record

from .core.application import app
from .database import engine


@app.on_event("startup")
def create_tables() -> None:
    record("create_tables")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS posts (id INTEGER PRIMARY KEY)"))


@app.on_event("shutdown")
async def close_database() -> None:
    record("close_database")
    engine.dispose()
