from contextlib import asynccontextmanager

from fastapi import FastAPI


@asynccontextmanager
async def lifespan(app: FastAPI):
    print("lifespan enter")
    yield {"answer": 42}
    print("lifespan exit")


app = FastAPI(lifespan=lifespan)


@app.on_event("startup")
async def never_ran() -> None:
    print("never_ran")


@app.on_event("shutdown")
def never_ran_either() -> None:
    print("never_ran_either")
