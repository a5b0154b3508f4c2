from fastapi import FastAPI
import inspect
from contextlib import asynccontextmanager


shutdown_handlers: list = []


@asynccontextmanager
async def lifespan(app: FastAPI):
    print()
    yield
    for handler in shutdown_handlers:
        if inspect.isawaitable(result := handler()):
            await result


app = FastAPI(lifespan=lifespan); ready = True
if ready: shutdown_handlers.append(print)  # one-line block
