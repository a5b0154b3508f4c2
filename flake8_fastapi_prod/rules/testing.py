"""FPR501–FPR504: tests that pass for the wrong reason or leak into each other."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .. import testfiles
from ..analysis import Function, ModuleFacts, Walker, base_name
from ..imports import dotted
from ..knowledge import HTTPX_CLIENTS
from ..positions import contains, start_of
from ..rule import Rule, last_names, package_names

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)

TEST_CLIENTS = frozenset({"fastapi.testclient.TestClient", "starlette.testclient.TestClient"})
SLEEPS = frozenset(
    {"time.sleep", "asyncio.sleep", "asyncio.tasks.sleep", "anyio.sleep", "trio.sleep",
     "tenacity.sleep", "tenacity.nap.sleep"}  # tenacity's is time.sleep
)
#: xunit-style teardown hooks: an override cleared there is cleared for every test
TEARDOWN_NAMES = frozenset(
    {
        "teardown_function",
        "teardown_method",
        "teardown_module",
        "teardown_class",
        "tearDown",
        "tearDownClass",
        "asyncTearDown",
    }
)

_TEST_NOTE = (
    "A *test* is a function matching `--fpr-test-functions` (default `test_*`, also "
    "methods of test classes) defined outside any function in a file matching "
    "`--fpr-test-files` (default `test_*.py,*_test.py`; a pattern matches the base name "
    "or the whole path); a *fixture* is a function decorated with `@pytest.fixture`/"
    "`@pytest_asyncio.fixture` under any alias, in a test file or `conftest.py`. Both "
    "options can be set in the flake8 configuration (`fpr-test-files = test_*.py, "
    "check_*.py`)."
)


class _TestAwareRule(Rule):
    """Knows, while the walk goes on, which functions of the module are tests and fixtures."""

    visits = _FUNCTIONS
    example_filename = "test_app.py"

    def __init__(self, filename: str = "<unknown>") -> None:
        super().__init__(filename)
        patterns = testfiles.configured()
        self._patterns = patterns
        self._test_file = patterns.is_test_file(filename)
        self._fixture_file = patterns.is_fixture_file(filename)
        self.tests: set[Function] = set()
        #: fixture -> the name tests request it by
        self.fixtures: dict[Function, str] = {}
        self.autouse: set[Function] = set()

    def visit(self, node: ast.AST, walker: Walker) -> None:
        if isinstance(node, _FUNCTIONS):
            self._classify(node, walker)
        else:
            self.visit_node(node, walker)

    def visit_node(self, node: ast.AST, walker: Walker) -> None:
        """Hook for the other node types a subclass lists in ``visits``."""

    def is_test(self, function: Function | None) -> bool:
        return function in self.tests

    def _classify(self, node: Function, walker: Walker) -> None:
        if walker.scopes or not self._fixture_file:
            return  # nested functions are neither collected nor used as fixtures
        for decorator in node.decorator_list:
            call = decorator if isinstance(decorator, ast.Call) else None
            target = call.func if call is not None else decorator
            if walker.qualify(target) in testfiles.FIXTURE_DECORATORS:
                name = node.name
                for keyword in call.keywords if call is not None else ():
                    value = keyword.value
                    is_true = isinstance(value, ast.Constant) and value.value is True
                    if keyword.arg == "name" and isinstance(value, ast.Constant):
                        name = str(value.value)
                    elif keyword.arg == "autouse" and is_true:
                        self.autouse.add(node)
                self.fixtures[node] = name
                return
        if self._test_file and self._patterns.is_test_function(node.name):
            self.tests.add(node)


# --- FPR501 -------------------------------------------------------------------------


class HttpxAppArgument(Rule):
    code = "FPR501"
    requires = package_names(HTTPX_CLIENTS)
    message = (
        "`{client}(app=...)` raises TypeError since httpx 0.28: pass "
        "`transport=httpx.ASGITransport(app=app)`{sync} (it does not run the lifespan: wrap "
        "the app in asgi-lifespan's `LifespanManager` or enter `TestClient`)"
    )
    summary = (
        "Flags `httpx.AsyncClient(app=...)` and `httpx.Client(app=...)`, under any import "
        "alias, in tests and in application code."
    )
    codemod = "asgi_transport"
    fix_safety = (
        "Safe where it rewrites: `AsyncClient(app=x)` becomes "
        "`AsyncClient(transport=httpx.ASGITransport(app=x))`, which is what `app=` meant "
        "before httpx 0.28, keeping the other arguments, comments and the import alias. "
        "A sync `Client(app=...)` is rewritten to `WSGITransport` only for a visible WSGI "
        "app; with a FastAPI/unknown app, next to `transport=`, or with `httpx` shadowed "
        "the call is reported and left alone. The codemod adds no lifespan handling."
    )
    rationale = (
        "httpx 0.28 removed the `app=` shortcut; on httpx 0.28+ the client constructor "
        "raises `TypeError: ... unexpected keyword argument 'app'`, so a test suite (or "
        "an internal client) written against older httpx breaks on the first dependency "
        "upgrade. The replacement, `transport=httpx.ASGITransport(app=app)`, serves "
        "requests but **does not run the app's lifespan**: no start-up or shut-down code "
        "runs (verified in `docs/framework-facts.md`, section 9), so engines, caches or "
        "clients created in the lifespan are missing in the test. Run the lifespan "
        "explicitly: `async with LifespanManager(app) as manager:` from `asgi-lifespan` "
        "and pass `ASGITransport(app=manager.app)`, or use `with TestClient(app):`, which "
        "runs start-up on enter and shut-down on exit. A sync `httpx.Client` cannot use "
        "`ASGITransport` at all: for a FastAPI app use `TestClient`, for a WSGI app "
        "`transport=httpx.WSGITransport(app=app)`."
    )
    use_instead = '''\
import httpx
from asgi_lifespan import LifespanManager

@pytest.fixture
async def client():
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as ac:
            yield ac
'''
    flags = (
        '''\
import httpx

@pytest.fixture
async def client():
    async with httpx.AsyncClient(app=app, base_url="http://test") as ac:
        yield ac
''',
        '''\
from httpx import AsyncClient as AC

async def test_read_items():
    async with AC(app=app, base_url="http://t") as client:
        response = await client.get("/items")
''',
        '''\
import httpx as hx
from .main import app

internal = hx.Client(base_url="http://internal", app=app)
''',
    )
    passes = (
        '''\
import httpx

async def test_read_items():
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        await client.get("/items")
''',
        '''\
from fastapi.testclient import TestClient

def test_read_items():
    client = TestClient(app=app)
''',
        '''\
from myproject.clients import AsyncClient

client = AsyncClient(app=app, base_url="http://test")
''',
        '''\
import httpx

client = httpx.AsyncClient(**client_options)
''',
    )
    codemod = "asgi_transport"
    fix_safety = (
        "Safe: `AsyncClient(app=...)` becomes the `ASGITransport` that `app=` meant before "
        "httpx 0.28, keeping every other argument. A sync `Client(app=...)` gets a "
        "`WSGITransport` only when the app is visibly a WSGI app (Flask, Django); with a "
        "FastAPI app (use `TestClient`), an app of unknown kind, or `transport=` also "
        "given, the call is reported and left untouched. The lifespan still does not run."
    )
    limitations = (
        "Only the `app=` keyword on `httpx.Client`/`httpx.AsyncClient` resolved through "
        "the module's imports; an `app` hidden in `**kwargs` is not seen. Whether the code "
        "then needs the lifespan is not checked: the message mentions it either way."
    )
    visits = (ast.Call,)

    def visit(self, node: ast.AST, walker: Walker) -> None:
        assert isinstance(node, ast.Call)
        if not any(keyword.arg == "app" for keyword in node.keywords):
            return
        qualname = walker.qualify(node.func)
        if qualname in HTTPX_CLIENTS:
            name = qualname.rsplit(".", 1)[1]
            self.report(node, client=f"httpx.{name}", sync=_SYNC if name == "Client" else "")


_SYNC = (
    " to an `httpx.AsyncClient` (a sync `httpx.Client` needs `TestClient(app)` for an ASGI "
    "app, `transport=httpx.WSGITransport(app=app)` for a WSGI one)"
)


# --- FPR502 -------------------------------------------------------------------------


class TestClientInAsyncTest(_TestAwareRule):
    __test__ = False

    code = "FPR502"
    requires = last_names(TEST_CLIENTS)
    message = (
        "`TestClient` inside `async def {name}`: it runs the app on another event loop "
        "in a thread while blocking this one; use `httpx.AsyncClient(transport="
        "httpx.ASGITransport(app=app))` here, or make the test a plain `def`"
    )
    summary = (
        "Flags `TestClient(...)` (from `fastapi.testclient` or `starlette.testclient`) "
        "called directly in the body of an `async def` test function."
    )
    rationale = (
        "`TestClient` is synchronous: each request starts the app on a separate event "
        "loop in a worker thread and blocks the calling thread until it answers. In an "
        "async test the test's own loop is frozen meanwhile, so async fixtures and "
        "objects bound to the test's loop (async engines, `asyncio.Lock`s, Redis "
        "clients) fail with \"attached to a different loop\" or deadlock, and the test "
        "exercises a different loop from the one production code runs on."
    )
    use_instead = '''\
async def test_create_item():
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/items", json={"name": "x"})

def test_create_item_sync():
    with TestClient(app) as client:
        response = client.post("/items", json={"name": "x"})
'''
    flags = (
        '''\
from fastapi.testclient import TestClient

async def test_create_item():
    client = TestClient(app)
    response = client.post("/items", json={"name": "x"})
''',
        '''\
import pytest
from starlette.testclient import TestClient as TC

@pytest.mark.anyio
async def test_lifespan():
    with TC(app) as client:
        assert client.get("/health").status_code == 200
''',
        '''\
import fastapi.testclient

class TestItems:
    async def test_list(self):
        response = fastapi.testclient.TestClient(app).get("/items")
''',
    )
    passes = (
        '''\
from fastapi.testclient import TestClient

def test_create_item():
    with TestClient(app) as client:
        client.post("/items", json={"name": "x"})
''',
        '''\
import pytest
from fastapi.testclient import TestClient

@pytest.fixture
def client():
    with TestClient(app) as c:
        yield c
''',
        '''\
from fastapi.testclient import TestClient

async def make_client():
    return TestClient(app)
''',
        '''\
import httpx

async def test_create_item():
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        await client.post("/items", json={"name": "x"})
''',
        '''\
from fastapi.testclient import TestClient

async def test_in_thread():
    def call():
        return TestClient(app).get("/")
    await asyncio.to_thread(call)
''',
    )
    limitations = (
        _TEST_NOTE + " Only a `TestClient(...)` call written in the async test itself is "
        "seen: a `TestClient` received from a fixture, created in a nested function or "
        "in an async fixture (which may serve sync tests) is not flagged."
    )
    visits = (*_FUNCTIONS, ast.Call)

    def visit_node(self, node: ast.AST, walker: Walker) -> None:
        function = walker.function
        if not isinstance(function, ast.AsyncFunctionDef) or function not in self.tests:
            return
        assert isinstance(node, ast.Call)
        if walker.qualify(node.func) in TEST_CLIENTS:
            self.report(node, name=function.name)


# --- FPR503 -------------------------------------------------------------------------


class SleepInTest(_TestAwareRule):
    code = "FPR503"
    requires = last_names(SLEEPS)
    message = (
        "`{call}({seconds})` in a test waits for background work by sleeping: poll the "
        "result with a deadline, or await/run the work directly"
    )
    summary = (
        "Flags `time.sleep(n)`, `asyncio.sleep(n)` (also `anyio.sleep`, `trio.sleep`) with "
        "a positive literal `n` in the body of a test function, outside any loop, after "
        "the test started work that runs on its own (an HTTP call through a client, "
        "`.start()`, `create_task`, `add_task`, `.delay()`, `.submit()`, `Popen`…)."
    )
    rationale = (
        "A fixed sleep guesses how long background work takes: too short on a loaded CI "
        "runner (the test flakes), too long everywhere else (the suite crawls). "
        "`BackgroundTasks` have already run when `TestClient` returns the response; "
        "anything else (a queue, a thread) should be polled until a deadline."
    )
    use_instead = '''\
def wait_for(predicate, timeout=5.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise AssertionError("condition not met in time")

def test_export_finishes(client):
    client.post("/exports")
    wait_for(lambda: export_done())
'''
    flags = (
        '''\
import time

def test_send_email(client, outbox):
    client.post("/signup", json={"email": "a@b.c"})
    time.sleep(1)
    assert outbox
''',
        '''\
from asyncio import sleep

async def test_job_runs(client):
    await client.post("/jobs")
    await sleep(0.5)
''',
        '''\
import time as t

class TestReports:
    def test_report_ready(self, scheduler, reports):
        scheduler.start()
        t.sleep(2)
        assert reports.count() == 1
''',
        '''\
import asyncio

async def test_paid_callback(on_paid_mock, wallet, invoice):
    await pay_invoice(wallet_id=wallet.id, payment_request=invoice)
    await asyncio.sleep(1)
    assert on_paid_mock.call_count == 1
''',
    )
    passes = (
        '''\
import time

def wait_until_ready(client):
    client.post("/warmup")
    time.sleep(1)
''',
        '''\
import time

def test_export(client):
    client.post("/exports")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if client.get("/exports/1").json()["done"]:
            break
        time.sleep(0.1)
''',
        '''\
import asyncio

async def test_yields_to_loop(client):
    await client.post("/jobs")
    await asyncio.sleep(0)
''',
        '''\
import time

def test_timestamps_differ(db):
    first = create_item(db)
    time.sleep(0.01)
    second = create_item(db)
    assert second.created_at > first.created_at
''',
        '''\
import time

def test_no_false_alarm(watchdog, dump):
    watchdog.start()
    time.sleep(0.3)
    watchdog.stop()
    dump.assert_not_called()
''',
        '''\
import time

def test_code_expires(client, cache):
    client.post("/codes")
    time.sleep(1.1)
    assert cache.get("code") is None
''',
        '''\
import time

def test_password_change_refused_after_threshold(client, settings, token):
    client.post("/login", json={})
    settings.auth_update_threshold = 1
    time.sleep(1.1)
    response = client.put("/password", headers={"Authorization": token})
    assert response.status_code == 403
''',
        '''\
import time

def test_signup_not_rate_limited(client, user):
    assert client.post("/register", json=user).status_code == 201
    time.sleep(5)
    for _ in range(5):
        assert client.post("/register", json=user).status_code == 201
''',
    )
    limitations = (
        _TEST_NOTE + " The sleep must follow, in the same test, a call that starts work "
        "running on its own: `.post()`/`.put()`/`.patch()` on anything, `.get()`/"
        "`.delete()`/`.request()` on a name containing `client`, `.start()`, "
        "`create_task`/`ensure_future`/`start_soon`, `add_task`, Celery's `.delay()`/"
        "`.apply_async()`/`send_task`, `.submit()`, `run_in_executor`, `.enqueue()`, "
        "`.publish()`, or `subprocess.Popen`; an awaited call whose result is dropped "
        "(`await pay_invoice(...)`) counts only when the next assertion reads a mock "
        "(`m.call_count`, `m.called`, `m.assert_called…()`); work started by a fixture is "
        "not seen. Not flagged (time itself is under test, a guess the rule leaves alone): "
        "sleeps inside a `for`/`while` loop (polling), sleeps whose next "
        "assertion is negative (`assert not x`, `is None`, `== 0`, `not in`, "
        "`.assert_not_called()`…: nothing to poll for, e.g. a TTL that must expire), an "
        "upper bound (`assert n <= 1`) or names expiry (`expired`), sleeps after the test "
        "assigned a name or attribute containing `ttl`, `expire`/`expiry`, `threshold`, "
        "`timeout`, `delay` or `interval`, sleeps followed by a new action (`.post()`, "
        "`.put()`, `.start()`… other than a client read) before any assertion (a "
        "rate-limit window between two requests), by a trigger (`.set()`, `.cancel()`, "
        "`.release()`, `.notify()`, `put_nowait`, a constant assigned to an attribute or "
        "item: the sleep let running work reach a point) or by a polling helper "
        "(`wait_for*`, `wait_until*`, `poll*`, `eventually*`), sleeps that are not a "
        "statement of their own (`asyncio.ensure_future(asyncio.sleep(5))` is a timer), "
        "and sleeps in fixtures, helpers and nested functions."
    )
    visits = (
        *_FUNCTIONS, ast.Call, ast.While, ast.For, ast.AsyncFor, ast.Assert, ast.Assign,
        ast.AnnAssign, ast.Expr,
    )

    def __init__(self, filename: str = "<unknown>") -> None:
        super().__init__(filename)
        self._loops: dict[Function, list[ast.AST]] = {}
        self._started: set[Function] = set()
        #: tests that awaited a call and dropped its result (``await pay_invoice(...)``):
        #: a sleep after it counts only before an assertion on a mock
        self._awaited: set[Function] = set()
        #: tests that set a time limit (``settings.x_threshold = 1``): time is under test
        self._timed: set[Function] = set()
        #: sleeps waiting for the test's next assertion to decide them (the last item:
        #: only an assertion on a mock decides it)
        self._pending: dict[Function, list[tuple[ast.Call, str, str, bool]]] = {}
        self._sleeps: list[tuple[ast.Call, str, str]] = []
        #: calls written as statements (``time.sleep(1)``, ``await asyncio.sleep(1)``):
        #: a sleep inside an expression is a timer or a dummy task, not a wait
        self._statement_calls: set[ast.expr] = set()

    def visit_node(self, node: ast.AST, walker: Walker) -> None:
        function = walker.function
        if function is None or function not in self.tests:
            return
        if isinstance(node, ast.Assert):
            if _new_action(node.test, walker):
                # ``assert client.post(...).status_code == 201``: the request comes first
                self._pending.pop(function, None)
                return
            self._assertion(
                function,
                negative=_is_negative(node.test) or _about_expiry(node.test),
                on_mock=_on_mock(node.test),
            )
        elif isinstance(node, ast.Call):
            self._call(node, function, walker)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(_names_time_limit(target) for target in targets):
                self._timed.add(function)
            if isinstance(node.value, ast.Constant) and any(
                isinstance(target, (ast.Attribute, ast.Subscript)) for target in targets
            ):
                # ``stop.flag = True``, ``phase["name"] = "burst"``: the sleep let the
                # work run until this state change, it did not wait for a result
                self._pending.pop(function, None)
        elif isinstance(node, ast.Expr):
            value = node.value
            call = value.value if isinstance(value, ast.Await) else value
            if isinstance(call, ast.Call):
                self._statement_calls.add(call)
            if (
                isinstance(value, ast.Await)
                and isinstance(value.value, ast.Call)
                and walker.qualify(value.value.func) not in SLEEPS
            ):
                self._awaited.add(function)
        else:
            self._loops.setdefault(function, []).append(node)

    def _call(self, node: ast.Call, function: Function, walker: Walker) -> None:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr.startswith("assert_"):
            self._assertion(
                function, negative=func.attr.startswith("assert_not_"), on_mock=True
            )
            return
        qualname = walker.qualify(func)
        if _is_trigger(func):
            self._pending.pop(function, None)
            return
        if _starts_work(node, qualname):
            if _is_action(node, qualname):
                # a new action before any check: the sleep separated two actions (a
                # rate-limit window, a threshold), it did not wait for the first one
                self._pending.pop(function, None)
            self._started.add(function)
            return
        seconds = _positive_literal(node)
        if seconds is None or qualname not in SLEEPS or function in self._timed:
            return
        if node not in self._statement_calls:
            return
        started = function in self._started
        if not (started or function in self._awaited):
            return
        if any(contains(loop, node) for loop in self._loops.get(function, ())):
            return
        sleep = (node, qualname.replace(".tasks", ""), seconds, not started)
        self._pending.setdefault(function, []).append(sleep)

    def _assertion(self, function: Function, negative: bool, on_mock: bool = False) -> None:
        decided = self._pending.pop(function, [])
        if not negative:
            self._sleeps.extend(s[:3] for s in decided if on_mock or not s[3])

    def finish(self, facts: ModuleFacts) -> None:
        for pending in self._pending.values():
            self._sleeps.extend(s[:3] for s in pending if not s[3])
        for node, call, seconds in sorted(self._sleeps, key=lambda s: start_of(s[0])):
            self.report(node, call=call, seconds=seconds)


#: methods that start work running on its own, on any receiver
_STARTS = frozenset(
    {
        "post", "put", "patch", "start", "create_task", "ensure_future", "start_soon",
        "add_task", "delay", "apply_async", "send_task", "submit", "run_in_executor",
        "enqueue", "publish", "call_soon_threadsafe", "run_coroutine_threadsafe",
    }
)
#: HTTP methods that only count on a client (``cache.get`` is no request)
_CLIENT_REQUESTS = frozenset({"get", "delete", "request", "head", "options", "stream"})
_STARTING_CALLS = frozenset(
    {
        "subprocess.Popen", "asyncio.create_task", "asyncio.ensure_future",
        "asyncio.run_coroutine_threadsafe",
    }
)


#: methods that make running work move on (an event, a cancellation, a queue item)
_TRIGGERS = frozenset(
    {"set", "cancel", "release", "notify", "notify_all", "put_nowait", "set_result",
     "set_exception"}
)
#: helpers that poll until a deadline: a sleep before one is not the wait
_POLLING_PREFIXES = ("wait_for", "wait_until", "poll", "eventually")


def _is_trigger(func: ast.expr) -> bool:
    """``event.set()``, ``task.cancel()``, ``wait_for_alerts(...)``: after a sleep, the
    test drives running work or polls for it; the sleep is not waiting for a result."""
    name = base_name(func) or ""
    if isinstance(func, ast.Attribute) and name in _TRIGGERS:
        return True
    return name.startswith(_POLLING_PREFIXES)


def _positive_literal(call: ast.Call) -> str | None:
    node = call.args[0] if call.args else None
    if node is None:
        node = next((k.value for k in call.keywords if k.arg in ("delay", "seconds")), None)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float) and node.value > 0:
        return repr(node.value)
    return None


def _starts_work(call: ast.Call, qualname: str | None) -> bool:
    if qualname in _STARTING_CALLS:
        return True
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr in _STARTS:
        return True
    receiver = dotted(func.value) or ""
    return func.attr in _CLIENT_REQUESTS and "client" in receiver.rsplit(".", 1)[-1].lower()


#: words in a name that make it a time limit: a sleep after setting one lets time pass
_TIME_LIMIT_WORDS = ("ttl", "expire", "expiry", "threshold", "timeout", "delay", "interval")
#: mock attributes an assertion reads after awaited work (``assert m.call_count == 1``)
_MOCK_ATTRIBUTES = frozenset(
    {"called", "call_count", "call_args", "call_args_list", "await_count", "await_args",
     "awaited", "mock_calls", "await_args_list"}
)


def _is_action(call: ast.Call, qualname: str | None) -> bool:
    """A call that starts work and is not a client read (``client.get`` checks a result)."""
    func = call.func
    read = isinstance(func, ast.Attribute) and func.attr in _CLIENT_REQUESTS
    return _starts_work(call, qualname) and not read


def _new_action(test: ast.expr, walker: Walker) -> bool:
    """The assertion's subject is itself a new action: ``assert c.post(...).status_code``."""
    node = test.left if isinstance(test, ast.Compare) else test
    if isinstance(node, ast.UnaryOp):
        node = node.operand
    if isinstance(node, ast.Await):
        node = node.value
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
        if isinstance(node, ast.Await):
            node = node.value
    return isinstance(node, ast.Call) and _is_action(node, walker.qualify(node.func))


