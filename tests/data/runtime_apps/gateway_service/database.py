from sqlalchemy.ext.asyncio import create_async_engine

from .core.config import Settings

engine = create_async_engine(Settings.from_env().database_url, pool_pre_ping=True)
