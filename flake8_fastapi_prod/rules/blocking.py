"""FPR301–FPR302: work that blocks the event loop inside ``async def``."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Union

from .. import knowledge
from ..analysis import ModuleFacts, Scope, Walker
from ..imports import dotted
from ..knowledge import BlockingClient
from ..rule import Rule
from . import _db

_Def = Union[ast.FunctionDef, ast.AsyncFunctionDef]
_ENGINE_CONTEXTS = frozenset({"connect", "begin"})
#: the client an expression evaluates to, and whether that is certain
_Resolved = tuple[Union[BlockingClient, None], bool]


@dataclass(eq=False)
class _Binding:
    value: ast.expr
    #: "assign", "with", "async_with", "annotation" (``x: Session = ...``) or "opaque"
    how: str
    #: for "annotation": the client the annotation names
    client: BlockingClient | None = None


@dataclass(eq=False)
class _Candidate:
    call: ast.Call
    scope: ast.AsyncFunctionDef
    #: awaited, an ``async with`` item, or an argument of another call
    awaited: bool
    passed: bool
    sync_item: bool


class BlockingCallInAsync(Rule):
    code = "FPR301"
    serving_code_only = True
    message = (
        "`{call}` blocks the event loop inside `async def`: use {replacement} instead "
        "(or make the function a plain `def`)"
    )
    summary = (
        "Flags blocking calls made directly in an `async def`: `time.sleep`, `requests`/"
        "sync `httpx` calls and `requests.Session`/`httpx.Client` methods, `urlopen`, "
        "`open()` and `Path.read_text`/`write_text`/…, `subprocess`/`os.system`, sync "
        "SQLAlchemy (`Session(...)`, session/connection `execute`/`commit`/`query`, "
        "`engine.connect()`) and sync `redis.Redis` commands."
    )
    rationale = (
        "An `async def` path operation runs on the event loop itself: while it sleeps, "
        "waits for a socket, a file, a subprocess or the database, no other request of "
        "that worker makes progress. One slow call stalls every client, and the "
        "throughput of the worker drops to one request at a time. A plain `def` path "
        "operation would have been run in the thread pool instead."
    )
    use_instead = '''\
@app.get("/weather")
async def weather(city: str):
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(API, params={"q": city})
    await asyncio.sleep(0.1)
    return response.json()
'''
    flags = (
        '''\
import time as t
from fastapi import FastAPI
app = FastAPI()

@app.get("/slow")
async def slow():
    t.sleep(1)
''',
        '''\
import requests

async def fetch_user(user_id: int):
    return requests.get(f"https://api/users/{user_id}", timeout=5).json()
''',
        '''\
from sqlalchemy.orm import Session
from fastapi import Depends

@router.get("/items")
async def items(db: Session = Depends(get_db)):
    return db.query(Item).all()
''',
        '''\
import subprocess
from pathlib import Path
BASE = Path(__file__).parent

async def render():
    template = (BASE / "report.html").read_text()
    subprocess.run(["wkhtmltopdf", "-"], input=template.encode())
''',
        '''\
import redis
cache = redis.Redis(host="cache")

async def hits(key: str) -> int:
    return cache.incr(key)
''',
        '''\
from requests import Session as HTTP

async def poll():
    with HTTP() as http:
        http.post("https://hooks/ping")
''',
    )
    passes = (
        '''\
import time
import requests

@app.get("/slow")
def slow():
    time.sleep(1)
    return requests.get("https://example.com", timeout=5).json()
''',
        '''\
import asyncio
import time
from fastapi.concurrency import run_in_threadpool

async def handler():
    await asyncio.sleep(1)
    await run_in_threadpool(lambda: time.sleep(1))

    def work():
        return open("data.csv").read()
    return await asyncio.to_thread(work)
''',
        '''\
import requests

async def make_client():
    session = requests.Session()
    session.headers["User-Agent"] = "shop"
    return session
''',
        '''\
from sqlalchemy.ext.asyncio import AsyncSession

async def items(db: AsyncSession):
    result = await db.execute(select(Item))
    await db.commit()
    return result.scalars().all()
''',
        '''\
def sleep(seconds):
    ...

async def wait():
    sleep(1)
''',
        '''\
import anyio

async def read(path):
    return await anyio.Path(path).read_text()
''',
    )
    limitations = (
        "Only calls made in the `async def` body itself (a lambda or nested `def` handed "
        "to `run_in_threadpool`/`asyncio.to_thread` runs elsewhere and is not flagged; a "
        "sync helper the coroutine calls is not followed either). Methods are flagged on "
        "receivers whose type is visible: a parameter annotated `Session`, `redis.Redis`, "
        "`Path`, `httpx.Client`…, or a name bound in the function or at module level to a "
        "constructor (`requests.Session()`, `redis.Redis(...)`, `Path(...)`, "
        "`sessionmaker(...)()`, `create_engine(...)`); attributes such as "
        "`self.session` or `request.app.state.redis` are not. A session made by a factory "
        "imported from another module (`SessionLocal()`) counts as sync when its methods "
        "are called without `await`; an imported engine whose name contains `engine` counts as "
        "sync when its `connect()`/`begin()` is neither awaited nor entered with "
        "`async with`. A `Path` returned by a function of the same module annotated "
        "`-> Path` (also a `self.` method) is followed; other helpers are not. "
        "File-system helpers beyond `open()` and the `Path` "
        "read/write methods (`shutil`, `os.stat`, …) are not flagged. Not checked: test "
        "modules and `conftest.py` (`--fpr-test-files`) and modules under a `tests/` or "
        "`test/` folder: a blocking call in an async test holds up only that test."
    )

    visits = (
        ast.Call, ast.Await, ast.With, ast.AsyncWith, ast.Assign, ast.AnnAssign,
        ast.FunctionDef, ast.AsyncFunctionDef,
    )

    def __init__(self, filename: str = "<unknown>") -> None:
        super().__init__(filename)
        self._awaited: set[ast.expr] = set()
        self._async_items: set[ast.expr] = set()
        self._sync_items: set[ast.expr] = set()
        self._passed: set[ast.expr] = set()
        self._bindings: dict[Scope, dict[str, list[_Binding]]] = {}
        self._params: dict[_Def, dict[str, BlockingClient | None]] = {}
        self._factories: dict[str, str] = {}
        self._candidates: list[_Candidate] = []
        self._facts: ModuleFacts | None = None

    # --- during the walk ------------------------------------------------------

    def visit(self, node: ast.AST, walker: Walker) -> None:
        if isinstance(node, ast.Call):
            self._visit_call(node, walker)
        elif isinstance(node, ast.Await):
            self._awaited.add(node.value)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            is_async = isinstance(node, ast.AsyncWith)
            for item in node.items:
                (self._async_items if is_async else self._sync_items).add(item.context_expr)
                if isinstance(item.optional_vars, ast.Name):
                    self._bind(
                        walker.scope, item.optional_vars.id, item.context_expr,
                        "async_with" if is_async else "with",
                    )
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            self._visit_assign(node, walker)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            args = node.args
            params: dict[str, BlockingClient | None] = {}
            for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
                params[arg.arg] = _annotated_client(walker, arg.annotation)
            for arg in (args.vararg, args.kwarg):
                if arg is not None:
                    params[arg.arg] = None
            self._params[node] = params

    def _visit_call(self, node: ast.Call, walker: Walker) -> None:
        scope = walker.scope
        if isinstance(scope, ast.AsyncFunctionDef):
            for arg in node.args:
                if isinstance(arg, ast.Call):
                    self._passed.add(arg)
            for item in node.keywords:
                if isinstance(item.value, ast.Call):
                    self._passed.add(item.value)
            self._candidates.append(
                _Candidate(
                    node,
                    scope,
                    awaited=node in self._awaited or node in self._async_items,
                    passed=node in self._passed,
                    sync_item=node in self._sync_items,
                )
            )

    def _visit_assign(self, node: ast.Assign | ast.AnnAssign, walker: Walker) -> None:
        value = node.value
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            client = _annotated_client(walker, node.annotation)
            if client is not None:
                self._bind(walker.scope, node.target.id, node.annotation, "annotation", client)
                return
        if value is None:
            return
        for target in targets:
            if isinstance(target, ast.Name):
                self._bind(walker.scope, target.id, value, "assign")
                if walker.scope is None and isinstance(value, ast.Call):
                    kind = _db.factory_kind(value, walker.qualify)
                    if kind is not None:
                        self._factories[target.id] = kind
            elif isinstance(target, (ast.Tuple, ast.List)):
                for element in target.elts:
                    if isinstance(element, ast.Name):
                        # unpacking: the element's type is unknown, but the name is bound
                        self._bind(walker.scope, element.id, element, "opaque")

    def _bind(
        self, scope: Scope, name: str, value: ast.expr, how: str,
        client: BlockingClient | None = None,
    ) -> None:
        binding = _Binding(value, how, client)
        self._bindings.setdefault(scope, {}).setdefault(name, []).append(binding)

    # --- after the walk -----------------------------------------------------------

    def finish(self, facts: ModuleFacts) -> None:
        self._facts = facts
        for candidate in self._candidates:
            self._decide(candidate)

    def _decide(self, candidate: _Candidate) -> None:
        call, scope = candidate.call, candidate.scope
        if candidate.awaited:
            return
        func = call.func
        root = _root_name(func)
        shadowed = root is not None and self._locally_bound(root, scope)
        qualname = None if shadowed else self._qualify(func)
        replacement = knowledge.blocking_replacement(qualname)
        if replacement is not None and qualname is not None:
            self.report(call, call=qualname.removeprefix("builtins."), replacement=replacement)
            return
        kind = None if shadowed else self._session_kind(call)
        if kind == _db.SYNC or (kind == _db.UNKNOWN and candidate.sync_item):
            self.report(call, call=_display(func), replacement=knowledge.SYNC_SESSION.replacement)
            return
        if not isinstance(func, ast.Attribute):
            return
        client, certain = self._client(func.value, scope, depth=0)
        if client is not None and client.blocks(func.attr) and (certain or not candidate.passed):
            shown = _display(func)
            if shown.startswith("…"):
                shown = f"{client.kind}.{func.attr}"
            self.report(call, call=shown, replacement=client.replacement)
        elif (
            client is None
            and (candidate.sync_item or not candidate.passed)
            and func.attr in knowledge.SYNC_ENGINE.methods
            and _is_engine_name(func.value)
        ):
            # an engine of unknown kind (``from .db import engine``) whose connection is
            # neither awaited nor entered with ``async with``: a sync engine
            self.report(call, call=_display(func), replacement=knowledge.SYNC_ENGINE.replacement)

    def _qualify(self, node: ast.expr) -> str | None:
        assert self._facts is not None
        return self._facts.imports.qualify(node)

    def _session_kind(self, call: ast.Call) -> str | None:
        assert self._facts is not None
        return _db.session_kind(call, self._qualify, self._factories, self._facts.imported)

    def _scope_chain(self, scope: Scope) -> list[Scope]:
        assert self._facts is not None
        chain: list[Scope] = []
        while scope is not None and len(chain) < 32:
            chain.append(scope)
            scope = (
                None if isinstance(scope, ast.Lambda) else self._facts.enclosing.get(scope)
            )
        return chain

    def _locally_bound(self, name: str, scope: Scope) -> bool:
        for current in self._scope_chain(scope):
            if name in self._bindings.get(current, {}) or name in self._params.get(
                current, {}  # type: ignore[arg-type]
            ):
                return True
        return False

    def _client(self, node: ast.expr, scope: Scope, depth: int) -> _Resolved:
        """The blocking client an expression evaluates to, and whether that is certain."""
        if depth > 6:
            return None, False
        if isinstance(node, ast.Name):
            return self._name_client(node.id, scope, depth)
        if isinstance(node, ast.Call):
            return self._call_client(node, scope, depth, how="assign")
        if isinstance(node, ast.Attribute) and node.attr == "parent":
            client, certain = self._client(node.value, scope, depth + 1)
            return (client, certain) if client is knowledge.PATH else (None, False)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            client, certain = self._client(node.left, scope, depth + 1)
            return (client, certain) if client is knowledge.PATH else (None, False)
        return None, False

    def _name_client(self, name: str, scope: Scope, depth: int) -> _Resolved:
        for current in [*self._scope_chain(scope), None]:
            params = self._params.get(current, {})  # type: ignore[arg-type]
            bindings = self._bindings.get(current, {}).get(name)
            if bindings:
                return self._bindings_client(bindings, current, depth)
            if name in params:
                client = params[name]
                return client, client is not None
        if depth == 0 and self._facts is not None:
            for engine in self._facts.engines:
                if engine.name == name and engine.scope is None:
                    sync = engine.kind is knowledge.EngineKind.SYNC
                    return (knowledge.SYNC_ENGINE, True) if sync else (None, False)
        return None, False

    def _bindings_client(
        self, bindings: list[_Binding], scope: Scope, depth: int
    ) -> tuple[BlockingClient | None, bool]:
        annotated = [b.client for b in bindings if b.how == "annotation"]
        if annotated:
            return annotated[-1], True
        found: set[BlockingClient | None] = set()
        certain = True
        for binding in bindings:
            if binding.how in ("async_with", "opaque"):
                found.add(None)
                continue
            if isinstance(binding.value, ast.Constant) and binding.value.value is None:
                continue
            if isinstance(binding.value, ast.Call):
                client, sure = self._call_client(binding.value, scope, depth + 1, binding.how)
            else:
                client, sure = self._client(binding.value, scope, depth + 1)
            found.add(client)
            certain = certain and sure
        if len(found) == 1:
            (client,) = found
            return client, certain and client is not None
        return None, False

    def _call_client(
        self, call: ast.Call, scope: Scope, depth: int, how: str
    ) -> tuple[BlockingClient | None, bool]:
        qualname = self._qualify(call.func)
        client = knowledge.blocking_client(qualname)
        if client is not None:
            return client, True
        if knowledge.engine_kind(qualname) is knowledge.EngineKind.SYNC:
            return knowledge.SYNC_ENGINE, True
        kind = self._session_kind(call)
        if kind == _db.SYNC or (kind == _db.UNKNOWN and how == "with"):
            return knowledge.SYNC_SESSION, True
        if kind == _db.UNKNOWN and how == "assign":
            return knowledge.SYNC_SESSION, False
        func = call.func
        if self._returns_path(func):
            return knowledge.PATH, True
        if not isinstance(func, ast.Attribute):
            return None, False
        receiver, sure = self._client(func.value, scope, depth + 1)
        if receiver is knowledge.PATH and func.attr in knowledge.PATH_RETURNING:
            return knowledge.PATH, sure
        if receiver is knowledge.SYNC_ENGINE and func.attr in _ENGINE_CONTEXTS:
            return knowledge.SYNC_CONNECTION, sure
        if receiver is None and how in ("with", "assign") and func.attr in _ENGINE_CONTEXTS:
            if _is_engine_name(func.value):
                return knowledge.SYNC_CONNECTION, how == "with"
        if func.attr == "begin" and how == "with" and isinstance(func.value, ast.Name):
            factory = self._factories.get(func.value.id)
            if factory == _db.SYNC:
                return knowledge.SYNC_SESSION, True
        return None, False

    def _returns_path(self, func: ast.expr) -> bool:
        """``target = _target_path(d, name)`` or ``self._item_path(i)``, where every
        function of this module by that name is annotated ``-> Path``."""
        assert self._facts is not None
        if isinstance(func, ast.Name):
            name = func.id
        elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            if func.value.id not in ("self", "cls"):
                return False
            name = func.attr
        else:
            return False
        functions = self._facts.functions.get(name, ())
        return bool(functions) and all(
            f.returns is not None
            and knowledge.BLOCKING_ANNOTATIONS.get(self._qualify(f.returns) or "")
            is knowledge.PATH
            for f in functions
        )


def _annotated_client(walker: Walker, annotation: ast.expr | None) -> BlockingClient | None:
    if annotation is None:
        return None
    for qualname in walker.annotation_qualnames(annotation):
        client = knowledge.BLOCKING_ANNOTATIONS.get(qualname)
        if client is not None:
            return client
    return None


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _is_engine_name(node: ast.expr) -> bool:
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
    return name is not None and "engine" in name.lower()


def _display(func: ast.expr) -> str:
    name = dotted(func)
    if name is not None and len(name) <= 40:
        return name
    if isinstance(func, ast.Attribute):
        inner = func.value
        if isinstance(inner, ast.Call):
            callee = dotted(inner.func)
            if callee is not None and len(callee) <= 30:
                return f"{callee}(...).{func.attr}"
        return f"….{func.attr}"
    return "call"


class RunInExecutorInPathOperation(Rule):
    code = "FPR302"
    requires = ("run_in_executor",)
    message = (
        "`run_in_executor` in an `async def` path operation: declare it with plain `def` "
        "(FastAPI runs it in its thread pool) or use an async library"
    )
    summary = (
        "Flags `loop.run_in_executor(...)` (any receiver) called directly in an `async def` "
        "path operation. Opinionated: off by default."
    )
    rationale = (
        "Wrapping blocking work in `run_in_executor` inside an `async def` endpoint is "
        "a band-aid: the endpoint is async in name only, the default executor is shared "
        "with the rest of the process and sized independently of FastAPI's thread pool, "
        "and the exceptions and context variables travel through an extra layer. A "
        "plain `def` path operation gets the same thread offloading from FastAPI, and an "
        "async client removes the thread altogether."
    )
    use_instead = '''\
@app.get("/report")
def report():                       # FastAPI runs plain `def` in its thread pool
    return build_report_blocking()
'''
    flags = (
        '''\
import asyncio
from fastapi import FastAPI
app = FastAPI()

@app.get("/report")
async def report():
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, build_report)
''',
        '''\
import asyncio
from fastapi import APIRouter
router = APIRouter()

@router.post("/resize")
async def resize(data: bytes):
    return await asyncio.get_event_loop().run_in_executor(pool, shrink, data)
''',
        '''\
from asyncio import get_running_loop as running
from fastapi import FastAPI
app = FastAPI()

@app.api_route("/export", methods=["GET", "POST"])
async def export():
    result = await running().run_in_executor(None, lambda: dump())
    return result
''',
    )
    passes = (
        '''\
import asyncio

async def resize_all(paths):
    loop = asyncio.get_running_loop()
    return [await loop.run_in_executor(None, shrink, p) for p in paths]
''',
        '''\
from fastapi import FastAPI
app = FastAPI()

@app.get("/report")
def report():
    return build_report()
''',
        '''\
import asyncio
from fastapi import FastAPI
app = FastAPI()

@app.get("/report")
async def report():
    return await asyncio.to_thread(build_report)
''',
    )
    limitations = (
        "Only calls made directly in the body of a path operation decorated in the same "
        "module; helpers and dependencies that use `run_in_executor` are not flagged."
    )
    default_off = True
    visits = (ast.Call,)

    def __init__(self, filename: str = "<unknown>") -> None:
        super().__init__(filename)
        self._calls: list[tuple[ast.Call, ast.AsyncFunctionDef]] = []

    def visit(self, node: ast.AST, walker: Walker) -> None:
        assert isinstance(node, ast.Call)
        func = node.func
        scope = walker.scope
        if (
            isinstance(func, ast.Attribute)
            and func.attr == "run_in_executor"
            and isinstance(scope, ast.AsyncFunctionDef)
        ):
            self._calls.append((node, scope))

    def finish(self, facts: ModuleFacts) -> None:
        for call, scope in self._calls:
            if scope in facts.path_operations:
                self.report(call)


RULES: tuple[type[Rule], ...] = (BlockingCallInAsync, RunInExecutorInPathOperation)
