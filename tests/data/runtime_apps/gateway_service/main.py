"""API gateway built by a class, the way some service templates structure the app."""
from fastapi import FastAPI

from probe import record

from .core.config import Settings
from .database import engine
from .routers import proxy


class Application:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app = FastAPI(title="gateway")
        self.app.router.add_event_handler("startup", self.on_start)
        self.app.router.add_event_handler("startup", self.load_routes)
        self.app.router.add_event_handler("shutdown", self.on_stop)
        self.app.include_router(proxy.router)

    async def on_start(self) -> None:
        record("on_start")
        self.app.state.upstream = self.settings.upstream

    def load_routes(self) -> None:
        record("load_routes")
        self.app.state.routes = ["/users", "/orders"]

    async def on_stop(self) -> None:
        record("on_stop")
        await engine.dispose()


application = Application(Settings.from_env())
app = application.app
