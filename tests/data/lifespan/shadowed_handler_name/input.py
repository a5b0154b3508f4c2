from fastapi import FastAPI

from .events import startup  # replaced by the local handler below

app = FastAPI()


@app.on_event("startup")
async def startup() -> None:
    pass
