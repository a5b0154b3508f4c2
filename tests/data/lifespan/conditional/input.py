import os

from fastapi import FastAPI

SCHEDULER = os.environ.get("SCHEDULER", "1") == "1"

app = FastAPI()


@app.on_event("startup")
async def first() -> None:
    print("first")


if SCHEDULER:

    @app.on_event("startup")
    def start_scheduler() -> None:
        print("start_scheduler")

    app.router.add_event_handler("shutdown", lambda: print("stop_scheduler"))

for name in ("a", "b"):
    app.router.add_event_handler("startup", lambda name=name: print("loop", name))


@app.on_event("startup")
async def last() -> None:
    print("last")
