"""Turning one app's or router's handler registrations into a lifespan, or refusing to.

FastAPI 0.165 runs start-up handlers in list order: the constructor's ``on_startup``
first, then every ``on_event``/``add_event_handler`` registration in the order it
happened; shut-down handlers the same way, not reversed (docs/framework-facts.md §1).
It awaits async handlers and calls sync ones directly on the event-loop thread (§4).
The generated lifespan does exactly that, without ``try``/``finally``, so a start-up
handler that raises still skips the rest and every shut-down handler (§5).

Handlers are called, never inlined, so what they close over keeps working. A handler
expression that is not a plain, stable reference (a factory call such as
``create_start_app_handler(app)``) is evaluated where it was registered and bound to a
fresh name; registrations that run conditionally (under ``if``, in loops, after an
early ``return``) append to a list at the registration point, which the lifespan walks.
Whatever cannot be converted with certainty leaves the whole app untouched.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import libcst as cst
import libcst.matchers as m
from libcst.metadata import BuiltinAssignment, FunctionScope

from flake8_fastapi_prod import knowledge

from .lifespan_facts import (
    ASYNCCONTEXTMANAGER,
    FUNCTOOLS_PARTIAL,
    Meta,
    ModuleFacts,
    Registration,
    Target,
    dotted,
    keyword,
)
from .lifespan_rewrite import (
    remove_statement,
    CallEdit,
    Edits,
    Lines,
    Namer,
    Note,
    Options,
    Report,
    append_arguments,
    blank_lines,
    keyword_argument,
    parse_statements,
    remove_arguments,
    render,
)

_LOOPS = (cst.For, cst.While, cst.CompFor)
_SCOPE_NODES = (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.Module)
_ON_EVENT = m.Call(func=m.Attribute(attr=m.Name("on_event")))


class Kind(enum.Enum):
    """Whether calling a handler gives something to await."""

    SYNC = "sync"
    ASYNC = "async"
    UNKNOWN = "unknown"


class Refuse(Exception):
    """Leave the target untouched: raised wherever certainty ends (``line`` None: the target's)."""

    def __init__(self, line: int | None, reason: str) -> None:
        super().__init__(reason)
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
    #: the existing lifespan, as a format string taking the parameter name
    existing: str | None = None
    #: names the lifespan body reads, which its parameter must not shadow
    reads: set[str] = field(default_factory=set)
    edits: Edits = field(default_factory=Edits)


class ImportRefs:
    """How the module can name ``asynccontextmanager``/``isawaitable``/``FastAPI``.

    An existing import (or alias) is reused; otherwise the import is requested from
    libcst's ``AddImportsVisitor``, which never duplicates one.
    """

    def __init__(self, facts: ModuleFacts, namer: Namer) -> None:
        self.meta = facts.meta
        self.namer = namer
        self.needed: list[tuple[str, str | None]] = []
        self._cache: dict[tuple[str, str], str | None] = {}

    def asynccontextmanager(self) -> str | None:
        return self._reference("contextlib", "asynccontextmanager", prefer_from=True)

    def isawaitable(self) -> str | None:
        return self._reference("inspect", "isawaitable", prefer_from=False)

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


class _Reads(cst.CSTVisitor):
    """The names an expression reads (not attribute or keyword names)."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        node.value.visit(self)
        return False

    def visit_Arg(self, node: cst.Arg) -> bool:
        node.value.visit(self)
        return False


def reads(node: cst.CSTNode) -> set[str]:
    visitor = _Reads()
    node.visit(visitor)
    return visitor.names


def handler_argument(call: cst.Call, form: str) -> cst.BaseExpression:
    """The handler of an ``add_event_handler``/``on_event(...)(h)`` call (updated tree)."""
    if form == "call":
        return call.args[0].value
    positional = [a for a in call.args if a.keyword is None and not a.star]
    arg = positional[1] if len(positional) > 1 else keyword(call, "func")
    assert arg is not None
    return arg.value


class Planner:
    """Plans lifespans for a module's targets; refusals go to the report, not the code."""

    def __init__(
        self, facts: ModuleFacts, options: Options, report: Report, namer: Namer,
        refs: ImportRefs,
    ) -> None:
        self.facts = facts
        self.meta: Meta = facts.meta
        self.options = options
        self.report = report
        self.namer = namer
        self.refs = refs
        self.specs: dict[Target, Spec] = {}
        self.refused: set[Target] = set()
        self._result: str | None = None
        self._loop_variable: str | None = None

    # --- entry points ------------------------------------------------------------

    def plan(self, target: Target) -> Spec | None:
        """The target's lifespan, or None (and a refusal note) when it must stay as is."""
        if target in self.specs:
            return self.specs[target]
        if target in self.refused:
            return None
        try:
            spec = self._plan(target)
        except Refuse as refusal:
            self.refused.add(target)
            self.report.refused.extend(refusal_notes(self.meta, target, refusal))
            return None
        self.specs[target] = spec
        return spec

    def _plan(self, target: Target) -> Spec:
        self._check_target(target)
        candidates = ["lifespan", f"{target.name}_lifespan"] if target.name else ["lifespan"]
        spec = Spec(target, self.namer.fresh(*candidates))
        spec.existing = self._existing_lifespan(target)
        for event in knowledge.EVENT_TYPES:
            self._plan_event(target, spec, event)
        return spec

    def _check_target(self, target: Target) -> None:
        if target.problems:
            line, reason = target.problems[0]
            raise Refuse(line, reason)
        if target.anchor is None:
            raise Refuse(
                target.line,
                f"the {target.kind} is not created by a plain `name = ...` or `return ...` "
                "statement, so there is no place to define its lifespan",
            )
        if target.has_double_star():
            raise Refuse(target.line, "`**kwargs` passed to it may already carry `lifespan=`")
        if self.refs.asynccontextmanager() is None:
            raise Refuse(target.line, "`asynccontextmanager` is bound to something else here")

    def _existing_lifespan(self, target: Target) -> str | None:
        """How to enter the lifespan the target already has, or None when it has none."""
        arg = target.lifespan_arg()
        if arg is None or m.matches(arg.value, m.Name("None")):
            return None
        value = arg.value
        line = self.meta.line(arg)
        if isinstance(value, cst.Name) and self._is_parameter(value):
            raise Refuse(line, "its `lifespan=` comes from a parameter: whether the handlers "
                               "run depends on the caller")
        if target.registrations and self.options.keep_ignored_handlers:
            raise Refuse(line, "it already has `lifespan=`, so FastAPI never runs its handlers "
                               f"{handler_names(self.meta, target)}; --keep-ignored-handlers "
                               "keeps it that way")
        definition = self.function_of(value)
        if definition is not None:
            decorators = [d.decorator for d in definition.decorators]
            if len(decorators) == 1 and self.meta.qualname(decorators[0]) == ASYNCCONTEXTMANAGER:
                return f"{dotted(value)}({{}})"
            if not decorators and definition.asynchronous and self._yields(definition):
                acm = self.refs.asynccontextmanager()
                return f"{acm}({dotted(value)})({{}})"
        raise Refuse(line, f"cannot tell how FastAPI enters the existing lifespan "
                           f"`{self.meta.code(value)}` (not an async generator function or an "
                           "`@asynccontextmanager` of this module)")

    # --- one event -----------------------------------------------------------------

    def _plan_event(self, target: Target, spec: Spec, event: str) -> None:
        registrations = [r for r in target.registrations if r.event == event]
        lines = spec.startup if event == "startup" else spec.shutdown
        later = [r for r in registrations if r.form != "constructor"]
        for registration in registrations:
            if registration.form == "constructor":
                lines.extend(self._constructor_handler(registration, spec))
            else:
                self._check_registration(target, registration)
        if not later:
            return
        if all(self._is_direct(target, r) for r in later):
            for registration in later:
                lines.extend(self._direct(registration, spec))
            return
        handlers = self.namer.fresh(f"{event}_handlers")
        spec.preamble.append(f"{handlers}: list = []")
        for registration in later:
            self._collect(registration, handlers, spec)
        variable = self._loop_name()
        lines.append((0, f"for {variable} in {handlers}:"))
        lines.extend((depth + 1, text) for depth, text in self._invoke(variable, Kind.UNKNOWN))

    def _constructor_handler(self, registration: Registration, spec: Spec) -> Lines:
        assert registration.handler is not None
        inline = self._inline(registration.handler, spec)
        if inline is None:
            raise Refuse(
                registration.line,
                f"the constructor handler `{self.meta.code(registration.handler)}` is not a "
                "plain reference, lambda or functools.partial: calling it later could "
                "evaluate it differently",
            )
        return inline

    def _check_registration(self, target: Target, registration: Registration) -> None:
        node = registration.small or registration.decorator
        assert node is not None and target.anchor is not None
        if self.meta.scope(node) is not target.scope:
            raise Refuse(registration.line, "a handler is registered inside a nested function "
                                            "or class, which may run any number of times")
        if registration.line < self.meta.line(target.anchor):
            raise Refuse(registration.line, "a handler is registered before the "
                                            f"{target.kind} is created")
        if registration.function is not None:
            self._check_decorators(registration)

    def _check_decorators(self, registration: Registration) -> None:
        """``@x.on_event`` must sit above every other decorator: then the name is the handler."""
        function = registration.function
        assert function is not None
        for decorator in function.decorators:
            if decorator is registration.decorator:
                return
            if not m.matches(decorator.decorator, _ON_EVENT):
                raise Refuse(
                    registration.line,
                    f"`{function.name.value}` is decorated by "
                    f"`@{self.meta.code(decorator.decorator)}` after registration, so the "
                    "registered function is not what the name holds",
                )

    def _is_direct(self, target: Target, registration: Registration) -> bool:
        """Runs exactly once, right after the target is created, in the same block."""
        statement = registration.statement
        assert statement is not None and target.anchor is not None
        if self.meta.parent(statement) is not self.meta.parent(target.anchor):
            return False
        if not isinstance(target.scope, FunctionScope):
            return True
        first, last = self.meta.line(target.anchor), registration.line
        exits = m.findall(target.scope.node, m.Return() | m.Raise())
        return not any(
            first < self.meta.line(node) < last and self.meta.scope(node) is target.scope
            for node in exits
        )

    def _direct(self, registration: Registration, spec: Spec) -> Lines:
        """Call the handler in place of the registration, which disappears."""
        if registration.function is not None:
            function = registration.function
            assert registration.decorator is not None
            if not self._single_binding(function):
                raise Refuse(registration.line, f"`{function.name.value}` is bound more than "
                                                "once, so the name may not hold the handler")
            spec.edits.drop_decorators.add(registration.decorator)
            return self._invoke(function.name.value, self._definition_kind(function))
        assert registration.handler is not None and registration.small is not None
        inline = self._inline(registration.handler, spec)
        if inline is not None:
            spec.edits.small[registration.small] = remove_statement
            return inline
        name = self.namer.fresh(*_binding_names(registration))
        form = registration.form
        spec.edits.small[registration.small] = lambda new: _bind(new, name, form)
        return self._invoke(name, Kind.UNKNOWN)

    def _collect(self, registration: Registration, handlers: str, spec: Spec) -> None:
        """Append the handler to ``handlers`` exactly where (and whenever) it was registered."""
        if registration.function is not None:
            assert registration.decorator is not None
            spec.edits.drop_decorators.add(registration.decorator)
            function = registration.function
            top_level = isinstance(self.meta.parent(function), cst.Module)
            (statement,) = parse_statements(
                f"{handlers}.append({function.name.value})\n", self.meta.module
            )
            spec.edits.after[function] = [
                statement.with_changes(leading_lines=blank_lines(2 if top_level else 0))
            ]
            return
        assert registration.small is not None
        form = registration.form
        spec.edits.small[registration.small] = lambda new: _append(new, handlers, form)

    # --- handler expressions -----------------------------------------------------------

    def _inline(self, handler: cst.BaseExpression, spec: Spec) -> Lines | None:
        """Code calling a handler that is the same object at start-up as at registration."""
        if isinstance(handler, cst.Lambda):
            if _has_parameters(handler.params):
                return None
            spec.reads |= reads(handler.body)
            body = self.meta.code(handler.body).strip()
            return [(0, f"({body})" if "\n" in body else body)]  # sync: FastAPI only calls it
        call = self._partial_call(handler)
        if call is not None and isinstance(handler, cst.Call):
            spec.reads |= reads(handler)
            return self.invoke_call(call, self._reference_kind(handler.args[0].value))
        if self._stable(handler) and dotted(handler) is not None:
            spec.reads |= reads(handler)
            return self._invoke(dotted(handler) or "", self._reference_kind(handler))
        return None

    def _partial_call(self, handler: cst.BaseExpression) -> str | None:
        """``functools.partial(f, a, k=v)`` as the call ``f(a, k=v)``, when all is stable."""
        if not isinstance(handler, cst.Call) or not handler.args:
            return None
        if self.meta.qualname(handler.func) != FUNCTOOLS_PARTIAL:
            return None
        first, *rest = handler.args
        if first.keyword is not None or first.star or dotted(first.value) is None:
            return None
        if not all(self._stable(a.value) and not a.star for a in handler.args):
            return None
        arguments = ", ".join(
            f"{a.keyword.value}={self.meta.code(a.value)}" if a.keyword else self.meta.code(a.value)
            for a in rest
        )
        return f"{dotted(first.value)}({arguments})"

    def _stable(self, node: cst.BaseExpression) -> bool:
        """Evaluating it at start-up gives what evaluating it at registration gave."""
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float)):
            return True
        if isinstance(node, cst.Attribute):
            return self._stable(node.value)
        if not isinstance(node, cst.Name):
            return False
        referents = self.meta.referents(node)
        if referents is None:
            return False
        if all(isinstance(r, BuiltinAssignment) for r in referents):
            return True
        if len(referents) != 1:
            return False
        (binding,) = referents
        return not self._in_loop(binding.node)  # type: ignore[attr-defined]

    def _in_loop(self, node: cst.CSTNode) -> bool:
        for ancestor in self.meta.ancestors(node):
            if isinstance(ancestor, _LOOPS):
                return True
            if isinstance(ancestor, _SCOPE_NODES):
                return False
        return False

    def _reference_kind(self, node: cst.BaseExpression) -> Kind:
        if not isinstance(node, cst.Name):
            return Kind.UNKNOWN
        referents = self.meta.referents(node) or set()
        if referents and all(isinstance(r, BuiltinAssignment) for r in referents):
            return Kind.SYNC
        definition = self.function_of(node)
        return Kind.UNKNOWN if definition is None else self._definition_kind(definition)

    def _definition_kind(self, function: cst.FunctionDef) -> Kind:
        """Plain (or only ``on_event``-decorated) defs are what they say; others are unknown."""
        if not all(m.matches(d.decorator, _ON_EVENT) for d in function.decorators):
            return Kind.UNKNOWN
        if not function.asynchronous:
            return Kind.SYNC
        return Kind.UNKNOWN if self._yields(function) else Kind.ASYNC

    def _invoke(self, reference: str, kind: Kind) -> Lines:
        return self.invoke_call(f"{reference}()", kind)

    def invoke_call(self, call: str, kind: Kind) -> Lines:
        """Await async handlers, call sync ones; otherwise do what Starlette did."""
        if kind is Kind.ASYNC:
            return [(0, f"await {call}")]
        if kind is Kind.SYNC:
            return [(0, call)]
        isawaitable = self.refs.isawaitable()
        if isawaitable is None:
            raise Refuse(None, "`inspect` is bound to something else here")
        result = self._result_name()
        return [(0, f"if {isawaitable}({result} := {call}):"), (1, f"await {result}")]

    def _result_name(self) -> str:
        if self._result is None:
            self._result = self.namer.fresh("result")
        return self._result

    def _loop_name(self) -> str:
        if self._loop_variable is None:
            self._loop_variable = self.namer.fresh("handler")
        return self._loop_variable

    # --- bindings -------------------------------------------------------------------

    def function_of(self, node: cst.BaseExpression) -> cst.FunctionDef | None:
        """The one ``def`` of this module a name refers to."""
        if not isinstance(node, cst.Name):
            return None
        referents = self.meta.referents(node) or set()
        if len(referents) != 1:
            return None
        (binding,) = referents
        definition = getattr(binding, "node", None)
        return definition if isinstance(definition, cst.FunctionDef) else None

    def _single_binding(self, function: cst.FunctionDef) -> bool:
        scope = self.meta.scope(function)
        if scope is None:
            return False
        name = function.name.value
        return len([a for a in scope.assignments[name] if a.scope is scope]) == 1

    def _is_parameter(self, name: cst.Name) -> bool:
        referents = self.meta.referents(name) or set()
        return any(isinstance(getattr(r, "node", None), cst.Param) for r in referents)

    def _yields(self, function: cst.FunctionDef) -> bool:
        return any(
            self.meta.enclosing_function(node) is function
            for node in m.findall(function.body, m.Yield())
        )

    # --- rendering --------------------------------------------------------------------

    def finish(self, spec: Spec, edits: Edits) -> None:
        """Render the lifespan before the anchor and wire it into the constructor."""
        target = spec.target
        assert target.anchor is not None
        module = self.meta.module
        parameter = self._parameter(spec)
        statements = parse_statements(
            render(self._lines(spec, parameter), module.default_indent, module.default_newline),
            module,
        )
        top_level = isinstance(self.meta.parent(target.anchor), cst.Module)
        gap = blank_lines(2 if top_level else 1)
        leading = list(target.anchor.leading_lines)
        blank_prefix: list[cst.EmptyLine] = []
        while leading and leading[0].comment is None:
            blank_prefix.append(leading.pop(0))
        first = gap if top_level and len(blank_prefix) < len(gap) else blank_prefix
        preamble = len(spec.preamble)
        statements = [
            s.with_changes(leading_lines=first if i == 0 else gap if i == preamble else [])
            for i, s in enumerate(statements)
        ]
        spec.edits.before[target.anchor] = statements
        spec.edits.leading[target.anchor] = [*gap, *leading]
        spec.edits.edit_call(target.call, self._constructor_edit(spec))
        edits.merge(spec.edits)

    def _parameter(self, spec: Spec) -> str:
        """``app``, unless the body reads another ``app`` that the parameter would shadow."""
        target = spec.target
        if "app" not in spec.reads or (not target.is_router and target.name == "app"):
            return "app"
        return self.namer.fresh("app_", "application")

    def _lines(self, spec: Spec, parameter: str) -> Lines:
        target = spec.target
        acm = self.refs.asynccontextmanager()
        annotation = (
            self.meta.code(target.call.func) if not target.is_router else self.refs.fastapi()
        )
        signature = f"{parameter}: {annotation}" if annotation else parameter
        lines: Lines = [(0, text) for text in spec.preamble]
        lines += [(0, f"@{acm}"), (0, f"async def {spec.name}({signature}):")]
        if spec.existing is None:
            body = [*spec.startup, (0, "yield"), *spec.shutdown]
        else:
            state = self.namer.fresh("state")
            body = [(0, f"async with {spec.existing.format(parameter)} as {state}:")]
            inner = [*spec.startup, (0, f"yield {state}"), *spec.shutdown]
            body += [(depth + 1, text) for depth, text in inner]
        body += spec.disposes
        return lines + [(depth + 1, text) for depth, text in body]

    def _constructor_edit(self, spec: Spec) -> CallEdit:
        """Swap ``on_startup=``/``on_shutdown=`` for ``lifespan=`` (or point it at the new one)."""
        target = spec.target
        existing = target.lifespan_arg()
        existing_index = None if existing is None else list(target.call.args).index(existing)
        removed = set(target.event_args)
        name = spec.name

        def edit(call: cst.Call) -> cst.Call:
            args = list(call.args)
            if existing_index is not None:
                args[existing_index] = args[existing_index].with_changes(
                    value=cst.Name(name)
                )
                return remove_arguments(call.with_changes(args=args), removed)
            if removed:
                first = min(removed)
                args[first] = args[first].with_changes(
                    keyword=cst.Name("lifespan"), value=cst.Name(name)
                )
                return remove_arguments(call.with_changes(args=args), removed - {first})
            return append_arguments(call, [keyword_argument("lifespan", name)])

        return edit


