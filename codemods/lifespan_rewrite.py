"""The lifespan codemod's edits and the transformer that applies them to the original tree.

The planner records edits against original nodes (found through metadata); one
transformer pass then replaces exactly those nodes, so everything else (comments,
quotes, blank lines, CRLF, tabs) is printed back untouched by libcst.
"""

from __future__ import annotations

import builtins
import keyword as pykeyword
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import libcst as cst

Lines = list[tuple[int, str]]
"""Generated code as (indent depth, text) pairs, rendered with the module's own indent."""

SmallEdit = Callable[[cst.BaseSmallStatement], "cst.BaseSmallStatement | None"]
CallEdit = Callable[[cst.Call], cst.Call]


@dataclass(frozen=True)
class Options:
    """Command-line choices; ``None`` for a pool parameter means "never add it"."""

    keep_ignored_handlers: bool = False
    pool_size: int | None = 10
    max_overflow: int | None = 20
    pool_recycle: int | None = 3600
    pool_pre_ping: bool = True
    pool_size_on_dynamic_urls: bool = False


@dataclass(frozen=True)
class Note:
    """A message for one line; ``codes`` are the lint findings it leaves in place."""

    line: int | None
    text: str
    codes: tuple[str, ...] = ()

    def render(self) -> str:
        if not self.codes:
            return self.text
        return f"{self.text} ({', '.join(self.codes)} remain{'s' if len(self.codes) == 1 else ''})"


@dataclass
class Report:
    """What the run says about a file besides the new code."""

    notes: list[Note] = field(default_factory=list)
    refused: list[Note] = field(default_factory=list)


class Namer:
    """Fresh identifiers: never one the module binds or reads, nor one already handed out."""

    def __init__(self, taken: Iterable[str]) -> None:
        self.taken = set(taken) | set(dir(builtins)) | set(pykeyword.kwlist)

    def save(self) -> set[str]:
        return set(self.taken)

    def restore(self, state: set[str]) -> None:
        self.taken = state

    def fresh(self, *candidates: str) -> str:
        for candidate in candidates:
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate
        number = 2
        while f"{candidates[0]}_{number}" in self.taken:
            number += 1
        name = f"{candidates[0]}_{number}"
        self.taken.add(name)
        return name