def _names_time_limit(target: ast.expr) -> bool:
    """``ttl = 1``, ``settings.auth_update_threshold = 1``, ``cache["expire"] = 2``."""
    if isinstance(target, (ast.Tuple, ast.List)):
        return any(_names_time_limit(element) for element in target.elts)
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
        name = str(target.slice.value)
    else:
        name = (dotted(target) or "").rsplit(".", 1)[-1]
    return any(word in name.lower() for word in _TIME_LIMIT_WORDS)


def _about_expiry(test: ast.expr) -> bool:
    """``assert x <= 1`` (at most, within the window), or an assertion that names
    expiry (``assert token.expired``, ``assert "expired" in r.text``)."""
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        if isinstance(test.ops[0], (ast.Lt, ast.LtE)) and isinstance(
            test.comparators[0], ast.Constant
        ):
            return True
    parts = [test, *getattr(test, "comparators", ()), getattr(test, "left", None),
             getattr(test, "operand", None)]
    return any(_mentions_expiry(part) for part in parts if part is not None)


def _mentions_expiry(node: ast.expr) -> bool:
    """``"expired"``, ``token.expired``, ``r.json()["expired"]``, ``is_expired(x)``."""
    while True:
        if isinstance(node, ast.Constant):
            return isinstance(node.value, str) and "expir" in node.value.lower()
        if isinstance(node, ast.Name):
            return "expir" in node.id.lower()
        if isinstance(node, ast.Attribute):
            if "expir" in node.attr.lower():
                return True
            node = node.value
        elif isinstance(node, ast.Subscript):
            if _mentions_expiry(node.slice):
                return True
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return False


