"""Start-up and shut-down helpers registered by main.py."""

import logging

from fastapi import FastAPI

log = logging.getLogger(__name__)


def create_start_app_handler(app: FastAPI):
    async def start_app() -> None:
        log.info("warming caches for %s", app.title)

    return start_app


def register_events(app: FastAPI) -> None:
    # FPR101: the add_event_handler form, on an app received as a parameter
    app.router.add_event_handler("startup", create_start_app_handler(app))
