"""FPR104–FPR109: SQLAlchemy engines and their connection pools."""

from __future__ import annotations

from collections.abc import Iterator

from ..analysis import EngineInfo, ModuleFacts
from ..knowledge import (
    API_ROUTERS,
    ENGINE_FACTORY_NAMES,
    EVENT_METHODS,
    FASTAPI_APPS,
    missing_pool_params,
)
from ..rule import Finding, Rule, package_names

#: engines made through a module's own factory function or class still spell the factory
ENGINE_WORDS = tuple(sorted(ENGINE_FACTORY_NAMES))


class _EngineRule(Rule):
    """Engine rules judge serving code: tests and Alembic migrations build throw-away
    engines on purpose, so the rules stay silent there."""

    serving_code_only = True

    def results(self, facts: ModuleFacts) -> Iterator[Finding]:
        if "alembic" in facts.imports.modules:
            return iter(())
        return super().results(facts)


_NOT_SERVING_CODE = (
    " Test modules (`--fpr-test-files`, `conftest.py`), modules under a `tests/` or "
    "`test/` folder and modules that import `alembic` are not checked: their engines are "
    "throw-away by design."
)

_ENGINE_IN_LIFESPAN = '''\
@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.engine = create_async_engine(
        settings.database_url, pool_size=10, max_overflow=20,
        pool_recycle=3600, pool_pre_ping=True,
    )
    yield
    await app.state.engine.dispose()
'''


class EngineAtImportTime(_EngineRule):
    code = "FPR104"
    requires = ENGINE_WORDS
    message = (
        "engine created at import time: create it in the lifespan, keep it on "
        "`app.state` and dispose it at shutdown"
    )
    summary = (
        "Flags `create_engine`/`create_async_engine`/`engine_from_config` calls that run "
        "when the module is imported: at module level, in a module-level `if`/`try`/"
        "`with`, or in a class body."
    )
    rationale = (
        "An engine created at import time opens its pool before the app starts, is "
        "shared by every worker forked after import, survives reloads and is never "
        "closed: connections leak on every restart, and tests cannot swap the database "
        "without monkeypatching a global."
    )
    use_instead = _ENGINE_IN_LIFESPAN
    flags = (
        '''\
from sqlalchemy import create_engine
engine = create_engine("postgresql://db/app")
''',
        '''\
import sqlalchemy as sa
if settings.DEBUG:
    engine = sa.create_engine(settings.url, echo=True)
else:
    engine = sa.create_engine(settings.url)
''',
        '''\
from sqlalchemy.ext.asyncio import create_async_engine as make

class Database:
    engine = make(DATABASE_URL)
''',
    )
    passes = (
        '''\
from sqlalchemy import create_engine

def get_engine():
    return create_engine(settings.url)
''',
        '''\
from myproject.db import create_engine
engine = create_engine("postgresql://db/app")
''',
        '''\
from sqlalchemy.ext.asyncio import create_async_engine

@asynccontextmanager
async def lifespan(app):
    app.state.engine = create_async_engine(settings.url)
    yield
    await app.state.engine.dispose()
''',
    )
    limitations = (
        "Followed one level into the same module: `engine = make_engine(url)` where "
        "`make_engine` returns the engine it creates, and `db = Database()` where "
        "`Database.__init__` creates one, are flagged at the module-level call. Factories "
        "in other modules are not followed." + _NOT_SERVING_CODE
    )

    def finish(self, facts: ModuleFacts) -> None:
        for engine in facts.engines:
            if engine.scope is None:
                self.report(engine.call)