def _on_mock(test: ast.expr) -> bool:
    """The assertion reads a mock's record: ``m.call_count == 1``, ``m.called``."""
    left = test.left if isinstance(test, ast.Compare) else test
    if isinstance(left, ast.UnaryOp):
        left = left.operand
    while isinstance(left, ast.Subscript):
        left = left.value
    return isinstance(left, ast.Attribute) and left.attr in _MOCK_ATTRIBUTES


def _is_negative(test: ast.expr) -> bool:
    """``not x``, ``x is None``/``is False``, ``x == 0``/``[]``/``{}``, ``x not in y``."""
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return True
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        op, right = test.ops[0], test.comparators[0]
        if isinstance(op, ast.NotIn):
            return True
        if isinstance(op, (ast.Is, ast.Eq)):
            if isinstance(right, ast.Constant) and right.value in (None, False, 0, ""):
                return True
            return isinstance(right, (ast.List, ast.Dict, ast.Tuple)) and not (
                right.elts if isinstance(right, (ast.List, ast.Tuple)) else right.keys
            )
    return False


# --- FPR504 -------------------------------------------------------------------------


#: the key of ``.clear()``, reassignment or ``.popitem()``: every override
_ALL = None
#: the key of ``.update(mapping)`` with a mapping the rule cannot read
_UNKNOWN = "?"


