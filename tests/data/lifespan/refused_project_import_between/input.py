"""events.py registers on this app when imported: its handler runs between ours today."""

from fastapi import FastAPI

app = FastAPI()

from . import events  # noqa: E402  (registers load_translations on app)


@app.on_event("startup")
async def open_pool() -> None:
    ...
