"""The app object lives here so that any module can ``from .core.application import app``."""
import logging

from fastapi import FastAPI

from probe import record

app = FastAPI(title="blog")


@app.on_event("startup")
async def configure_logging() -> None:
    record("configure_logging")
    logging.getLogger("blog").setLevel(logging.INFO)
