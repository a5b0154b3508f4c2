"""The app is handed to a helper after its own handlers: what the helper registers on
the app's router lists still runs, after them, exactly where FastAPI ran it."""
from fastapi import FastAPI
from tortoise.contrib.fastapi import register_tortoise

app = FastAPI()


@app.on_event("startup")
async def warm() -> None:
    pass


register_tortoise(app, db_url="sqlite://:memory:", modules={"models": ["app.models"]})
