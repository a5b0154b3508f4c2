"""What the session, blocking and background rules share: is this call a DB session?

Plain functions over nodes the walk hands the rules; nothing here walks a tree.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from .. import knowledge
from ..analysis import ImportedName

Qualify = Callable[[ast.expr], "str | None"]

#: a session whose kind (sync or async) the rules cannot tell
UNKNOWN = "unknown"
SYNC = "sync"
ASYNC = "async"


def keyword(call: ast.Call, name: str) -> ast.expr | None:
    for item in call.keywords:
        if item.arg == name:
            return item.value
    return None


def factory_kind(call: ast.Call, qualify: Qualify) -> str | None:
    """``sessionmaker(...)``/``async_sessionmaker(...)``/``scoped_session(...)``: SYNC or ASYNC."""
    qualname = qualify(call.func)
    if qualname not in knowledge.SESSION_FACTORIES:
        return None
    class_node = keyword(call, "class_")
    class_ = None if class_node is None else (qualify(class_node) or "")
    if class_ == "" and isinstance(class_node, ast.Name) and "async" in class_node.id.lower():
        return ASYNC
    is_async = knowledge.session_factory_is_async(qualname, class_)
    return ASYNC if is_async else SYNC


def session_kind(
    call: ast.Call,
    qualify: Qualify,
    factories: dict[str, str],
    imported: dict[str, ImportedName],
) -> str | None:
    """The kind of session a call creates, or None when it creates none.

    ``factories`` maps module-level names bound to session factories to their kind;
    ``imported`` is ``ModuleFacts.imported``: names imported from other modules
    (``SessionLocal`` from ``.db``); they count when their name is a
    conventional factory name and the module is not a known non-database library
    (``requests.Session``, ``aiohttp.ClientSession``).
    """
    func = call.func
    qualname = qualify(func)
    if qualname in knowledge.SESSION_CLASSES:
        return ASYNC if knowledge.SESSION_CLASSES[qualname] else SYNC
    if isinstance(func, ast.Call):
        return factory_kind(func, qualify)
    if isinstance(func, ast.Name):
        if func.id in factories:
            return factories[func.id]
        source = imported.get(func.id)
        if source is not None and knowledge.looks_like_session_factory(func.id):
            if source.qualname.split(".", 1)[0] not in knowledge.NON_DB_SESSION_MODULES:
                return UNKNOWN
        return None
    if isinstance(func, ast.Attribute) and knowledge.looks_like_session_factory(func.attr):
        # ``request.app.state.session_factory()``
        receiver = func.value
        if isinstance(receiver, ast.Attribute) and receiver.attr == "state":
            return UNKNOWN
    return None


def connection_call(call: ast.Call, qualify: Qualify, engines: set[str]) -> bool:
    """``engine.connect()``/``engine.raw_connection()`` or a DBAPI ``connect(...)``.

    ``engines`` holds names known to be engines; a name containing ``engine`` counts too.
    """
    if qualify(call.func) in knowledge.DBAPI_CONNECT:
        return True
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in knowledge.CONNECTION_METHODS):
        return False
    receiver = func.value
    name = receiver.id if isinstance(receiver, ast.Name) else None
    if isinstance(receiver, ast.Attribute):
        name = receiver.attr
    return name is not None and (name in engines or "engine" in name.lower())


def has_cache_decorator(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """``@lru_cache``, ``@lru_cache()``, ``@functools.cache``, ``@cached(...)``…"""
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in knowledge.CACHE_DECORATORS:
            return True
    return False