@dataclass
class _Overrides:
    """Per test or fixture: its overrides and every cleanup it contains, by key."""

    #: (statement, key, owner) for each override, key = ``ast.dump`` of the dependency,
    #: owner = see :func:`_owner`
    overrides: list[tuple[ast.AST, str, str]] = field(default_factory=list)
    #: cleanups written in the function body itself: (node, key or _ALL, owner)
    cleanups: list[tuple[ast.AST, str | None, str]] = field(default_factory=list)
    #: (key, owner) cleaned in a nested function or lambda (a finalizer): at teardown
    finalizer: set[tuple[str | None, str]] = field(default_factory=set)


class DependencyOverrideLeak(_TestAwareRule):
    code = "FPR504"
    requires = ("dependency_overrides",)
    message = (
        "`dependency_overrides` set in {kind} `{name}` is never cleared: it leaks into "
        "every later test; clear it after the fixture's `yield` or in a `finally`"
    )
    summary = (
        "Flags `app.dependency_overrides[dep] = ...` (or `.update(...)`) in a test or "
        "fixture that does not clear it (`.clear()`, `.pop(dep)`, `del ...[dep]`, "
        "reassigning `dependency_overrides`) later in the same function, after the `yield` "
        "in a yield fixture, or in a finalizer; `.pop(dep)`/`del` clear only the "
        "dependency they name, and a cleanup on another bare name (`app` for an override "
        "on a sub-application `api`) clears nothing."
    )
    rationale = (
        "`dependency_overrides` is a plain dict on the application object, which is "
        "shared by every test in the session. An override that is never removed stays "
        "active for the tests that run afterwards: they pass or fail depending on test "
        "order, and a test that should hit the real dependency silently gets the fake "
        "one."
    )
    use_instead = '''\
@pytest.fixture
def client():
    app.dependency_overrides[get_db] = override_get_db
    with TestClient(app) as c:
        yield c
    app.dependency_overrides.clear()
'''
    flags = (
        '''\
from fastapi.testclient import TestClient
from app.main import app, get_db

def test_read_items():
    app.dependency_overrides[get_db] = override_get_db
    client = TestClient(app)
    assert client.get("/items").status_code == 200
''',
        '''\
import pytest as pt
from app.main import app

@pt.fixture
def client():
    app.dependency_overrides.clear()
    app.dependency_overrides[get_user] = lambda: fake_user
    yield TestClient(app)
''',
        '''\
from pytest import fixture
from app import main

@fixture(name="client")
def client_fixture(session):
    main.app.dependency_overrides[get_session] = lambda: session
    return TestClient(main.app)
''',
        '''\
import pytest
from app.main import app

@pytest.fixture
def admin():
    app.dependency_overrides.update({get_user: lambda: ADMIN})
    yield ADMIN
''',
        '''\
import pytest
from app.main import app

@pytest.fixture
def client(session, redis):
    app.dependency_overrides[get_db] = lambda: session
    app.dependency_overrides[get_redis] = lambda: redis
    yield TestClient(app)
    app.dependency_overrides.pop(get_db)
''',
    )
    passes = (
        '''\
import pytest
from app.main import app

@pytest.fixture
def client():
    app.dependency_overrides[get_db] = override_get_db
    yield TestClient(app)
    app.dependency_overrides.clear()
''',
        '''\
from app.main import app

def test_read_items():
    app.dependency_overrides[get_db] = override_get_db
    try:
        assert TestClient(app).get("/items").status_code == 200
    finally:
        del app.dependency_overrides[get_db]
''',
        '''\
import pytest
from app.main import app

@pytest.fixture(autouse=True)
def reset_overrides():
    yield
    app.dependency_overrides.clear()

def test_read_items():
    app.dependency_overrides[get_db] = override_get_db
''',
        '''\
from app.main import create_app

def test_read_items():
    app = create_app()
    app.dependency_overrides[get_db] = override_get_db
''',
        '''\
import pytest
from app.main import app

@pytest.fixture
def client(request):
    app.dependency_overrides[get_db] = override_get_db
    request.addfinalizer(app.dependency_overrides.clear)
    return TestClient(app)
''',
        '''\
from app.main import app

def setup_module():
    app.dependency_overrides[get_db] = override_get_db
''',
        '''\
import pytest
from app.main import app

@pytest.fixture
def mock_db():
    app.dependency_overrides[get_db] = lambda: FakeDb()
    yield
    app.dependency_overrides = {}

@pytest.fixture
def as_admin():
    app.dependency_overrides[get_current_user] = lambda: ADMIN

def test_delete(mock_db, as_admin, client):
    assert client.delete("/items/1").status_code == 204
''',
    )
    limitations = (
        _TEST_NOTE + " Not flagged: overrides on an app the function creates itself or "
        "receives as a parameter (e.g. an `app` fixture, which may build a fresh app per "
        "test); tests that request, or a module with an `autouse` fixture, whose teardown "
        "clears the overrides; modules whose xunit teardown (`teardown_method`, `tearDown`, "
        "…) clears them; `monkeypatch.setitem`/`patch.dict` (they restore the dict "
        "themselves); a fixture that every test of the module requesting it pairs with "
        "a clearing fixture (parameters or `@pytest.mark.usefixtures`). A fixture that "
        "no test of its module requests (in `conftest.py` or a fixture module) is flagged "
        "even when its consumers elsewhere pair it with a clearing fixture. Fixtures are "
        "also read in any module under a `tests/` or `test/` folder (fixture plugins such "
        "as `tests/fixtures/base.py`, `tests/database.py`). Not seen: an autouse fixture "
        "in `conftest.py` that clears the "
        "overrides for every test, and module-level overrides outside any test or "
        "fixture. A `.clear()`/`.pop()`/`del` later in a test counts even without "
        "`finally`."
    )
    visits = (*_FUNCTIONS, ast.Assign, ast.Attribute, ast.Delete, ast.Call)

    def __init__(self, filename: str = "<unknown>") -> None:
        super().__init__(filename)
        # fixture plugins and support modules (``tests/fixtures/base.py``,
        # ``tests/database.py``) hold fixtures too
        self._fixture_file = self._fixture_file or self._patterns.in_test_directory(filename)
        self._functions: dict[Function, _Overrides] = {}

    def _state(self, function: Function) -> _Overrides:
        return self._functions.setdefault(function, _Overrides())

    def visit_node(self, node: ast.AST, walker: Walker) -> None:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if _is_overrides_item(target):
                    key = ast.dump(target.slice)  # type: ignore[attr-defined]
                    self._override(node, target.value.value, [key], walker)  # type: ignore
                elif _is_overrides(target):
                    value = node.value
                    if isinstance(value, ast.Dict) and value.keys:
                        keys = [ast.dump(k) if k is not None else _UNKNOWN for k in value.keys]
                        self._override(node, target.value, keys, walker)  # type: ignore
                    else:
                        self._cleanup(node, target.value, walker, _ALL)  # type: ignore
        elif isinstance(node, ast.Delete):
            for target in node.targets:
                if _is_overrides_item(target):
                    key = ast.dump(target.slice)  # type: ignore[attr-defined]
                    self._cleanup(node, target.value.value, walker, key)  # type: ignore
        elif isinstance(node, ast.Call):
            func = node.func
            if not (isinstance(func, ast.Attribute) and _is_overrides(func.value)):
                return
            receiver = func.value.value  # type: ignore[attr-defined]
            if func.attr == "update":
                mapping = node.args[0] if len(node.args) == 1 and not node.keywords else None
                if isinstance(mapping, ast.Dict):
                    keys = [ast.dump(k) if k is not None else _UNKNOWN for k in mapping.keys]
                else:
                    keys = [_UNKNOWN]
                self._override(node, receiver, keys, walker)
            elif func.attr == "setdefault" and node.args:
                self._override(node, receiver, [ast.dump(node.args[0])], walker)
            elif func.attr == "pop":
                key = ast.dump(node.args[0]) if node.args else _ALL
                self._cleanup(node, receiver, walker, key)
        elif isinstance(node, ast.Attribute) and node.attr in ("clear", "popitem"):
            if _is_overrides(node.value):
                self._cleanup(node, node.value.value, walker, _ALL)  # type: ignore

    def _override(
        self, node: ast.AST, receiver: ast.expr, keys: list[str], walker: Walker
    ) -> None:
        function = walker.function
        if function is None or not (function in self.tests or function in self.fixtures):
            return
        root = dotted(receiver)
        if root is None:
            return  # ``create_app().dependency_overrides``: a fresh app
        head = root.split(".", 1)[0]
        if walker.is_parameter(head) or head in walker.facts.local_bindings.get(function, {}):
            return
        owner = _owner(receiver)
        self._state(function).overrides.extend((node, key, owner) for key in keys)

    def _cleanup(
        self, node: ast.AST, receiver: ast.expr, walker: Walker, key: str | None
    ) -> None:
        owner = _owner(receiver)
        innermost = walker.scope
        for scope in walker.scopes:
            if isinstance(scope, ast.Lambda):
                continue
            state = self._state(scope)
            if scope is innermost:
                state.cleanups.append((node, key, owner))
            else:
                state.finalizer.add((key, owner))

    def _teardown_start(self, function: Function, facts: ModuleFacts) -> tuple[int, int]:
        """Cleanups count from here: after the ``yield`` of a yield fixture."""
        if function in self.fixtures and function in facts.first_yield:
            return facts.first_yield[function], 0
        return 0, 0

    def _first_uncleared(self, function: Function, facts: ModuleFacts) -> ast.AST | None:
        """The first override that no later cleanup (of its key or of all) removes."""
        state = self._functions[function]
        start = self._teardown_start(function, facts)
        for node, key, owner in sorted(state.overrides, key=lambda o: start_of(o[0])):
            if any(_clears(cleaned, by, key, owner) for cleaned, by in state.finalizer):
                continue
            after = max(start, start_of(node))
            if not any(
                start_of(cleanup) > after and _clears(cleaned, by, key, owner)
                for cleanup, cleaned, by in state.cleanups
            ):
                return node
        return None

    def _tears_down(self, function: Function, facts: ModuleFacts, teardown_hook: bool) -> bool:
        """Clears overrides at teardown: xunit hook anywhere, fixture after its ``yield``
        or in a finalizer (any key: whoever clears some overrides there is trusted)."""
        state = self._functions.get(function)
        if state is None:
            return False
        if state.finalizer or teardown_hook and state.cleanups:
            return True
        if function not in facts.first_yield:
            return False
        start = self._teardown_start(function, facts)
        return any(start_of(cleanup) > start for cleanup, _, _ in state.cleanups)

    def finish(self, facts: ModuleFacts) -> None:
        leaking = {
            function: first
            for function, state in self._functions.items()
            if state.overrides
            and (first := self._first_uncleared(function, facts)) is not None
        }
        if not leaking:
            return
        if any(self._tears_down(f, facts, True) for f in facts.named_functions(TEARDOWN_NAMES)):
            return
        cleaners = {
            name: fixture
            for fixture, name in self.fixtures.items()
            if self._tears_down(fixture, facts, False)
        }
        if any(fixture in self.autouse for fixture in cleaners.values()):
            return
        for function, first in leaking.items():
            if _requested(function) & cleaners.keys():
                continue
            if function in self.fixtures and self._consumers_clean(function, cleaners):
                continue
            kind = "fixture" if function in self.fixtures else "test"
            self.report(first, kind=kind, name=function.name)

    def _consumers_clean(self, fixture: Function, cleaners: dict[str, Function]) -> bool:
        """Every test of the module that requests the fixture also requests one whose
        teardown clears the overrides: the override ends with the test. A fixture no test
        of the module requests (``conftest.py``, fixture modules) is not excused: its
        consumers are elsewhere."""
        name = self.fixtures[fixture]
        consumers = [test for test in self.tests if name in _requested(test)]
        return bool(consumers) and all(
            _requested(consumer) & cleaners.keys() for consumer in consumers
        )


