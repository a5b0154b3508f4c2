from fastapi import FastAPI
from sqlalchemy import create_engine

engine = create_engine("sqlite:///x.db")
app = FastAPI(lifespan=lambda a: None, on_startup=[print])
other = create_engine("postgresql://x", pool_size=10, max_overflow=20, pool_recycle=3600, pool_pre_ping=True)
