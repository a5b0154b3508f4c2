"""What one module says about its apps, handler registrations and engines, read with libcst.

Everything is resolved through libcst metadata: qualified names decide what a call
creates (``F()`` is ``fastapi.FastAPI`` after ``from fastapi import FastAPI as F``, a
project's own ``create_engine`` is not SQLAlchemy's), ``ScopeProvider`` decides which
binding a name refers to (so a class with an ``on_event`` method is never taken for an
app), and ``PositionProvider`` gives the lines the notes report.  The planner reads the
plain records built here; it never looks at spellings.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field

import libcst as cst
import libcst.matchers as m
from libcst.metadata import (
    BaseAssignment,
    BuiltinAssignment,
    ClassScope,
    CodeRange,
    GlobalScope,
    MetadataWrapper,
    PositionProvider,
    QualifiedName,
    Scope,
    ScopeProvider,
)

from libcst.metadata.scope_provider import AnnotationScope

from flake8_fastapi_prod import knowledge

#: Attributes of an app or router through which handlers are registered or run; any use
#: of them the codemod does not convert would silently stop working under ``lifespan=``.
EVENT_ATTRIBUTES = frozenset(
    {"on_event", "add_event_handler", "on_startup", "on_shutdown", "lifespan_context",
     "_startup", "_shutdown"}
)

#: Callees that receive an app without registering handlers on it.
INERT_CALLEES = frozenset(
    {
        "uvicorn.run",
        "fastapi.testclient.TestClient",
        "starlette.testclient.TestClient",
        "httpx.ASGITransport",
    }
)

#: Places where an app gets another name or a container holds it: registrations made
#: through that other way in are invisible to the codemod.
_ESCAPES = (
    cst.Assign, cst.AnnAssign, cst.AugAssign, cst.NamedExpr, cst.Element, cst.DictElement,
    cst.StarredElement, cst.Yield, cst.Lambda, cst.AssignTarget, cst.WithItem,
)

FUNCTOOLS_PARTIAL = "functools.partial"
ASYNCCONTEXTMANAGER = "contextlib.asynccontextmanager"


class Meta:
    """The resolved metadata of one module, with the few questions the planner asks of it.

    Only scopes are resolved up front.  Qualified names are asked of a node's scope, as
    ``QualifiedNameProvider`` would, but only for the nodes asked about; parents come
    from one plain walk (``ParentNodeProvider`` walks every node's children again);
    positions are resolved on the first line asked for, which a module without
    targets never needs.
    """

    def __init__(self, wrapper: MetadataWrapper) -> None:
        self.module = wrapper.module
        self._wrapper = wrapper
        self._scopes = wrapper.resolve(ScopeProvider)
        parents = _Parents()
        self.module.visit(parents)
        self._parents = parents.found
        self._positions: Mapping[cst.CSTNode, CodeRange] | None = None

    def line(self, node: cst.CSTNode) -> int:
        if self._positions is None:
            self._positions = self._wrapper.resolve(PositionProvider)
        return self._positions[node].start.line

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self._parents.get(node)

    def scope(self, node: cst.CSTNode) -> Scope | None:
        return self._scopes.get(node)

    def running_scope(self, node: cst.CSTNode) -> Scope | None:
        """The scope whose code runs ``node``: PEP 695 annotation scopes are looked through
        (libcst puts the decorators of ``def f[T]()`` in one)."""
        scope = self.scope(node)
        while isinstance(scope, AnnotationScope):
            scope = scope.parent
        return scope

    def qualname(self, node: cst.CSTNode) -> str | None:
        """The one qualified name of an expression; None when unknown or ambiguous."""
        scope = self.scope(node)
        found: Collection[QualifiedName] = scope.get_qualified_names_for(node) if scope else ()
        names = {q.name for q in found}
        return names.pop() if len(names) == 1 else None

    def referents(self, name: cst.Name) -> set[BaseAssignment] | None:
        """The bindings a name read may see; None when libcst recorded no access for it."""
        scope = self.scope(name)
        if scope is None:
            return None
        for access in scope.accesses[name.value]:
            if access.node is name:
                return set(access.referents)
        return None

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        parent = self.parent(node)
        while parent is not None:
            yield parent
            parent = self.parent(parent)

    def enclosing_function(self, node: cst.CSTNode) -> cst.FunctionDef | cst.Lambda | None:
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, (cst.FunctionDef, cst.Lambda)):
                return ancestor
        return None

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)


class _Parents(cst.CSTVisitor):
    """Every node's parent, from one walk: the node on top of the stack when it is visited."""

    def __init__(self) -> None:
        super().__init__()
        self.found: dict[cst.CSTNode, cst.CSTNode] = {}
        self._stack: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self._stack:
            self.found[node] = self._stack[-1]
        self._stack.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self._stack.pop()


def string_value(node: cst.CSTNode | None) -> str | None:
    """The value of a plain (not f-, not bytes) string literal."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def formatted_prefix(node: cst.BaseExpression) -> str | None:
    """The literal start of a formatted URL (``f"bigquery://{p}"`` -> ``bigquery://``),
    as the lint rules read it, so both exempt the same serverless backends."""
    if isinstance(node, cst.BinaryOperation) and isinstance(
        node.operator, (cst.Add, cst.Modulo)
    ):
        node = node.left
    elif m.matches(node, m.Call(func=m.Attribute(attr=m.Name("format")))):
        node = node.func.value  # type: ignore[attr-defined]
    if isinstance(node, cst.FormattedString):
        first = node.parts[0] if node.parts else None
        return first.value if isinstance(first, cst.FormattedStringText) else None
    return string_value(node)


def dotted(node: cst.CSTNode) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted(node.value)
        return None if head is None else f"{head}.{node.attr.value}"
    return None


def head_name(node: cst.CSTNode) -> cst.Name | None:
    """The Name at the start of a Name/Attribute chain."""
    while isinstance(node, cst.Attribute):
        node = node.value
    return node if isinstance(node, cst.Name) else None


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    return next((a for a in call.args if a.keyword is not None and a.keyword.value == name), None)


def event_argument(call: cst.Call, name: str = "event_type") -> str | None:
    """The literal event of ``on_event(...)``/``add_event_handler(...)``, if it is one."""
    positional = [a for a in call.args if a.keyword is None and not a.star]
    arg = positional[0] if positional else keyword(call, name)
    value = string_value(arg.value) if arg is not None else None
    return value if value in knowledge.EVENT_TYPES else None


@dataclass(eq=False)
class Registration:
    """One start-up/shut-down handler registration, in any of its four forms.

    ``form`` is "constructor" (an element of ``on_startup=[...]``), "decorator"
    (``@x.on_event(...)``), "call" (``x.on_event(...)(h)`` as a statement) or
    "add_event_handler" (``x.add_event_handler(...)`` as a statement).
    """

    event: str
    form: str
    line: int
    #: the handler expression; None for the decorator form (the handler is ``function``)
    handler: cst.BaseExpression | None
    #: the statement that registers: the expression statement, or the decorated def
    statement: cst.BaseStatement | None = None
    small: cst.Expr | None = None
    function: cst.FunctionDef | None = None
    decorator: cst.Decorator | None = None


@dataclass(frozen=True)
class Problem:
    """Why a target cannot be converted; ``escape``: the app is aliased or passed on."""

    line: int
    reason: str
    escape: bool = False


@dataclass(eq=False)
class Target:
    """A ``FastAPI(...)``/``APIRouter(...)`` call and everything registered on its result."""

    call: cst.Call
    is_router: bool
    line: int
    scope: Scope | None
    name: str | None = None
    #: ``self.app`` and the like: receivers the codemod does not follow
    dotted_name: str | None = None
    binding: BaseAssignment | None = None
    #: the statement creating it, before which the lifespan is inserted
    anchor: cst.SimpleStatementLine | None = None
    registrations: list[Registration] = field(default_factory=list)
    #: constructor arguments ``on_startup=``/``on_shutdown=`` (indices into call.args)
    event_args: list[int] = field(default_factory=list)
    #: reasons the target cannot be converted, with the line they concern
    problems: list[Problem] = field(default_factory=list)
    #: ``on_startup=``/``on_shutdown=`` hold handlers the codemod cannot list
    unknown_handlers: bool = False

    @property
    def kind(self) -> str:
        return "router" if self.is_router else "app"

    @property
    def has_handlers(self) -> bool:
        return bool(self.registrations) or self.unknown_handlers

    @property
    def label(self) -> str:
        return f"{self.kind} `{self.name}`" if self.name else f"{self.kind} created here"

    def lifespan_arg(self) -> cst.Arg | None:
        return keyword(self.call, "lifespan")

    def has_double_star(self) -> bool:
        return any(a.star == "**" for a in self.call.args)


@dataclass(eq=False)
class EngineSite:
    """An engine factory call, what the lint rules' shared code is told about it, its name."""

    call: cst.Call
    facts: knowledge.EngineCall
    kind: knowledge.EngineKind
    line: int
    #: innermost enclosing def or lambda; None at module level (class bodies included)
    function: cst.FunctionDef | cst.Lambda | None
    #: dotted target it is assigned to (``engine``, ``app.state.engine``)
    name: str | None
    returned: bool


@dataclass(eq=False)
class ImportedName:
    """A name imported from a project module: maybe an engine created elsewhere."""

    node: cst.ImportFrom
    local: str
    qualname: str
    line: int
    engine_uses: int = 0
    #: called like a function: a function, not an engine
    called: bool = False
    #: registered as a handler (a function too), which the conversion turns into a plain
    #: reference the lint rules no longer see as one
    handler: bool = False


@dataclass(eq=False)
class StrayRegistration:
    """A registration on something this module does not create (a parameter, an import)."""

    line: int
    receiver: str
    event: str


@dataclass
class ModuleFacts:
    """Everything the planner needs about one module."""

    meta: Meta
    targets: list[Target] = field(default_factory=list)
    engines: list[EngineSite] = field(default_factory=list)
    imported: dict[str, ImportedName] = field(default_factory=dict)
    strays: list[StrayRegistration] = field(default_factory=list)
    #: dotted receivers of ``x.dispose()`` calls and their last component
    disposed: set[str] = field(default_factory=set)
    #: every identifier the module binds or reads: fresh names avoid all of them
    names: set[str] = field(default_factory=set)
    functions: dict[str, list[cst.FunctionDef]] = field(default_factory=dict)
    #: ``@x.on_event(...)`` decorators of FastAPI objects: they return the function as is
    event_decorators: set[cst.Decorator] = field(default_factory=set)
    imports_framework: bool = False
    #: the module imports alembic: its engines are throw-away (the lint rules skip it)
    imports_alembic: bool = False
    #: ``target = source`` bindings of names and attributes: source -> its other names
    aliases: dict[str, set[str]] = field(default_factory=dict)
    #: module-level ``name = f(...)`` statements: where a local factory's engine lands
    module_calls: list[tuple[str, cst.Call]] = field(default_factory=list)
    #: lines of imports of the project's own modules (relative, or neither standard
    #: library nor a known framework): importing one may register handlers on an app
    project_imports: list[int] = field(default_factory=list)

    def lifespan_functions(self) -> list[cst.FunctionDef]:
        """Functions named by a ``lifespan=`` argument, matched by name like the lint rules."""
        names = set()
        for target in self.targets:
            arg = target.lifespan_arg()
            if arg is not None and isinstance(arg.value, cst.Name) and arg.value.value != "None":
                referents = self.meta.referents(arg.value) or set()
                if not any(isinstance(getattr(r, "node", None), cst.Param) for r in referents):
                    names.add(arg.value.value)
        return [f for name in sorted(names) for f in self.functions.get(name, ())]

    def holds_lifecycle(self) -> bool:
        """Where FPR105 looks: an app, a lifespan, or shut-down handlers live here."""
        return (
            any(not t.is_router for t in self.targets)
            or bool(self.lifespan_functions())
            or any(r.event == "shutdown" for t in self.targets for r in t.registrations)
            or any(s.event == "shutdown" for s in self.strays)
        )

    def is_disposed(self, name: str | None) -> bool:
        """``name.dispose()`` is called, or the dispose of a name it was assigned to."""
        if name is None:
            return False
        names = {name, *self.aliases.get(name, ())}
        return any(n in self.disposed or n.rsplit(".", 1)[-1] in self.disposed for n in names)


class FactCollector(cst.CSTVisitor):
    """One walk over the module that records targets, registrations, engines and names."""

    def __init__(self, meta: Meta) -> None:
        super().__init__()
        self.meta = meta
        self.facts = ModuleFacts(meta)
        #: registrations whose receiver is resolved once all targets are known
        self._pending: list[tuple[cst.BaseExpression, Registration]] = []
        #: event-API uses that are no registration the codemod understands
        self._odd_uses: list[cst.Attribute] = []

    # --- names ---------------------------------------------------------------

    def visit_Name(self, node: cst.Name) -> None:
        self.facts.names.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)  # ``x.attr``: only ``x`` is a name of this module
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)  # a keyword's name is the callee's, not ours
        return False

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            top = (dotted(alias.name) or "").split(".")[0]
            self.facts.imports_framework |= top in knowledge.FRAMEWORK_MODULES
            self.facts.imports_alembic |= top == "alembic"
            self._note_project_import(node, top, level=0)

    def _note_project_import(self, node: cst.CSTNode, top: str, level: int) -> None:
        if level or not (top in sys.stdlib_module_names or top in knowledge.LIBRARY_PACKAGES):
            self.facts.project_imports.append(self.meta.line(node))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = dotted(node.module) if node.module is not None else ""
        level = len(node.relative)
        top = (module or "").split(".")[0]
        self._note_project_import(node, top, level)
        if level == 0:
            self.facts.imports_framework |= top in knowledge.FRAMEWORK_MODULES
            self.facts.imports_alembic |= top == "alembic"
        is_library = level == 0 and top in knowledge.LIBRARY_PACKAGES
        if is_library or isinstance(node.names, cst.ImportStar):
            return
        prefix = "." * level + (module or "")
        for alias in node.names:
            local = alias.evaluated_alias or alias.evaluated_name
            self.facts.imported[local] = ImportedName(
                node, local, f"{prefix}.{alias.evaluated_name}", self.meta.line(node)
            )

    def visit_Assign(self, node: cst.Assign) -> None:
        """Record aliases (``app.state.db = engine``) and module-level factory calls."""
        targets = [dotted(t.target) for t in node.targets]
        source = dotted(node.value)
        if source is not None:
            self.facts.aliases.setdefault(source, set()).update(t for t in targets if t)
        value = node.value
        if (
            isinstance(value, cst.Call)
            and isinstance(value.func, cst.Name)
            and len(targets) == 1
            and targets[0] is not None
            and "." not in targets[0]
            and isinstance(self.meta.scope(node), GlobalScope)
        ):
            self.facts.module_calls.append((targets[0], value))

    # --- calls ---------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        qualname = self.meta.qualname(node.func)
        if knowledge.is_app_factory(qualname) or knowledge.is_router_factory(qualname):
            self._target(node, knowledge.is_router_factory(qualname))
            return
        kind = knowledge.engine_kind(qualname)
        if kind is not None and qualname is not None:
            self._engine(node, qualname, kind)
            return
        func = node.func
        if isinstance(func, cst.Name) and func.value in self.facts.imported:
            self.facts.imported[func.value].called = True
        if not isinstance(func, cst.Attribute):
            return
        attr = func.attr.value
        if attr == "dispose":
            receiver = dotted(func.value)
            if receiver is not None:
                self.facts.disposed.update({receiver, receiver.rsplit(".", 1)[-1]})
        elif attr == "add_event_handler":
            self._add_event_handler(node, func)
        elif attr == "on_event":
            self._on_event_call(node, func)
        self._count_engine_uses(node, attr)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.facts.functions.setdefault(node.name.value, []).append(node)
        for decorator in node.decorators:
            call = decorator.decorator
            if m.matches(call, m.Call(func=m.Attribute(attr=m.Name("on_event")))):
                assert isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
                event = event_argument(call)
                if event is None:
                    continue
                registration = Registration(
                    event, "decorator", self.meta.line(decorator), None,
                    statement=node, function=node, decorator=decorator,
                )
                self._pending.append((call.func.value, registration))

    def _add_event_handler(self, call: cst.Call, func: cst.Attribute) -> None:
        event = event_argument(call)
        positional = [a for a in call.args if a.keyword is None and not a.star]
        handler = positional[1] if len(positional) > 1 else keyword(call, "func")
        statement = self._expression_statement(call)
        if event is None or handler is None or statement is None:
            self._odd_uses.append(func)
            return
        line, small = statement
        registration = Registration(
            event, "add_event_handler", self.meta.line(call), handler.value,
            statement=line, small=small,
        )
        self._pending.append((func.value, registration))

    def _on_event_call(self, call: cst.Call, func: cst.Attribute) -> None:
        parent = self.meta.parent(call)
        if isinstance(parent, cst.Decorator):
            return  # visit_FunctionDef handles it
        event = event_argument(call)
        outer = parent if isinstance(parent, cst.Call) and parent.func is call else None
        statement = self._expression_statement(outer) if outer is not None else None
        if event is None or outer is None or len(outer.args) != 1 or statement is None:
            self._odd_uses.append(func)
            return
        line, small = statement
        registration = Registration(
            event, "call", self.meta.line(call), outer.args[0].value,
            statement=line, small=small,
        )
        self._pending.append((func.value, registration))

    def _expression_statement(
        self, call: cst.Call
    ) -> tuple[cst.SimpleStatementLine | cst.SimpleStatementSuite, cst.Expr] | None:
        """The statement ``call`` is, when it is a whole expression statement."""
        expr = self.meta.parent(call)
        if not isinstance(expr, cst.Expr):
            return None
        line = self.meta.parent(expr)
        if isinstance(line, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            return line, expr
        return None

    # --- apps and routers ----------------------------------------------------

    def _target(self, call: cst.Call, is_router: bool) -> None:
        target = Target(call, is_router, self.meta.line(call), self.meta.scope(call))
        self.facts.targets.append(target)
        for index, arg in enumerate(call.args):
            name = arg.keyword.value if arg.keyword is not None else None
            if name not in knowledge.EVENT_KWARGS:
                continue
            target.event_args.append(index)
            self._constructor_registrations(target, arg, knowledge.EVENT_KWARGS[name])
        self._anchor(target)

    def _constructor_registrations(self, target: Target, arg: cst.Arg, event: str) -> None:
        value = arg.value
        if m.matches(value, m.Name("None")):
            return
        line = self.meta.line(value)
        if not isinstance(value, (cst.List, cst.Tuple)) or any(
            isinstance(element, cst.StarredElement) for element in value.elements
        ):
            target.unknown_handlers = True
            target.problems.append(Problem(
                line, f"`{arg.keyword.value if arg.keyword else ''}=` is not a literal list: "
                      "the codemod cannot see its handlers"
            ))
            return
        for element in value.elements:
            self._note_handler(element.value)
            # the lint rules report the list, so notes about its handlers point there too
            target.registrations.append(Registration(event, "constructor", line, element.value))

    def _anchor(self, target: Target) -> None:
        """Find the statement creating the target and the name it is bound to.

        Only ``name = FastAPI(...)``, ``name: T = FastAPI(...)`` and ``return FastAPI(...)``
        lines outside class bodies anchor a lifespan: the lifespan is defined just before.
        """
        parent = self.meta.parent(target.call)
        name: cst.BaseExpression | None = None
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
            name = parent.targets[0].target
        elif isinstance(parent, cst.AnnAssign) and parent.value is target.call:
            name = parent.target
        elif not isinstance(parent, cst.Return):
            return
        if name is not None and not isinstance(name, cst.Name):
            target.dotted_name = dotted(name)
        line = self.meta.parent(parent)
        if isinstance(target.scope, ClassScope) or not isinstance(line, cst.SimpleStatementLine):
            return
        if name is None:
            target.anchor = line
        elif isinstance(name, cst.Name) and target.scope is not None:
            target.anchor = line
            target.name = name.value
            target.binding = next(
                (a for a in target.scope.assignments[name.value]
                 if getattr(a, "node", None) is name),
                None,
            )

    # --- engines -------------------------------------------------------------

    def _engine(self, call: cst.Call, factory: str, kind: knowledge.EngineKind) -> None:
        parent = self.meta.parent(call)
        name = None
        if isinstance(parent, cst.Assign) and len(parent.targets) == 1:
            name = dotted(parent.targets[0].target)
        elif isinstance(parent, cst.AnnAssign):
            name = dotted(parent.target)
        self.facts.engines.append(
            EngineSite(
                call, self._engine_facts(call, factory), kind, self.meta.line(call),
                self.meta.enclosing_function(call), name, isinstance(parent, cst.Return),
            )
        )

    def _engine_facts(self, call: cst.Call, factory: str) -> knowledge.EngineCall:
        positional = [a for a in call.args if a.keyword is None and not a.star]
        url = positional[0] if positional else keyword(call, "url")
        poolclass = keyword(call, "poolclass")
        return knowledge.EngineCall(
            factory=factory,
            url=self._literal_url(url.value) if url is not None else None,
            keywords=frozenset(a.keyword.value for a in call.args if a.keyword is not None),
            has_double_star=any(a.star == "**" for a in call.args),
            poolclass=None if poolclass is None else self._import_qualname(poolclass.value),
            url_prefix=formatted_prefix(url.value) if url is not None else None,
        )

    def _import_qualname(self, node: cst.BaseExpression) -> str:
        """A qualified name only when an import provides it (``""`` like the lint rules)."""
        head = head_name(node)
        referents = self.meta.referents(head) if head is not None else None
        if not referents or any(getattr(r, "node", None) is None for r in referents):
            return ""
        if not all(isinstance(r.node, (cst.Import, cst.ImportFrom)) for r in referents):
            return ""
        return self.meta.qualname(node) or ""

    def _literal_url(self, node: cst.BaseExpression) -> str | None:
        """A string literal, or a module-level name bound exactly once to one."""
        literal = string_value(node)
        if literal is not None or not isinstance(node, cst.Name):
            return literal
        referents = self.meta.referents(node)
        if not referents or len(referents) != 1:
            return None
        (binding,) = referents
        if not isinstance(binding.scope, GlobalScope) or isinstance(binding, BuiltinAssignment):
            return None
        value = self.meta.parent(binding.node)
        if isinstance(value, cst.AssignTarget):
            value = self.meta.parent(value)
        if isinstance(value, (cst.Assign, cst.AnnAssign)):
            return string_value(value.value)
        return None

    def _count_engine_uses(self, call: cst.Call, attr: str) -> None:
        """Imported names used the way engines are used, as the lint rules count them."""
        if not self.facts.imported:
            return
        func = call.func
        candidates = [a.value for a in call.args if a.keyword and a.keyword.value == "bind"]
        if attr in knowledge.ENGINE_METHODS and isinstance(func, cst.Attribute):
            candidates.append(func.value)
        if attr in knowledge.ENGINE_CONSUMERS and call.args:
            candidates.append(call.args[0].value)
        for node in candidates:
            if isinstance(node, cst.Name) and node.value in self.facts.imported:
                self.facts.imported[node.value].engine_uses += 1

    # --- after the walk --------------------------------------------------------

    def leave_Module(self, original_node: cst.Module) -> None:
        for receiver, registration in self._pending:
            self._attach(receiver, registration)
        for attribute in self._odd_uses:
            target = self._resolve(attribute.value)
            if target is not None:
                target.problems.append(Problem(
                    self.meta.line(attribute),
                    f"`.{attribute.attr.value}(...)` used in a form the codemod does not "
                    "convert (a computed event, a handler it cannot see)",
                ))
        for target in self.facts.targets:
            self._check_uses(target)
            self._check_imports(target)

    def _check_imports(self, target: Target) -> None:
        """A project module imported between the app's creation and its own registrations
        may register handlers on it (``from .main import app`` there): their place among
        the app's own handlers is unknown, so the app is refused unless the import comes
        after every registration (then its handlers ran last, as the lifespan runs them)."""
        for line in self.facts.project_imports:
            if line > target.line and target.registrations:
                target.problems.append(Problem(
                    line,
                    "a project module imported here, after the app is created, may register "
                    "handlers on it: their order among the app's own cannot be kept",
                    escape=True,
                ))

    def _note_handler(self, handler: cst.BaseExpression | None) -> None:
        """``engine.dispose`` registered as a handler disposes it; an imported name
        registered as a handler is a function (both as the lint rules see it)."""
        if isinstance(handler, cst.Attribute) and handler.attr.value == "dispose":
            receiver = dotted(handler.value)
            if receiver is not None:
                self.facts.disposed.update({receiver, receiver.rsplit(".", 1)[-1]})
        elif isinstance(handler, cst.Name) and handler.value in self.facts.imported:
            self.facts.imported[handler.value].handler = True

    def _attach(self, receiver: cst.BaseExpression, registration: Registration) -> None:
        self._note_handler(registration.handler)
        target = self._resolve(receiver)
        if target is None:
            if not self._is_framework_receiver(receiver):
                return
            self.facts.strays.append(
                StrayRegistration(registration.line, self.meta.code(receiver),
                                  registration.event)
            )
        else:
            target.registrations.append(registration)
        if registration.decorator is not None:
            self.facts.event_decorators.add(registration.decorator)

    def _resolve(self, receiver: cst.BaseExpression) -> Target | None:
        """The target an ``app``/``router``/``app.router`` receiver names, by its binding."""
        via_router = m.matches(receiver, m.Attribute(value=m.Name(), attr=m.Name("router")))
        if via_router:
            assert isinstance(receiver, cst.Attribute)
            receiver = receiver.value
        if not isinstance(receiver, cst.Name):
            return None
        referents = self.meta.referents(receiver) or set()
        for target in self.facts.targets:
            if target.binding is None or target.binding not in referents:
                continue
            if via_router and target.is_router:
                return None
            if len(referents) > 1:
                target.problems.append(
                    Problem(self.meta.line(receiver), f"`{target.name}` is bound more than once")
                )
            return target
        return None

    def _is_framework_receiver(self, receiver: cst.BaseExpression) -> bool:
        """Mirror of the lint rules' "unknown receiver": they report it, so we must too."""
        name = dotted(receiver)
        if name is None:
            return False
        head = name.split(".", 1)[0]
        head_node = head_name(receiver)
        referents = self.meta.referents(head_node) if head_node is not None else None
        is_import = any(
            isinstance(getattr(r, "node", None), (cst.Import, cst.ImportFrom))
            for r in referents or ()
        )
        if not self.facts.imports_framework:
            return is_import  # ``from .core.application import app``: FastAPI's, most likely
        is_param = any(isinstance(getattr(r, "node", None), cst.Param) for r in referents or ())
        if is_import or is_param or head == "self" or name in ("app", "router", "app.router"):
            return True
        owner = name.removesuffix(".router")
        if any(t.dotted_name in (name, owner) for t in self.facts.targets):
            return True
        return any(self._app_subclass_instance(r) for r in referents or ())

    def _app_subclass_instance(self, binding: BaseAssignment) -> bool:
        """``app = MyApp()`` where ``class MyApp(FastAPI)``: the lint rules follow it."""
        node = getattr(binding, "node", None)
        statement = self.meta.parent(node) if node is not None else None
        if isinstance(statement, cst.AssignTarget):
            statement = self.meta.parent(statement)
        value = getattr(statement, "value", None)
        if not isinstance(value, cst.Call) or not isinstance(value.func, cst.Name):
            return False
        referents = self.meta.referents(value.func) or set()
        classes = [getattr(r, "node", None) for r in referents]
        return any(
            isinstance(c, cst.ClassDef) and self._derives_from_framework(c) for c in classes
        )

    def _derives_from_framework(self, cls: cst.ClassDef, depth: int = 0) -> bool:
        for base in cls.bases:
            qualname = self.meta.qualname(base.value)
            if knowledge.is_app_factory(qualname) or knowledge.is_router_factory(qualname):
                return True
            if depth < 5 and isinstance(base.value, cst.Name):
                for referent in self.meta.referents(base.value) or ():
                    parent = getattr(referent, "node", None)
                    if isinstance(parent, cst.ClassDef) and self._derives_from_framework(
                        parent, depth + 1
                    ):
                        return True
        return False

    def _check_uses(self, target: Target) -> None:
        """Refuse targets used in ways that could register handlers we cannot see."""
        if target.binding is None:
            return
        owned = {
            id(node)
            for r in target.registrations
            for node in (r.handler, r.decorator, r.small)
            if node is not None
        }
        for access in target.binding.references:
            node = access.node
            if any(id(a) in owned for a in [node, *self.meta.ancestors(node)]):
                continue
            problem = self._use_problem(target, node)
            if problem is not None:
                target.problems.append(problem)

    def _use_problem(self, target: Target, node: cst.CSTNode) -> Problem | None:
        parent = self.meta.parent(node)
        line = self.meta.line(node)
        if isinstance(parent, cst.Attribute) and parent.value is node:
            reason = self._attribute_problem(target, parent)
            return None if reason is None else Problem(line, reason)
        if isinstance(parent, cst.Arg) and parent.value is node:
            reason = self._argument_problem(target, parent)
            return None if reason is None else Problem(line, reason, escape=True)
        if not isinstance(parent, _ESCAPES):
            return None  # returned, tested, compared: nothing can register through that
        return Problem(
            line,
            f"`{target.name}` is aliased or stored here, before its own handlers are "
            "registered: handlers registered through the other name would run out of order",
            escape=True,
        )

    def _attribute_problem(self, target: Target, attribute: cst.Attribute) -> str | None:
        attr = attribute.attr.value
        if attr == "router" and not target.is_router:
            outer = self.meta.parent(attribute)
            if isinstance(outer, cst.Attribute) and outer.value is attribute:
                attr = outer.attr.value
            else:
                return f"`{target.name}.router` is passed on or stored"
        if attr in EVENT_ATTRIBUTES:
            return f"`.{attr}` is used directly"
        return None

    def _argument_problem(self, target: Target, arg: cst.Arg) -> str | None:
        call = self.meta.parent(arg)
        assert isinstance(call, cst.Call)
        func = call.func
        if target.is_router and m.matches(func, m.Attribute(attr=m.Name("include_router"))):
            return None
        qualname = self.meta.qualname(func) or ""
        if qualname.startswith("builtins.") or qualname in INERT_CALLEES:
            return None
        if not isinstance(self.meta.parent(call), cst.Expr):
            return None  # called for its result, like ``create_start_app_handler(app)``
        if isinstance(func, cst.Name) and self._inert_local_function(func):
            return None
        return (
            f"`{target.name}` is passed to `{self.meta.code(func)}(...)` before its own handlers "
            "are registered: handlers that call registers would run out of order"
        )

    def _inert_local_function(self, func: cst.Name) -> bool:
        """A function of this module that cannot register handlers on what it is given."""
        referents = self.meta.referents(func) or set()
        if len(referents) != 1:
            return False
        (binding,) = referents
        definition = getattr(binding, "node", None)
        if not isinstance(definition, cst.FunctionDef):
            return False
        if m.findall(definition, m.Attribute(attr=m.Name("router"))) or m.findall(
            definition,
            m.Attribute(attr=m.OneOf(*(m.Name(a) for a in EVENT_ATTRIBUTES))),
        ):
            return False
        params = {p.name.value for p in _all_params(definition.params)}
        passed = m.findall(
            definition.body,
            m.Arg(value=m.Name(value=m.MatchIfTrue(lambda v: v in params))),
        )
        return not passed


def _all_params(params: cst.Parameters) -> list[cst.Param]:
    star = [params.star_arg] if isinstance(params.star_arg, cst.Param) else []
    kwarg = [params.star_kwarg] if params.star_kwarg is not None else []
    return [*params.posonly_params, *params.params, *star, *params.kwonly_params, *kwarg]


def collect(module: cst.Module) -> ModuleFacts:
    """Parse-free entry point: wrap, resolve metadata once, walk once."""
    collector = FactCollector(Meta(MetadataWrapper(module, unsafe_skip_copy=True)))
    module.visit(collector)
    return collector.facts
