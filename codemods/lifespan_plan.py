"""Deciding how one app's or router's handler registrations become a lifespan, or refusing.

FastAPI 0.165 runs start-up handlers in list order: the constructor's ``on_startup``
first, then every ``on_event``/``add_event_handler`` registration in the order it
happened; shut-down handlers the same way, not reversed (docs/framework-facts.md §1),
all on the event-loop thread (§4).  The lifespan does the same, without
``try``/``finally``, so a start-up handler that raises still skips the rest and every
shut-down handler (§5).

The lifespan calls exactly the objects FastAPI would have called.  A plain name bound
once, or a lambda (its body runs at call time either way), is called where it stands;
anything FastAPI evaluated at registration (``partial(f, settings.x)``, ``self.on_start``,
``create_start_app_handler(app)``) is bound to a fresh name where it was registered.
Registrations that run conditionally (under ``if``, in loops, after an early
``return``) append to a list at the registration point instead.  Handlers other code
still registers on an app (a module importing it, a library helper called after the
module's own registrations) stay in the app's router lists; the lifespan runs those
after its own, where FastAPI ran them.  Whatever cannot be converted with certainty
leaves the whole app untouched.
"""

from __future__ import annotations

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
from .lifespan_rewrite import Lines, Namer, Note, Options, Report, blank_lines, parse_statements
from .lifespan_rewrite import remove_statement
from .lifespan_support import (
    HandlerRunner,
    ImportRefs,
    Kind,
    Refuse,
    Spec,
    dispose_lines,
    engine_kind,
)

_LOOPS = (cst.For, cst.While, cst.CompFor)
_SCOPE_NODES = (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.Module)


