from fastapi import FastAPI
from sqlalchemy import create_engine
from contextlib import asynccontextmanager

engine = create_engine("postgresql+psycopg://db/app", pool_size=5, max_overflow=5,
                       pool_recycle=600, pool_pre_ping=True)


async def lifespan(app: FastAPI):
    """A bare async generator: FastAPI wraps it in asynccontextmanager itself."""
    print("lifespan enter")
    yield
    print("lifespan exit")


@asynccontextmanager
async def app_lifespan(app: FastAPI):
    async with asynccontextmanager(lifespan)(app) as state:
        print("ignored until now")
        yield state
    engine.dispose()


app = FastAPI(lifespan=app_lifespan)
