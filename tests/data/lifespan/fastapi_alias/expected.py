from fastapi import FastAPI as F
from contextlib import asynccontextmanager as acm


def build() -> F:
    @acm
    async def lifespan(app: F):
        print("hello")
        yield

    api = F(lifespan=lifespan)
    return api


application = build()
