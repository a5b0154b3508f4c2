import asyncio

from probe import record

from .database import Base, engine

OUTBOX: list[str] = []
_redis = None


async def init_models() -> None:
    record("init_models")
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)


def connect_redis() -> None:
    global _redis
    record("connect_redis")
    _redis = {"connected": True}


async def flush_outbox(reason: str) -> None:
    record(f"flush_outbox({reason})")
    await asyncio.sleep(0)
    OUTBOX.clear()


def close_redis() -> None:
    record("close_redis")
    _redis["connected"] = False  # set by connect_redis at start-up
