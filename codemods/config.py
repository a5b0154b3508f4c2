"""Codemod defaults from ``[tool.flake8-fastapi-prod]`` in the nearest ``pyproject.toml``.

Keys are the codemods' long option names without the dashes (``pool-size = 5``,
``exclude = ["legacy/*"]``, ``jobs = 2``, ``no-pool-pre-ping = true``); a flag given on
the command line wins over the file. The run modes ``--diff``/``--check`` are command-line
only. A key that no registered codemod knows is an error, a key another codemod knows is
ignored.
"""

import argparse
import difflib
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

TABLE = "flake8-fastapi-prod"

#: Switches that choose what one run does, not a project default.
COMMAND_LINE_ONLY = frozenset({"help", "diff", "check"})

_TYPE_ERRORS = (ValueError, TypeError, argparse.ArgumentTypeError)


class ConfigError(Exception):
    """A one-line, user-facing problem with the configuration file."""


def find_pyproject(paths: Sequence[str]) -> Path | None:
    """The ``pyproject.toml`` in the paths' common directory or the closest parent."""
    try:
        start = Path(os.path.commonpath([os.path.abspath(p) for p in paths]))
    except ValueError:  # no paths, or paths on different drives
        start = Path.cwd()
    for directory in (start, *start.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def read_table(pyproject: Path) -> dict[str, object]:
    """The ``[tool.flake8-fastapi-prod]`` table, empty when the file has none."""
    try:
        with open(pyproject, "rb") as handle:
            document = tomllib.load(handle)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{pyproject}: cannot read: {error}") from None
    table = document.get("tool", {}).get(TABLE, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.{TABLE}] must be a table")
    return table


def _long_name(action: argparse.Action) -> str | None:
    return next((o[2:] for o in action.option_strings if o.startswith("--")), None)


def _is_switch(action: argparse.Action) -> bool:
    """``store_true``/``store_false``: set from a TOML boolean."""
    return isinstance(action, argparse._StoreConstAction) and isinstance(action.const, bool)


def option_keys(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    """Configuration key -> option: long options taking a value, and on/off switches."""
    # argparse has no public list of a parser's actions; _actions is stable since 2.7.
    return {
        key: action
        for action in parser._actions
        if (key := _long_name(action)) is not None and key not in COMMAND_LINE_ONLY
        and (action.nargs != 0 or _is_switch(action))
    }


def _is_list(action: argparse.Action) -> bool:
    appends = isinstance(action, (argparse._AppendAction, argparse._ExtendAction))
    return appends or action.nargs in ("*", "+")


def _convert(where: str, action: argparse.Action, value: object) -> object:
    """``value`` as the command line would have produced it, or a ConfigError."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ConfigError(f"{where}: expected a string or a number, got {value!r}")
    try:
        converted = action.type(str(value)) if callable(action.type) else str(value)
    except _TYPE_ERRORS as error:
        raise ConfigError(f"{where}: invalid value {value!r}: {error}") from None
    if action.choices is not None and converted not in action.choices:
        choices = ", ".join(map(str, action.choices))
        raise ConfigError(f"{where}: invalid value {value!r} (choose from {choices})")
    return converted


def _unknown(where: str, key: str, known: Iterable[str]) -> ConfigError:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else "known: " + ", ".join(sorted(known))
    return ConfigError(f"{where}: unknown key {key!r} ({hint})")


def parse_args(
    parser: argparse.ArgumentParser,
    argv: Sequence[str] | None,
    other_parsers: Callable[[], Iterable[argparse.ArgumentParser]],
) -> argparse.Namespace:
    """Parse ``argv`` with the configured defaults; flags given on the command line win.

    ``other_parsers`` yields the other codemods' parsers: their keys are valid in the
    shared table but not for this run. Scalar options become argparse defaults; a list
    option (``exclude``) given on the command line replaces the configured list.
    """
    args = parser.parse_args(argv)
    pyproject = find_pyproject(args.paths)
    table = read_table(pyproject) if pyproject is not None else {}
    if pyproject is None or not table:
        return args
    where = f"{pyproject}: [tool.{TABLE}]"
    options = option_keys(parser)
    others: set[str] | None = None
    defaults: dict[str, object] = {}
    lists: dict[str, list[object]] = {}
    for key, value in table.items():
        action = options.get(key)
        if action is None:
            if key in COMMAND_LINE_ONLY:
                raise ConfigError(f"{where}: {key!r} can only be given on the command line")
            if others is None:
                others = {k for p in other_parsers() for k in option_keys(p)}
            if key in others:
                continue
            raise _unknown(where, key, options.keys() | others)
        if _is_switch(action):
            if not isinstance(value, bool):
                raise ConfigError(f"{where}: {key}: expected true or false, got {value!r}")
            defaults[action.dest] = action.const if value else action.default
        elif _is_list(action):
            if not isinstance(value, list):
                raise ConfigError(f"{where}: {key}: expected a list, got {value!r}")
            lists[action.dest] = [_convert(f"{where}: {key}", action, v) for v in value]
        else:
            _convert(f"{where}: {key}", action, value)
            # The string form, so argparse applies the option's type exactly once.
            defaults[action.dest] = str(value)
    parser.set_defaults(**defaults)
    args = parser.parse_args(argv)
    for dest, configured in lists.items():
        if getattr(args, dest) == parser.get_default(dest):
            if dest == "exclude":
                configured = [_anchor(str(p), pyproject.parent) for p in configured]
            setattr(args, dest, configured)
    return args


def _anchor(pattern: str, base: Path) -> str:
    """A configured exclude pattern with a ``/`` is relative to pyproject.toml's directory.

    The runner matches paths relative to the working directory, so the pattern is
    rewritten relative to it, like flake8 does for the excludes in its config files.
    """
    if "/" not in pattern:
        return pattern
    return Path(os.path.relpath(base / pattern)).as_posix()
