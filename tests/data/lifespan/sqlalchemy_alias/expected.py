import fastapi
import sqlalchemy as sa
from contextlib import asynccontextmanager

DB = sa.create_engine("postgresql+psycopg://db/app", pool_size=3, max_overflow=20, pool_recycle=3600, pool_pre_ping=True)


@asynccontextmanager
async def lifespan(app: fastapi.FastAPI):
    yield
    goodbye()
    DB.dispose()


app = fastapi.FastAPI(lifespan=lifespan)


def goodbye():
    print("goodbye")
