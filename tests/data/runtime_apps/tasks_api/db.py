from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from .core.config import settings

async_engine = create_async_engine(settings.DATABASE_URL)
AsyncSessionLocal = async_sessionmaker(async_engine)