def _has_parameters(params: cst.Parameters) -> bool:
    return bool(
        params.params or params.posonly_params or params.kwonly_params
        or params.star_kwarg or isinstance(params.star_arg, cst.Param)
    )


def _binding_names(registration: Registration) -> list[str]:
    """``create_start_app_handler(app)`` -> ``start_app_handler``; else ``startup_handler``."""
    handler = registration.handler
    fallback = f"{registration.event}_handler"
    if not isinstance(handler, cst.Call):
        return [fallback]
    callee = dotted(handler.func)
    if callee is None:
        return [fallback]
    base = callee.rsplit(".", 1)[-1]
    for prefix in ("create_", "make_", "build_", "get_"):
        if base.startswith(prefix) and len(base) > len(prefix):
            base = base[len(prefix):]
            break
    if not base.endswith("handler"):
        base += "_handler"
    return [base, fallback]


def _bind(statement: cst.BaseSmallStatement, name: str, form: str) -> cst.BaseSmallStatement:
    """``x.add_event_handler("startup", make())`` -> ``name = make()``, evaluated in place."""
    assert isinstance(statement, cst.Expr) and isinstance(statement.value, cst.Call)
    return cst.Assign(
        targets=[cst.AssignTarget(cst.Name(name))],
        value=handler_argument(statement.value, form),
        semicolon=statement.semicolon,
    )


