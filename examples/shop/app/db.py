"""Database set-up as the tutorials write it."""

import os

from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import sessionmaker

# FPR104, FPR106, FPR107, FPR108: a server database, created at import time, default pool
engine = create_engine(os.environ.get("DATABASE_URL", "postgresql+psycopg://shop@db/shop"))

# FPR104, FPR107, FPR108: sized, but never recycled or pinged
analytics_engine = create_async_engine(
    "postgresql+asyncpg://shop@analytics/events", pool_size=5, max_overflow=5
)

SessionLocal = sessionmaker(bind=engine, autoflush=False)
