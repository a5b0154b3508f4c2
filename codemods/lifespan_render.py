"""Writing a planned lifespan into the module: its definition, and ``lifespan=`` on the call.

The lifespan is defined right before the statement that creates the app, in the same
block, so it sees what the handlers see (a factory's locals included).  Its code is
rendered with the module's own indentation and newline, then parsed and spliced in.
"""

from __future__ import annotations

import libcst as cst

from .lifespan_facts import Meta
from .lifespan_rewrite import (
    CallEdit,
    Edits,
    Lines,
    Namer,
    append_arguments,
    blank_lines,
    keyword_argument,
    parse_statements,
    remove_arguments,
    render,
)
from .lifespan_support import HandlerRunner, ImportRefs, Spec


class Renderer:
    """Turns a :class:`Spec` into edits: statements before the anchor, a new constructor."""

    def __init__(self, meta: Meta, refs: ImportRefs, namer: Namer, runner: HandlerRunner) -> None:
        self.meta = meta
        self.refs = refs
        self.namer = namer
        self.runner = runner

    def finish(self, spec: Spec, edits: Edits) -> None:
        """Render the lifespan before the anchor and wire it into the constructor."""
        target = spec.target
        anchor = target.anchor
        assert anchor is not None
        module = self.meta.module
        lines = self._lines(spec, self._parameter(spec))
        statements = parse_statements(
            render(lines, module.default_indent, module.default_newline), module
        )
        top_level = isinstance(self.meta.parent(anchor), cst.Module)
        gap = blank_lines(2 if top_level else 1)
        comments = list(anchor.leading_lines)
        blank_prefix: list[cst.EmptyLine] = []
        while comments and comments[0].comment is None:
            blank_prefix.append(comments.pop(0))
        first = gap if top_level and len(blank_prefix) < len(gap) else blank_prefix
        definition = len(spec.preamble)
        captured = len(statements) - len(spec.captured)
        spaced = {captured: gap, definition: gap, 0: first}
        spec.edits.before[anchor] = [
            statement.with_changes(leading_lines=spaced.get(i, []))
            for i, statement in enumerate(statements)
        ]
        # captured handlers and the app's creation read as one group
        spec.edits.leading[anchor] = comments if spec.captured else [*gap, *comments]
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
        annotation = (
            self.meta.code(target.call.func) if not target.is_router else self.refs.fastapi()
        )
        signature = f"{parameter}: {annotation}" if annotation else parameter
        startup, shutdown = list(spec.startup), list(spec.shutdown)
        if spec.runs_router_lists:
            startup.append(self._router_list(parameter, "on_startup"))
            shutdown.append(self._router_list(parameter, "on_shutdown"))
        if spec.existing is None:
            body = [*startup, (0, "yield"), *shutdown]
        else:
            state = self.namer.fresh("state")
            body = [(0, f"async with {spec.existing.format(parameter)} as {state}:")]
            inner = [*startup, (0, f"yield {state}"), *shutdown]
            body += [(depth + 1, text) for depth, text in inner]
        body += spec.disposes
        return [
            *((0, text) for text in spec.preamble),
            (0, f"@{self.refs.asynccontextmanager()}"),
            (0, f"async def {spec.name}({signature}):"),
            *((depth + 1, text) for depth, text in body),
            *((0, text) for text in spec.captured),
        ]

    def _router_list(self, parameter: str, attribute: str) -> tuple[int, str]:
        """Handlers other modules or libraries still register on the app, where FastAPI ran them."""
        return (
            0,
            f'await {self.runner.reference()}(*getattr({parameter}.router, "{attribute}", ()))',
        )

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
                args[existing_index] = args[existing_index].with_changes(value=cst.Name(name))
                return remove_arguments(call.with_changes(args=args), removed)
            if removed:
                first = min(removed)
                args[first] = args[first].with_changes(
                    keyword=cst.Name("lifespan"), value=cst.Name(name)
                )
                return remove_arguments(call.with_changes(args=args), removed - {first})
            return append_arguments(call, [keyword_argument("lifespan", name)])

        return edit