def _requested(function: Function) -> set[str]:
    """The fixtures a test or fixture requests: its parameters and
    ``@pytest.mark.usefixtures("name", ...)``."""
    args = function.args
    names = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    for decorator in function.decorator_list:
        if isinstance(decorator, ast.Call) and (dotted(decorator.func) or "").endswith(
            "mark.usefixtures"
        ):
            names.update(
                a.value for a in decorator.args
                if isinstance(a, ast.Constant) and isinstance(a.value, str)
            )
    return names


def _owner(receiver: ast.expr) -> str:
    """The app an override or cleanup is on, when it is a bare name (``app``, ``api``);
    "" for anything else (``client.app`` may be the same object as ``app``)."""
    return receiver.id if isinstance(receiver, ast.Name) else ""


def _clears(cleaned: str | None, by: str, key: str, owner: str) -> bool:
    """A cleanup of ``cleaned`` (a key or _ALL) on ``by`` removes the override of ``key``
    on ``owner``, unless the two are different bare names (two sub-applications)."""
    return cleaned in (_ALL, key) and (by == owner or not by or not owner)


def _is_overrides(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "dependency_overrides"


def _is_overrides_item(node: ast.expr) -> bool:
    return isinstance(node, ast.Subscript) and _is_overrides(node.value)


RULES: tuple[type[Rule], ...] = (
    HttpxAppArgument,
    TestClientInAsyncTest,
    SleepInTest,
    DependencyOverrideLeak,
)
