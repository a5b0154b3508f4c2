import os

from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

DATABASE_URL = "postgresql://user:secret@db/app"

primary = create_engine(DATABASE_URL)
replica = create_engine("mysql+pymysql://db/app", pool_pre_ping=False)
local = create_engine("sqlite:///./local.db")
memory = create_async_engine("sqlite+aiosqlite://")
dynamic = create_async_engine(os.environ["DATABASE_URL"])
no_pool = create_engine(os.environ["DATABASE_URL"], poolclass=NullPool)
options = {"pool_size": 5}
configured = create_engine(os.environ["DATABASE_URL"], **options)


def make_engine(url: str):
    return create_async_engine(
        url,
        echo=False,
    )
