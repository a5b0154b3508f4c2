"""What the rules (ast) and the codemods (libcst) must decide the same way.

Plain tables and functions over plain values (qualified names, keyword names,
literal strings) so that neither side's tree type leaks in: the ast rules and the
libcst codemods each extract an :class:`EngineCall` from their own tree and ask
this module what it means.  Every fact here was checked by running FastAPI 0.165
and SQLAlchemy 2.1 (see ``docs/framework-facts.md`` and
``tests/test_framework_facts.py``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

# --- FastAPI objects ---------------------------------------------------------

FASTAPI_APPS = frozenset({"fastapi.FastAPI", "fastapi.applications.FastAPI"})
API_ROUTERS = frozenset({"fastapi.APIRouter", "fastapi.routing.APIRouter"})

#: Modules whose import makes an unresolvable ``x.on_event("startup")`` or
#: ``@x.get("/path")`` a FastAPI registration (``x`` imported or a parameter).
FRAMEWORK_MODULES = frozenset({"fastapi", "starlette"})

EVENT_TYPES = ("startup", "shutdown")
EVENT_KWARGS = {"on_startup": "startup", "on_shutdown": "shutdown"}
#: methods that register a start-up/shut-down handler on an app or router
EVENT_METHODS = ("on_event", "add_event_handler")

PATH_OPERATION_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "options", "head", "trace", "api_route"}
)

DEPENDENCY_MARKERS = frozenset(
    {
        "fastapi.Depends",
        "fastapi.Security",
        "fastapi.params.Depends",
        "fastapi.params.Security",
        "fastapi.param_functions.Depends",
        "fastapi.param_functions.Security",
    }
)


def is_app_factory(qualname: str | None) -> bool:
    """``FastAPI(...)``: a call that creates an application."""
    return qualname in FASTAPI_APPS


def is_router_factory(qualname: str | None) -> bool:
    """``APIRouter(...)``: a call that creates a router."""
    return qualname in API_ROUTERS


def is_dependency_marker(qualname: str | None) -> bool:
    """``Depends(f)`` / ``Security(f)``: ``f`` runs on every request."""
    return qualname in DEPENDENCY_MARKERS


# --- SQLAlchemy engines --------------------------------------------------------


class EngineKind(enum.Enum):
    """Whether ``dispose()`` must be awaited."""

    SYNC = "sync"
    ASYNC = "async"


ENGINE_FACTORIES: dict[str, EngineKind] = {
    "sqlalchemy.create_engine": EngineKind.SYNC,
    "sqlalchemy.engine.create_engine": EngineKind.SYNC,
    "sqlalchemy.engine.create.create_engine": EngineKind.SYNC,
    "sqlmodel.create_engine": EngineKind.SYNC,
    "sqlalchemy.engine_from_config": EngineKind.SYNC,
    "sqlalchemy.engine.engine_from_config": EngineKind.SYNC,
    "sqlalchemy.engine.create.engine_from_config": EngineKind.SYNC,
    "sqlalchemy.ext.asyncio.create_async_engine": EngineKind.ASYNC,
    "sqlalchemy.ext.asyncio.engine.create_async_engine": EngineKind.ASYNC,
    "sqlalchemy.ext.asyncio.async_engine_from_config": EngineKind.ASYNC,
    "sqlalchemy.ext.asyncio.engine.async_engine_from_config": EngineKind.ASYNC,
}

#: the factories' own names, which any module that calls one spells (in its import or
#: in the call)
ENGINE_FACTORY_NAMES = frozenset(name.rsplit(".", 1)[1] for name in ENGINE_FACTORIES)

#: Factories that read the pool settings from a configuration mapping the
#: rules cannot see: the pool parameters may well be in it.
CONFIG_FACTORIES = frozenset(name for name in ENGINE_FACTORIES if name.endswith("from_config"))

POOL_SIZE_PARAMS = ("pool_size", "max_overflow")
POOL_HEALTH_PARAMS = ("pool_recycle", "pool_pre_ping")
POOL_PARAMS = POOL_SIZE_PARAMS + POOL_HEALTH_PARAMS

#: Pools on which sizing, recycling and pinging are meaningless or rejected:
#: ``NullPool`` and ``StaticPool`` make ``create_engine`` raise ``TypeError`` for
#: ``pool_size``/``max_overflow``; ``SingletonThreadPool`` is SQLite's.
NON_QUEUE_POOLS = frozenset(
    f"sqlalchemy.{module}{name}"
    for module in ("", "pool.", "pool.impl.")
    for name in ("NullPool", "StaticPool", "SingletonThreadPool", "AssertionPool")
)
QUEUE_POOLS = frozenset(
    f"sqlalchemy.{module}{name}"
    for module in ("", "pool.", "pool.impl.")
    for name in ("QueuePool", "AsyncAdaptedQueuePool")
)


#: Packages whose names are never the project's own engines or apps: an import from
#: them is not an "imported engine" for FPR105.
LIBRARY_PACKAGES = frozenset({"fastapi", "starlette", "sqlalchemy", "sqlmodel", "pydantic"})
#: Methods only an engine has: an imported name used so is an engine.  ``connect()``
#: is left out: ``databases.Database`` and DBAPI modules have it too.
ENGINE_METHODS = frozenset({"begin", "dispose", "raw_connection", "sync_engine"})
#: Callables whose first argument is an engine (``sessionmaker(engine)``).
ENGINE_CONSUMERS = frozenset(
    {"sessionmaker", "async_sessionmaker", "Session", "AsyncSession", "create_all", "drop_all"}
)


def engine_kind(qualname: str | None) -> EngineKind | None:
    """The kind of engine a call creates, or None when it is not an engine factory."""
    if qualname is None:
        return None
    return ENGINE_FACTORIES.get(qualname)


@dataclass(frozen=True)
class EngineCall:
    """What either tree says about one engine factory call.

    ``url`` is the literal URL (a module-level name bound once to a string
    literal counts as that literal) or None when it is computed, read from
    settings or the environment.  ``poolclass`` is the qualified name of the
    ``poolclass=`` argument, ``""`` when given but unresolvable, None when absent.
    """

    factory: str
    url: str | None
    keywords: frozenset[str]
    has_double_star: bool = False
    poolclass: str | None = None
    #: the literal start of a URL built by formatting (``f"bigquery://{project}"``)
    url_prefix: str | None = None

    @property
    def dialect(self) -> str | None:
        """The URL's backend name (``postgresql`` of ``postgresql+asyncpg://…``), if visible."""
        text = self.url if self.url is not None else self.url_prefix
        if text is None or ":" not in text:
            return None
        return url_dialect(text)


