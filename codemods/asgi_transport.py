"""Rewrite ``httpx.AsyncClient(app=app)`` into ``transport=httpx.ASGITransport(app=app)`` (FPR501).

httpx 0.28 removed the ``app=`` shortcut. Before that, ``AsyncClient(app=...)`` meant an
``ASGITransport`` and ``Client(app=...)`` a ``WSGITransport``; this codemod writes that
transport out, keeping every other argument, comment and the client's import alias.

A sync ``Client(app=...)`` is only rewritten when the app is visibly a WSGI app (Flask,
Django's ``get_wsgi_application()``…): with a FastAPI/Starlette app it never worked and
needs ``TestClient`` instead, and with an app of unknown kind the choice is the user's.
The codemod does not run the app's lifespan: ``ASGITransport`` does not either, which
the notes say (see FPR501's documentation for ``asgi_lifespan.LifespanManager``).

Run it as ``python -m codemods.asgi_transport PATH...`` (the shared runner's flags).
"""

import argparse
import re
from collections.abc import Collection

import libcst as cst
from libcst.metadata import (
    Assignment,
    ImportAssignment,
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    QualifiedName,
    QualifiedNameProvider,
    QualifiedNameSource,
    Scope,
    ScopeProvider,
)

from codemods.imports import add_imports
from codemods.runner import Note, Outcome, main
from flake8_fastapi_prod.knowledge import FASTAPI_APPS, HTTPX_CLIENT_TRANSPORTS, HTTPX_TRANSPORTS

#: Calls that build an ASGI application: a sync ``httpx.Client`` cannot serve them.
ASGI_APP_FACTORIES = FASTAPI_APPS | frozenset({
    "starlette.applications.Starlette",
    "quart.Quart", "quart.app.Quart",
    "litestar.Litestar", "litestar.app.Litestar",
    "falcon.asgi.App",
    "django.core.asgi.get_asgi_application",
})
#: Calls that build a WSGI application: ``WSGITransport`` serves them.
WSGI_APP_FACTORIES = frozenset({
    "flask.Flask", "flask.app.Flask",
    "bottle.Bottle",
    "falcon.App", "falcon.API",
    "django.core.wsgi.get_wsgi_application",
})

# Every file this codemod changes names httpx and passes an ``app=`` keyword.
_APP_KEYWORD = re.compile(r"\bapp\s*=(?!=)")

_LIFESPAN_NOTE = (
    "ASGITransport does not run the app's lifespan (start-up/shut-down): if these tests "
    "need it, wrap the app in asgi_lifespan.LifespanManager (see FPR501)"
)


def _imported(names: Collection[QualifiedName]) -> set[str]:
    """Qualified names, with a marker on those not bound by an import.

    A module-level ``httpx = ...`` resolves to the plain name "httpx" too: the marker
    keeps it from passing for the httpx module.
    """
    return {
        q.name if q.source is QualifiedNameSource.IMPORT else f"<{q.source.name}>{q.name}"
        for q in names
    }


