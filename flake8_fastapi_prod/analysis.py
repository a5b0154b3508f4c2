"""The one walk over a module: imports, FastAPI objects, engines, and rule dispatch.

:class:`Walker` visits every node once.  While it walks it keeps the stack of
enclosing functions, resolves names through the imports seen so far and fills a
:class:`ModuleFacts` that the rules read when the walk is over; rules that need a
node in its context (e.g. "inside ``async def``") get it handed during the walk.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Optional, Union

from . import knowledge
from .imports import ImportTable, dotted

Function = Union[ast.FunctionDef, ast.AsyncFunctionDef]
Scope = Union[ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, None]


@dataclass(eq=False)
class AppInfo:
    """A ``FastAPI(...)`` or ``APIRouter(...)`` creation and what it was given."""

    call: ast.Call
    is_router: bool
    scope: Scope
    name: str | None
    lifespan: ast.expr | None = None
    #: the ``lifespan=`` argument is unknowable (``**kwargs``)
    opaque: bool = False

    @property
    def has_lifespan(self) -> bool:
        return self.lifespan is not None


@dataclass(eq=False)
class EventRegistration:
    """One start-up/shut-down handler registration in any of its forms."""

    node: ast.AST
    form: str  # "on_event", "add_event_handler" or "constructor"
    event: str
    target: AppInfo | None
    handler: ast.expr | Function | None
    scope: Scope


@dataclass(eq=False)
class EngineInfo:
    """An engine factory call, where it is, and the name it is bound to."""

    call: ast.Call
    facts: knowledge.EngineCall
    kind: knowledge.EngineKind
    scope: Scope
    #: innermost enclosing function definition (lambdas skipped), None at module level
    function: Function | None
    name: str | None
    returned: bool = False
    #: other names the engine is bound to later (``app.state.db = engine``)
    aliases: set[str] = field(default_factory=set)
    #: for ``engine = make_engine()`` at module level: the engine the factory creates
    created_by: EngineInfo | None = None


@dataclass(eq=False)
class ImportedName:
    """A name imported from another module, with how this module uses it."""

    node: ast.ImportFrom
    local: str
    qualname: str
    engine_uses: int = 0
    #: called like a function (``create_async_engine(...)``): a factory, not an engine
    called: bool = False


@dataclass(eq=False)
class TaskSchedule:
    """A function handed to ``BackgroundTasks.add_task(f)`` or ``BackgroundTask(f)``."""

    node: ast.Call
    form: str  # "add_task" or "BackgroundTask"
    #: the callable handed over (``partial(f, ...)`` unwrapped to ``f``)
    task: ast.expr
    #: innermost function definition containing the call (the handler that schedules it)
    scheduler: Function | None


@dataclass
class ModuleFacts:
    """Everything the rules need to know about one module, filled by one walk."""

    imports: ImportTable = field(default_factory=ImportTable)
    apps: list[AppInfo] = field(default_factory=list)
    events: list[EventRegistration] = field(default_factory=list)
    engines: list[EngineInfo] = field(default_factory=list)
    functions: dict[str, list[Function]] = field(default_factory=dict)
    path_operations: set[Function] = field(default_factory=set)
    dependency_names: set[str] = field(default_factory=set)
    lifespan_names: set[str] = field(default_factory=set)
    #: dotted receivers of ``x.dispose()`` calls, and their last component
    disposed: set[str] = field(default_factory=set)
    imported: dict[str, ImportedName] = field(default_factory=dict)
    #: module-level names bound exactly once, to a string literal
    string_constants: dict[str, str] = field(default_factory=dict)
    rebound: set[str] = field(default_factory=set)
    #: functions that contain a ``yield``, with the line of their first one
    first_yield: dict[Function, int] = field(default_factory=dict)
    #: path operation -> its HTTP methods, upper case (``@app.patch`` -> {"PATCH"};
    #: ``@app.api_route(methods=[...])`` with a non-literal list -> empty set)
    path_methods: dict[Function, set[str]] = field(default_factory=dict)
    #: function -> local name -> the statements binding it in that function's own body
    #: (``x = ...``, ``x: T = ...``, ``x += ...``, also ``a, x = ...``), in source order
    local_bindings: dict[Function, dict[str, list[ast.stmt]]] = field(default_factory=dict)
    #: background tasks scheduled in the module, in walk order
    task_schedules: list[TaskSchedule] = field(default_factory=list)
    #: function definition -> the function or lambda it is nested in (None: module/class)
    enclosing: dict[Function, Scope] = field(default_factory=dict)
    #: module-level names bound to a subscripted type (``SessionDep = Annotated[...]``)
    type_aliases: dict[str, ast.expr] = field(default_factory=dict)

    @property
    def is_fastapi_module(self) -> bool:
        return self.imports.imports_any(knowledge.FRAMEWORK_MODULES)

    def named_functions(self, names: Iterable[str]) -> Iterator[Function]:
        for name in names:
            yield from self.functions.get(name, ())

    def lifespans(self) -> list[Function]:
        return list(self.named_functions(self.lifespan_names))

    def task_functions(self) -> dict[Function, list[TaskSchedule]]:
        """Functions defined in this module that run as background tasks.

        ``add_task(f)`` resolves ``f`` to a ``def f`` at module level or nested in the
        scheduling handler (or a function around it); ``self.f`` and imported functions
        are not followed.
        """
        found: dict[Function, list[TaskSchedule]] = {}
        for schedule in self.task_schedules:
            if not isinstance(schedule.task, ast.Name):
                continue
            visible: list[Scope] = [None]
            scope: Scope = schedule.scheduler
            while scope is not None:
                visible.append(scope)
                scope = self.enclosing.get(scope) if not isinstance(scope, ast.Lambda) else None
            candidates = [
                f for f in self.functions.get(schedule.task.id, ())
                if self.enclosing.get(f) in visible
            ]
            if candidates:
                # the innermost definition visible from the handler wins
                best = max(candidates, key=lambda f: visible.index(self.enclosing.get(f)))
                found.setdefault(best, []).append(schedule)
        return found

    def dependencies(self) -> list[Function]:
        return list(self.named_functions(self.dependency_names))

    def holds_lifecycle(self) -> bool:
        """The module creates an app or defines its lifespan or shut-down handlers."""
        return (
            any(not app.is_router for app in self.apps)
            or bool(self.lifespans())
            or any(reg.event == "shutdown" for reg in self.events)
        )

    def engine_disposed(self, engine: EngineInfo) -> bool:
        names = [engine.name, *engine.aliases]
        if engine.created_by is not None:
            names += [engine.created_by.name, *engine.created_by.aliases]
        return any(self.is_disposed(name) for name in names)

    def is_disposed(self, name: str | None) -> bool:
        if name is None:
            return False
        return name in self.disposed or name.rsplit(".", 1)[-1] in self.disposed


NodeHook = Callable[[ast.AST, "Walker"], None]
#: collector, hooks, fields to descend into (None: a scope, see ``Walker._visit_scope``)
_Plan = tuple[
    Optional[Callable[["Walker", Any], None]], tuple[NodeHook, ...], Optional[tuple[str, ...]]
]


class Walker:
    """Walks a tree once, collecting :class:`ModuleFacts` and calling rule hooks."""

    def __init__(self, hooks: dict[type, list[NodeHook]]) -> None:
        self.facts = ModuleFacts()
        self.hooks = hooks
        self._hooked = frozenset(hooks)
        #: node type -> how to visit it, built on first sight (``_plan``)
        self._plans: dict[type, _Plan] = {}
        #: enclosing functions and lambdas, innermost last
        self.scopes: list[ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda] = []
        #: (scope, dotted name) -> the app or router bound there
        self._apps: dict[tuple[Scope, str], AppInfo] = {}
        self._parameters: list[set[str]] = []
        self._app_classes: set[str] = set()
        self._router_classes: set[str] = set()
        #: calls already classified (an assignment classifies its value before the walk
        #: reaches the call itself)
        self._known_calls: dict[ast.Call, AppInfo | EngineInfo | None] = {}
        #: class bodies around the current node: a ``def`` there is a method, not a
        #: module-level name that hides an import
        self._class_depth = 0
        self._module_defs: set[Function] = set()
        self._class_inits: dict[str, ast.FunctionDef] = {}
        #: (scope, dotted name) -> the engine bound there
        self._engines: dict[tuple[Scope, str], EngineInfo] = {}
        #: ``x.on_event(...)`` calls -> the handler they decorate or are applied to
        self._handlers: dict[ast.Call, ast.expr | Function] = {}
        #: function -> names bound there to a ``BackgroundTasks`` (annotated parameters,
        #: ``tasks = BackgroundTasks()``)
        self._task_receivers: dict[Scope, set[str]] = {}

    # --- context queries used by rules -------------------------------------

    @property
    def _at_module_level(self) -> bool:
        """Directly in the module's body (also under ``if``/``try``), not in a class or def."""
        return not self.scopes and not self._class_depth

    @property
    def scope(self) -> Scope:
        return self.scopes[-1] if self.scopes else None

    @property
    def function(self) -> Function | None:
        """The innermost enclosing ``def``/``async def`` (a lambda in between counts)."""
        if self.scopes and not isinstance(self.scopes[-1], ast.Lambda):
            return self.scopes[-1]  # type: ignore[return-value]
        return None

    def qualify(self, node: ast.expr) -> str | None:
        return self.facts.imports.qualify(node)

    def is_parameter(self, name: str) -> bool:
        return any(name in params for params in self._parameters)

    def annotation_qualnames(self, node: ast.expr | None) -> set[str]:
        """The qualified types an annotation names, seen through ``Annotated[T, ...]``,
        ``Optional[T]``/``Union[...]``/``T | None``, string annotations and module-level
        aliases (``SessionDep = Annotated[Session, Depends(get_db)]``)."""
        found: set[str] = set()
        self._annotation_qualnames(node, found, depth=0)
        return found

    def _annotation_qualnames(self, node: ast.expr | None, found: set[str], depth: int) -> None:
        if node is None or depth > 8:
            return
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except SyntaxError:
                return
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            self._annotation_qualnames(node.left, found, depth + 1)
            self._annotation_qualnames(node.right, found, depth + 1)
            return
        if isinstance(node, ast.Subscript):
            outer = self.qualify(node.value) or ""
            inner = node.slice
            if outer.rsplit(".", 1)[-1] == "Annotated" and isinstance(inner, ast.Tuple):
                self._annotation_qualnames(inner.elts[0] if inner.elts else None, found, depth + 1)
            elif outer.rsplit(".", 1)[-1] in ("Optional", "Union"):
                for element in inner.elts if isinstance(inner, ast.Tuple) else [inner]:
                    self._annotation_qualnames(element, found, depth + 1)
            return
        if isinstance(node, ast.Name) and node.id in self.facts.type_aliases:
            self._annotation_qualnames(self.facts.type_aliases[node.id], found, depth + 1)
            return
        qualname = self.qualify(node)
        if qualname is not None:
            found.add(qualname)

    # --- the walk -------------------------------------------------------------

    def walk(self, tree: ast.AST) -> ModuleFacts:
        self._visit(tree)
        return self.facts

    def _visit(self, node: ast.AST) -> None:
        kind = type(node)
        plan = self._plans.get(kind)
        if plan is None:
            plan = self._plans[kind] = self._plan(kind)
        collect, hooks, fields = plan
        if collect is not None:
            collect(self, node)
        for hook in hooks:
            hook(node, self)
        if fields is None:
            self._visit_scope(node)  # type: ignore[arg-type]
            return
        if kind is ast.ClassDef:
            self._class_depth += 1
        for name in fields:
            value = getattr(node, name, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, ast.AST):
                        self._visit(item)
            elif isinstance(value, ast.AST):
                self._visit(value)
        if kind is ast.ClassDef:
            self._class_depth -= 1

    def _plan(self, kind: type) -> _Plan:
        """How to visit a node type: its collector, the rules' hooks, the fields to descend
        into (see :func:`_fields_to_visit`)."""
        fields = _fields_to_visit(kind, self._hooked)
        return _COLLECTORS.get(kind), tuple(self.hooks.get(kind, ())), fields

    def _visit_scope(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        # Decorators, defaults and annotations run in the enclosing scope.
        if not isinstance(node, ast.Lambda):
            for item in node.decorator_list:
                self._visit(item)
            if node.returns is not None:
                self._visit(node.returns)
        self._visit(node.args)
        self.scopes.append(node)
        self._parameters.append(_parameter_names(node.args))
        body = node.body if isinstance(node.body, list) else [node.body]
        for statement in body:
            self._visit(statement)
        self._parameters.pop()
        self.scopes.pop()

    # --- collectors: fill ModuleFacts ------------------------------------------

    def _import(self, node: ast.Import) -> None:
        self.facts.imports.add_import(node)

    def _import_from(self, node: ast.ImportFrom) -> None:
        self.facts.imports.add_import_from(node)
        top = (node.module or "").split(".")[0]
        if node.level == 0 and top in knowledge.LIBRARY_PACKAGES:
            return
        prefix = "." * node.level + (node.module or "")
        for alias in node.names:
            if alias.name != "*":
                local = alias.asname or alias.name
                self.facts.imported[local] = ImportedName(node, local, f"{prefix}.{alias.name}")

    def _function_def(self, node: Function) -> None:
        self.facts.functions.setdefault(node.name, []).append(node)
        self.facts.enclosing[node] = self.scope
        if self._at_module_level:
            self._module_defs.add(node)
        args = node.args
        for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
            if arg.annotation is not None and not self.annotation_qualnames(
                arg.annotation
            ).isdisjoint(knowledge.BACKGROUND_TASKS):
                self._task_receivers.setdefault(node, set()).add(arg.arg)
        if self._at_module_level:
            self.facts.imports.shadow(node.name)
            self.facts.rebound.add(node.name)
        for decorator in node.decorator_list:
            if isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute):
                self._decorator_call(decorator, decorator.func, node)

    def _decorator_call(self, call: ast.Call, func: ast.Attribute, node: Function) -> None:
        if func.attr == "on_event":
            self._handlers[call] = node
        elif func.attr in knowledge.PATH_OPERATION_METHODS and self._is_route_target(
            func.value, call
        ):
            self.facts.path_operations.add(node)
            self.facts.path_methods.setdefault(node, set()).update(_http_methods(call, func.attr))

    def _class_def(self, node: ast.ClassDef) -> None:
        if self._at_module_level:
            self.facts.imports.shadow(node.name)
            self.facts.rebound.add(node.name)
            for statement in node.body:
                if isinstance(statement, ast.FunctionDef) and statement.name == "__init__":
                    self._class_inits[node.name] = statement
        for base in node.bases:
            qualname = self.qualify(base)
            if knowledge.is_app_factory(qualname) or base_name(base) in self._app_classes:
                self._app_classes.add(node.name)
            elif knowledge.is_router_factory(qualname) or base_name(base) in self._router_classes:
                self._router_classes.add(node.name)

    def _assign(self, node: ast.Assign | ast.AnnAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value
        if self._at_module_level:
            self._module_binding(targets, value)
            if isinstance(value, ast.Subscript) and isinstance(targets[0], ast.Name):
                outer = (self.qualify(value.value) or "").rsplit(".", 1)[-1]
                if outer in ("Annotated", "Optional", "Union"):
                    self.facts.type_aliases[targets[0].id] = value
        elif value is not None:
            self._local_binding(targets, node)
        if isinstance(value, (ast.Name, ast.Attribute)):
            self._alias_engine(targets, value)
        if not isinstance(value, ast.Call):
            return
        names = [dotted(target) for target in targets]
        name = next((n for n in names if n is not None), None)
        if name is None:
            return
        if "." not in name and self.qualify(value.func) in knowledge.BACKGROUND_TASKS:
            self._task_receivers.setdefault(self.scope, set()).add(name)
        app = self._app_for_call(value)
        if app is not None:
            app.name = name
            self._apps[(self.scope, name)] = app
        engine = self._engine_for_call(value)
        if engine is None and self._at_module_level and isinstance(value.func, ast.Name):
            engine = self._engine_through_factory(value, value.func.id)
        if engine is not None:
            engine.name = name
            self._engines[(self.scope, name)] = engine

    def _engine_through_factory(self, call: ast.Call, callee: str) -> EngineInfo | None:
        """``engine = make_engine(URL)`` / ``db = Database()`` at module level, where the
        same module's function returns an engine or the class's ``__init__`` creates one:
        the engine exists from import time on, like a direct ``create_engine`` call."""
        factories = [f for f in self.facts.functions.get(callee, ()) if f in self._module_defs]
        init = self._class_inits.get(callee)
        for engine in self.facts.engines:
            if (engine.function in factories and engine.returned) or (
                init is not None and engine.function is init
            ):
                through = EngineInfo(
                    call, engine.facts, engine.kind, None, None, name=None, created_by=engine
                )
                self.facts.engines.append(through)
                self._known_calls[call] = through
                return through
        return None

    def _alias_engine(self, targets: list[ast.expr], value: ast.expr) -> None:
        """``app.state.db = engine``: disposing ``app.state.db`` disposes the engine."""
        source = dotted(value)
        if source is None:
            return
        for scope in [*reversed(self.scopes), None]:
            engine = self._engines.get((scope, source))
            if engine is not None:
                engine.aliases.update(n for n in map(dotted, targets) if n is not None)
                return

    def _module_binding(self, targets: list[ast.expr], value: ast.expr | None) -> None:
        literal = None
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            literal = value.value
        for target in targets:
            self._bind_module_target(target, literal)

    def _bind_module_target(self, target: ast.expr, literal: str | None) -> None:
        """Track module-level names bound exactly once to a string literal."""
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._bind_module_target(element, None)
            return
        if isinstance(target, ast.Starred):
            self._bind_module_target(target.value, None)
            return
        if not isinstance(target, ast.Name):
            return
        name = target.id
        self.facts.imports.shadow(name)
        if literal is None or name in self.facts.rebound:
            self.facts.string_constants.pop(name, None)
        else:
            self.facts.string_constants[name] = literal
        self.facts.rebound.add(name)

    def _aug_assign(self, node: ast.AugAssign) -> None:
        if self._at_module_level:
            self._bind_module_target(node.target, None)
        else:
            self._local_binding([node.target], node)

    def _local_binding(self, targets: list[ast.expr], node: ast.stmt) -> None:
        function = self.function
        if function is None:
            return
        names = self.facts.local_bindings.setdefault(function, {})
        for target in targets:
            for name in _bound_names(target):
                names.setdefault(name, []).append(node)

    def _return(self, node: ast.Return) -> None:
        engine = None
        if isinstance(node.value, ast.Call):
            engine = self._engine_for_call(node.value)
        elif isinstance(node.value, ast.Name) and self.scopes:
            engine = self._engines.get((self.scope, node.value.id))
        if engine is not None:
            engine.returned = True

    def _yield(self, node: ast.Yield | ast.YieldFrom) -> None:
        function = self.function
        if function is not None and function not in self.facts.first_yield:
            self.facts.first_yield[function] = node.lineno

    def _call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Call) and node.args:
            # ``app.on_event("startup")(handler)``: the decorator applied by hand
            self._handlers[func] = node.args[0]
        qualname = self.qualify(func)
        self._background_task(node, func, qualname)
        if self._app_for_call(node, qualname) is not None:
            return
        if self._engine_for_call(node, qualname) is not None:
            return
        if knowledge.is_dependency_marker(qualname):
            dependency = node.args[0] if node.args else _keyword(node, "dependency")
            if isinstance(dependency, ast.Name):
                self.facts.dependency_names.add(dependency.id)
            return
        self._count_engine_uses(node, func)
        if not isinstance(func, ast.Attribute):
            if isinstance(func, ast.Name) and func.id in self.facts.imported:
                self.facts.imported[func.id].called = True
            return
        if func.attr == "dispose":
            self._note_disposed(func.value)
        elif func.attr == "on_event" and self._is_event_target(func.value):
            self._register(node, "on_event", func.value, self._handlers.get(node))
        elif func.attr == "add_event_handler" and self._is_event_target(func.value):
            handler = node.args[1] if len(node.args) > 1 else _keyword(node, "func")
            self._register(node, "add_event_handler", func.value, handler)

    def _background_task(self, call: ast.Call, func: ast.expr, qualname: str | None) -> None:
        """``tasks.add_task(f, ...)`` on a ``BackgroundTasks`` and ``BackgroundTask(f, ...)``."""
        if qualname in knowledge.BACKGROUND_TASKS:
            return
        if qualname in knowledge.BACKGROUND_TASK:
            form = "BackgroundTask"
        elif (
            isinstance(func, ast.Attribute)
            and func.attr == "add_task"
            and isinstance(func.value, ast.Name)
            and any(
                func.value.id in self._task_receivers.get(scope, ())
                for scope in (*self.scopes, None)
            )
        ):
            form = "add_task"
        else:
            return
        task = call.args[0] if call.args else _keyword(call, "func")
        if isinstance(task, ast.Call) and self.qualify(task.func) in knowledge.PARTIAL:
            task = task.args[0] if task.args else None
        if task is not None:
            self.facts.task_schedules.append(TaskSchedule(call, form, task, self._innermost_def()))

    def _register(
        self, call: ast.Call, form: str, receiver: ast.expr, handler: ast.expr | Function | None
    ) -> None:
        event = _event_argument(call, "event_type")
        if event is not None:
            self._note_dispose_references(handler)
            target = self.resolve_app(receiver)
            self.facts.events.append(
                EventRegistration(call, form, event, target, handler, self.scope)
            )

    def _note_dispose_references(self, handler: ast.AST | None) -> None:
        """``add_event_handler("shutdown", engine.dispose)``, ``on_shutdown=[engine.dispose]``.

        An imported name registered as a handler is a function, not an engine."""
        elements = handler.elts if isinstance(handler, (ast.List, ast.Tuple)) else [handler]
        for element in elements:
            if isinstance(element, ast.Attribute) and element.attr == "dispose":
                self._note_disposed(element.value)
            elif isinstance(element, ast.Name) and element.id in self.facts.imported:
                self.facts.imported[element.id].called = True

    def _note_disposed(self, receiver: ast.expr) -> None:
        name = dotted(receiver)
        if name is not None:
            self.facts.disposed.add(name)
            self.facts.disposed.add(name.rsplit(".", 1)[-1])

    # --- FastAPI objects --------------------------------------------------------

    def _app_for_call(self, call: ast.Call, qualname: str | None = None) -> AppInfo | None:
        """The AppInfo of an app/router creation, recorded on first sight."""
        if call in self._known_calls:
            known = self._known_calls[call]
            return known if isinstance(known, AppInfo) else None
        qualname = qualname or self.qualify(call.func)
        callee = base_name(call.func)
        is_app = knowledge.is_app_factory(qualname) or callee in self._app_classes
        is_router = knowledge.is_router_factory(qualname) or callee in self._router_classes
        if not (is_app or is_router):
            return None
        app = AppInfo(call, is_router=not is_app, scope=self.scope, name=None)
        for keyword in call.keywords:
            if keyword.arg is None:
                app.opaque = True
            elif keyword.arg == "lifespan" and self._is_lifespan_value(keyword.value):
                app.lifespan = keyword.value
                if isinstance(keyword.value, ast.Name):
                    self.facts.lifespan_names.add(keyword.value.id)
            elif keyword.arg in knowledge.EVENT_KWARGS and not _is_none(keyword.value):
                event = knowledge.EVENT_KWARGS[keyword.arg]
                self._note_dispose_references(keyword.value)
                self.facts.events.append(
                    EventRegistration(keyword, "constructor", event, app, keyword.value, self.scope)
                )
        self.facts.apps.append(app)
        self._known_calls[call] = app
        return app

    def _is_lifespan_value(self, value: ast.expr) -> bool:
        """``lifespan=None`` or an optional parameter passed through is no lifespan we know."""
        if _is_none(value):
            return False
        return not (isinstance(value, ast.Name) and self.is_parameter(value.id))

    def resolve_app(self, node: ast.expr) -> AppInfo | None:
        """The app or router an expression names (``app``, ``app.router``, ``self.app``)."""
        name = dotted(node)
        if name is None:
            return None
        if name.endswith(".router"):
            owner = self.resolve_app_name(name[: -len(".router")])
            if owner is not None and not owner.is_router:
                return owner
        return self.resolve_app_name(name)

    def resolve_app_name(self, name: str) -> AppInfo | None:
        for scope in [*reversed(self.scopes), None]:
            found = self._apps.get((scope, name))
            if found is not None:
                return found
        return None

    def _is_event_target(self, node: ast.expr) -> bool:
        """An app, router or ``app.router``; an unknown receiver only in a FastAPI module."""
        if self.resolve_app(node) is not None:
            return True
        return self._unknown_receiver(node)

    def _is_route_target(self, node: ast.expr, call: ast.Call) -> bool:
        if self.resolve_app(node) is not None:
            return True
        path = call.args[0] if call.args else _keyword(call, "path")
        is_path = isinstance(path, ast.Constant) and isinstance(path.value, str)
        return is_path and self._unknown_receiver(node)

    def _unknown_receiver(self, node: ast.expr) -> bool:
        """A receiver bound by an import, a parameter or ``self.x`` in a FastAPI module.

        Outside one, only the project's own app or router imported under its usual name
        (``from .main import app``), which is how handler modules register on it."""
        name = dotted(node)
        if name is None:
            return False
        head = name.split(".", 1)[0]
        if not self.facts.is_fastapi_module:
            return head in self.facts.imported and _is_app_like_name(name)
        if head in self.facts.imported or self.is_parameter(head):
            return True
        return head == "self" or name in ("app", "router", "app.router")

    # --- engines ----------------------------------------------------------------

    def _engine_for_call(self, call: ast.Call, qualname: str | None = None) -> EngineInfo | None:
        if call in self._known_calls:
            known = self._known_calls[call]
            return known if isinstance(known, EngineInfo) else None
        kind = knowledge.engine_kind(qualname or self.qualify(call.func))
        if kind is None:
            return None
        engine = EngineInfo(
            call, self._engine_facts(call, qualname or self.qualify(call.func) or ""),
            kind, self.scope, self._innermost_def(), name=None,
        )
        self.facts.engines.append(engine)
        self._known_calls[call] = engine
        return engine

    def _innermost_def(self) -> Function | None:
        for scope in reversed(self.scopes):
            if not isinstance(scope, ast.Lambda):
                return scope
        return None

    def _engine_facts(self, call: ast.Call, factory: str) -> knowledge.EngineCall:
        url_node = call.args[0] if call.args else _keyword(call, "url")
        poolclass_node = _keyword(call, "poolclass")
        poolclass = None
        if poolclass_node is not None:
            poolclass = self.qualify(poolclass_node) or ""
        return knowledge.EngineCall(
            factory=factory,
            url=self._literal_string(url_node),
            keywords=frozenset(k.arg for k in call.keywords if k.arg is not None),
            has_double_star=any(k.arg is None for k in call.keywords),
            poolclass=poolclass,
            url_prefix=_formatted_prefix(url_node),
        )

    def _literal_string(self, node: ast.expr | None) -> str | None:
        """A string literal, or a module-level name bound once to one."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name) and not self.is_parameter(node.id):
            return self.facts.string_constants.get(node.id)
        return None

    def _count_engine_uses(self, call: ast.Call, func: ast.expr) -> None:
        """Imported names used the way engines are used: ``engine.begin()``, ``bind=engine``."""
        imported = self.facts.imported
        if not imported:
            return
        candidates: list[ast.expr] = [k.value for k in call.keywords if k.arg == "bind"]
        if isinstance(func, ast.Attribute) and func.attr in knowledge.ENGINE_METHODS:
            candidates.append(func.value)
        if base_name(func) in knowledge.ENGINE_CONSUMERS and call.args:
            candidates.append(call.args[0])
        for node in candidates:
            if isinstance(node, ast.Name) and node.id in imported:
                imported[node.id].engine_uses += 1


_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
#: fields holding only ``Load``/``Store``/``Del`` and operator singletons
_SINGLETON_FIELDS = frozenset({"ctx", "op", "ops"})
_SINGLETON_TYPES = (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)
#: fields the grammar gives plain values (identifiers, constants), never nodes
_VALUE_FIELDS: dict[type, frozenset[str]] = {
    ast.Name: frozenset({"id"}),
    ast.Constant: frozenset({"value", "kind"}),
    ast.Attribute: frozenset({"attr"}),
    ast.keyword: frozenset({"arg"}),
    ast.arg: frozenset({"arg", "type_comment"}),
    ast.alias: frozenset({"name", "asname"}),
}

_COLLECTORS: dict[type, Callable[[Walker, Any], None]] = {
    ast.Import: Walker._import,
    ast.ImportFrom: Walker._import_from,
    ast.FunctionDef: Walker._function_def,
    ast.AsyncFunctionDef: Walker._function_def,
    ast.ClassDef: Walker._class_def,
    ast.Assign: Walker._assign,
    ast.AnnAssign: Walker._assign,
    ast.AugAssign: Walker._aug_assign,
    ast.Return: Walker._return,
    ast.Yield: Walker._yield,
    ast.YieldFrom: Walker._yield,
    ast.Call: Walker._call,
}


@functools.lru_cache(maxsize=None)
def _fields_to_visit(kind: type, hooked: frozenset[type]) -> tuple[str, ...] | None:
    """The fields of a node type to descend into (None: a function or lambda, walked by
    ``Walker._visit_scope``); computed once per set of hooked types, not once per file.

    A performance shortcut, same visits: fields that hold no node anyone handles are
    left out, i.e. the ``ctx``/``op``/``ops`` singletons (unless something hooks them)
    and the plain-value fields of the most frequent leaves (``Name.id``, ...).
    """
    if kind in _SCOPES:
        return None
    skip = _VALUE_FIELDS.get(kind, frozenset())
    if not any(issubclass(t, _SINGLETON_TYPES) for t in (*hooked, *_COLLECTORS)):
        skip = skip | _SINGLETON_FIELDS
    return tuple(name for name in kind._fields if name not in skip)


def base_name(node: ast.expr) -> str | None:
    """The last component of a Name/Attribute chain."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    return None


