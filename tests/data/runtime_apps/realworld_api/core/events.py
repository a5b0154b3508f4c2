from typing import Callable

from fastapi import FastAPI

from probe import record

from ..db.events import close_db_connection, connect_to_db
from .config import AppSettings


def create_start_app_handler(app: FastAPI, settings: AppSettings) -> Callable:  # type: ignore
    async def start_app() -> None:
        record("start_app")
        await connect_to_db(app, settings)

    return start_app


def create_stop_app_handler(app: FastAPI) -> Callable:  # type: ignore
    async def stop_app() -> None:
        record("stop_app")
        await close_db_connection(app)

    return stop_app


def create_cache_handlers(app: FastAPI) -> tuple[Callable, Callable]:  # type: ignore
    def fill_tag_cache() -> None:
        record("fill_tag_cache")
        app.state.tags = {"python", "fastapi"}

    def drop_tag_cache() -> None:
        record("drop_tag_cache")
        app.state.tags.clear()

    return fill_tag_cache, drop_tag_cache
