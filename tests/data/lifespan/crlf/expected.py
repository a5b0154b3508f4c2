from fastapi import FastAPI
from contextlib import asynccontextmanager


@asynccontextmanager
async def lifespan(app: FastAPI):
    await start()
    yield


app = FastAPI(lifespan=lifespan)


async def start():
    print("start")  # crlf