@dataclass
class Edits:
    """Edits keyed by original nodes (identity), applied by :class:`Rewriter` in one pass."""

    before: dict[cst.CSTNode, list[cst.BaseStatement]] = field(default_factory=dict)
    after: dict[cst.CSTNode, list[cst.BaseStatement]] = field(default_factory=dict)
    small: dict[cst.CSTNode, SmallEdit] = field(default_factory=dict)
    calls: dict[cst.CSTNode, list[CallEdit]] = field(default_factory=dict)
    drop_decorators: set[cst.CSTNode] = field(default_factory=set)
    append_body: dict[cst.CSTNode, list[cst.BaseStatement]] = field(default_factory=dict)
    #: leading lines to set on a statement (the anchor of an inserted lifespan)
    leading: dict[cst.CSTNode, list[cst.EmptyLine]] = field(default_factory=dict)
    #: comment lines of removed statements, moved onto the next statement
    carried: dict[cst.CSTNode, list[cst.EmptyLine]] = field(default_factory=dict)
    #: comment lines moved into a block's (or the module's) footer
    footer: dict[cst.CSTNode, list[cst.EmptyLine]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(
            (self.before, self.after, self.small, self.calls, self.drop_decorators,
             self.append_body)
        )

    def merge(self, other: Edits) -> None:
        """Take over a target's staged edits once the whole target is known to convert."""
        for name in ("before", "after", "calls", "append_body", "carried", "footer"):
            mine, theirs = getattr(self, name), getattr(other, name)
            for node, items in theirs.items():
                mine.setdefault(node, []).extend(items)
        self.small.update(other.small)
        self.leading.update(other.leading)
        self.drop_decorators |= other.drop_decorators

    def edit_call(self, call: cst.Call, edit: CallEdit) -> None:
        self.calls.setdefault(call, []).append(edit)

    def remove_lines(self, parents: Callable[[cst.CSTNode], cst.CSTNode | None]) -> None:
        """Move the comments of statements that disappear entirely onto what follows."""
        removed = [small for small, edit in self.small.items() if edit is remove_statement]
        lines = {parents(small) for small in removed}
        gone = [line for line in lines if isinstance(line, cst.SimpleStatementLine)
                and self._gone(line)]
        placed = [(parents(line), line) for line in gone]
        # document order, so comments carried onto the same statement keep theirs
        placed.sort(key=lambda item: list(getattr(item[0], "body", ())).index(item[1]))
        for block, line in placed:
            comments = comment_lines(line)
            if not comments:
                continue
            body = list(getattr(block, "body", ()))
            following = [s for s in body[body.index(line) + 1:] if not self._gone(s)]
            if following:
                self.carried.setdefault(following[0], []).extend(comments)
            elif block is not None:
                self.footer.setdefault(block, []).extend(comments)

    def _gone(self, statement: cst.CSTNode) -> bool:
        return isinstance(statement, cst.SimpleStatementLine) and all(
            self.small.get(s) is remove_statement for s in statement.body
        )


def remove_statement(statement: cst.BaseSmallStatement) -> None:
    """The small-statement edit that deletes the statement."""
    return None


def comment_lines(line: cst.SimpleStatementLine) -> list[cst.EmptyLine]:
    """A statement's own comment lines (leading and trailing), as free-standing lines."""
    lines = list(line.leading_lines)
    trailing = line.trailing_whitespace.comment
    if trailing is not None:
        lines.append(cst.EmptyLine(comment=trailing))
    return lines if any(item.comment is not None for item in lines) else []


class Rewriter(cst.CSTTransformer):
    """Applies :class:`Edits` to the very tree they were planned on."""

    def __init__(self, edits: Edits) -> None:
        super().__init__()
        self.edits = edits

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.Call:
        for edit in self.edits.calls.get(original_node, ()):
            updated_node = edit(updated_node)
        return updated_node

    def leave_SimpleStatementLine(
        self, original_node: cst.SimpleStatementLine, updated_node: cst.SimpleStatementLine
    ) -> cst.SimpleStatementLine | cst.RemovalSentinel:
        body = self._small_statements(original_node.body, updated_node.body)
        if not body:
            return cst.RemovalSentinel.REMOVE
        return updated_node.with_changes(body=body)

    def leave_SimpleStatementSuite(
        self, original_node: cst.SimpleStatementSuite, updated_node: cst.SimpleStatementSuite
    ) -> cst.SimpleStatementSuite:
        body = self._small_statements(original_node.body, updated_node.body)
        return updated_node.with_changes(body=body or [cst.Pass()])

    def _small_statements(
        self,
        originals: Sequence[cst.BaseSmallStatement],
        updated: Sequence[cst.BaseSmallStatement],
    ) -> list[cst.BaseSmallStatement]:
        kept: list[cst.BaseSmallStatement] = []
        for original, new in zip(originals, updated):
            edit = self.edits.small.get(original)
            result = new if edit is None else edit(new)
            if result is not None:
                kept.append(result)
        if kept and len(kept) < len(updated):
            kept[-1] = kept[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        return kept

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        if any(d in self.edits.drop_decorators for d in original_node.decorators):
            updated_node = self._drop_decorators(original_node, updated_node)
        appended = self.edits.append_body.get(original_node)
        if appended and isinstance(updated_node.body, cst.IndentedBlock):
            body = updated_node.body
            updated_node = updated_node.with_changes(
                body=body.with_changes(body=[*body.body, *appended])
            )
        return updated_node

    def _drop_decorators(
        self, original: cst.FunctionDef, updated: cst.FunctionDef
    ) -> cst.FunctionDef:
        """Remove decorators, moving their comments to the next decorator or the def line."""
        kept: list[cst.Decorator] = []
        pending: list[cst.EmptyLine] = []
        for old, new in zip(original.decorators, updated.decorators):
            if old in self.edits.drop_decorators:
                pending.extend(new.leading_lines)
                if new.trailing_whitespace.comment is not None:
                    pending.append(cst.EmptyLine(comment=new.trailing_whitespace.comment))
                continue
            kept.append(new.with_changes(leading_lines=[*pending, *new.leading_lines]))
            pending = []
        return updated.with_changes(
            decorators=kept, lines_after_decorators=[*pending, *updated.lines_after_decorators]
        )

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        extra = self.edits.footer.get(original_node)
        if extra:
            return updated_node.with_changes(footer=[*extra, *updated_node.footer])
        return updated_node

    def leave_Module(self, original_node: cst.Module, updated_node: cst.Module) -> cst.Module:
        extra = self.edits.footer.get(original_node)
        if extra:
            return updated_node.with_changes(footer=[*extra, *updated_node.footer])
        return updated_node

    def on_leave(  # type: ignore[override]
        self, original_node: cst.CSTNode, updated_node: cst.CSTNode
    ) -> cst.CSTNode | cst.RemovalSentinel | cst.FlattenSentinel[cst.CSTNode]:
        """After a statement's own edits: its new leading lines and its neighbours."""
        result = super().on_leave(original_node, updated_node)
        if not isinstance(original_node, cst.BaseStatement) or not isinstance(
            result, cst.BaseStatement
        ):
            return result
        leading = self.edits.leading.get(original_node)
        carried = self.edits.carried.get(original_node)
        if leading is not None or carried:
            lines = list(result.leading_lines) if leading is None else leading
            result = result.with_changes(leading_lines=[*(carried or ()), *lines])
        before = self.edits.before.get(original_node, [])
        after = self.edits.after.get(original_node, [])
        if before or after:
            return cst.FlattenSentinel([*before, result, *after])
        return result


# --- argument lists -------------------------------------------------------------


def append_arguments(call: cst.Call, new: Sequence[cst.Arg]) -> cst.Call:
    """Add arguments at the end, in the call's own layout.

    One argument per line stays one per line (with the trailing comma, if it had one);
    comments stay on the line they were written on; a one-line call stays one line.
    """
    args = list(call.args)
    if not new:
        return call
    if not args:
        return call.with_changes(args=_joined(new, _SPACE, None))
    last = args[-1]
    separator = _separator(call, args)
    added = _joined(new, separator, last.comma)
    closing = last.whitespace_after_arg
    if isinstance(closing, cst.ParenthesizedWhitespace):  # ``)`` on a line of its own
        added[-1] = added[-1].with_changes(whitespace_after_arg=closing)
        last = last.with_changes(whitespace_after_arg=cst.SimpleWhitespace(""))
    args[-1] = last.with_changes(comma=_keep_comment(last.comma, separator))
    return call.with_changes(args=[*args, *added])


_SPACE = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


def _separator(call: cst.Call, args: list[cst.Arg]) -> cst.Comma:
    """The comma between two arguments as this call writes it, without any comment."""
    for arg in reversed(args[:-1]):
        if isinstance(arg.comma, cst.Comma):
            return _without_comment(arg.comma)
    last = args[-1]
    multiline = isinstance(last.whitespace_after_arg, cst.ParenthesizedWhitespace) or (
        isinstance(last.comma, cst.Comma)
        and isinstance(last.comma.whitespace_after, cst.ParenthesizedWhitespace)
    )
    if multiline and isinstance(call.whitespace_before_args, cst.ParenthesizedWhitespace):
        return _without_comment(cst.Comma(whitespace_after=call.whitespace_before_args))
    return _SPACE


def _without_comment(comma: cst.Comma) -> cst.Comma:
    whitespace = comma.whitespace_after
    if not isinstance(whitespace, cst.ParenthesizedWhitespace):
        return comma
    return comma.with_changes(
        whitespace_after=whitespace.with_changes(
            first_line=cst.TrailingWhitespace(), empty_lines=[]
        )
    )


def _keep_comment(
    comma: cst.Comma | cst.MaybeSentinel, separator: cst.Comma
) -> cst.Comma:
    """The old last argument's comma: the separator, but its own comment stays with it."""
    if not isinstance(comma, cst.Comma):
        return separator
    old, new = comma.whitespace_after, separator.whitespace_after
    if isinstance(old, cst.ParenthesizedWhitespace) and isinstance(
        new, cst.ParenthesizedWhitespace
    ):
        return comma.with_changes(whitespace_after=old.with_changes(last_line=new.last_line))
    return separator


def _joined(
    new: Sequence[cst.Arg], separator: cst.Comma, trailing: cst.Comma | cst.MaybeSentinel | None
) -> list[cst.Arg]:
    """New arguments separated like the others; the last takes the call's trailing comma."""
    final: cst.Comma | cst.MaybeSentinel = cst.MaybeSentinel.DEFAULT
    if isinstance(trailing, cst.Comma):
        final = _without_comment(trailing)
    return [
        arg.with_changes(comma=separator if i < len(new) - 1 else final)
        for i, arg in enumerate(new)
    ]


def remove_arguments(call: cst.Call, indices: set[int]) -> cst.Call:
    """Drop arguments; the new last argument takes over the old last one's comma."""
    args = list(call.args)
    kept = [arg for i, arg in enumerate(args) if i not in indices]
    if kept and len(args) - 1 in indices:
        kept[-1] = kept[-1].with_changes(comma=args[-1].comma)
    return call.with_changes(args=kept)


def keyword_argument(name: str, value: str) -> cst.Arg:
    return cst.Arg(
        keyword=cst.Name(name),
        value=cst.parse_expression(value),
        equal=cst.AssignEqual(
            whitespace_before=cst.SimpleWhitespace(""), whitespace_after=cst.SimpleWhitespace("")
        ),
    )


def blank_lines(count: int) -> list[cst.EmptyLine]:
    """Empty lines without indentation, so no trailing whitespace inside blocks."""
    return [cst.EmptyLine(indent=False) for _ in range(count)]


def render(lines: Lines, indent: str, newline: str) -> str:
    return "".join(f"{indent * depth}{text}{newline}" for depth, text in lines)


def parse_statements(source: str, module: cst.Module) -> list[cst.BaseStatement]:
    """Statements written in the module's own indent and newline, ready to splice in."""
    return list(cst.parse_module(source, config=module.config_for_parsing).body)
