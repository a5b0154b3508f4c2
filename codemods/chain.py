"""``python -m codemods all PATH...``: every registered codemod in one pass over the tree.

Each file is read once; the codemods whose prefilter matches transform its text one after
the other (in registry order), and the result is written once. The options are the
union of every codemod's own; the runner's flags, exit codes and safety are unchanged.
"""

import argparse
import difflib
import io
import sys
from collections.abc import Mapping

import libcst

from codemods import runner
from codemods.runner import Codemod, Note, Outcome, Skip


class OptionClash(Exception):
    """Two codemods (or a codemod and the runner) define the same option."""


def _lines(text: str) -> list[str]:
    """Lines as libcst counts them: split on ``\\n``, ``\\r\\n`` and ``\\r`` only."""
    return io.StringIO(text, newline="").readlines()


def _carry(origin: list[int], old: str, new: str) -> list[int]:
    """For each line of ``new``, the original line number, given ``origin`` for ``old``.

    Unchanged lines keep theirs; a rewritten or inserted line takes the original line of
    the place it was rewritten or inserted at.
    """
    carried: list[int] = []
    last = len(origin) - 1
    matcher = difflib.SequenceMatcher(None, _lines(old), _lines(new), autojunk=False)
    for tag, i1, _, j1, j2 in matcher.get_opcodes():
        for offset in range(j2 - j1):
            index = i1 + offset if tag == "equal" else min(i1, last)
            carried.append(origin[index] if index >= 0 else 1)
    return carried


def _parse_error(source: str) -> libcst.ParserSyntaxError | None:
    """Why libcst cannot parse ``source``: only asked once a chained parse has failed."""
    try:
        libcst.parse_module(source)
    except libcst.ParserSyntaxError as error:
        return error
    return None


def _relabel(note: Note | str, name: str, origin: list[int]) -> Note:
    """Prefix the codemod's name and move the line to the file as it was read."""
    if isinstance(note, str):
        return Note(None, f"{name}: {note}")
    line = note.line
    if line is not None and 0 < line <= len(origin):
        line = origin[line - 1]
    return Note(line, f"{name}: {note.text}")


class Chain:
    """A Codemod that runs the registered codemods one after the other on each file."""

    name = "all"
    summary = "Every registered codemod, one after the other, in one pass over the files"

    def __init__(self, import_paths: Mapping[str, str]) -> None:
        """Load every codemod; raises ImportError/AttributeError naming a broken one."""
        self._import_paths = dict(import_paths)
        codemods: list[tuple[str, Codemod]] = []
        for name, import_path in self._import_paths.items():
            try:
                codemods.append((name, runner.load_codemod(import_path)))
            except (ImportError, AttributeError) as error:
                raise type(error)(f"codemod {name!r} is unavailable: {error}") from error
        self.codemods = tuple(codemods)
        self.fixes = tuple(sorted({code for _, c in self.codemods for code in c.fixes}))

    def __getstate__(self) -> dict[str, str]:
        """Workers get import paths, not codemod instances that may not pickle."""
        return self._import_paths

    def __setstate__(self, state: dict[str, str]) -> None:
        self.__init__(state)  # type: ignore[misc]

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Every codemod's options; a shared option string or destination is an error."""
        # argparse has no public list of a parser's actions; _actions is stable since 2.7.
        owners = {action.dest: "the runner" for action in parser._actions}
        for name, codemod in self.codemods:
            before = len(parser._actions)
            try:
                codemod.add_arguments(parser)
            except argparse.ArgumentError as error:
                raise OptionClash(f"codemod {name!r}: {error}") from None
            for action in parser._actions[before:]:
                if action.dest in owners:
                    raise OptionClash(
                        f"codemod {name!r}: option {action.dest!r} is also used by "
                        f"{owners[action.dest]}"
                    )
                owners[action.dest] = f"codemod {name!r}"

    def configure(self, args: argparse.Namespace) -> object:
        return tuple(codemod.configure(args) for _, codemod in self.codemods)

    def might_change(self, source: str) -> bool:
        return any(codemod.might_change(source) for _, codemod in self.codemods)

    def transform(self, source: str, options: object) -> Outcome:
        """Chain the transforms whose prefilter matches the text as it is by then."""
        assert isinstance(options, tuple)
        text = source
        origin = list(range(1, len(_lines(source)) + 1))
        notes: list[Note] = []
        refused: list[Note] = []
        for (name, codemod), codemod_options in zip(self.codemods, options):
            if not codemod.might_change(text):
                continue
            try:
                outcome = codemod.transform(text, codemod_options)
            except Skip as error:
                raise Skip(f"{name}: {error}") from None
            except libcst.ParserSyntaxError as error:
                if text == source:
                    raise
                # The file as read may be what does not parse: report that, as for one codemod.
                original_error = _parse_error(source)
                if original_error is not None:
                    raise original_error from None
                message = error.message.splitlines()[0]
                raise Skip(f"{name}: cannot parse what the codemods before it wrote: "
                           f"{message}") from None
            except Exception as error:
                raise Skip(f"{name}: internal error: {type(error).__name__}: {error}") from None
            notes.extend(_relabel(note, name, origin) for note in outcome.notes)
            refused.extend(_relabel(note, name, origin) for note in outcome.refused)
            if outcome.code != text:
                origin = _carry(origin, text, outcome.code)
                text = outcome.code
        return Outcome(text, tuple(notes), tuple(refused))


def main(argv: list[str]) -> int:
    """``python -m codemods all ...``."""
    try:
        chain = Chain(runner.CODEMODS)
        runner.build_parser(chain)  # option clashes surface before any file is read
    except (ImportError, AttributeError, OptionClash) as error:
        sys.stderr.write(f"python -m codemods all: error: {error}\n")
        return 2
    return runner.run_command_line(chain, argv, prog="python -m codemods all")