def _append(statement: cst.BaseSmallStatement, handlers: str, form: str) -> cst.BaseSmallStatement:
    """``x.add_event_handler("startup", h)`` -> ``handlers.append(h)``, evaluated in place."""
    assert isinstance(statement, cst.Expr) and isinstance(statement.value, cst.Call)
    handler = handler_argument(statement.value, form)
    call = cst.Call(
        func=cst.Attribute(cst.Name(handlers), cst.Name("append")), args=[cst.Arg(handler)]
    )
    return statement.with_changes(value=call)


def handler_names(meta: Meta, target: Target) -> str:
    """The handlers of a target as notes name them."""
    return ", ".join(_handler_label(meta, r) for r in target.registrations)


def refusal_notes(meta: Meta, target: Target, refusal: Refuse) -> list[Note]:
    """The reason once, then every registration that stays, at the line the lint reports."""
    line = target.line if refusal.line is None else refusal.line
    lifespan = target.lifespan_arg()
    ignored = ("FPR103",) if lifespan is not None and not m.matches(
        lifespan.value, m.Name("None")
    ) else ()
    unknown = ("FPR102", *ignored) if target.unknown_handlers else ()
    notes = [Note(line, f"{target.label} left untouched: {refusal.reason}", unknown)]
    for registration in target.registrations:
        codes = ("FPR102",) if registration.form == "constructor" else ("FPR101",)
        codes += ignored
        name = _handler_label(meta, registration)
        text = f"{registration.event} handler {name} stays registered"
        if registration.line != line:
            text += f" ({target.label} is left untouched, see line {line})"
        notes.append(Note(registration.line, text, codes))
    return notes


def _handler_label(meta: Meta, registration: Registration) -> str:
    if registration.function is not None:
        return f"`{registration.function.name.value}`"
    assert registration.handler is not None
    code = meta.code(registration.handler).strip()
    return f"`{code}`" if "\n" not in code and len(code) <= 60 else "(an expression)"