def url_dialect(url: str) -> str:
    return url.split(":", 1)[0].split("+", 1)[0].strip().lower()


def is_sqlite_url(url: str) -> bool:
    """``sqlite://``, ``sqlite+pysqlite://``, ``sqlite+aiosqlite://``…"""
    return url_dialect(url) == "sqlite"


#: Backends with no server connection to size, recycle or ping: embedded databases and
#: HTTP query services (a pre-ping on BigQuery runs a query job on every checkout).
SERVERLESS_DIALECTS: dict[str, str] = {
    "sqlite": "a SQLite URL: no server to recycle or ping",
    "duckdb": "an embedded DuckDB URL: no server to recycle or ping",
    "bigquery": "a BigQuery URL: HTTP jobs, no server connections to pool",
    "awsathena": "an Athena URL: HTTP queries, no server connections to pool",
}


def pool_exemption(call: EngineCall) -> str | None:
    """Why no pool parameter applies to this engine, or None when they all do.

    Shared by FPR106–FPR108 and the lifespan codemod: an engine exempt here is
    neither flagged nor given pool parameters.
    """
    if call.factory in CONFIG_FACTORIES:
        return "pool settings come from the configuration mapping"
    if call.has_double_star:
        return "**kwargs may carry the pool settings"
    if "creator" in call.keywords:
        return "a creator= connection factory"
    if call.poolclass is not None and call.poolclass not in QUEUE_POOLS:
        if call.poolclass in NON_QUEUE_POOLS:
            return f"poolclass={call.poolclass.rsplit('.', 1)[1]} keeps no pool to size"
        return "an explicit poolclass the rule cannot see through"
    dialect = call.dialect
    if dialect is not None and dialect in SERVERLESS_DIALECTS:
        return SERVERLESS_DIALECTS[dialect]
    return None


