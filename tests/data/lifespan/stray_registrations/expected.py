from fastapi import FastAPI

from .main import app


def register(application: FastAPI) -> None:
    application.router.add_event_handler("startup", print)


@app.on_event("shutdown")
def stop():
    pass
