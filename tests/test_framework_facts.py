"""Framework behaviours that flake8-fastapi-prod relies on, pinned by running them.

Every test here runs the real framework (FastAPI + TestClient, SQLAlchemy with
SQLite/aiosqlite, httpx): no mocks. If an upgrade changes one of these
behaviours the matching test fails, and the rule or codemod that relies on it
must be revisited. See docs/framework-facts.md for the summary table.

Checked on: Python 3.11.7, FastAPI 0.165.0, Starlette 1.10.0, SQLAlchemy 2.1.9,
aiosqlite 0.22.1, httpx 0.29.0.
"""

import asyncio
import inspect
import sqlite3
import threading
import warnings
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import NullPool, QueuePool, SingletonThreadPool, StaticPool

with warnings.catch_warnings():
    # Starlette 1.x warns at import time that TestClient should run on httpx2.
    warnings.simplefilter("ignore")
    import starlette.testclient
    from fastapi.testclient import TestClient

try:  # SQLAlchemy 2.1 no longer installs greenlet by default.
    import greenlet  # noqa: F401
except ImportError:  # pragma: no cover - depends on the environment
    HAVE_GREENLET = False
else:
    HAVE_GREENLET = True

needs_greenlet = pytest.mark.skipif(
    not HAVE_GREENLET,
    reason="sqlalchemy.ext.asyncio needs greenlet (install sqlalchemy[asyncio])",
)

POOL_PARAMS = {"pool_size": 5, "max_overflow": 10, "pool_recycle": 3600, "pool_pre_ping": True}


# --------------------------------------------------------------------------- helpers


def _rec(log, name):
    def handler():
        log.append(name)

    handler.__name__ = name
    return handler


