import fastapi

from probe import record

from .core.config import settings
from .db import engine
from .routers import notifications
from .services.broker import connect_broker, disconnect_broker
from .services.scheduler import Scheduler

app = fastapi.FastAPI(title="notifications")
scheduler = Scheduler()

app.router.add_event_handler("startup", connect_broker)

if settings.enable_scheduler:
    app.router.add_event_handler("startup", scheduler.start)
    app.router.add_event_handler("shutdown", scheduler.shutdown)

if settings.sentry_dsn:

    @app.on_event("startup")
    def init_sentry() -> None:
        record("init_sentry")


@app.on_event("startup")
async def log_config() -> None:
    record("log_config")


@app.on_event("shutdown")
async def close_db() -> None:
    record("close_db")
    await engine.dispose()


app.router.add_event_handler("shutdown", disconnect_broker)
app.include_router(notifications.router)