class EngineNeverDisposed(_EngineRule):
    code = "FPR105"
    #: an app, a router lifespan or a shut-down handler
    requires = (*package_names(FASTAPI_APPS | API_ROUTERS), *EVENT_METHODS, "on_shutdown")
    message = (
        "engine `{name}` is never disposed: call `{name}.dispose()` (awaited for async "
        "engines) after the lifespan's `yield` (`python -m codemods.lifespan` adds it)"
    )
    summary = (
        "In a module that holds the app's lifecycle (creates the app, or defines its "
        "lifespan or shut-down handlers), flags an engine created there or imported "
        "there (`from .db import engine`) that no `.dispose()` call closes; and an engine "
        "a lifespan creates and never disposes."
    )
    rationale = (
        "A pool that is never disposed keeps its connections open until the process "
        "dies: every reload in development and every rolling restart in production "
        "leaks them until the database refuses new ones. flake8 sees one file at a "
        "time, so the finding is reported where the fix goes: the module with the "
        "lifespan."
    )
    use_instead = _ENGINE_IN_LIFESPAN
    flags = (
        '''\
from fastapi import FastAPI
from sqlalchemy import create_engine
engine = create_engine("postgresql://db/app")
app = FastAPI()
''',
        '''\
from fastapi import FastAPI
from .database import engine

app = FastAPI()

@app.get("/")
def index():
    with engine.connect() as conn:
        ...
''',
        '''\
from contextlib import asynccontextmanager
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.engine = create_async_engine(settings.url)
    yield

app = FastAPI(lifespan=lifespan)
''',
    )
    passes = (
        '''\
from sqlalchemy import create_engine
engine = create_engine("postgresql://db/app")
''',
        '''\
from fastapi import FastAPI
from .database import engine

app = FastAPI()

@app.on_event("shutdown")
def close():
    engine.dispose()
''',
        '''\
from contextlib import asynccontextmanager
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import create_async_engine

@asynccontextmanager
async def lifespan(app: FastAPI):
    app.state.engine = create_async_engine(settings.url)
    yield
    await app.state.engine.dispose()

app = FastAPI(lifespan=lifespan)
''',
        '''\
from fastapi import FastAPI
from .config import settings

app = FastAPI(title=settings.title)
''',
    )
    codemod = "lifespan"
    fix_safety = (
        "Safe: the codemod adds `engine.dispose()` (awaited for async engines) at the "
        "end of the lifespan's shut-down part, never a second one."
    )
    limitations = (
        "An imported name counts as an engine when the module uses it as one "
        "(`engine.begin()`, `bind=engine`, `sessionmaker(engine)`, …) or its name "
        "contains `engine`, unless the module calls it or registers it as a handler (then "
        "it is a function) or its name is capitalised (a class). Any `.dispose()` call on "
        "the same name, or on a name the engine was assigned to (`app.state.db = engine`), "
        "counts as disposing it; so does registering `engine.dispose` as a shut-down "
        "handler." + _NOT_SERVING_CODE
    )

    def finish(self, facts: ModuleFacts) -> None:
        if not facts.holds_lifecycle():
            return
        lifespans = set(facts.lifespans())
        for engine in facts.engines:
            in_lifecycle = engine.scope is None or engine.function in lifespans
            if in_lifecycle and not engine.returned and not facts.engine_disposed(engine):
                self.report(engine.call, name=engine.name or "engine")
        for imported in facts.imported.values():
            if imported.called or imported.qualname.rsplit(".", 1)[-1][:1].isupper():
                continue  # a function or a class, not an engine instance
            looks_like_engine = imported.engine_uses or "engine" in imported.local.lower()
            if looks_like_engine and not facts.is_disposed(imported.local):
                self.report(imported.node, name=imported.local)


class _PoolRule(_EngineRule):
    """FPR106–FPR108 share one decision with the codemod: ``knowledge.missing_pool_params``."""

    params: tuple[str, ...] = ()
    requires = ENGINE_WORDS

    def finish(self, facts: ModuleFacts) -> None:
        for engine in facts.engines:
            if engine.created_by is not None:
                continue  # reported at the factory's own create_engine call
            missing = [p for p in missing_pool_params(engine.facts) if p in self.params]
            if missing:
                self.report(engine.call, missing=", ".join(f"`{p}`" for p in missing))


_POOL_LIMITATIONS = (
    "Not flagged where the parameters do not apply: literal SQLite URLs (also through a "
    "module-level name bound once to a literal), `poolclass=NullPool`/`StaticPool`/"
    "`SingletonThreadPool`/`AssertionPool` or a poolclass the rule cannot resolve, "
    "`creator=`, `**kwargs` passed to the factory, and `engine_from_config` (the "
    "settings are in the mapping); DuckDB, BigQuery and Athena URLs (no server "
    "connections; a formatted URL such as `f\"bigquery://{project}\"` counts by its "
    "literal start). A URL read from settings or the environment is not exempt."
    + _NOT_SERVING_CODE
)
_POOL_FIX = (
    "The codemod adds `pool_recycle`/`pool_pre_ping` to every flagged engine, and "
    "`pool_size`/`max_overflow` only for a literal non-SQLite URL (in-memory SQLite "
    "rejects them with TypeError; a URL from settings may be SQLite in tests) unless "
    "`--pool-size-on-dynamic-urls` is given."
)


