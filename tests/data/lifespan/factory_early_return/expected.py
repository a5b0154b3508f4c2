from fastapi import FastAPI
import inspect
from contextlib import asynccontextmanager


def create_app(minimal: bool = False) -> FastAPI:
    startup_handlers: list = []

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        for handler in startup_handlers:
            if inspect.isawaitable(result := handler()):
                await result
        yield

    app = FastAPI(lifespan=lifespan)

    def always() -> None:
        print("always")
    startup_handlers.append(always)

    if minimal:
        return app

    def full_only() -> None:
        print("full_only")
    startup_handlers.append(full_only)

    return app


app = create_app()
