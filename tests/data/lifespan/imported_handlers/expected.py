from fastapi import FastAPI

from .events import on_shutdown, on_startup
from . import tasks
import inspect
from contextlib import asynccontextmanager


@asynccontextmanager
async def lifespan(app: FastAPI):
    if inspect.isawaitable(result := on_startup()):
        await result
    if inspect.isawaitable(result := tasks.start_scheduler()):
        await result
    yield
    if inspect.isawaitable(result := on_shutdown()):
        await result


app = FastAPI(lifespan=lifespan)
