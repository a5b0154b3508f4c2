"""Engines: the pool parameters FPR106–FPR108 ask for, and the ``dispose()`` FPR105 asks for.

Which parameters an engine needs is decided by ``knowledge.missing_pool_params`` and
``knowledge.sizing_is_safe``, the functions the lint rules use, fed with a
``knowledge.EngineCall`` built from the libcst call: the codemod adds exactly what
the rules ask for, and nothing the rules exempt (SQLite, NullPool, ``**kwargs``…).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import libcst as cst
import libcst.matchers as m
from libcst.metadata import GlobalScope

from flake8_fastapi_prod import knowledge

from .lifespan_facts import EngineSite, ImportedName, ModuleFacts, Target
from .lifespan_plan import Planner
from .lifespan_rewrite import (
    Edits,
    Lines,
    Note,
    Options,
    Report,
    append_arguments,
    keyword_argument,
    parse_statements,
    render,
)
from .lifespan_support import Kind, dispose_lines, engine_kind

#: Imported names the codemod trusts to be engines even when the module does not use
#: them as one (``from .db import engine``, ``async_engine``); other names FPR105 reports
#: (``create_engine`` helpers, ``engine_settings``) are left alone.
_ENGINE_NAME = re.compile(
    r"(?!(?:create|get|make|build|new|init|setup|open|close|dispose)_)(?:[a-z0-9]+_)*engine",
    re.IGNORECASE,
)


def plan_pools(facts: ModuleFacts, options: Options, edits: Edits, report: Report) -> None:
    """Add the pool parameters each flagged engine misses, as far as they are safe.

    Modules importing alembic build throw-away engines on purpose (the rules skip them).
    """
    if facts.imports_alembic:
        return
    for engine in facts.engines:
        missing = knowledge.missing_pool_params(engine.facts)
        sizing = [p for p in missing if p in knowledge.POOL_SIZE_PARAMS]
        if sizing and not (knowledge.sizing_is_safe(engine.facts)
                           or options.pool_size_on_dynamic_urls):
            report.notes.append(Note(
                engine.line,
                f"{' and '.join(sizing)} left out for {_label(engine.name)}: its URL is not "
                "a literal and may be in-memory SQLite (in tests), where they raise TypeError; "
                "pass --pool-size-on-dynamic-urls to add them",
                ("FPR106",),
            ))
            missing = tuple(p for p in missing if p not in sizing)
        values = _pool_values(options)
        added = [keyword_argument(p, values[p]) for p in missing if values.get(p) is not None]
        if added:
            edits.edit_call(engine.call, lambda call, added=added: append_arguments(call, added))


def _pool_values(options: Options) -> dict[str, str | None]:
    return {
        "pool_size": None if options.pool_size is None else str(options.pool_size),
        "max_overflow": None if options.max_overflow is None else str(options.max_overflow),
        "pool_recycle": None if options.pool_recycle is None else str(options.pool_recycle),
        "pool_pre_ping": "True" if options.pool_pre_ping else None,
    }


@dataclass
class Disposal:
    """One engine FPR105 reports, and how to dispose it."""

    name: str
    kind: Kind
    line: int
    #: the user's lifespan the engine is created in, if any
    function: cst.FunctionDef | None = None


class DisposePlanner:
    """Places ``dispose()`` calls: in the lifespan of the module's app, or the user's own."""

    def __init__(self, facts: ModuleFacts, planner: Planner, edits: Edits, report: Report) -> None:
        self.facts = facts
        self.meta = facts.meta
        self.planner = planner
        self.edits = edits
        self.report = report

    def run(self) -> None:
        if self.facts.imports_alembic or not self.facts.holds_lifecycle():
            return
        disposals = self._disposals()
        by_function: dict[cst.FunctionDef, list[Disposal]] = {}
        for disposal in disposals:
            if disposal.function is not None:
                by_function.setdefault(disposal.function, []).append(disposal)
        for function, inside in by_function.items():
            self._into_function(function, inside)
        shared = [d for d in disposals if d.function is None]
        if shared:
            self._into_host(shared)

    # --- what to dispose ----------------------------------------------------------

    def _disposals(self) -> list[Disposal]:
        """The engines FPR105 reports, each once; refusals for those the codemod can't name."""
        found: dict[str, Disposal] = {}
        lifespans = self.facts.lifespan_functions()
        for engine in self.facts.engines:
            in_lifespan = isinstance(engine.function, cst.FunctionDef) and (
                engine.function in lifespans
            )
            if engine.returned or self.facts.is_disposed(engine.name):
                continue
            if engine.function is None:
                disposal = self._module_engine(engine)
            elif in_lifespan and engine.name is not None:
                kind = engine_kind(engine.kind)
                disposal = Disposal(engine.name, kind, engine.line, engine.function)
            elif in_lifespan:
                disposal = self._refuse(engine.line, None, "it is not bound to a name")
            else:
                continue
            if disposal is not None:
                found.setdefault(disposal.name, disposal)
        for name, call in self.facts.module_calls:
            disposal = self._factory_engine(name, call)
            if disposal is not None:
                found.setdefault(disposal.name, disposal)
        for imported in self.facts.imported.values():
            disposal = self._imported_engine(imported)
            if disposal is not None:
                found.setdefault(disposal.name, disposal)
        return list(found.values())

    def _factory_engine(self, name: str, call: cst.Call) -> Disposal | None:
        """``engine = make_engine()`` / ``db = Database()`` at module level, where this
        module's function returns an engine or the class's ``__init__`` creates one."""
        assert isinstance(call.func, cst.Name)
        referents = self.meta.referents(call.func) or set()
        definition = getattr(next(iter(referents)), "node", None) if len(referents) == 1 else None
        if not isinstance(definition, (cst.FunctionDef, cst.ClassDef)):
            return None
        engine, path = self._made_by(definition)
        if engine is None or self.facts.is_disposed(name) or self.facts.is_disposed(engine.name):
            return None
        scope = self.meta.scope(call)
        if scope is None or len(scope.assignments[name]) != 1:
            return self._refuse(engine.line, name, "the name is also bound to something else")
        if not any(_binds(statement, name) for statement in self.meta.module.body):
            return self._refuse(engine.line, name, "it is only bound conditionally")
        return Disposal(f"{name}{path}", engine_kind(engine.kind), self.meta.line(call))

    def _made_by(
        self, definition: cst.FunctionDef | cst.ClassDef
    ) -> tuple[EngineSite | None, str]:
        """The engine a factory function returns, or a class's ``__init__`` keeps on ``self``."""
        for engine in self.facts.engines:
            if isinstance(definition, cst.FunctionDef):
                if engine.function is definition and engine.returned:
                    return engine, ""
            elif (
                isinstance(engine.function, cst.FunctionDef)
                and engine.function.name.value == "__init__"
                and self.meta.parent(self.meta.parent(engine.function)) is definition
                and (engine.name or "").startswith("self.")
            ):
                return engine, (engine.name or "")[len("self"):]
        return None, ""

    def _module_engine(self, engine: EngineSite) -> Disposal | None:
        name = engine.name
        if name is None or "." in name:
            return self._refuse(engine.line, name, "it is not bound to a plain name")
        scope = self.meta.scope(engine.call)
        if not isinstance(scope, GlobalScope):
            return self._refuse(engine.line, name, "it is created in a class body")
        sites = [e for e in self.facts.engines if e.name == name and e.function is None]
        if len(scope.assignments[name]) != len(sites):
            return self._refuse(engine.line, name, "the name is also bound to something else")
        if not any(_binds(statement, name) for statement in self.meta.module.body):
            return self._refuse(engine.line, name, "it is only bound conditionally")
        kinds = {site.kind for site in sites}
        kind = engine_kind(kinds.pop()) if len(kinds) == 1 else Kind.UNKNOWN
        return Disposal(name, kind, engine.line)

    def _imported_engine(self, imported: ImportedName) -> Disposal | None:
        """Mirror of FPR105's imported-engine check, stricter about what it disposes."""
        local = imported.local
        looks_like_engine = imported.engine_uses or "engine" in local.lower()
        if not looks_like_engine or self.facts.is_disposed(local) or imported.called:
            return None
        if imported.qualname.rsplit(".", 1)[-1][:1].isupper():
            return None
        if imported.handler:
            return self._refuse(
                imported.line, local,
                "it is a handler (a function), not an engine; once it is no longer registered "
                "the lint rules may take it for one by its name",
            )
        if not (imported.engine_uses or _ENGINE_NAME.fullmatch(local)):
            return self._refuse(imported.line, local, "nothing here shows it is an engine")
        if not isinstance(self.meta.scope(imported.node), GlobalScope):
            return self._refuse(imported.line, local, "it is imported inside a function")
        module = imported.qualname.rsplit(".", 1)[0]
        closer = self._shutdown_handler_from(module)
        if closer is not None:
            return self._refuse(
                imported.line, local,
                f"the shut-down handler `{closer}` comes from `{module}` too and may dispose "
                "it already (never a second dispose); check by hand",
            )
        return Disposal(local, Kind.UNKNOWN, imported.line)

    def _shutdown_handler_from(self, module: str) -> str | None:
        """Shut-down code imported from ``module``: code we cannot see, which may dispose.

        Looks at shut-down registrations and at what lifespans run after their ``yield``,
        so the answer is the same before and after the conversion (idempotence).
        """
        shutdown_code: list[cst.CSTNode] = [
            r.handler
            for t in self.facts.targets for r in t.registrations
            if r.event == "shutdown" and r.handler is not None
        ]
        for function in self.facts.lifespan_functions():
            yields = [self.meta.line(y) for y in m.findall(function.body, m.Yield())]
            if yields:
                shutdown_code.extend(
                    s for s in function.body.body if self.meta.line(s) > min(yields)
                )
        shutdown_code.extend(self._appended_to(shutdown_code))
        for node in shutdown_code:
            for name in m.findall(node, m.Name()):
                imported = self.facts.imported.get(name.value)  # type: ignore[union-attr]
                if imported is not None and imported.qualname.rsplit(".", 1)[0] == module:
                    return imported.local
        return None

    def _refuse(self, line: int, name: str | None, reason: str) -> None:
        self.report.refused.append(
            Note(line, f"{_label(name)} not disposed: {reason}", ("FPR105",))
        )

    # --- where to dispose -------------------------------------------------------------

    def _appended_to(self, code: list[cst.CSTNode]) -> list[cst.CSTNode]:
        """What ``handlers.append(h)`` puts into lists that the shut-down code runs."""
        lists = {
            name.value
            for node in code
            for name in m.findall(node, m.Name())
            if isinstance(name, cst.Name)
        }
        appended = m.findall(
            self.meta.module,
            m.Call(
                func=m.Attribute(
                    value=m.Name(value=m.MatchIfTrue(lambda v: v in lists)),
                    attr=m.Name("append"),
                )
            ),
        )
        return [arg.value for call in appended for arg in getattr(call, "args", ())]

    def _into_host(self, disposals: list[Disposal]) -> None:
        host, reason = self._host()
        if host is None:
            for disposal in disposals:
                self._refuse(disposal.line, disposal.name, reason)
            return
        existing = host.lifespan_arg()
        function = None
        if not host.has_handlers and existing is not None:
            function = self.planner.function_of(existing.value)
        if function is not None and self._appendable(function):
            self._into_function(function, disposals)
            return
        spec = self.planner.plan(host)
        if spec is None:
            for disposal in disposals:
                self._refuse(disposal.line, disposal.name, f"{host.label} is left untouched")
            return
        shadowed = self._shadowed(host, disposals)
        for disposal in disposals:
            if disposal.name in shadowed:
                self._refuse(disposal.line, disposal.name,
                             f"the name means something else where {host.label} is created")
            else:
                spec.disposes.extend(self._lines(disposal))

    def _host(self) -> tuple[Target | None, str]:
        """The one app of the module; failing that, the one router getting a lifespan."""
        apps = [t for t in self.facts.targets if not t.is_router]
        if len(apps) == 1:
            return apps[0], ""
        if apps:
            return None, "the module creates several apps; dispose it in the right one by hand"
        routers = [t for t in self.facts.targets if t in self.planner.specs]
        if len(routers) == 1:
            return routers[0], ""
        return None, "this module creates no app whose lifespan could dispose it"

    def _shadowed(self, host: Target, disposals: list[Disposal]) -> set[str]:
        """Engine names that a factory function rebinds locally."""
        scope = host.scope
        if scope is None or isinstance(scope, GlobalScope):
            return set()
        return {
            d.name for d in disposals
            if any(a.scope is scope for a in scope.assignments[d.name])
        }

    def _into_function(self, function: cst.FunctionDef, disposals: list[Disposal]) -> None:
        """Append to a user's lifespan whose only ``yield`` is a plain statement of its body."""
        if not self._appendable(function):
            for disposal in disposals:
                self._refuse(disposal.line, disposal.name,
                             f"the shut-down part of `{function.name.value}` is not a plain "
                             "sequence of statements after its `yield`")
            return
        lines: Lines = []
        for disposal in disposals:
            lines.extend(self._lines(disposal))
        module = self.meta.module
        statements = parse_statements(
            render(lines, module.default_indent, module.default_newline), module
        )
        self.edits.append_body.setdefault(function, []).extend(statements)

    def _appendable(self, function: cst.FunctionDef) -> bool:
        if not function.asynchronous or not isinstance(function.body, cst.IndentedBlock):
            return False
        own = [
            node for node in m.findall(function.body, m.Yield() | m.Return())
            if self.meta.enclosing_function(node) is function
        ]
        if len(own) != 1 or not isinstance(own[0], cst.Yield):
            return False
        return any(
            m.matches(statement, m.SimpleStatementLine(body=[m.Expr(value=m.Yield())]))
            and statement.body[0].value is own[0]  # type: ignore[attr-defined]
            for statement in function.body.body
        )

    def _lines(self, disposal: Disposal) -> Lines:
        lines = dispose_lines(disposal.name, disposal.kind, self.planner.refs)
        if lines is None:
            self._refuse(disposal.line, disposal.name, "`inspect` is bound to something else")
        return lines or []


def _label(name: str | None) -> str:
    return f"engine `{name}`" if name else "the engine created here"


def _binds(statement: cst.CSTNode, name: str) -> bool:
    """Whether a module-level statement binds ``name`` on every path through it."""
    if isinstance(statement, cst.SimpleStatementLine):
        return any(
            m.matches(small, m.Assign(targets=[m.AssignTarget(target=m.Name(name))]))
            or m.matches(small, m.AnnAssign(target=m.Name(name), value=m.MatchIfTrue(bool)))
            for small in statement.body
        )
    if isinstance(statement, cst.If):
        orelse = statement.orelse
        if orelse is None:
            return False
        rest = orelse if isinstance(orelse, cst.If) else orelse.body
        return _block_binds(statement.body, name) and (
            _binds(rest, name) if isinstance(rest, cst.If) else _block_binds(rest, name)
        )
    return False


def _block_binds(block: cst.BaseSuite, name: str) -> bool:
    if isinstance(block, cst.IndentedBlock):
        return any(_binds(statement, name) for statement in block.body)
    return False