def _on_event(target, event, fn):
    """Register with the deprecated on_event decorator, silencing its warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        target.on_event(event)(fn)


def _lifespan(log, name):
    @asynccontextmanager
    async def lifespan(app):
        log.append(f"{name}.enter")
        yield
        log.append(f"{name}.exit")

    return lifespan


async def _drive_lifespan(app):
    """Speak the ASGI lifespan protocol the way a server (uvicorn) does.

    Returns (messages sent by the app, exception raised by the app or None).
    """
    inbox = asyncio.Queue()
    sent = []
    await inbox.put({"type": "lifespan.startup"})

    async def receive():
        return await inbox.get()

    async def send(message):
        sent.append(message["type"])
        if message["type"] == "lifespan.startup.complete":
            await inbox.put({"type": "lifespan.shutdown"})

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    try:
        await app(scope, receive, send)
    except Exception as exc:  # noqa: BLE001 - we want to see what escapes
        return sent, exc
    return sent, None


# ------------------------------------------------- 1. event handler order (default lifespan)


def _ordering_app(log, router_first):
    app = FastAPI(on_startup=[_rec(log, "a")], on_shutdown=[_rec(log, "x")])
    router = APIRouter()
    _on_event(router, "startup", _rec(log, "r_up"))
    _on_event(router, "shutdown", _rec(log, "r_down"))
    if router_first:
        app.include_router(router)
    _on_event(app, "startup", _rec(log, "b"))
    _on_event(app, "startup", _rec(log, "c"))
    _on_event(app, "shutdown", _rec(log, "y"))
    _on_event(app, "shutdown", _rec(log, "z"))
    if not router_first:
        app.include_router(router)
    return app


def test_event_order_router_included_after_app_decorators():
    log = []
    with TestClient(_ordering_app(log, router_first=False)):
        log.append("|")
    # Startup: app list (on_startup=, decorators, router copy appended at include time),
    # then the router's own nested default lifespan runs its handlers again.
    # Shutdown is NOT reversed: the nested router lifespan exits first, then the app list
    # runs in registration order (including the router copy at its include position).
    assert log == ["a", "b", "c", "r_up", "r_up", "|", "r_down", "x", "y", "z", "r_down"]


def test_event_order_router_included_before_app_decorators():
    log = []
    with TestClient(_ordering_app(log, router_first=True)):
        log.append("|")
    assert log == ["a", "r_up", "b", "c", "r_up", "|", "r_down", "x", "r_down", "y", "z"]


def test_router_on_event_handler_runs_twice_when_included():
    log = []
    app = FastAPI()
    router = APIRouter()
    _on_event(router, "startup", _rec(log, "up"))
    _on_event(router, "shutdown", _rec(log, "down"))
    app.include_router(router)
    with TestClient(app):
        assert log == ["up", "up"]
    assert log == ["up", "up", "down", "down"]


def test_router_on_event_handler_runs_three_times_with_two_levels_of_nesting():
    log = []
    app = FastAPI()
    outer, inner = APIRouter(), APIRouter()
    _on_event(inner, "startup", _rec(log, "up"))
    _on_event(inner, "shutdown", _rec(log, "down"))
    outer.include_router(inner)
    app.include_router(outer)
    with TestClient(app):
        assert log == ["up"] * 3
    assert log == ["up"] * 3 + ["down"] * 3


def test_router_on_event_runs_twice_per_include_of_the_same_router():
    # Including one router twice (e.g. under two prefixes) doubles it again: 2 x 2 = 4.
    log = []
    app = FastAPI()
    router = APIRouter()
    _on_event(router, "startup", _rec(log, "up"))
    app.include_router(router, prefix="/v1")
    app.include_router(router, prefix="/v2")
    with TestClient(app):
        pass
    assert log == ["up"] * 4


def test_nesting_a_router_after_it_was_included_runs_handler_once():
    # include_router snapshots the child's handler list and lifespan at include time, so a
    # sub-router added to `outer` after `outer` went into the app is only seen through
    # outer's default lifespan (which reads outer.on_startup at run time).
    log = []
    app = FastAPI()
    outer, inner = APIRouter(), APIRouter()
    _on_event(inner, "startup", _rec(log, "up"))
    app.include_router(outer)
    outer.include_router(inner)
    with TestClient(app):
        pass
    assert log == ["up"]


# ------------------------------------------ 2. explicit lifespan silently disables on_event


def test_app_lifespan_disables_on_event_and_on_startup_without_warning():
    log = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app = FastAPI(
            lifespan=_lifespan(log, "app"),
            on_startup=[_rec(log, "on_startup")],
            on_shutdown=[_rec(log, "on_shutdown")],
        )
        app.router.add_event_handler("startup", _rec(log, "added"))
        with TestClient(app):
            log.append("|")
    assert log == ["app.enter", "|", "app.exit"]
    assert caught == []  # no warning that the handlers are ignored


def test_app_lifespan_on_event_only_warns_the_generic_deprecation():
    log = []
    app = FastAPI(lifespan=_lifespan(log, "app"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app.on_event("startup")(_rec(log, "decorated"))
        with TestClient(app):
            pass
    assert log == ["app.enter", "app.exit"]
    assert {w.category for w in caught} == {DeprecationWarning}
    # only the generic deprecation (twice, see fact 6): nothing says the handler is dead
    assert len(caught) == 2
    assert all("on_event is deprecated" in str(w.message) for w in caught)


def test_router_lifespan_skips_router_on_event_but_default_app_runs_the_copies():
    # APIRouter(lifespan=...) does not run its own on_event/on_startup handlers, but
    # include_router copies them into the app, whose default lifespan runs them once,
    # BEFORE the router lifespan is entered (and shutdown copies after it exits).
    log = []
    app = FastAPI()
    router = APIRouter(lifespan=_lifespan(log, "router"), on_startup=[_rec(log, "r_on_startup")])
    _on_event(router, "startup", _rec(log, "r_up"))
    _on_event(router, "shutdown", _rec(log, "r_down"))
    app.include_router(router)
    with TestClient(app):
        log.append("|")
    assert log == ["r_on_startup", "r_up", "router.enter", "|", "router.exit", "r_down"]


def test_router_lifespan_and_app_lifespan_nobody_runs_router_on_event():
    log = []
    app = FastAPI(lifespan=_lifespan(log, "app"))
    router = APIRouter(lifespan=_lifespan(log, "router"))
    _on_event(router, "startup", _rec(log, "r_up"))
    _on_event(router, "shutdown", _rec(log, "r_down"))
    app.include_router(router)
    with TestClient(app):
        log.append("|")
    assert log == ["app.enter", "router.enter", "|", "router.exit", "app.exit"]


def test_router_on_event_still_runs_once_inside_an_app_with_lifespan():
    # The app's own on_event is dead, but a router with the DEFAULT lifespan keeps running
    # its handlers through the nested router lifespan.
    log = []
    app = FastAPI(lifespan=_lifespan(log, "app"))
    router = APIRouter()
    _on_event(router, "startup", _rec(log, "r_up"))
    _on_event(router, "shutdown", _rec(log, "r_down"))
    app.include_router(router)
    _on_event(app, "startup", _rec(log, "app_up"))
    with TestClient(app):
        log.append("|")
    assert log == ["app.enter", "r_up", "|", "r_down", "app.exit"]


# ------------------------------------------------ 3. app lifespan + router lifespan nesting


def test_app_and_router_lifespans_nest_app_outermost():
    log = []
    app = FastAPI(lifespan=_lifespan(log, "app"))
    outer = APIRouter(lifespan=_lifespan(log, "outer"))
    outer.include_router(APIRouter(lifespan=_lifespan(log, "inner")))
    app.include_router(outer)
    with TestClient(app):
        log.append("|")
    assert log == [
        "app.enter", "outer.enter", "inner.enter", "|",
        "inner.exit", "outer.exit", "app.exit",
    ]


def test_lifespan_state_merge_app_wins_on_key_clash():
    @asynccontextmanager
    async def app_ls(app):
        yield {"who": "app", "app_only": 1}

    @asynccontextmanager
    async def router_ls(app):
        yield {"who": "router", "router_only": 1}

    app = FastAPI(lifespan=app_ls)
    app.include_router(APIRouter(lifespan=router_ls))

    @app.get("/state")
    def state(request: Request):
        return {k: getattr(request.state, k) for k in ("who", "app_only", "router_only")}

    with TestClient(app) as client:
        assert client.get("/state").json() == {"who": "app", "app_only": 1, "router_only": 1}


# ---------------------------------------------------- 4. sync handlers run on the loop thread


def test_sync_event_handlers_run_on_the_event_loop_thread_not_a_threadpool():
    seen = {}
    app = FastAPI()
    app.router.add_event_handler(
        "startup", lambda: seen.setdefault("sync", threading.current_thread())
    )

    async def async_up():
        seen["loop"] = threading.current_thread()

    app.router.add_event_handler("startup", async_up)
    app.router.add_event_handler(
        "shutdown", lambda: seen.setdefault("sync_down", threading.current_thread())
    )

    @app.get("/t")
    def endpoint():
        seen["endpoint"] = threading.current_thread()
        return {}

    with TestClient(app) as client:
        client.get("/t")
    assert seen["sync"] is seen["loop"] is seen["sync_down"]
    # sync *endpoints* do go to the threadpool, sync event handlers don't
    assert seen["endpoint"] is not seen["loop"]
    # under TestClient the loop lives in a portal thread, not the main thread
    assert seen["loop"] is not threading.main_thread()


def test_sync_event_handler_runs_on_main_thread_under_a_main_thread_loop():
    seen = []
    app = FastAPI()
    app.router.add_event_handler("startup", lambda: seen.append(threading.current_thread()))
    sent, exc = asyncio.run(_drive_lifespan(app))
    assert exc is None
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert seen == [threading.main_thread()]


# ---------------------------------------------------------------- 5. raising startup handler


def _raising_app(log):
    def boom():
        log.append("boom")
        raise ValueError("kaboom")

    app = FastAPI(on_startup=[_rec(log, "a"), boom, _rec(log, "c")],
                  on_shutdown=[_rec(log, "x")])
    return app


def test_raising_startup_handler_skips_rest_and_all_shutdown_testclient_reraises():
    log = []
    with pytest.raises(ValueError, match="kaboom"):
        with TestClient(_raising_app(log)):
            log.append("body")  # pragma: no cover - never reached
    assert log == ["a", "boom"]


def test_raising_startup_handler_sends_startup_failed_over_asgi():
    log = []
    sent, exc = asyncio.run(_drive_lifespan(_raising_app(log)))
    assert sent == ["lifespan.startup.failed"]
    assert isinstance(exc, ValueError)
    assert log == ["a", "boom"]


# ------------------------------------------------- 6. add_event_handler / on_event warnings


def test_fastapi_app_has_no_add_event_handler():
    app = FastAPI()
    assert not hasattr(app, "add_event_handler")
    with pytest.raises(AttributeError, match="add_event_handler"):
        app.add_event_handler("startup", lambda: None)


def test_router_add_event_handler_exists_works_and_does_not_warn():
    log = []
    app = FastAPI()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app.router.add_event_handler("startup", _rec(log, "up"))
        app.router.add_event_handler("shutdown", _rec(log, "down"))
    assert caught == []
    with TestClient(app):
        assert log == ["up"]
    assert log == ["up", "down"]
    with pytest.raises(AssertionError):  # unknown event types fail an assert, not ValueError
        app.router.add_event_handler("startpu", lambda: None)


def test_app_on_event_emits_two_deprecation_warnings():
    app = FastAPI()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        app.on_event("startup")(lambda: None)
    # one for FastAPI.on_event (at the caller) and one for APIRouter.on_event, which
    # FastAPI.on_event calls internally (attributed to fastapi/applications.py)
    assert [w.category for w in caught] == [DeprecationWarning, DeprecationWarning]
    assert caught[0].filename == __file__
    assert caught[1].filename.endswith("applications.py")
    for w in caught:
        assert str(w.message).strip().startswith(
            "on_event is deprecated, use lifespan event handlers instead."
        )


def test_router_on_event_emits_one_deprecation_warning():
    router = APIRouter()
    with pytest.warns(DeprecationWarning, match="on_event is deprecated") as caught:
        router.on_event("shutdown")(lambda: None)
    assert len(caught) == 1


# ------------------------------------------------------ 7. SQLAlchemy pool arguments by URL

SYNC_MEMORY_URLS = ["sqlite://", "sqlite:///:memory:", "sqlite+pysqlite:///:memory:"]
NO_SIZE = {"pool_size", "max_overflow"}

# (poolclass or None for the default) -> params rejected with TypeError
SYNC_SQLITE_MEMORY = {None: {"max_overflow"}, NullPool: NO_SIZE, StaticPool: NO_SIZE,
                      SingletonThreadPool: {"max_overflow"}, QueuePool: set()}
SYNC_FILE_OR_SERVER = {None: set(), NullPool: NO_SIZE, StaticPool: NO_SIZE,
                       SingletonThreadPool: {"max_overflow"}, QueuePool: set()}
ASYNC_SQLITE_MEMORY = {None: NO_SIZE, NullPool: NO_SIZE, StaticPool: NO_SIZE,
                       SingletonThreadPool: ArgumentError, QueuePool: ArgumentError}
ASYNC_SQLITE_FILE = {None: set(), NullPool: NO_SIZE, StaticPool: NO_SIZE,
                     SingletonThreadPool: ArgumentError, QueuePool: ArgumentError}


def _pool_cases(urls, table):
    return [
        pytest.param(url, pc, rejected,
                     id=f"{url}-{pc.__name__ if pc else 'default'}")
        for url in urls for pc, rejected in table.items()
    ]


def _check_pool_params(factory, url, poolclass, rejected, **extra):
    if poolclass is not None:
        extra["poolclass"] = poolclass
    if rejected is ArgumentError:  # pool class incompatible with (a)sync engine
        with pytest.raises(ArgumentError, match="cannot be used with"):
            factory(url, **extra)
        return
    for name, value in POOL_PARAMS.items():
        if name in rejected:
            with pytest.raises(TypeError, match=f"Invalid argument\\(s\\) '{name}'"):
                factory(url, **{name: value}, **extra)
        else:
            factory(url, **{name: value}, **extra)
    factory(url, pool_pre_ping=False, **extra)  # always fine


@pytest.mark.parametrize("url,poolclass,rejected",
                         _pool_cases(SYNC_MEMORY_URLS, SYNC_SQLITE_MEMORY))
def test_create_engine_pool_params_sqlite_memory(url, poolclass, rejected):
    _check_pool_params(create_engine, url, poolclass, rejected)


@pytest.mark.parametrize("url,poolclass,rejected", _pool_cases(["FILE"], SYNC_FILE_OR_SERVER))
def test_create_engine_pool_params_sqlite_file(tmp_path, url, poolclass, rejected):
    _check_pool_params(create_engine, f"sqlite:///{tmp_path / 'f.db'}", poolclass, rejected)


@pytest.mark.parametrize("url,poolclass,rejected",
                         _pool_cases(["postgresql+pg8000://u:p@h/db"], SYNC_FILE_OR_SERVER))
def test_create_engine_pool_params_postgresql(url, poolclass, rejected):
    # No PostgreSQL DBAPI is installed here; module= hands SQLAlchemy a real (never
    # connected) DBAPI module so the dialect and pool are built without importing one.
    # Cross-checked out of tree with real psycopg 3 and psycopg2: identical results.
    _check_pool_params(create_engine, url, poolclass, rejected, module=sqlite3)


@pytest.mark.parametrize("url,expected", [
    ("sqlite://", SingletonThreadPool),
    ("sqlite:///:memory:", SingletonThreadPool),
    ("sqlite+pysqlite:///:memory:", SingletonThreadPool),
    ("FILE", QueuePool),
])
def test_sync_sqlite_default_pool_class(tmp_path, url, expected):
    url = f"sqlite:///{tmp_path / 'f.db'}" if url == "FILE" else url
    assert type(create_engine(url).pool) is expected


def test_postgresql_default_driver_is_psycopg3_and_default_pool_is_queuepool():
    assert make_url("postgresql://u:p@h/db").get_dialect().driver == "psycopg"
    engine = create_engine("postgresql+pg8000://u:p@h/db", module=sqlite3)
    assert type(engine.pool) is QueuePool


def test_postgresql_url_without_its_dbapi_fails_at_create_engine():
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pass
    else:  # pragma: no cover - depends on the environment
        pytest.skip("psycopg is installed here")
    with pytest.raises(ModuleNotFoundError, match="psycopg"):
        create_engine("postgresql://u:p@h/db")


@needs_greenlet
@pytest.mark.parametrize("url,poolclass,rejected",
                         _pool_cases(["sqlite+aiosqlite://"], ASYNC_SQLITE_MEMORY))
def test_create_async_engine_pool_params_aiosqlite_memory(url, poolclass, rejected):
    from sqlalchemy.ext.asyncio import create_async_engine

    _check_pool_params(create_async_engine, url, poolclass, rejected)


@needs_greenlet
@pytest.mark.parametrize("url,poolclass,rejected", _pool_cases(["FILE"], ASYNC_SQLITE_FILE))
def test_create_async_engine_pool_params_aiosqlite_file(tmp_path, url, poolclass, rejected):
    from sqlalchemy.ext.asyncio import create_async_engine

    url = f"sqlite+aiosqlite:///{tmp_path / 'f.db'}"
    _check_pool_params(create_async_engine, url, poolclass, rejected)


@needs_greenlet
def test_aiosqlite_default_pool_classes(tmp_path):
    from sqlalchemy.ext.asyncio import create_async_engine
    from sqlalchemy.pool import AsyncAdaptedQueuePool

    assert type(create_async_engine("sqlite+aiosqlite://").pool) is StaticPool
    file_engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'f.db'}")
    assert type(file_engine.pool) is AsyncAdaptedQueuePool


def test_sqlalchemy_asyncio_import_needs_greenlet():
    if HAVE_GREENLET:  # pragma: no cover - depends on the environment
        pytest.skip("greenlet is installed here")
    with pytest.raises(ImportError, match=r"sqlalchemy\[asyncio\]"):
        import sqlalchemy.ext.asyncio  # noqa: F401


# ----------------------------------------------------------------------- 8. dispose


def test_engine_dispose_is_sync_and_leaves_a_fresh_pool(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'f.db'}")
    assert not inspect.iscoroutinefunction(engine.dispose)
    conn = engine.connect()
    conn.execute(text("select 1"))
    old_pool = engine.pool
    assert old_pool.checkedout() == 1
    assert engine.dispose() is None
    assert engine.pool is not old_pool
    assert engine.pool.checkedout() == 0
    assert engine.pool.checkedin() == 0
    conn.close()  # returns to the OLD pool, never to the new one
    assert engine.pool.checkedout() == 0


@needs_greenlet
def test_async_engine_dispose_is_a_coroutine_and_leaves_a_fresh_pool(tmp_path):
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'f.db'}")
    assert inspect.iscoroutinefunction(engine.dispose)

    async def scenario():
        async with engine.connect() as conn:
            await conn.execute(text("select 1"))
            assert engine.pool.checkedout() == 1
        old_pool = engine.pool
        assert old_pool.checkedin() == 1
        pending = engine.dispose()
        assert inspect.iscoroutine(pending)
        await pending
        assert engine.pool is not old_pool
        assert (engine.pool.checkedout(), engine.pool.checkedin()) == (0, 0)

    asyncio.run(scenario())


# -------------------------------------------------------------------- 9. httpx 0.29 + ASGI


def _lifespan_probe_app(log):
    app = FastAPI()
    app.router.add_event_handler("startup", _rec(log, "startup"))
    app.router.add_event_handler("shutdown", _rec(log, "shutdown"))

    @app.get("/ping")
    def ping():
        return {"ok": True}

    return app


def test_httpx_clients_reject_app_argument():
    app = FastAPI()
    with pytest.raises(TypeError, match="unexpected keyword argument 'app'"):
        httpx.AsyncClient(app=app)
    with pytest.raises(TypeError, match="unexpected keyword argument 'app'"):
        httpx.Client(app=app)


def test_asgi_transport_serves_requests_but_never_runs_lifespan():
    log = []
    app = _lifespan_probe_app(log)

    async def scenario():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/ping")
        return response

    response = asyncio.run(scenario())
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert log == []  # neither startup nor shutdown handlers ran


# ---------------------------------------------------------------- 10. TestClient lifespan


def test_testclient_runs_lifespan_only_as_a_context_manager():
    log = []
    app = _lifespan_probe_app(log)
    client = TestClient(app)
    assert client.get("/ping").json() == {"ok": True}
    assert log == []  # no `with`: no startup, requests still served
    with TestClient(app):
        assert log == ["startup"]
    assert log == ["startup", "shutdown"]


def test_testclient_reentered_runs_lifespan_each_time():
    log = []
    client = TestClient(_lifespan_probe_app(log))
    with client:
        pass
    with client:
        pass
    assert log == ["startup", "shutdown"] * 2


# --------------------------------------------------------------------------- extras


def test_starlette_testclient_still_runs_on_httpx():
    # Starlette 1.x prefers httpx2 and warns (StarletteDeprecationWarning) at import when
    # it falls back to httpx, as it does in this environment.
    assert starlette.testclient.httpx is httpx
