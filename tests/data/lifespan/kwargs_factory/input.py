"""Shaped like nsidnev/fastapi-realworld-example-app: settings passed as **kwargs,
handlers made by factories and registered with add_event_handler (old FastAPI API)."""
from fastapi import FastAPI

from app.core.config import get_app_settings
from app.core.events import create_start_app_handler, create_stop_app_handler


def get_application() -> FastAPI:
    settings = get_app_settings()

    application = FastAPI(**settings.fastapi_kwargs)

    application.add_event_handler(
        "startup",
        create_start_app_handler(application, settings),
    )
    application.add_event_handler(
        "shutdown",
        create_stop_app_handler(application),
    )

    return application


app = get_application()
