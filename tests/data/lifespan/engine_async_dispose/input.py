from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

DATABASE_URL = "postgresql+asyncpg://user:secret@db/app"

engine = create_async_engine(
    DATABASE_URL,
    echo=True,
)

app = FastAPI()
