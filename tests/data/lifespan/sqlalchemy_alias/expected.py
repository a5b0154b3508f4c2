import fastapi
import sqlalchemy as sa
import functools
import inspect
from contextlib import asynccontextmanager

DB = sa.create_engine("postgresql+psycopg://db/app", pool_size=3, max_overflow=20, pool_recycle=3600, pool_pre_ping=True)


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
async def lifespan(app: fastapi.FastAPI):
    await run_event_handlers(*getattr(app.router, "on_startup", ()))
    yield
    goodbye()
    await run_event_handlers(*getattr(app.router, "on_shutdown", ()))
    DB.dispose()


app = fastapi.FastAPI(lifespan=lifespan)


def goodbye():
    print("goodbye")
