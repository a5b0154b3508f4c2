"""An app with decorator-registered handlers, sync and async."""

from fastapi import FastAPI

app = FastAPI(title="Items")


@app.on_event("startup")
async def connect() -> None:
    print("connect")


@app.on_event("startup")
def warm_cache() -> None:
    print("warm_cache")


@app.on_event("shutdown")
async def disconnect() -> None:
    print("disconnect")


@app.on_event("shutdown")
def flush() -> None:  # keeps its comment
    print("flush")


@app.get("/items")
def items() -> list[str]:
    return []