def _event_argument(call: ast.Call, keyword: str) -> str | None:
    node = call.args[0] if call.args else _keyword(call, keyword)
    if isinstance(node, ast.Constant) and node.value in knowledge.EVENT_TYPES:
        return node.value  # type: ignore[return-value]
    return None


def _is_app_like_name(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last in _APP_NAMES or last.endswith(("_app", "_router"))


_APP_NAMES = frozenset({"app", "application", "api", "router", "api_router"})


def _formatted_prefix(node: ast.expr | None) -> str | None:
    """The literal text a formatted string starts with: ``f"bigquery://{p}"`` ->
    ``bigquery://``; also ``"…" + x`` and ``"…{}".format(x)``."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        node = node.left
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    ):
        node = node.func.value
    if isinstance(node, ast.JoinedStr) and node.values:
        node = node.values[0]
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _is_none(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _bound_names(target: ast.expr) -> Iterator[str]:
    """The plain names an assignment target binds (``a``, ``a, (b, *c)``)."""
    if isinstance(target, ast.Name):
        yield target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _bound_names(element)
    elif isinstance(target, ast.Starred):
        yield from _bound_names(target.value)


def _http_methods(call: ast.Call, method: str) -> set[str]:
    """``@x.patch(...)`` -> {"PATCH"}; ``@x.api_route(..., methods=[...])`` -> the literals."""
    if method != "api_route":
        return {method.upper()}
    methods = _keyword(call, "methods")
    if methods is None:
        return {"GET"}
    if isinstance(methods, (ast.List, ast.Tuple, ast.Set)) and all(
        isinstance(e, ast.Constant) and isinstance(e.value, str) for e in methods.elts
    ):
        return {e.value.upper() for e in methods.elts}  # type: ignore[union-attr]
    return set()


def _parameter_names(args: ast.arguments) -> set[str]:
    names = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    if args.vararg:
        names.add(args.vararg.arg)
    if args.kwarg:
        names.add(args.kwarg.arg)
    return names
