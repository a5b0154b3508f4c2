"""FPR101–FPR103: start-up and shut-down handlers."""

from __future__ import annotations

import ast

from .. import knowledge
from ..analysis import ModuleFacts
from ..rule import Rule

_CODEMOD_NOTE = "convert with `python -m codemods.lifespan`"


class DeprecatedOnEvent(Rule):
    code = "FPR101"
    requires = knowledge.EVENT_METHODS
    message = (
        "`{form}` start-up/shut-down handler is deprecated: move it into a lifespan "
        f"({_CODEMOD_NOTE})"
    )
    summary = (
        "Flags `@app.on_event(\"startup\"|\"shutdown\")` on an app, an `APIRouter` or "
        "`app.router`, and `X.add_event_handler(\"startup\"|\"shutdown\", fn)`."
    )
    rationale = (
        "FastAPI deprecated event handlers in 0.93 in favour of a lifespan context "
        "manager. They are ignored as soon as anyone adds `lifespan=` (FPR103), a "
        "router's handlers run once per level of `include_router` nesting, and "
        "`app.add_event_handler` no longer exists on current FastAPI (AttributeError "
        "at import)."
    )
    use_instead = '''\
from contextlib import asynccontextmanager

@asynccontextmanager
async def lifespan(app: FastAPI):
    await connect()
    yield
    await disconnect()

app = FastAPI(lifespan=lifespan)
'''
    flags = (
        '''\
from fastapi import FastAPI
app = FastAPI()

@app.on_event("startup")
async def connect():
    ...
''',
        '''\
import fastapi as fa
router = fa.APIRouter()

@router.on_event("shutdown")
def close():
    ...
''',
        '''\
from fastapi import FastAPI as F

def create_app() -> F:
    application = F()
    application.router.add_event_handler("startup", warm_cache)
    return application
''',
        '''\
from fastapi import FastAPI
from .events import start

def register(app: FastAPI) -> None:
    app.add_event_handler(event_type="startup", func=start)
''',
    )
    passes = (
        '''\
from fastapi import FastAPI
app = FastAPI(lifespan=lifespan)
''',
        '''\
from fastapi import FastAPI
from myapp.bus import EventBus
bus = EventBus()

@bus.on_event("startup")
def on_start():
    ...
''',
        '''\
from fastapi import FastAPI
app = FastAPI()

@app.on_event("message")
def custom():
    ...
''',
        '''\
class Scheduler:
    def on_event(self, name):
        ...

scheduler = Scheduler()
scheduler.add_event_handler("startup", print)
''',
    )
    codemod = "lifespan"
    fix_safety = (
        "Safe: the lifespan calls the same handlers in FastAPI's order and keeps them "
        "as functions; registrations under a condition stay under it; anything the "
        "codemod cannot convert with certainty is reported and left untouched."
    )

    def finish(self, facts: ModuleFacts) -> None:
        for reg in facts.events:
            if reg.form != "constructor":
                self.report(reg.node, form=reg.form)


class ConstructorEventHandlers(Rule):
    code = "FPR102"
    requires = tuple(knowledge.EVENT_KWARGS)
    message = (
        "`{keyword}=` is deprecated: run these handlers in a lifespan instead "
        f"({_CODEMOD_NOTE})"
    )
    summary = "Flags `FastAPI(on_startup=..., on_shutdown=...)` and the same on `APIRouter`."
    rationale = DeprecatedOnEvent.rationale
    use_instead = DeprecatedOnEvent.use_instead
    flags = (
        '''\
from fastapi import FastAPI
app = FastAPI(on_startup=[connect])
''',
        '''\
from fastapi import APIRouter
router = APIRouter(prefix="/items", on_shutdown=[close_pool])
''',
        '''\
import fastapi

def build():
    return fastapi.FastAPI(title="x", on_startup=[init_db, warm_cache], on_shutdown=[close])
''',
    )
    passes = (
        '''\
from fastapi import FastAPI
app = FastAPI(on_startup=None)
''',
        '''\
from starlette.applications import Starlette
app = Starlette(routes=[])
''',
        '''\
from myframework import FastAPI
app = FastAPI(on_startup=[connect])
''',
    )
    codemod = "lifespan"
    fix_safety = DeprecatedOnEvent.fix_safety

    def finish(self, facts: ModuleFacts) -> None:
        for reg in facts.events:
            if reg.form == "constructor" and isinstance(reg.node, ast.keyword):
                self.report(reg.node.value, keyword=reg.node.arg)


class HandlersIgnoredByLifespan(Rule):
    code = "FPR103"
    requires = ("lifespan",)
    message = "this {event} handler {fate}; call it from the lifespan instead"
    summary = (
        "Flags start-up/shut-down handlers registered on an app or router that is also "
        "given `lifespan=`."
    )
    rationale = (
        "When `lifespan=` is given, FastAPI never calls `on_event`, `add_event_handler` "
        "or `on_startup`/`on_shutdown` handlers, and says nothing (on a router with "
        "`lifespan=`, they run only as copies in an app that has no lifespan). The "
        "database is never connected, caches are never warmed and pools are never "
        "closed, yet every test that does not depend on them passes."
    )
    use_instead = '''\
@asynccontextmanager
async def lifespan(app: FastAPI):
    await connect()      # formerly @app.on_event("startup")
    yield
    await disconnect()   # formerly @app.on_event("shutdown")

app = FastAPI(lifespan=lifespan)
'''
    flags = (
        '''\
from fastapi import FastAPI
app = FastAPI(lifespan=lifespan)

@app.on_event("startup")
async def connect():
    ...
''',
        '''\
from fastapi import FastAPI
app = FastAPI(lifespan=lifespan, on_shutdown=[close])
''',
        '''\
from fastapi import APIRouter
router = APIRouter(lifespan=router_lifespan)
router.add_event_handler("shutdown", close)
''',
        '''\
from fastapi import FastAPI

def create_app():
    app = FastAPI(lifespan=lifespan)
    app.router.add_event_handler("startup", start)
    return app
''',
    )
    passes = (
        '''\
from fastapi import FastAPI
app = FastAPI()

@app.on_event("startup")
async def connect():
    ...
''',
        '''\
from fastapi import FastAPI

def create_app(lifespan=None):
    app = FastAPI(lifespan=lifespan)
    app.add_event_handler("startup", start)
    return app
''',
        '''\
from fastapi import FastAPI
app = FastAPI(lifespan=None, on_startup=[connect])
''',
        '''\
from fastapi import FastAPI
app = FastAPI(**settings)

@app.on_event("startup")
def start():
    ...
''',
    )
    codemod = "lifespan"
    fix_safety = (
        "Changes behaviour on purpose: handlers that never ran start running after the "
        "existing lifespan's start-up. The codemod prints a `behaviour change:` line per "
        "app; `--keep-ignored-handlers` leaves such apps untouched and only reports them."
    )

    def finish(self, facts: ModuleFacts) -> None:
        for reg in facts.events:
            app = reg.target
            if app is None or not app.has_lifespan:
                continue
            node = reg.node.value if isinstance(reg.node, ast.keyword) else reg.node
            self.report(node, event=reg.event, fate=_ROUTER_FATE if app.is_router else _APP_FATE)


_APP_FATE = (
    "never runs: the app has `lifespan=`, and FastAPI then skips every event handler"
)
_ROUTER_FATE = (
    "is skipped by the router's `lifespan=`: it runs only if an app without a lifespan "
    "includes the router"
)


RULES: tuple[type[Rule], ...] = (
    DeprecatedOnEvent,
    ConstructorEventHandlers,
    HandlersIgnoredByLifespan,
)