class UnsizedPool(_PoolRule):
    code = "FPR106"
    params = ("pool_size", "max_overflow")
    message = (
        "engine without {missing}: size the pool explicitly (e.g. pool_size=10, "
        "max_overflow=20) to match the database's connection limit"
    )
    summary = "Flags engines created without `pool_size` or without `max_overflow`."
    rationale = (
        "The defaults (5 + 10 overflow per engine, per worker process) are invisible "
        "capacity decisions: under load requests queue for 30 s and fail with "
        "`QueuePool limit ... reached`, or N workers exhaust the database's "
        "`max_connections`."
    )
    use_instead = '''\
engine = create_engine(url, pool_size=10, max_overflow=20,
                       pool_recycle=3600, pool_pre_ping=True)
'''
    flags = (
        '''\
from sqlalchemy import create_engine
engine = create_engine("postgresql://u:p@db/app", pool_recycle=3600, pool_pre_ping=True)
''',
        '''\
import sqlalchemy as sa

def make(settings):
    return sa.create_engine(settings.database_url, pool_size=5)
''',
        '''\
from sqlalchemy.ext.asyncio import create_async_engine
DATABASE_URL = "postgresql+asyncpg://db/app"
engine = create_async_engine(DATABASE_URL, max_overflow=0)
''',
    )
    passes = (
        '''\
from sqlalchemy import create_engine
SQLALCHEMY_DATABASE_URL = "sqlite:///./app.db"
engine = create_engine(SQLALCHEMY_DATABASE_URL, connect_args={"check_same_thread": False})
''',
        '''\
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool
engine = create_engine(settings.url, poolclass=NullPool)
''',
        '''\
from sqlalchemy.ext.asyncio import create_async_engine
engine = create_async_engine(settings.url, **settings.engine_options)
''',
        '''\
from sqlalchemy import create_engine
engine = create_engine("mysql://db/app", pool_size=10, max_overflow=20,
                       pool_recycle=3600, pool_pre_ping=True)
''',
    )
    codemod = "lifespan"
    fix_safety = _POOL_FIX
    limitations = _POOL_LIMITATIONS


class NoPoolRecycle(_PoolRule):
    code = "FPR107"
    params = ("pool_recycle",)
    message = (
        "engine without `pool_recycle`: recycle connections before the server or a "
        "proxy drops them (e.g. pool_recycle=3600)"
    )
    summary = "Flags engines created without `pool_recycle`."
    rationale = (
        "MySQL's `wait_timeout`, PgBouncer, cloud load balancers and firewalls close "
        "idle connections; the pool hands them out anyway and the request fails with "
        "\"server closed the connection unexpectedly\" or \"MySQL server has gone away\"."
    )
    use_instead = UnsizedPool.use_instead
    flags = (
        '''\
from sqlalchemy import create_engine
engine = create_engine("mysql+pymysql://db/app", pool_pre_ping=True)
''',
        '''\
from sqlmodel import create_engine
engine = create_engine(settings.DATABASE_URL)
''',
        '''\
import sqlalchemy.ext.asyncio as aio
engine = aio.create_async_engine(os.environ["DATABASE_URL"], pool_size=10)
''',
    )
    passes = (
        '''\
from sqlalchemy import create_engine
engine = create_engine("sqlite://")
''',
        '''\
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import StaticPool
engine = create_async_engine(settings.url, poolclass=StaticPool)
''',
        '''\
from sqlalchemy import engine_from_config
engine = engine_from_config(config, prefix="sqlalchemy.")
''',
    )
    codemod = "lifespan"
    fix_safety = _POOL_FIX
    limitations = _POOL_LIMITATIONS