def missing_pool_params(call: EngineCall) -> tuple[str, ...]:
    """The pool parameters a non-exempt engine call leaves out, in POOL_PARAMS order."""
    if pool_exemption(call) is not None:
        return ()
    return tuple(name for name in POOL_PARAMS if name not in call.keywords)


def sizing_is_safe(call: EngineCall) -> bool:
    """Whether adding ``pool_size``/``max_overflow`` cannot make ``create_engine`` raise.

    Only a URL whose backend is visible and not SQLite proves it (a literal, or a
    formatted URL with a literal scheme such as ``f"postgresql://{host}/app"``): a URL
    from settings may be in-memory SQLite in tests, where both raise ``TypeError``.
    """
    return pool_exemption(call) is None and call.dialect is not None


# --- calls that block the event loop -------------------------------------------

_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")

#: Qualified name (or ``module.*`` for every function of a module) -> what to use
#: instead inside ``async def``.  Only calls that block *when called*: constructing a
#: ``requests.Session()``, ``httpx.Client()`` or ``redis.Redis()`` opens nothing (their
#: methods block, see :data:`BLOCKING_CLIENTS`).  ``Session(...)`` is listed because a
#: sync ORM session in ``async def`` means every use of it blocks.
BLOCKING_CALLS: dict[str, str] = {
    "time.sleep": "await asyncio.sleep(...)",
    **{f"requests.{verb}": "httpx.AsyncClient" for verb in _HTTP_VERBS},
    "requests.api.*": "httpx.AsyncClient",
    **{f"httpx.{verb}": "httpx.AsyncClient" for verb in (*_HTTP_VERBS, "stream")},
    "urllib.request.urlopen": "httpx.AsyncClient",
    "urllib3.request": "httpx.AsyncClient",
    "builtins.open": "aiofiles.open or anyio.open_file",
    "io.open": "aiofiles.open or anyio.open_file",
    "subprocess.run": "asyncio.create_subprocess_exec",
    "subprocess.call": "asyncio.create_subprocess_exec",
    "subprocess.check_call": "asyncio.create_subprocess_exec",
    "subprocess.check_output": "asyncio.create_subprocess_exec",
    "subprocess.Popen": "asyncio.create_subprocess_exec",
    "subprocess.getoutput": "asyncio.create_subprocess_shell",
    "subprocess.getstatusoutput": "asyncio.create_subprocess_shell",
    "os.system": "asyncio.create_subprocess_shell",
    "os.popen": "asyncio.create_subprocess_shell",
    "sqlalchemy.orm.Session": "sqlalchemy.ext.asyncio.AsyncSession",
    "sqlalchemy.orm.session.Session": "sqlalchemy.ext.asyncio.AsyncSession",
    "sqlmodel.Session": "sqlalchemy.ext.asyncio.AsyncSession",
}


@dataclass(frozen=True)
class BlockingClient:
    """An object that is cheap to build but whose methods block (network, disk, database).

    ``methods`` lists the blocking methods; when it is empty every method blocks
    except those in ``safe`` (a sync Redis client: each method is a command).
    """

    kind: str
    replacement: str
    methods: frozenset[str] = frozenset()
    safe: frozenset[str] = frozenset()

    def blocks(self, method: str) -> bool:
        if self.methods:
            return method in self.methods
        return method not in self.safe and not method.startswith("_")


