"""What FPR604 needs from the rest of the project: the exceptions its app maps to responses.

flake8 hands a plugin one file at a time, but an app usually registers its exception
handlers once, where it is created (``main.py``), for path operations defined in router
modules elsewhere: ``raise ValueError`` in a router is then a 400, not a 500. So the
first time a module has an FPR604 candidate, the plugin looks at the project once per
process: the Python files under the nearest directory holding a project marker, test
code excluded. Only files that contain ``exception_handler`` are parsed, and only real
calls count (``exception_handler(E)``, ``add_exception_handler(E, …)``,
``exception_handlers={E: …}``), never text in strings or comments.
"""

from __future__ import annotations

import ast
import functools
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

from . import testfiles
from .analysis import base_name

#: files or folders that mark a project's root
ROOT_MARKERS = ("pyproject.toml", "setup.cfg", "setup.py", "tox.ini", ".flake8", ".git")
#: folders that hold no code of the project's own
SKIPPED_DIRECTORIES = frozenset(
    {"node_modules", "__pycache__", "site-packages", "venv", "env", "build", "dist"}
)
#: a bound on the files read, for a root that turns out to be a home directory
MAX_FILES = 20_000
_REGISTRATIONS = frozenset({"exception_handler", "add_exception_handler"})


def registered_exceptions(call: ast.Call) -> Iterator[ast.expr]:
    """The exception classes a call registers handlers for: ``exception_handler(E)``,
    ``add_exception_handler(E, …)``, ``exception_handlers={E: …}``."""
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in _REGISTRATIONS and call.args:
        yield call.args[0]
    for keyword in call.keywords:
        if keyword.arg == "exception_handlers" and isinstance(keyword.value, ast.Dict):
            yield from (key for key in keyword.value.keys if key is not None)


def handled_exceptions(filename: str) -> frozenset[str]:
    """Names of the exception classes the project of ``filename`` registers handlers for
    (last name only: ``ValueError``, ``AppError``); empty when the file is not on disk
    (standard input, tests' made-up names) or has no project root."""
    path = Path(filename)
    if not path.is_file():
        return frozenset()
    for directory in path.resolve().parents:
        if any((directory / marker).exists() for marker in ROOT_MARKERS):
            return _registered_in(directory)
    return frozenset()


@functools.lru_cache(maxsize=None)
def _registered_in(root: Path) -> frozenset[str]:
    names: set[str] = set()
    for path in _project_files(root):
        try:
            source = path.read_bytes()
        except OSError:
            continue
        if b"exception_handler" in source:
            names.update(_registrations(source))
    return frozenset(names)


def _project_files(root: Path) -> Iterator[Path]:
    patterns = testfiles.configured()
    count = 0
    for directory, subdirectories, files in os.walk(root):
        subdirectories[:] = sorted(
            d for d in subdirectories
            if not d.startswith(".")
            and d not in SKIPPED_DIRECTORIES
            and d not in testfiles.TEST_DIRECTORIES
        )
        for name in sorted(files):
            if name.endswith(".py") and not patterns.is_fixture_file(name):
                yield Path(directory, name)
                count += 1
                if count >= MAX_FILES:
                    return


def _registrations(source: bytes) -> Iterator[str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for exception in registered_exceptions(node):
                name = base_name(exception)
                if name is not None:
                    yield name
