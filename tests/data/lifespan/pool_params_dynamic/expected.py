import os

from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

DATABASE_URL = "postgresql://user:secret@db/app"

primary = create_engine(DATABASE_URL, pool_size=5, max_overflow=0, pool_recycle=3600)
replica = create_engine("mysql+pymysql://db/app", pool_pre_ping=False, pool_size=5, max_overflow=0, pool_recycle=3600)
local = create_engine("sqlite:///./local.db")
memory = create_async_engine("sqlite+aiosqlite://")
dynamic = create_async_engine(os.environ["DATABASE_URL"], pool_size=5, max_overflow=0, pool_recycle=3600)
no_pool = create_engine(os.environ["DATABASE_URL"], poolclass=NullPool)
options = {"pool_size": 5}
configured = create_engine(os.environ["DATABASE_URL"], **options)


def make_engine(url: str):
    return create_async_engine(
        url,
        echo=False,
        pool_size=5,
        max_overflow=0,
        pool_recycle=3600,
    )
