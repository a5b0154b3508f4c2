from contextlib import asynccontextmanager

from fastapi import FastAPI


@asynccontextmanager
async def lifespan(app: FastAPI):
    print("lifespan enter")
    yield {"answer": 42}
    print("lifespan exit")


@asynccontextmanager
async def app_lifespan(app: FastAPI):
    async with lifespan(app) as state:
        await never_ran()
        yield state
        never_ran_either()


app = FastAPI(lifespan=app_lifespan)


async def never_ran() -> None:
    print("never_ran")


def never_ran_either() -> None:
    print("never_ran_either")