class Planner:
    """Plans lifespans for a module's targets; refusals go to the report, not the code."""

    def __init__(
        self, facts: ModuleFacts, options: Options, report: Report, namer: Namer,
        refs: ImportRefs, runner: HandlerRunner,
    ) -> None:
        self.facts = facts
        self.meta: Meta = facts.meta
        self.options = options
        self.report = report
        self.namer = namer
        self.refs = refs
        self.runner = runner
        self.specs: dict[Target, Spec] = {}
        self.refused: set[Target] = set()

    def plan(self, target: Target) -> Spec | None:
        """The target's lifespan, or None (and refusal notes) when it must stay as is."""
        if target in self.specs:
            return self.specs[target]
        if target in self.refused:
            return None
        saved = (self.namer.save(), self.refs.save(), self.runner.save())
        try:
            spec = self._plan(target)
        except Refuse as refusal:
            # a refused target leaves no trace: no name taken, no import, no helper
            self.namer.restore(saved[0])
            self.refs.restore(saved[1])
            self.runner.restore(saved[2])
            self.refused.add(target)
            self.report.refused.extend(refusal_notes(self.meta, target, refusal))
            return None
        self.specs[target] = spec
        if target.has_double_star() and spec.existing is None:
            self.report.notes.append(Note(
                target.line,
                f"{target.label} also receives `**` arguments: a `lifespan=` among them now "
                "raises TypeError when the app is created (FastAPI used to skip the handlers "
                "silently); `on_startup`/`on_shutdown` among them run after the handlers "
                "converted here",
            ))
        return spec

    def _plan(self, target: Target) -> Spec:
        candidates = ["lifespan", f"{target.name}_lifespan"] if target.name else ["lifespan"]
        spec = Spec(target, self.namer.fresh(*candidates))
        spec.existing = self._existing_lifespan(target)
        self._check_target(target, spec)
        for event in knowledge.EVENT_TYPES:
            self._plan_event(target, spec, event)
        return spec

    def _check_target(self, target: Target, spec: Spec) -> None:
        for problem in target.problems:
            if not (problem.escape and self._escape_is_harmless(target, spec, problem.line)):
                raise Refuse(problem.line, problem.reason)
        if target.anchor is None:
            raise Refuse(
                target.line,
                f"the {target.kind} is not created by a plain `name = ...` or `return ...` "
                "statement, so there is no place to define its lifespan",
            )
        if self._in_loop(target.anchor):
            raise Refuse(target.line, f"the {target.kind} is created in a loop: one lifespan "
                                      "per iteration would share the names it calls")
        if self.refs.asynccontextmanager() is None:
            raise Refuse(target.line, "`asynccontextmanager` is bound to something else here")

    def _escape_is_harmless(self, target: Target, spec: Spec, line: int) -> bool:
        """Handlers registered through an alias or a helper still run as they did.

        With ``lifespan=`` already given FastAPI ignores them before and after; an app
        getting its first lifespan runs its router lists after its own handlers, which is
        where FastAPI ran handlers registered after all of the module's own.
        """
        if spec.existing is not None:
            return True
        if target.is_router:
            return False
        return all(line > r.line for r in target.registrations)

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
        raise Refuse(line, "cannot tell how FastAPI enters the existing lifespan "
                           f"`{self.meta.code(value)}` (not an async generator function or an "
                           "`@asynccontextmanager` of this module)")

    # --- one event -----------------------------------------------------------------

    def _plan_event(self, target: Target, spec: Spec, event: str) -> None:
        registrations = [r for r in target.registrations if r.event == event]
        lines = spec.startup if event == "startup" else spec.shutdown
        later = [r for r in registrations if r.form != "constructor"]
        for registration in registrations:
            if registration.form == "constructor":
                lines.extend(self._constructor_handler(target, registration, spec))
            else:
                self._check_registration(target, registration)
        if all(self._is_direct(target, r) for r in later):
            for registration in later:
                lines.extend(self._direct(registration, spec))
        else:
            handlers = self.namer.fresh(f"{event}_handlers")
            spec.preamble.append(f"{handlers}: list = []")
            for registration in later:
                self._collect(registration, handlers, spec)
            lines.append((0, f"await {self.runner.reference()}(*{handlers})"))
        if not target.is_router and spec.existing is None:
            self.runner.reference()
            spec.runs_router_lists = True

    def _constructor_handler(
        self, target: Target, registration: Registration, spec: Spec
    ) -> Lines:
        """Call it in place when that changes nothing, else bind it before the app is made."""
        handler = registration.handler
        assert handler is not None
        inline = self._inline(handler, spec)
        if inline is not None:
            return inline
        self._check_hoistable(target, registration)
        name = self.namer.fresh(*_binding_names(handler, registration.event))
        spec.captured.append(f"{name} = {self.meta.code(handler).strip()}")
        return self.invoke(name, self._captured_kind(handler))

    def _check_hoistable(self, target: Target, registration: Registration) -> None:
        """Evaluating a handler list before the call must not overtake another call."""
        first_event_arg = min(target.event_args)
        for arg in target.call.args[:first_event_arg]:
            if m.findall(arg.value, m.Call()):
                raise Refuse(
                    registration.line,
                    "a constructor handler would be evaluated before "
                    f"`{self.meta.code(arg.value).strip()}` instead of after it",
                )

    def _check_registration(self, target: Target, registration: Registration) -> None:
        node = registration.small or registration.decorator
        assert node is not None and target.anchor is not None
        if self.meta.running_scope(node) is not target.scope:
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
            if decorator not in self.facts.event_decorators:
                raise Refuse(
                    registration.line,
                    f"`{function.name.value}` is decorated by "
                    f"`@{self.meta.code(decorator.decorator)}` after registration, so the "
                    "registered function is not what the name holds",
                )

    def _is_direct(self, target: Target, registration: Registration) -> bool:
        """Runs exactly once, after the target is created, in the same block."""
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
            if not self._last_binding(function):
                raise Refuse(registration.line, f"`{function.name.value}` is bound again "
                                                "later, so the name may not hold the handler")
            spec.edits.drop_decorators.add(registration.decorator)
            return self.invoke(function.name.value, self._definition_kind(function))
        handler = registration.handler
        assert handler is not None and registration.small is not None
        inline = self._inline(handler, spec)
        if inline is not None:
            spec.edits.small[registration.small] = remove_statement
            return inline
        name = self.namer.fresh(*_binding_names(handler, registration.event))
        form = registration.form
        spec.edits.small[registration.small] = lambda new: _bind(new, name, form)
        return self.invoke(name, self._captured_kind(handler))

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
            spec.edits.after.setdefault(function, []).append(
                statement.with_changes(leading_lines=blank_lines(2 if top_level else 0))
            )
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
        if isinstance(handler, cst.Name) and self._stable(handler):
            spec.reads.add(handler.value)
            return self.invoke(handler.value, self._reference_kind(handler))
        if m.matches(handler, m.Attribute(value=m.Name(), attr=m.Name("dispose"))):
            return self._inline_dispose(handler, spec)  # type: ignore[arg-type]
        return None

    def _inline_dispose(self, handler: cst.Attribute, spec: Spec) -> Lines | None:
        """``engine.dispose`` as a handler: called in place, so the dispose stays visible."""
        engine = handler.value
        assert isinstance(engine, cst.Name)
        if not self._stable(engine):
            return None
        spec.reads.add(engine.value)
        kinds = {
            e.kind for e in self.facts.engines if e.name == engine.value and e.function is None
        }
        kind = engine_kind(kinds.pop()) if len(kinds) == 1 else Kind.UNKNOWN
        lines = dispose_lines(engine.value, kind, self.refs)
        if lines is None:
            raise Refuse(None, "`inspect` is bound to something else here")
        return lines

    def _stable(self, name: cst.Name) -> bool:
        """Bound exactly once (not in a loop), or a builtin: the name cannot move."""
        referents = self.meta.referents(name)
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

    def _captured_kind(self, handler: cst.BaseExpression) -> Kind:
        """``partial(f, ...)`` of a plain local ``def`` is as async as ``f``; else unknown."""
        if not isinstance(handler, cst.Call) or not handler.args:
            return Kind.UNKNOWN
        first = handler.args[0]
        if self.meta.qualname(handler.func) != FUNCTOOLS_PARTIAL or first.keyword or first.star:
            return Kind.UNKNOWN
        return self._reference_kind(first.value)

    def _definition_kind(self, function: cst.FunctionDef) -> Kind:
        """Plain (or only ``on_event``-decorated) defs are what they say; others are unknown."""
        if not all(d in self.facts.event_decorators for d in function.decorators):
            return Kind.UNKNOWN
        if not function.asynchronous:
            return Kind.SYNC
        return Kind.UNKNOWN if self._yields(function) else Kind.ASYNC

    def invoke(self, callee: str, kind: Kind) -> Lines:
        """Await async handlers, call sync ones, and let the helper decide the rest."""
        if kind is Kind.ASYNC:
            return [(0, f"await {callee}()")]
        if kind is Kind.SYNC:
            return [(0, f"{callee}()")]
        return [(0, f"await {self.runner.reference()}({callee})")]

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

    def _last_binding(self, function: cst.FunctionDef) -> bool:
        """No later code of the same block rebinds the name: at start-up it holds the def.

        Earlier bindings (``from .events import startup`` above ``def startup``) do not
        matter; a ``global`` rebinding inside another function might, so it refuses.
        """
        scope = self.meta.scope(function)
        if scope is None:
            return False
        line = self.meta.line(function)
        block = self.meta.enclosing_function(function)
        for assignment in scope.assignments[function.name.value]:
            node = getattr(assignment, "node", None)
            if assignment.scope is not scope or node is function:
                continue
            if node is None or self.meta.enclosing_function(node) is not block:
                return False
            if self.meta.line(node) > line:
                return False
        return True

    def _is_parameter(self, name: cst.Name) -> bool:
        referents = self.meta.referents(name) or set()
        return any(isinstance(getattr(r, "node", None), cst.Param) for r in referents)

    def _yields(self, function: cst.FunctionDef) -> bool:
        return any(
            self.meta.enclosing_function(node) is function
            for node in m.findall(function.body, m.Yield())
        )


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


