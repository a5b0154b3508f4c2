from typing import Callable

from fastapi import FastAPI
import inspect
from contextlib import asynccontextmanager


def create_start_app_handler(app: FastAPI) -> Callable:
    async def start_app() -> None:
        app.state.ready = True
        print("start_app", app.title)

    return start_app


def create_stop_app_handler(app: FastAPI) -> Callable:
    def stop_app() -> None:
        print("stop_app", app.state.ready)

    return stop_app


def get_application() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if inspect.isawaitable(result := start_app_handler()):
            await result
        await local_handler()
        yield
        if inspect.isawaitable(result := stop_app_handler()):
            await result

    application = FastAPI(title="factory", lifespan=lifespan)

    start_app_handler = create_start_app_handler(application)
    stop_app_handler = create_stop_app_handler(application)

    async def local_handler() -> None:
        print("local", application.title)

    return application


app = get_application()
