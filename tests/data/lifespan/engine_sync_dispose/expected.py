from fastapi import FastAPI
from sqlalchemy import create_engine
from contextlib import asynccontextmanager

engine = create_engine("sqlite:///./app.db", connect_args={"check_same_thread": False})


@asynccontextmanager
async def lifespan(app: FastAPI):
    yield
    close()
    engine.dispose()


app = FastAPI(lifespan=lifespan)


def close() -> None:
    print("close")