HTTP_SESSION = BlockingClient(
    "requests.Session", "httpx.AsyncClient", frozenset((*_HTTP_VERBS, "send"))
)
HTTPX_CLIENT = BlockingClient(
    "httpx.Client", "httpx.AsyncClient", frozenset((*_HTTP_VERBS, "send", "stream"))
)
REDIS_CLIENT = BlockingClient(
    "redis.Redis",
    "redis.asyncio.Redis",
    safe=frozenset(
        {"pipeline", "pubsub", "lock", "register_script", "get_encoder",
         "get_connection_kwargs", "close", "client", "monitor", "from_url"}
    ),
)
PATH = BlockingClient(
    "pathlib.Path",
    "aiofiles or anyio.Path",
    frozenset({"read_text", "read_bytes", "write_text", "write_bytes", "open"}),
)
SYNC_SESSION = BlockingClient(
    "sqlalchemy.orm.Session",
    "sqlalchemy.ext.asyncio.AsyncSession",
    frozenset(
        {"execute", "scalar", "scalars", "get", "get_one", "commit", "flush", "refresh",
         "query", "merge", "rollback", "exec", "connection"}
    ),
)
SYNC_ENGINE = BlockingClient(
    "sqlalchemy.Engine",
    "sqlalchemy.ext.asyncio.create_async_engine",
    frozenset({"connect", "begin", "raw_connection"}),
)
SYNC_CONNECTION = BlockingClient(
    "sqlalchemy.Connection",
    "sqlalchemy.ext.asyncio.AsyncConnection",
    frozenset({"execute", "scalar", "scalars", "exec_driver_sql", "commit", "rollback"}),
)

#: Constructor or factory (qualified name) -> the blocking client it returns.
BLOCKING_CLIENTS: dict[str, BlockingClient] = {
    "requests.Session": HTTP_SESSION,
    "requests.session": HTTP_SESSION,
    "requests.sessions.Session": HTTP_SESSION,
    "httpx.Client": HTTPX_CLIENT,
    **{
        name: REDIS_CLIENT
        for name in (
            "redis.Redis", "redis.StrictRedis", "redis.client.Redis", "redis.client.StrictRedis",
            "redis.from_url", "redis.Redis.from_url", "redis.StrictRedis.from_url",
            "redis.RedisCluster", "redis.cluster.RedisCluster",
        )
    },
    **{
        f"pathlib.{name}": PATH
        for name in ("Path", "PosixPath", "WindowsPath", "Path.home", "Path.cwd")
    },
    "sqlalchemy.orm.Session": SYNC_SESSION,
    "sqlalchemy.orm.session.Session": SYNC_SESSION,
    "sqlmodel.Session": SYNC_SESSION,
}

#: Annotations (qualified) that make a parameter one of the clients above.
BLOCKING_ANNOTATIONS: dict[str, BlockingClient] = {
    "requests.Session": HTTP_SESSION,
    "requests.sessions.Session": HTTP_SESSION,
    "httpx.Client": HTTPX_CLIENT,
    "redis.Redis": REDIS_CLIENT,
    "redis.StrictRedis": REDIS_CLIENT,
    "redis.client.Redis": REDIS_CLIENT,
    "pathlib.Path": PATH,
    "sqlalchemy.orm.Session": SYNC_SESSION,
    "sqlalchemy.orm.session.Session": SYNC_SESSION,
    "sqlmodel.Session": SYNC_SESSION,
    "sqlalchemy.Engine": SYNC_ENGINE,
    "sqlalchemy.engine.Engine": SYNC_ENGINE,
    "sqlalchemy.Connection": SYNC_CONNECTION,
    "sqlalchemy.engine.Connection": SYNC_CONNECTION,
}

