from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

engine = create_async_engine("sqlite+aiosqlite:///./app.db")


@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.reports = create_async_engine("sqlite+aiosqlite:///./reports.db")
    print("enter")
    yield
    print("exit")
    await app.state.reports.dispose()
    await engine.dispose()


app = FastAPI(lifespan=lifespan)
