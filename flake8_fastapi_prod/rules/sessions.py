"""FPR201–FPR203: database sessions, settings and clients in dependencies and globals."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from typing import Union

from .. import knowledge
from ..analysis import ModuleFacts, Walker
from ..rule import Rule, package_names
from . import _db

_Def = Union[ast.FunctionDef, ast.AsyncFunctionDef]
#: ``try`` and, on Python 3.11+, ``try: ... except* ...``
_TRIES: tuple[type[ast.AST], ...] = tuple(
    dict.fromkeys((ast.Try, getattr(ast, "TryStar", ast.Try)))
)


def _unwrap_await(node: ast.expr | None) -> ast.expr | None:
    return node.value if isinstance(node, ast.Await) else node


#: every session class, factory and conventional factory name contains "session" in
#: some case; every connection call is a ``connect``/``raw_connection``
_SESSION_WORDS = ("session", "Session", "SESSION", "connect")


class _Creations:
    """Sessions and connections created during the walk, classified when seen.

    Module-level ``X = sessionmaker(...)`` bindings are recorded as they come (they
    precede the functions that call them in practice).
    """

    def __init__(self) -> None:
        self.factories: dict[str, str] = {}
        self.engines: set[str] = set()

    def bind(self, node: ast.Assign | ast.AnnAssign, walker: Walker) -> None:
        value = node.value
        if walker.scope is not None or not isinstance(value, ast.Call):
            return
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        kind = _db.factory_kind(value, walker.qualify)
        if kind is not None:
            for name in names:
                self.factories[name] = kind
        elif knowledge.engine_kind(walker.qualify(value.func)) is not None:
            self.engines.update(names)

    def what(self, call: ast.Call, walker: Walker) -> str | None:
        """"session" or "connection" when the call creates one, else None."""
        func = call.func
        # cheap filters first: this runs for every call in every function
        if isinstance(func, ast.Name):
            if func.id not in self.factories and func.id not in walker.facts.imports.names:
                return None
        elif isinstance(func, ast.Attribute):
            if func.attr not in knowledge.CONNECTION_METHODS and func.attr != "connect":
                if not knowledge.looks_like_session_factory(func.attr):
                    return None
        elif not isinstance(func, ast.Call):
            return None
        if _db.session_kind(call, walker.qualify, self.factories, walker.facts.imported):
            return "session"
        if _db.connection_call(call, walker.qualify, self.engines):
            return "connection"
        return None


@dataclass(eq=False)
class _FunctionInfo:
    creations: list[tuple[ast.Call, str]] = field(default_factory=list)
    #: created object bound to a local name: name -> what
    created_names: dict[str, str] = field(default_factory=dict)
    #: (first line, last line) of ``with`` bodies and ``try`` blocks that have a ``finally``
    protected: list[tuple[int, int]] = field(default_factory=list)
    yields: list[ast.expr] = field(default_factory=list)
    returns: list[ast.Return] = field(default_factory=list)


#: names that make a function returning a new session a dependency even when this module
#: does not pass it to ``Depends`` (it is defined in ``database.py``, used elsewhere)
_DEPENDENCY_NAME = re.compile(r"get_(async_)?(db|session|db_session|database|conn|connection)$")


class UnclosedSessionDependency(Rule):
    code = "FPR201"
    requires = _SESSION_WORDS
    message = (
        "dependency `{name}` {verb} a {what} that is never closed: yield it from "
        "`with`/`async with` (or close it in `try`/`finally`)"
    )
    summary = (
        "Flags a dependency that `return`s a new `Session`/`AsyncSession`/connection, or "
        "creates one and `yield`s without `with`/`async with` or `try`/`finally` around "
        "the `yield`."
    )
    rationale = (
        "A returned session is never closed: its connection goes back to the pool only "
        "when the garbage collector finds it, so under load the pool runs dry and "
        "requests wait 30 s for `QueuePool limit ... reached`. A session yielded without "
        "`with` or `finally` is closed on success only: when the path operation raises, "
        "FastAPI throws the exception into the generator at the `yield` and the `close()` "
        "after it never runs."
    )
    use_instead = '''\
def get_db():
    with SessionLocal() as db:
        yield db

async def get_session():
    async with async_session() as session:
        yield session
'''
    flags = (
        '''\
from fastapi import Depends
from .database import SessionLocal

def get_db():
    return SessionLocal()

@app.get("/users")
def users(db=Depends(get_db)):
    ...
''',
        '''\
from sqlalchemy.orm import sessionmaker
SessionLocal = sessionmaker(bind=engine)

def get_db():
    db = SessionLocal()
    yield db
    db.close()
''',
        '''\
from sqlalchemy.ext.asyncio import AsyncSession as AS

async def get_session():
    session = AS(engine)
    yield session
    await session.close()
''',
        '''\
from typing import Annotated
from fastapi import Depends

def get_conn():
    conn = engine.connect()
    return conn

Conn = Annotated[object, Depends(get_conn)]
''',
    )
    passes = (
        '''\
from sqlalchemy.ext.asyncio import AsyncSession

async def get_session():
    async with AsyncSession(engine) as s:
        yield s
''',
        '''\
from sqlalchemy.orm import Session

def get_db():
    s = Session(engine)
    try:
        yield s
    finally:
        s.close()
''',
        '''\
from sqlalchemy.orm import sessionmaker
SessionLocal = sessionmaker(bind=engine)

def make_session():
    return SessionLocal()
''',
        '''\
from contextlib import contextmanager
from .database import SessionLocal

@contextmanager
def session_scope():
    with SessionLocal() as session, session.begin():
        yield session
''',
    )
    limitations = (
        "A function counts as a dependency when this module passes it to "
        "`Depends(...)`/`Security(...)`, when it is a module-level function named "
        "`get_db`/`get_session`/`get_db_session`/`get_async_session`/`get_connection`/… "
        "that this module does not call as `with get_db() as ...`, or when it is an "
        "undecorated generator that yields a new session (any other `return`ing factory "
        "defined in `database.py` and used from another module is not flagged). Sessions are "
        "recognised from `Session`/`AsyncSession`, `sessionmaker(...)`-bound names of "
        "this module, and imported names spelled like factories (`SessionLocal`, "
        "`async_session`, `AsyncSessionLocal`, `session_factory`, …); connections from "
        "`engine.connect()`/`raw_connection()` and DBAPI `connect(...)` calls. Any "
        "`with` or `try`/`finally` around the `yield` counts as closing it."
    )
    visits = (
        ast.FunctionDef, ast.AsyncFunctionDef, ast.Call, ast.With, ast.AsyncWith,
        *_TRIES, ast.Yield, ast.YieldFrom, ast.Return, ast.Assign, ast.AnnAssign,
    )

    def __init__(self, filename: str = "<unknown>") -> None:
        super().__init__(filename)
        self._created = _Creations()
        self._info: dict[_Def, _FunctionInfo] = {}
        self._with_items: set[ast.expr] = set()
        self._pending: dict[ast.Call, str] = {}
        #: functions called as ``with f() as ...``: their callers close what they return
        self._context_managers: set[str] = set()

    def _function_info(self, walker: Walker) -> _FunctionInfo | None:
        function = walker.function
        if function is None:
            return None
        info = self._info.get(function)
        if info is None:
            info = self._info[function] = _FunctionInfo()
        return info

    def visit(self, node: ast.AST, walker: Walker) -> None:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            self._created.bind(node, walker)
            self._visit_local_assign(node, walker)
            return
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                context = _unwrap_await(item.context_expr)
                if isinstance(context, ast.Call) and isinstance(context.func, ast.Name):
                    self._context_managers.add(context.func.id)
        if walker.function is None or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return
        if isinstance(node, ast.Call):
            if node in self._with_items:
                return
            what = self._pending.pop(node, None) or self._created.what(node, walker)
            info = self._function_info(walker) if what is not None else None
            if info is not None and what is not None:
                info.creations.append((node, what))
            return
        info = self._function_info(walker)
        assert info is not None
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                self._with_items.add(_unwrap_await(item.context_expr))  # type: ignore[arg-type]
            info.protected.append((node.body[0].lineno, node.end_lineno or node.lineno))
        elif isinstance(node, _TRIES):
            if node.finalbody:
                info.protected.append((node.lineno, node.finalbody[0].lineno - 1))
        elif isinstance(node, (ast.Yield, ast.YieldFrom)):
            info.yields.append(node)
        elif isinstance(node, ast.Return):
            info.returns.append(node)

    def _visit_local_assign(self, node: ast.Assign | ast.AnnAssign, walker: Walker) -> None:
        value = _unwrap_await(node.value)
        if walker.function is None or not isinstance(value, ast.Call):
            return
        what = self._created.what(value, walker)
        if what is None:
            return
        self._pending[value] = what
        info = self._function_info(walker)
        assert info is not None
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if isinstance(target, ast.Name):
                info.created_names[target.id] = what

    def finish(self, facts: ModuleFacts) -> None:
        dependencies = set(facts.dependencies())
        for function, info in self._info.items():
            if not info.creations:
                continue
            if function in facts.first_yield:
                if function in dependencies or not function.decorator_list:
                    self._check_yields(function, info)
            elif function in dependencies or (
                _DEPENDENCY_NAME.match(function.name)
                and function.name not in self._context_managers
                and facts.enclosing.get(function) is None
            ):
                self._check_returns(function, info)

    def _check_yields(self, function: _Def, info: _FunctionInfo) -> None:
        what = info.creations[0][1]
        for node in info.yields:
            line = node.lineno
            if not any(start <= line <= end for start, end in info.protected):
                self.report(node, name=function.name, verb="yields", what=what)

    def _check_returns(self, function: _Def, info: _FunctionInfo) -> None:
        created = {call: what for call, what in info.creations}
        for node in info.returns:
            value = _unwrap_await(node.value)
            what = None
            if isinstance(value, ast.Call):
                what = created.get(value)
            elif isinstance(value, ast.Name):
                what = info.created_names.get(value.id)
            if what is not None:
                self.report(node, name=function.name, verb="returns", what=what)


_SETTINGS = "settings object"
_CACHE_FIX = "decorate the function with `@lru_cache`"
_LIFESPAN_FIX = "in the lifespan, kept on `app.state`"


class PerRequestSettingsOrClient(Rule):
    code = "FPR202"
    requires = ("Settings", *package_names(knowledge.PROCESS_CLIENTS))
    message = "`{name}` builds a new {what} on every call: create it once ({fix})"
    summary = (
        "Flags a dependency (or a parameterless `get_*settings*`/`get_*config*` function) "
        "that returns a new `BaseSettings` instance or a pooled client "
        "(`redis.Redis(...)`, `httpx.Client(...)`/`AsyncClient(...)`, `boto3.client(...)`, "
        "…) and is not memoised with `@lru_cache`/`@cache`."
    )
    rationale = (
        "Settings classes read the environment and parse `.env` files on every "
        "instantiation; clients open a new connection pool (and, for `httpx`/`redis`, "
        "never close it). As a dependency this runs once per request: extra latency, "
        "leaked sockets and file descriptors under load, and settings that can change "
        "between two requests of the same process."
    )
    use_instead = '''\
from functools import lru_cache

@lru_cache
def get_settings() -> Settings:
    return Settings()
'''
    flags = (
        '''\
from pydantic_settings import BaseSettings

class Settings(BaseSettings):
    database_url: str

def get_settings():
    return Settings()
''',
        '''\
import redis
from fastapi import Depends

def get_redis():
    return redis.Redis(host="cache", port=6379)

@app.get("/hits")
def hits(r=Depends(get_redis)):
    ...
''',
        '''\
from httpx import AsyncClient as Client
from fastapi import Depends

async def get_http():
    client = Client(base_url="https://payments")
    return client

async def pay(http=Depends(get_http)):
    ...
''',
        '''\
from .config import AppSettings

def get_app_settings() -> AppSettings:
    return AppSettings(_env_file=".env")
''',
    )
    passes = (
        '''\
from functools import lru_cache
from pydantic_settings import BaseSettings

class Settings(BaseSettings):
    database_url: str

@lru_cache()
def get_settings():
    return Settings()
''',
        '''\
import functools
import boto3
from fastapi import Depends

@functools.cache
def get_s3():
    return boto3.client("s3")

def upload(s3=Depends(get_s3)):
    ...
''',
        '''\
from fastapi import Depends

def get_db():
    with SessionLocal() as session:
        yield session

def read(db=Depends(get_db)):
    ...
''',
        '''\
from .config import settings

def get_settings():
    return settings
''',
        '''\
import redis

def make_redis(url):
    return redis.Redis.from_url(url)
''',
    )
    limitations = (
        "Only `return`ed objects (a client made per request and closed by `async with` "
        "around a `yield` is left alone). A function counts when `Depends(...)`/"
        "`Security(...)` in this module names it, or when it takes no parameters and its "
        "name starts with `get_` and contains `settings` or `config`. Settings classes are "
        "recognised when they subclass `BaseSettings` in this module, or are imported under "
        "a name ending in `Settings` and built from the environment (no arguments, or only "
        "pydantic-settings' own `_env_file=`-style options: an imported `*Settings` built "
        "from values may be any model or dataclass). Any decorator named like a cache "
        "(`lru_cache`, `cache`, `cached`, `alru_cache`) counts as memoising."
    )
    visits = (ast.ClassDef, ast.Return, ast.Assign, ast.AnnAssign)

    def __init__(self, filename: str = "<unknown>") -> None:
        super().__init__(filename)
        self._settings_classes: set[str] = set()
        #: function -> (return node, what it builds)
        self._returns: dict[_Def, list[tuple[ast.Return, str]]] = {}
        self._locals: dict[_Def, dict[str, str]] = {}

    def visit(self, node: ast.AST, walker: Walker) -> None:
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                if walker.qualify(base) in knowledge.SETTINGS_BASES or (
                    isinstance(base, ast.Name) and self._is_settings_name(base.id, walker)
                ):
                    self._settings_classes.add(node.name)
            return
        function = walker.function
        if function is None or walker.scope is not function:
            return
        if isinstance(node, ast.Return):
            value = node.value
            what = None
            if isinstance(value, ast.Call):
                what = self._builds(value, walker)
            elif isinstance(value, ast.Name):
                what = self._locals.get(function, {}).get(value.id)
            if what is not None:
                self._returns.setdefault(function, []).append((node, what))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and isinstance(node.value, ast.Call):
            what = self._builds(node.value, walker)
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    names = self._locals.setdefault(function, {})
                    if what is None:
                        names.pop(target.id, None)
                    else:
                        names[target.id] = what

    def _is_settings_name(self, name: str, walker: Walker) -> bool:
        if name in self._settings_classes:
            return True
        return name in walker.facts.imported and name.endswith("Settings") and name[:1].isupper()

    def _builds(self, call: ast.Call, walker: Walker) -> str | None:
        func = call.func
        if isinstance(func, ast.Name) and self._is_settings_name(func.id, walker):
            if func.id in self._settings_classes or _reads_environment(call):
                return f"`{func.id}` {_SETTINGS}"
            return None  # an imported ``*Settings`` built from values: any model or dataclass
        qualname = walker.qualify(func)
        if qualname in knowledge.PROCESS_CLIENTS:
            return f"`{qualname}` client"
        return None

    def finish(self, facts: ModuleFacts) -> None:
        dependencies = set(facts.dependencies())
        for function, returns in self._returns.items():
            if _db.has_cache_decorator(function):
                continue
            name = function.name.lower()
            settings_factory = (
                name.startswith("get_")
                and ("settings" in name or "config" in name)
                and not _has_parameters(function)
            )
            if function in dependencies:
                what = returns[0][1]
            elif settings_factory and facts.enclosing.get(function) is None:
                what = next((w for _, w in returns if w.endswith(_SETTINGS)), None)
                if what is None:
                    continue
            else:
                continue
            sync = isinstance(function, ast.FunctionDef)
            fix = _CACHE_FIX if sync and what.endswith(_SETTINGS) else _LIFESPAN_FIX
            if sync and not what.endswith(_SETTINGS):
                fix = f"{_LIFESPAN_FIX}, or `@lru_cache` on the function"
            self.report(function, name=function.name, what=what, fix=fix)


class ModuleLevelSession(Rule):
    code = "FPR203"
    requires = _SESSION_WORDS
    message = (
        "module-level {what} is shared by every request: open one per request in a "
        "dependency (a module-level `sessionmaker` or engine is fine)"
    )
    summary = (
        "Flags a `Session`/`AsyncSession`, a `sessionmaker(...)()` or `SessionLocal()` "
        "session, or an `engine.connect()`/DBAPI connection created at module level (or "
        "in a class body, or as a default argument)."
    )
    rationale = (
        "A session or connection created at import time is one object shared by all "
        "concurrent requests (and threads): transactions interleave, one request's "
        "failure leaves the session in a rolled-back state that breaks every later "
        "request, and identity-map objects leak between users. It also keeps a "
        "connection checked out for the life of the process."
    )
    use_instead = '''\
SessionLocal = sessionmaker(bind=engine)   # the factory is fine at module level

def get_db():
    with SessionLocal() as db:
        yield db
'''
    flags = (
        '''\
from sqlalchemy.orm import sessionmaker
SessionLocal = sessionmaker(bind=engine)
db = SessionLocal()
''',
        '''\
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
engine = create_async_engine(DATABASE_URL)
session = AsyncSession(engine)
''',
        '''\
import sqlalchemy.orm as orm
session = orm.sessionmaker(bind=engine)()
''',
        '''\
from fastapi import FastAPI
from .database import engine
app = FastAPI()
connection = engine.connect()
''',
    )
    passes = (
        '''\
from sqlalchemy.orm import sessionmaker
from sqlalchemy.ext.asyncio import async_sessionmaker
SessionLocal = sessionmaker(bind=engine)
async_session = async_sessionmaker(async_engine, expire_on_commit=False)
''',
        '''\
from .database import SessionLocal

def get_db():
    db = SessionLocal()
    try:
        yield db
    finally:
        db.close()
''',
        '''\
from sqlalchemy.orm import Session

if __name__ == "__main__":
    session = Session(engine)
    seed(session)
''',
        '''\
from sqlalchemy.orm import Session
with Session(engine) as session:
    session.execute(text("select 1"))
''',
    )
    limitations = (
        "Sessions are recognised as in FPR201. A `with` block at module level closes its "
        "session and is not flagged, nor is code under `if __name__ == \"__main__\":`. "
        "DBAPI `connect(...)` calls count only in modules that import FastAPI or "
        "Starlette. `scoped_session(...)` registries are not flagged."
    )
    visits = (ast.Call, ast.With, ast.AsyncWith, ast.If, ast.Assign, ast.AnnAssign)

    def __init__(self, filename: str = "<unknown>") -> None:
        super().__init__(filename)
        self._created = _Creations()
        self._with_items: set[ast.expr] = set()
        self._main_blocks: list[tuple[int, int]] = []
        self._found: list[tuple[ast.Call, str, bool]] = []

    def visit(self, node: ast.AST, walker: Walker) -> None:
        if walker.scope is not None:
            return
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            self._created.bind(node, walker)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                self._with_items.add(item.context_expr)
        elif isinstance(node, ast.If):
            if _is_main_guard(node.test):
                self._main_blocks.append((node.lineno, node.end_lineno or node.lineno))
        elif isinstance(node, ast.Call) and node not in self._with_items:
            if any(start <= node.lineno <= end for start, end in self._main_blocks):
                return
            what = self._created.what(node, walker)
            if what is not None:
                dbapi = walker.qualify(node.func) in knowledge.DBAPI_CONNECT
                self._found.append((node, what, dbapi))

    def finish(self, facts: ModuleFacts) -> None:
        for node, what, dbapi in self._found:
            if dbapi and not facts.is_fastapi_module:
                continue
            self.report(node, what=what)


def _reads_environment(call: ast.Call) -> bool:
    """``Settings()`` or ``Settings(_env_file=".env")``: built from the environment, as
    a ``BaseSettings`` is (its own options start with ``_``), not from values."""
    return not call.args and all(
        keyword.arg is not None and keyword.arg.startswith("_") for keyword in call.keywords
    )


def _has_parameters(function: _Def) -> bool:
    """A factory with parameters may build a different object per call (a test helper)."""
    args = function.args
    return bool(
        args.posonlyargs or args.args or args.kwonlyargs or args.vararg or args.kwarg
    )


def _is_main_guard(test: ast.expr) -> bool:
    if not (isinstance(test, ast.Compare) and len(test.comparators) == 1):
        return False
    sides = [test.left, test.comparators[0]]
    return any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides) and any(
        isinstance(s, ast.Constant) and s.value == "__main__" for s in sides
    )


RULES: tuple[type[Rule], ...] = (
    UnclosedSessionDependency,
    PerRequestSettingsOrClient,
    ModuleLevelSession,
)