def _has_parameters(params: cst.Parameters) -> bool:
    return bool(
        params.params or params.posonly_params or params.kwonly_params
        or params.star_kwarg or isinstance(params.star_arg, cst.Param)
    )


def _binding_names(handler: cst.BaseExpression, event: str) -> list[str]:
    """Readable names for a handler bound where it was registered.

    ``create_start_app_handler(app)`` -> ``start_app_handler``, ``partial(cache.warm)`` ->
    ``cache_warm_handler``, ``self.on_start`` -> ``on_start_handler``.
    """
    fallback = f"{event}_handler"
    callee = dotted(handler)
    if isinstance(handler, cst.Call):
        inner = handler.args[0].value if handler.args else None
        if dotted(handler.func) in ("partial", "functools.partial") and inner is not None:
            callee = dotted(inner)
        else:
            callee = dotted(handler.func)
            callee = callee and _strip_factory_prefix(callee.rsplit(".", 1)[-1])
    if callee is None:
        return [fallback]
    base = callee.removeprefix("self.").replace(".", "_")
    return [base if base.endswith("handler") else f"{base}_handler", fallback]


def _strip_factory_prefix(name: str) -> str:
    for prefix in ("create_", "make_", "build_", "get_"):
        if name.startswith(prefix) and len(name) > len(prefix):
            return name[len(prefix):]
    return name


def handler_argument(call: cst.Call, form: str) -> cst.BaseExpression:
    """The handler of an ``add_event_handler``/``on_event(...)(h)`` call (updated tree)."""
    if form == "call":
        return call.args[0].value
    positional = [a for a in call.args if a.keyword is None and not a.star]
    arg = positional[1] if len(positional) > 1 else keyword(call, "func")
    assert arg is not None
    return arg.value


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
    has_lifespan = lifespan is not None and not m.matches(lifespan.value, m.Name("None"))
    ignored = ("FPR103",) if has_lifespan else ()
    unknown = ("FPR102", *ignored) if target.unknown_handlers else ()
    notes = [Note(line, f"{target.label} left untouched: {refusal.reason}", unknown)]
    for registration in target.registrations:
        codes = ("FPR102",) if registration.form == "constructor" else ("FPR101",)
        codes += ignored
        text = f"{registration.event} handler {_handler_label(meta, registration)} stays registered"
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