#: ``x.method()`` calls on a ``pathlib.Path`` that return a ``Path`` again.
PATH_RETURNING = frozenset(
    {"resolve", "absolute", "expanduser", "with_name", "with_suffix", "with_stem",
     "joinpath", "relative_to"}
)


def blocking_replacement(qualname: str | None) -> str | None:
    """The async replacement for a blocking call, or None when the call does not block."""
    if qualname is None:
        return None
    found = BLOCKING_CALLS.get(qualname)
    if found is None and "." in qualname:
        found = BLOCKING_CALLS.get(qualname.rsplit(".", 1)[0] + ".*")
    return found


def blocking_client(qualname: str | None) -> BlockingClient | None:
    """The blocking client a constructor or factory returns, or None."""
    if qualname is None:
        return None
    return BLOCKING_CLIENTS.get(qualname)


# --- sessions, connections, settings and clients -----------------------------------

#: Session classes -> whether the session is async.
SESSION_CLASSES: dict[str, bool] = {
    "sqlalchemy.orm.Session": False,
    "sqlalchemy.orm.session.Session": False,
    "sqlmodel.Session": False,
    "sqlmodel.orm.session.Session": False,
    "sqlalchemy.ext.asyncio.AsyncSession": True,
    "sqlalchemy.ext.asyncio.session.AsyncSession": True,
    "sqlmodel.ext.asyncio.session.AsyncSession": True,
}

#: Session factories -> whether the sessions they make are async (``sessionmaker``'s
#: answer depends on its ``class_=``: see :func:`session_factory_is_async`).
SESSION_FACTORIES: dict[str, bool] = {
    "sqlalchemy.orm.sessionmaker": False,
    "sqlalchemy.orm.session.sessionmaker": False,
    "sqlalchemy.orm.scoped_session": False,
    "sqlalchemy.orm.scoping.scoped_session": False,
    "sqlalchemy.ext.asyncio.async_sessionmaker": True,
    "sqlalchemy.ext.asyncio.session.async_sessionmaker": True,
    "sqlalchemy.ext.asyncio.async_scoped_session": True,
    "sqlalchemy.ext.asyncio.scoping.async_scoped_session": True,
}

#: Calls that open a DBAPI connection the caller must close.
DBAPI_CONNECT = frozenset(
    {
        "sqlite3.connect", "aiosqlite.connect", "psycopg2.connect", "psycopg.connect",
        "psycopg.AsyncConnection.connect", "asyncpg.connect", "pymysql.connect",
        "aiomysql.connect", "MySQLdb.connect", "mysql.connector.connect",
    }
)

#: Engine methods that open a connection the caller must close.
CONNECTION_METHODS = frozenset({"connect", "raw_connection"})

#: Names projects give a session factory they import (``from .db import SessionLocal``),
#: lower-cased without underscores.
SESSION_FACTORY_NAMES = frozenset(
    {
        "session", "sessionlocal", "sessionmaker", "sessionfactory", "scopedsession",
        "asyncsession", "asyncsessionlocal", "asyncsessionmaker", "asyncsessionfactory",
        "dbsession",
    }
)


#: Libraries whose ``Session``-like names are not database sessions.
NON_DB_SESSION_MODULES = frozenset(
    {"requests", "aiohttp", "httpx", "boto3", "botocore", "aioboto3", "aiobotocore",
     "niquests", "curl_cffi", "neo4j", "cassandra", "tensorflow", "onnxruntime", "flask",
     "werkzeug", "keras", "paramiko"}
)


def session_factory_is_async(qualname: str | None, class_: str | None) -> bool | None:
    """Whether ``sessionmaker(...)``-like factories make async sessions; None if not one.

    ``class_`` is the qualified name of the ``class_=`` argument (``""`` when given but
    unresolvable, None when absent).
    """
    if qualname not in SESSION_FACTORIES:
        return None
    if class_ is None:
        return SESSION_FACTORIES[qualname]
    return SESSION_CLASSES.get(class_, SESSION_FACTORIES[qualname])


