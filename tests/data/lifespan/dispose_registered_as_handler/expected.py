from fastapi import FastAPI
from sqlalchemy import create_engine
import functools
import inspect
from contextlib import asynccontextmanager

engine = create_engine("sqlite:///./app.db")
reports = create_engine("sqlite:///./reports.db")


async def run_event_handlers(*handlers):
    """Run start-up/shut-down handlers in order as FastAPI did: await the async ones."""
    for handler in handlers:
        function = handler
        while isinstance(function, functools.partial):
            function = function.func
        if inspect.iscoroutinefunction(function) or (
            callable(function) and inspect.iscoroutinefunction(function.__call__)
        ):
            await handler()
        else:
            handler()


@asynccontextmanager
async def lifespan(app: FastAPI):
    await run_event_handlers(*getattr(app.router, "on_startup", ()))
    yield
    engine.dispose()
    close_reports()
    await run_event_handlers(*getattr(app.router, "on_shutdown", ()))


app = FastAPI(lifespan=lifespan)
app.state.reports = reports


def close_reports() -> None:
    app.state.reports.dispose()