class NoPoolPrePing(_PoolRule):
    code = "FPR108"
    params = ("pool_pre_ping",)
    message = (
        "engine without `pool_pre_ping`: pass pool_pre_ping=True so connections broken "
        "by a database restart are replaced instead of failing requests"
    )
    summary = (
        "Flags engines created without `pool_pre_ping` (an explicit `pool_pre_ping=False` "
        "is a choice and is not flagged)."
    )
    rationale = (
        "After a database restart or failover every pooled connection is dead; without "
        "a pre-ping each of them fails one request before the pool notices."
    )
    use_instead = UnsizedPool.use_instead
    flags = (
        '''\
from sqlalchemy import create_engine
engine = create_engine("postgresql://db/app", pool_recycle=1800)
''',
        '''\
from sqlalchemy import create_engine as ce
from sqlalchemy.pool import QueuePool
engine = ce(url, poolclass=QueuePool)
''',
        '''\
from sqlalchemy.ext.asyncio import create_async_engine

@asynccontextmanager
async def lifespan(app):
    app.state.engine = create_async_engine(app.state.settings.db_url)
    yield
    await app.state.engine.dispose()
''',
    )
    passes = (
        '''\
from sqlalchemy import create_engine
engine = create_engine("postgresql://db/app", pool_pre_ping=False)
''',
        '''\
from sqlalchemy import create_engine
engine = create_engine(url, creator=get_connection)
''',
        '''\
from sqlalchemy.ext.asyncio import create_async_engine
engine = create_async_engine("sqlite+aiosqlite:///./test.db")
''',
    )
    codemod = "lifespan"
    fix_safety = _POOL_FIX
    limitations = _POOL_LIMITATIONS


class EnginePerRequest(_EngineRule):
    code = "FPR109"
    requires = ENGINE_WORDS
    message = (
        "engine created inside a {where}: a new pool per request; create one engine in "
        "the lifespan and share it"
    )
    summary = "Flags engines created inside a path operation or a dependency."
    rationale = (
        "Every request builds a new pool with its own connections and never closes it: "
        "the database hits \"too many connections\" under modest load, and each request "
        "pays a connection handshake."
    )
    use_instead = '''\
def get_session(request: Request):
    with Session(request.app.state.engine) as session:
        yield session
'''
    flags = (
        '''\
from fastapi import FastAPI
from sqlalchemy import create_engine
app = FastAPI()

@app.get("/users")
def users():
    engine = create_engine(settings.url)
''',
        '''\
from fastapi import Depends
from sqlalchemy.ext.asyncio import create_async_engine, AsyncSession

async def get_session():
    engine = create_async_engine(settings.url)
    async with AsyncSession(engine) as session:
        yield session

async def read(session=Depends(get_session)):
    ...
''',
        '''\
from fastapi import APIRouter
import sqlalchemy
router = APIRouter()

@router.post("/import")
async def run_import():
    with sqlalchemy.create_engine(settings.url).connect() as conn:
        ...
''',
    )
    passes = (
        '''\
from fastapi import FastAPI
from sqlalchemy import create_engine
app = FastAPI()

def make_engine():
    return create_engine(settings.url)
''',
        '''\
from fastapi import FastAPI
from sqlalchemy import create_engine
app = FastAPI()

@app.get("/users")
def users(engine=Depends(get_engine)):
    ...
''',
        '''\
from fastapi import FastAPI
from myproject.db import create_engine
app = FastAPI()

@app.get("/users")
def users():
    engine = create_engine("x")
''',
    )
    limitations = (
        "Only engines created directly in the body of a path operation or of a function "
        "referenced by `Depends(...)`/`Security(...)` in the same module." + _NOT_SERVING_CODE
    )

    def finish(self, facts: ModuleFacts) -> None:
        dependencies = set(facts.dependencies())
        for engine in facts.engines:
            where = _request_scope(engine, facts.path_operations, dependencies)
            if where is not None:
                self.report(engine.call, where=where)


def _request_scope(engine: EngineInfo, path_operations: set, dependencies: set) -> str | None:
    if engine.function in path_operations:
        return "path operation"
    if engine.function in dependencies:
        return "dependency"
    return None


RULES: tuple[type[Rule], ...] = (
    EngineAtImportTime,
    EngineNeverDisposed,
    UnsizedPool,
    NoPoolRecycle,
    NoPoolPrePing,
    EnginePerRequest,
)
