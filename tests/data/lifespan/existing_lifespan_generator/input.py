from fastapi import FastAPI
from sqlalchemy import create_engine

engine = create_engine("postgresql+psycopg://db/app", pool_size=5, max_overflow=5,
                       pool_recycle=600, pool_pre_ping=True)


async def lifespan(app: FastAPI):
    """A bare async generator: FastAPI wraps it in asynccontextmanager itself."""
    print("lifespan enter")
    yield
    print("lifespan exit")


app = FastAPI(lifespan=lifespan, on_startup=[lambda: print("ignored until now")])