def looks_like_session_factory(local_name: str) -> bool:
    """``SessionLocal``, ``async_session``, ``AsyncSessionLocal``… (imported from a project)."""
    return local_name.lower().replace("_", "") in SESSION_FACTORY_NAMES


#: Bases of settings classes that read the environment (and ``.env``) when instantiated.
SETTINGS_BASES = frozenset(
    {
        "pydantic_settings.BaseSettings",
        "pydantic_settings.main.BaseSettings",
        "pydantic.BaseSettings",
        "pydantic.v1.BaseSettings",
        "pydantic.env_settings.BaseSettings",
    }
)

#: Clients that keep a connection pool and are meant to live as long as the process.
PROCESS_CLIENTS = frozenset(
    {
        "redis.Redis", "redis.StrictRedis", "redis.from_url", "redis.Redis.from_url",
        "redis.asyncio.Redis", "redis.asyncio.from_url", "redis.asyncio.Redis.from_url",
        "redis.asyncio.client.Redis", "aioredis.Redis", "aioredis.from_url",
        "httpx.Client", "httpx.AsyncClient", "requests.Session", "requests.session",
        "aiohttp.ClientSession", "boto3.client", "boto3.resource", "boto3.Session",
        "boto3.session.Session", "pymongo.MongoClient",
        "motor.motor_asyncio.AsyncIOMotorClient", "elasticsearch.Elasticsearch",
        "elasticsearch.AsyncElasticsearch", "openai.OpenAI", "openai.AsyncOpenAI",
    }
)

#: Decorator names (last component) that memoise a factory.
CACHE_DECORATORS = frozenset({"lru_cache", "cache", "cached", "alru_cache", "cached_property"})


# --- background tasks ---------------------------------------------------------------

BACKGROUND_TASKS = frozenset(
    {
        "fastapi.BackgroundTasks",
        "fastapi.background.BackgroundTasks",
        "starlette.background.BackgroundTasks",
    }
)
BACKGROUND_TASK = frozenset({"starlette.background.BackgroundTask"})
PARTIAL = frozenset({"functools.partial"})

#: Awaitables that bound how long the awaits inside them may take.
TIMEOUT_CALLS = frozenset(
    {
        "asyncio.timeout", "asyncio.timeout_at", "asyncio.wait_for",
        "asyncio.timeouts.timeout", "asyncio.tasks.wait_for",
        "anyio.fail_after", "anyio.move_on_after", "anyio.fail_at", "anyio.move_on_at",
        "async_timeout.timeout", "async_timeout.timeout_at",
        "trio.fail_after", "trio.move_on_after",
    }
)
#: Awaiting these ends on its own: they are not what FPR404 asks to bound.
SLEEP_CALLS = frozenset({"asyncio.sleep", "anyio.sleep", "trio.sleep"})


# --- httpx clients and in-process transports ------------------------------------------

#: httpx clients whose ``app=`` shortcut httpx 0.28 removed (FPR501), mapped to the
#: transport that serves an app in process for them: what ``app=`` meant before 0.28.
HTTPX_CLIENT_TRANSPORTS: dict[str, str] = {
    "httpx.AsyncClient": "ASGITransport",
    "httpx._client.AsyncClient": "ASGITransport",
    "httpx.Client": "WSGITransport",
    "httpx._client.Client": "WSGITransport",
}
HTTPX_CLIENTS = frozenset(HTTPX_CLIENT_TRANSPORTS)
#: Transport class name -> the qualified names it is importable under.
HTTPX_TRANSPORTS: dict[str, frozenset[str]] = {
    "ASGITransport": frozenset({"httpx.ASGITransport", "httpx._transports.asgi.ASGITransport"}),
    "WSGITransport": frozenset({"httpx.WSGITransport", "httpx._transports.wsgi.WSGITransport"}),
}