class _Rewrite(cst.CSTTransformer):
    """Replaces ``app=`` on httpx clients; collects notes, refusals and the import to add."""

    METADATA_DEPENDENCIES = (
        QualifiedNameProvider, ScopeProvider, ParentNodeProvider, PositionProvider,
    )

    def __init__(self) -> None:
        super().__init__()
        self.notes: list[Note] = []
        self.refused: list[Note] = []
        self.needs_import = False

    def _names(self, node: cst.CSTNode) -> set[str]:
        return _imported(self.get_metadata(QualifiedNameProvider, node, set()))

    def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.Call:
        names = self._names(original.func)
        transports = {HTTPX_CLIENT_TRANSPORTS.get(name) for name in names}
        keywords = [arg.keyword.value if arg.keyword else None for arg in original.args]
        if "app" not in keywords or len(transports) != 1 or None in transports:
            return updated
        transport = transports.pop()
        assert transport is not None
        client = "httpx.AsyncClient" if transport == "ASGITransport" else "httpx.Client"
        line = self.get_metadata(PositionProvider, original).start.line
        index = keywords.index("app")
        problem = self._problem(client, original.args[index].value, keywords)
        if problem is not None:
            self.refused.append(Note(line, problem))
            return updated
        reference = self._reference(original, updated, transport)
        if reference is None:
            self.refused.append(Note(line, (
                f"`{client}(app=...)`: the name `httpx` means something else here; pass "
                f"`transport=httpx.{transport}(app=...)` by hand"
            )))
            return updated
        arg = updated.args[index]
        inner = cst.Arg(keyword=cst.Name("app"), equal=arg.equal, value=arg.value)
        new_arg = arg.with_changes(
            keyword=cst.Name("transport"), value=cst.Call(func=reference, args=[inner])
        )
        code = cst.Module([]).code_for_node(reference)
        self.notes.append(Note(line, f"`{client}(app=...)` -> `transport={code}(app=...)`"))
        return updated.with_changes(args=[*updated.args[:index], new_arg,
                                          *updated.args[index + 1:]])

    def _problem(
        self, client: str, app: cst.BaseExpression, keywords: list[str | None]
    ) -> str | None:
        """Why this call must be left alone, or None when it can be rewritten."""
        if "transport" in keywords:
            return (
                f"`{client}(app=..., transport=...)`: httpx before 0.28 ignored `app=` "
                "next to `transport=`; delete `app=` by hand"
            )
        kind = self._app_kind(app)
        if client == "httpx.AsyncClient":
            if kind == "wsgi":
                return (
                    "`httpx.AsyncClient(app=...)` with a WSGI app: ASGITransport cannot "
                    "serve it; use `httpx.Client(transport=httpx.WSGITransport(app=...))`"
                )
            return None
        if kind == "asgi":
            return (
                "`httpx.Client(app=...)` with an ASGI (FastAPI/Starlette) app: a sync "
                "Client cannot use ASGITransport; use `with TestClient(app) as client:` "
                "(fastapi.testclient), or `httpx.AsyncClient` with "
                "`transport=httpx.ASGITransport(app=...)`"
            )
        if kind is None:
            return (
                "`httpx.Client(app=...)` with an app of unknown kind: pass "
                "`transport=httpx.WSGITransport(app=...)` for a WSGI app (Flask, Django), "
                "or use `TestClient(app)` for an ASGI app (FastAPI)"
            )
        return None

    def _app_kind(self, app: cst.BaseExpression) -> str | None:
        """"asgi" or "wsgi" when ``app`` is visibly built by a known factory, else None."""
        if isinstance(app, cst.Call):
            names = self._names(app.func)
            if names and names <= ASGI_APP_FACTORIES:
                return "asgi"
            if names and names <= WSGI_APP_FACTORIES:
                return "wsgi"
            return None
        scope = self.get_metadata(ScopeProvider, app, None)
        if not isinstance(app, cst.Name) or scope is None:
            return None
        values = [
            self._assigned_value(referent)
            for access in scope.accesses[app] for referent in access.referents
        ]
        kinds = {
            self._app_kind(value) if isinstance(value, cst.Call) else None for value in values
        }
        return kinds.pop() if len(kinds) == 1 else None

    def _assigned_value(self, referent: object) -> cst.BaseExpression | None:
        """The right-hand side of ``app = ...`` / ``app: T = ...``; None for anything else."""
        if not isinstance(referent, Assignment) or not isinstance(referent.node, cst.Name):
            return None
        parent = self.get_metadata(ParentNodeProvider, referent.node)
        if isinstance(parent, cst.AnnAssign):
            return parent.value
        if isinstance(parent, cst.AssignTarget):
            statement = self.get_metadata(ParentNodeProvider, parent)
            if isinstance(statement, cst.Assign) and len(statement.targets) == 1:
                return statement.value
        return None

    def _reference(
        self, original: cst.Call, updated: cst.Call, transport: str
    ) -> cst.BaseExpression | None:
        """How to spell ``httpx.<transport>`` at this call, reusing the module's imports.

        In order: the client's own module alias (``hx.AsyncClient`` -> ``hx.ASGITransport``),
        an imported transport (``from httpx import ASGITransport as T`` -> ``T``), an
        imported ``httpx`` module, or ``httpx`` with an ``import httpx`` to add. None when
        the name ``httpx`` is bound to something else.
        """
        if isinstance(original.func, cst.Attribute) and isinstance(updated.func, cst.Attribute):
            if self._names(original.func.value) == {"httpx"}:
                return cst.Attribute(value=updated.func.value, attr=cst.Name(transport))
        scope = self.get_metadata(ScopeProvider, original)
        if scope is None:
            return None
        imported = self._imported_names(scope)
        for name in sorted(imported):
            if imported[name] and imported[name] <= HTTPX_TRANSPORTS[transport]:
                return cst.Name(name)
        for name in sorted(imported):
            if imported[name] == {"httpx"}:
                return cst.Attribute(value=cst.Name(name), attr=cst.Name(transport))
        if not self._free_for_httpx(scope):
            return None
        self.needs_import = True
        return cst.Attribute(value=cst.Name("httpx"), attr=cst.Name(transport))

    def _imported_names(self, scope: Scope) -> dict[str, set[str]]:
        """Names visible in ``scope`` that plain imports bind, with what they resolve to.

        Only imports that always run count: at module level or directly in a function
        body, not under ``if TYPE_CHECKING:`` or ``try:``.
        """
        names: dict[str, set[str]] = {}
        current: Scope | None = scope
        while current is not None:
            for assignment in current.assignments:
                if isinstance(assignment, ImportAssignment) and self._unconditional(
                    assignment.node
                ):
                    resolved = _imported(scope.get_qualified_names_for(assignment.name))
                    names.setdefault(assignment.name, resolved)
            current = None if current.parent is current else current.parent
        return names

    def _unconditional(self, node: cst.CSTNode) -> bool:
        """Whether an import statement sits directly in the module or a function body."""
        line = self.get_metadata(ParentNodeProvider, node)
        block = self.get_metadata(ParentNodeProvider, line)
        if isinstance(block, cst.Module):
            return True
        owner = self.get_metadata(ParentNodeProvider, block, None)
        return isinstance(block, cst.IndentedBlock) and isinstance(owner, cst.FunctionDef)

    @staticmethod
    def _free_for_httpx(scope: Scope) -> bool:
        """``httpx`` is unbound here, or bound only to the httpx module."""
        current: Scope | None = scope
        while current is not None:
            if _imported(current.get_qualified_names_for("httpx")) - {"httpx"}:
                return False
            current = None if current.parent is current else current.parent
        return True


class AsgiTransport:
    """The ``asgi_transport`` codemod (no options of its own)."""

    name = "asgi_transport"
    summary = (
        "Replace httpx's removed `app=` with `transport=httpx.ASGITransport(app=...)` "
        "(WSGITransport for a sync Client with a WSGI app)"
    )
    fixes = ("FPR501",)

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """No options: what to write follows from the code."""

    def configure(self, args: argparse.Namespace) -> object:
        return None

    def might_change(self, source: str) -> bool:
        return "httpx" in source and _APP_KEYWORD.search(source) is not None

    def transform(self, source: str, options: object) -> Outcome:
        rewrite = _Rewrite()
        module = MetadataWrapper(cst.parse_module(source)).visit(rewrite)
        if rewrite.needs_import:
            module = add_imports(module, [("httpx", None)])
        notes: tuple[Note | str, ...] = tuple(rewrite.notes)
        if any("ASGITransport" in note.text for note in rewrite.notes):
            notes += (_LIFESPAN_NOTE,)
        return Outcome(module.code, notes, tuple(rewrite.refused))


CODEMOD = AsgiTransport()

if __name__ == "__main__":
    raise SystemExit(main(CODEMOD.name))
