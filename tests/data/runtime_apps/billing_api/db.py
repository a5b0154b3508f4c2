from sqlalchemy import create_engine

from .core import config

engine = create_engine(config.DATABASE_URL, pool_pre_ping=True)
