from typing import Callable

from fastapi import FastAPI


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
    application = FastAPI(title="factory")

    application.router.add_event_handler("startup", create_start_app_handler(application))
    application.router.add_event_handler("shutdown", create_stop_app_handler(application))

    @application.on_event("startup")
    async def local_handler() -> None:
        print("local", application.title)

    return application


app = get_application()
