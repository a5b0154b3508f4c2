from fastapi import FastAPI
from sqlalchemy import text

from probe import record

from .api import tasks
from .core.redis import register_redis
from .db import async_engine

app = FastAPI(title="tasks")
register_redis(app)
app.include_router(tasks.router)


@app.on_event("startup")
async def create_schema() -> None:
    record("create_schema")
    async with async_engine.begin() as connection:
        await connection.execute(text("CREATE TABLE IF NOT EXISTS tasks (id INTEGER PRIMARY KEY)"))


@app.on_event("shutdown")
def log_stop() -> None:
    record("log_stop")
