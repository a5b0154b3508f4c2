from fastapi import FastAPI
import inspect
from contextlib import asynccontextmanager

lifespan = "a module-level name that is not a lifespan"
result = "and another one the generated code must not shadow"


@asynccontextmanager
async def app_lifespan(app: FastAPI):
    start()
    yield
    if inspect.isawaitable(result_2 := app.state.__class__()):
        await result_2


app = FastAPI(lifespan=app_lifespan)


def start() -> None:
    print("start", lifespan, result)
