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


def is_sqlite_url(url: str) -> bool:
    """``sqlite://``, ``sqlite+pysqlite://``, ``sqlite+aiosqlite://``…"""
    return url.split(":", 1)[0].split("+", 1)[0].strip().lower() == "sqlite"


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
    if call.url is not None and is_sqlite_url(call.url):
        return "a SQLite URL: no server to recycle or ping"
    return None


def missing_pool_params(call: EngineCall) -> tuple[str, ...]:
    """The pool parameters a non-exempt engine call leaves out, in POOL_PARAMS order."""
    if pool_exemption(call) is not None:
        return ()
    return tuple(name for name in POOL_PARAMS if name not in call.keywords)


def sizing_is_safe(call: EngineCall) -> bool:
    """Whether adding ``pool_size``/``max_overflow`` cannot make ``create_engine`` raise.

    Only a literal, non-SQLite URL proves it: a URL from settings may be
    in-memory SQLite in tests, where both raise ``TypeError``.
    """
    return pool_exemption(call) is None and call.url is not None


# --- calls that block the event loop -------------------------------------------

#: Qualified name (or ``module.*`` for every function of a module) -> what to use
#: instead inside ``async def``.
BLOCKING_CALLS: dict[str, str] = {
    "time.sleep": "await asyncio.sleep(...)",
    "requests.*": "httpx.AsyncClient",
    "requests.api.*": "httpx.AsyncClient",
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
    "sqlmodel.Session": "sqlalchemy.ext.asyncio.AsyncSession",
    "redis.Redis": "redis.asyncio.Redis",
    "redis.StrictRedis": "redis.asyncio.Redis",
    "redis.client.Redis": "redis.asyncio.Redis",
    "redis.from_url": "redis.asyncio.from_url",
}


def blocking_replacement(qualname: str | None) -> str | None:
    """The async replacement for a blocking call, or None when the call does not block."""
    if qualname is None:
        return None
    found = BLOCKING_CALLS.get(qualname)
    if found is None and "." in qualname:
        found = BLOCKING_CALLS.get(qualname.rsplit(".", 1)[0] + ".*")
    return found


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
