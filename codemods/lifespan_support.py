"""What the lifespan planner, renderer and engine planner share: plans, imports, the helper.

FastAPI 0.165 awaits a handler when it is an async callable (``functools.partial``
unwrapped, an object with ``async def __call__`` included; Starlette's
``is_async_callable``) and calls it directly otherwise, discarding whatever it returns:
a sync handler that returns a task or a coroutine is *not* awaited.  When the codemod
cannot see a handler's definition, the generated code makes that same decision at run
time through one small module-level helper, written with public APIs only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import libcst as cst

from flake8_fastapi_prod import knowledge

from .lifespan_facts import Meta, ModuleFacts, Target, dotted
from .lifespan_rewrite import Edits, Lines, Namer, blank_lines, parse_statements, render


class Kind(enum.Enum):
    """Whether FastAPI would await a handler."""

    SYNC = "sync"
    ASYNC = "async"
    UNKNOWN = "unknown"


class Refuse(Exception):
    """Leave the target untouched: raised wherever certainty ends (``line`` None: the target's)."""

    def __init__(self, line: int | None, reason: str) -> None:
        super().__init__(line, reason)
        self.line = line
        self.reason = reason


@dataclass(eq=False)
class Spec:
    """The lifespan one target gets, before it is rendered."""

    target: Target
    name: str
    startup: Lines = field(default_factory=list)
    shutdown: Lines = field(default_factory=list)
    disposes: Lines = field(default_factory=list)
    #: statements defined just before the lifespan (handler lists)
    preamble: list[str] = field(default_factory=list)
    #: constructor handlers bound just before the app is created, where FastAPI took them
    captured: list[str] = field(default_factory=list)
    #: the existing lifespan, as a format string taking the parameter name
    existing: str | None = None
    #: names the lifespan body reads, which its parameter must not shadow
    reads: set[str] = field(default_factory=set)
    #: also run what other code still registers on the app's router lists
    runs_router_lists: bool = False
    edits: Edits = field(default_factory=Edits)


def engine_kind(kind: knowledge.EngineKind) -> Kind:
    """``AsyncEngine.dispose`` must be awaited, ``Engine.dispose`` must not."""
    return Kind.ASYNC if kind is knowledge.EngineKind.ASYNC else Kind.SYNC


def dispose_lines(name: str, kind: Kind, refs: "ImportRefs") -> Lines | None:
    """``name.dispose()``, awaited for an ``AsyncEngine``, decided at run time if unknown.

    Written as a call (not handed to the helper) so the lint rules see the dispose.
    """
    call = f"{name}.dispose()"
    if kind is Kind.ASYNC:
        return [(0, f"await {call}")]
    if kind is Kind.SYNC:
        return [(0, call)]
    coroutine = refs.iscoroutinefunction()
    if coroutine is None:
        return None
    return [(0, f"if {coroutine}({name}.dispose):"), (1, f"await {call}"), (0, "else:"), (1, call)]


class ImportRefs:
    """How the module can name ``asynccontextmanager``, ``partial``, ``FastAPI``…

    An existing import (or alias) is reused; otherwise the import is requested from
    ``codemods.imports.add_imports``, which never duplicates one.
    """

    def __init__(self, facts: ModuleFacts, namer: Namer) -> None:
        self.meta = facts.meta
        self.namer = namer
        self.needed: list[tuple[str, str | None]] = []
        self._cache: dict[tuple[str, str], str | None] = {}

    def save(self) -> tuple[int, dict[tuple[str, str], str | None]]:
        return len(self.needed), dict(self._cache)

    def restore(self, state: tuple[int, dict[tuple[str, str], str | None]]) -> None:
        """Forget imports a refused plan asked for: nothing may add an unused import."""
        count, cache = state
        del self.needed[count:]
        self._cache = cache

    def asynccontextmanager(self) -> str | None:
        return self._reference("contextlib", "asynccontextmanager", prefer_from=True)

    def partial(self) -> str | None:
        return self._reference("functools", "partial", prefer_from=False)

    def iscoroutinefunction(self) -> str | None:
        return self._reference("inspect", "iscoroutinefunction", prefer_from=False)

    def fastapi(self) -> str | None:
        """``FastAPI`` for an annotation, only through an import the module already has."""
        return self._existing("fastapi", "FastAPI") or self._existing(
            "fastapi.applications", "FastAPI"
        )

    def _reference(self, module: str, attr: str, prefer_from: bool) -> str | None:
        key = (module, attr)
        if key not in self._cache:
            self._cache[key] = self._existing(module, attr) or self._new(module, attr, prefer_from)
        return self._cache[key]

    def _new(self, module: str, attr: str, prefer_from: bool) -> str | None:
        forms = [(module, attr), (module, None)]
        for wanted, name in forms if prefer_from else reversed(forms):
            local = name or module
            if local not in self.namer.taken:
                self.namer.taken.add(local)
                self.needed.append((wanted, name))
                return local if name else f"{module}.{attr}"
        return None

    def _existing(self, module: str, attr: str) -> str | None:
        for statement in self.meta.module.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                found = _imported_as(small, module, attr)
                if found is not None and self._bound_once(found.split(".")[0]):
                    return found
        return None

    def _bound_once(self, name: str) -> bool:
        scope = self.meta.scope(self.meta.module)
        return scope is not None and len(scope.assignments[name]) == 1


def _imported_as(small: cst.BaseSmallStatement, module: str, attr: str) -> str | None:
    """The local spelling of ``module.attr`` that this import statement provides."""
    if isinstance(small, cst.ImportFrom) and not small.relative and small.module is not None:
        if dotted(small.module) != module or isinstance(small.names, cst.ImportStar):
            return None
        for alias in small.names:
            if alias.evaluated_name == attr:
                return alias.evaluated_alias or attr
    if isinstance(small, cst.Import):
        for alias in small.names:
            if alias.evaluated_name == module:
                return f"{alias.evaluated_alias or module}.{attr}"
    return None


class HandlerRunner:
    """The module-level helper that runs handlers whose kind only shows at run time.

    One per module, defined before the first code that uses it; a helper an earlier run
    defined is reused, so converting more of the module later adds no second one.
    """

    def __init__(self, meta: Meta, refs: ImportRefs, namer: Namer) -> None:
        self.meta = meta
        self.refs = refs
        self.namer = namer
        self.name: str | None = None
        self._reused = False

    def save(self) -> tuple[str | None, bool]:
        return self.name, self._reused

    def restore(self, state: tuple[str | None, bool]) -> None:
        """A refused plan's helper is not defined: nothing else may need it yet."""
        self.name, self._reused = state

    def reference(self) -> str:
        """The helper's name, allocating it (and its imports) on first use."""
        if self.name is None:
            for builtin in ("isinstance", "callable"):
                if self._module_binds(builtin):
                    raise Refuse(None, f"`{builtin}` is rebound in this module")
            if self.refs.partial() is None or self.refs.iscoroutinefunction() is None:
                raise Refuse(None, "`functools`/`inspect` are bound to something else here")
            self.name = self._existing() or self.namer.fresh("run_event_handlers")
        return self.name

    def lines(self, name: str) -> Lines:
        """Starlette's ``is_async_callable`` check, then await or call, for each handler."""
        coroutine = self.refs.iscoroutinefunction()
        return [
            (0, f"async def {name}(*handlers):"),
            (1, '"""Run start-up/shut-down handlers in order as FastAPI did: await the async '
                'ones."""'),
            (1, "for handler in handlers:"),
            (2, "function = handler"),
            (2, f"while isinstance(function, {self.refs.partial()}):"),
            (3, "function = function.func"),
            (2, f"if {coroutine}(function) or ("),
            (3, f"callable(function) and {coroutine}(function.__call__)"),
            (2, "):"),
            (3, "await handler()"),
            (2, "else:"),
            (3, "handler()"),
        ]

    def place(self, edits: Edits, users: list[cst.CSTNode]) -> None:
        """Define the helper at module level, before the first statement that uses it."""
        if self.name is None or self._reused or not users:
            return
        top = self._top_level(min(users, key=self.meta.line))
        module = self.meta.module
        (helper,) = parse_statements(
            render(self.lines(self.name), module.default_indent, module.default_newline), module
        )
        inserted = edits.before.setdefault(top, [])
        if inserted:
            helper = helper.with_changes(leading_lines=inserted[0].leading_lines)
            inserted[0] = inserted[0].with_changes(leading_lines=blank_lines(2))
        else:
            helper = helper.with_changes(leading_lines=blank_lines(2))
        inserted.insert(0, helper)

    def _existing(self) -> str | None:
        module = self.meta.module
        for statement in module.body:
            # only an undecorated ``async def`` can print as the helper: the rest is not
            # printed (a codegen per function is most of a long module's conversion)
            if not isinstance(statement, cst.FunctionDef) or statement.decorators:
                continue
            if statement.asynchronous is None:
                continue
            name = statement.name.value
            wanted = render(self.lines(name), module.default_indent, module.default_newline)
            if module.code_for_node(statement.with_changes(leading_lines=[])) == wanted:
                self._reused = True
                return name
        return None

    def _top_level(self, node: cst.CSTNode) -> cst.CSTNode:
        while not isinstance(self.meta.parent(node), cst.Module):
            parent = self.meta.parent(node)
            assert parent is not None
            node = parent
        return node

    def _module_binds(self, name: str) -> bool:
        scope = self.meta.scope(self.meta.module)
        return scope is not None and bool(scope.assignments[name])
