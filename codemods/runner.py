"""Command line runner shared by every codemod.

A codemod only turns source text into new source text (``Codemod.transform``); everything
that makes a rewrite safe to run over a whole repository lives here once: file discovery,
encoding and newline preservation, atomic writes, ``--diff``/``--check``, parallelism and
deterministic output, so each codemod cannot get those subtly wrong on its own.
"""

import argparse
import ast
import difflib
import errno
import fnmatch
import importlib
import io
import multiprocessing
import os
import stat
import sys
import tempfile
import threading
import time
import tokenize
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TextIO

import libcst

from codemods import config

# Codemod name -> "module:attribute" of its Codemod instance. Import paths rather than
# objects, so listing works while a codemod module is broken and workers can import it.
CODEMODS: dict[str, str] = {
    "lifespan": "codemods.lifespan:CODEMOD",
    "asgi_transport": "codemods.asgi_transport:CODEMOD",
}

# Directory names never entered while walking: vendored or generated code is not ours to edit.
SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", ".venv", "venv", ".tox", ".nox", "node_modules", "__pycache__",
    "build", "dist", ".mypy_cache", ".pytest_cache", "site-packages",
})

# Below this many files per worker, starting processes costs more than it saves.
MIN_FILES_PER_WORKER = 10

# A progress counter is only worth drawing for runs long enough to look hung.
PROGRESS_MIN_FILES = 200


@dataclass(frozen=True)
class Note:
    """A message about one place in a file; ``line`` is None for file-level messages."""

    line: int | None
    text: str


@dataclass(frozen=True)
class Outcome:
    """What a codemod did to one file.

    ``notes`` may mix plain strings (file-level) and Notes; ``refused`` lists things the
    codemod found but deliberately left alone, which are reported without failing the run.
    """

    code: str
    notes: tuple[Note | str, ...] = ()
    refused: tuple[Note, ...] = ()


class Skip(Exception):
    """Raised by ``transform`` to leave a whole file untouched and report it as skipped.

    Unlike ``Outcome.refused`` this makes the exit code 2: use it when the file cannot be
    handled safely at all, not for a construct the codemod chooses to leave alone.
    """


class Codemod(Protocol):
    """The interface every codemod module exposes as a module-level instance."""

    name: str
    summary: str
    fixes: tuple[str, ...]

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def configure(self, args: argparse.Namespace) -> object: ...

    def might_change(self, source: str) -> bool: ...

    def transform(self, source: str, options: object) -> Outcome: ...


@dataclass(frozen=True)
class FileResult:
    """Everything the parent needs to report one file; plain data so it crosses processes."""

    path: str
    changed: bool = False
    skipped: str | None = None
    diff: str = ""
    notes: tuple[Note, ...] = ()
    refused: tuple[Note, ...] = ()


@dataclass(frozen=True)
class _Job:
    """Per-run settings every file needs, built once per process."""

    codemod: Codemod
    options: object
    diff: bool
    write: bool


def load_codemod(import_path: str) -> Codemod:
    """Import a codemod instance from "module:attribute" only when it is needed."""
    module_name, _, attribute = import_path.partition(":")
    codemod: Codemod = getattr(importlib.import_module(module_name), attribute)
    return codemod


def _positive_int(value: str) -> int:
    """argparse type for --jobs: zero workers would silently do nothing."""
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def build_parser(codemod: Codemod, prog: str | None = None) -> argparse.ArgumentParser:
    """The runner's options plus the codemod's own, so every codemod has the same CLI."""
    parser = argparse.ArgumentParser(
        prog=prog or f"python -m codemods.{codemod.name}",
        description=f"{codemod.summary} (fixes {', '.join(codemod.fixes) or 'nothing'})",
        epilog="Defaults for these options can be set in pyproject.toml under "
               f"[tool.{config.TABLE}]; flags given here win.",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="files (always processed) and directories (searched for *.py)")
    parser.add_argument("--diff", action="store_true",
                        help="print unified diffs instead of writing files")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 when some file would change")
    parser.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                        help="skip files and directories whose name or relative path matches "
                             "this fnmatch pattern (repeatable)")
    parser.add_argument("-j", "--jobs", type=_positive_int, default=os.cpu_count() or 1,
                        metavar="N", help="worker processes (default: number of CPUs)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="do not print notes; skips and the summary are still printed")
    codemod.add_arguments(parser)
    return parser


def _excluded(path: str, patterns: Sequence[str]) -> bool:
    """Match like flake8's --exclude: against the name and against the relative path."""
    name = os.path.basename(path)
    relative = Path(os.path.relpath(path)).as_posix()
    return any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(relative, p) for p in patterns)


def collect_files(
    paths: Sequence[str], exclude: Sequence[str]
) -> tuple[list[str], list[tuple[str, str]]]:
    """Expand the command line into a sorted, de-duplicated file list plus unusable paths.

    Sorting makes output and processing order independent of the file system; files named
    explicitly bypass the directory and exclude filters because the user asked for them.
    Paths reaching the same file (symlinks, overlapping arguments) are kept once, so two
    workers never rewrite one file.
    """
    found: list[str] = []
    problems: list[tuple[str, str]] = []

    def unreadable(error: OSError) -> None:
        problems.append((str(error.filename), f"cannot read: {error.strerror}"))

    for arg in paths:
        if os.path.isfile(arg):
            found.append(os.path.normpath(arg))
        elif not os.path.isdir(arg):
            problems.append((arg, _why_unusable(arg)))
        else:
            for root, dirs, files in os.walk(arg, onerror=unreadable):
                dirs[:] = [
                    d for d in dirs
                    if d not in SKIP_DIRS and not _excluded(os.path.join(root, d), exclude)
                ]
                for name in files:
                    path = os.path.normpath(os.path.join(root, name))
                    if name.endswith(".py") and not _excluded(path, exclude):
                        found.append(path)
    unique: dict[str, str] = {}
    for path in sorted(set(found), key=lambda p: Path(p).parts):
        unique.setdefault(os.path.realpath(path), path)
    return list(unique.values()), problems


def _why_unusable(path: str) -> str:
    """Why a command-line path is neither a file nor a directory, in the OS's words."""
    try:
        os.stat(path)
    except OSError as error:
        if error.errno == errno.ENOENT:
            return "no such file or directory"
        return f"cannot read: {error.strerror}"
    return "not a regular file or directory"


def _without_python_files(paths: Sequence[str], files: Sequence[str]) -> list[str]:
    """The directories on the command line that hold no ``.py`` file at all (a directory
    whose files were all excluded is not reported: that is what was asked for)."""
    absolute = [os.path.abspath(path) for path in files]
    return [
        arg for arg in paths
        if os.path.isdir(arg)
        and not any(path.startswith(os.path.join(os.path.abspath(arg), "")) for path in absolute)
        and not any(
            name.endswith(".py") for _, _, names in os.walk(arg) for name in names
        )
    ]


def _unified_diff(path: str, old: str, new: str) -> str:
    """A patch-compatible diff; lines split on real newlines only (not form feeds)."""
    name = Path(path).as_posix().lstrip("/")
    lines = difflib.unified_diff(
        io.StringIO(old, newline="").readlines(),
        io.StringIO(new, newline="").readlines(),
        f"a/{name}",
        f"b/{name}",
    )
    return "".join(
        line if line.endswith(("\n", "\r")) else line + "\n\\ No newline at end of file\n"
        for line in lines
    )


class _Changed(Exception):
    """The file on disk is no longer the one that was read: never overwrite it."""


def _same_file(before: os.stat_result, after: os.stat_result) -> bool:
    return (before.st_ino, before.st_dev, before.st_size, before.st_mtime_ns) == (
        after.st_ino, after.st_dev, after.st_size, after.st_mtime_ns
    )


def _atomic_write(path: str, data: bytes, read: os.stat_result) -> None:
    """Replace the file in one step so an interrupted run never leaves half a file behind.

    ``read`` is the file's status when it was read: a file deleted, replaced or edited
    since then (an editor saving, a checkout) raises :class:`_Changed` instead of being
    resurrected or losing that edit.
    """
    target = os.path.realpath(path)
    fd, temporary = tempfile.mkstemp(
        dir=os.path.dirname(target), prefix=f".{os.path.basename(target)}.", suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, stat.S_IMODE(read.st_mode))
        try:
            current = os.stat(target)
        except FileNotFoundError:
            raise _Changed("deleted while the codemod ran") from None
        if not _same_file(read, current):
            raise _Changed("changed while the codemod ran")
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


@dataclass(frozen=True)
class _Source:
    """One file as read: its text and what writing it back needs."""

    path: str
    text: str
    encoding: str
    status: os.stat_result


def _read(path: str) -> _Source | FileResult:
    """The decoded file, or the skip that says why it cannot be read."""
    try:
        with open(path, "rb") as handle:
            status = os.fstat(handle.fileno())
            data = handle.read()
    except OSError as error:
        return FileResult(path, skipped=f"cannot read: {error.strerror}")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        # bytes.decode keeps "\r\n" as is; libcst then writes back the file's own newlines.
        text = data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError) as error:
        return FileResult(path, skipped=f"cannot decode: {error}")
    return _Source(path, text, encoding, status)


def _failure(path: str, error: Exception) -> FileResult:
    """A codemod's exception as a one-line skip.

    A RecursionError anywhere in the exception's chain means the file is nested deeper
    than Python's recursion limit allows (libcst's context managers then raise further
    exceptions while unwinding, whose messages may not even be printable).
    """
    if isinstance(error, libcst.ParserSyntaxError):
        return FileResult(path, skipped=f"cannot parse: {_first_line(error.message)}")
    if _caused_by_recursion(error):
        return FileResult(path, skipped=_TOO_DEEP)
    if isinstance(error, Skip):
        return FileResult(path, skipped=_message(error))
    return FileResult(path, skipped=f"internal error: {type(error).__name__}: {_message(error)}")


_TOO_DEEP = "too deeply nested to rewrite safely (RecursionError)"


def _caused_by_recursion(error: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, RecursionError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _message(error: BaseException) -> str:
    """The exception's message on one line, even when ``str()`` itself fails."""
    try:
        text = str(error)
    except Exception:  # e.g. a KeyError whose key has no printable repr
        return "(message not printable)"
    return _first_line(text)


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0] if lines else ""


def _nesting_problem(text: str) -> str | None:
    """Why the file is too deeply nested for libcst, or None.

    libcst's native parser overflows the C stack (the process dies of SIGSEGV) on about a
    thousand nested brackets, and takes minutes on an expression CPython's own parser gives
    up on: CPython's parser, at C speed, rejects both first. Files it rejects for other
    reasons (newer syntax) are left to libcst.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # no SyntaxWarning (invalid escapes) on stderr
            ast.parse(text)
    except RecursionError:
        return _TOO_DEEP
    except MemoryError:
        return "too deeply nested to rewrite safely (MemoryError in Python's parser)"
    except SyntaxError as error:
        if "too many nested" in str(error.msg) or "too many levels" in str(error.msg):
            return f"too deeply nested to rewrite safely ({error.msg}, line {error.lineno})"
    except ValueError:
        pass
    return None


def _prefilter(job: _Job, source: _Source) -> FileResult | None:
    """The result for a file the codemod's quick text check rules out; None: transform it."""
    try:
        if job.codemod.might_change(source.text):
            return None
    except Exception as error:
        return _failure(source.path, error)
    return FileResult(source.path)


def _transform(job: _Job, source: _Source) -> FileResult:
    """Transform one read file and (maybe) write it; every failure becomes a skip."""
    path, text = source.path, source.text
    problem = _nesting_problem(text)
    if problem is not None:
        return FileResult(path, skipped=problem)
    try:
        outcome = job.codemod.transform(text, job.options)
    except Exception as error:
        return _failure(path, error)
    notes = tuple(n if isinstance(n, Note) else Note(None, n) for n in outcome.notes)
    if outcome.code == text:
        return FileResult(path, notes=notes, refused=outcome.refused)
    try:
        new_data = outcome.code.encode(source.encoding)
    except UnicodeEncodeError as error:
        return FileResult(path, skipped=f"cannot encode: {error}")
    if job.write:
        if not source.status.st_mode & 0o222:
            return FileResult(path, skipped="read-only file: not rewritten")
        try:
            _atomic_write(path, new_data, source.status)
        except _Changed as error:
            return FileResult(path, skipped=f"not rewritten: {error}")
        except OSError as error:
            return FileResult(path, skipped=f"cannot write: {error.strerror}")
    diff = _unified_diff(path, text, outcome.code) if job.diff else ""
    return FileResult(path, changed=True, diff=diff, notes=notes, refused=outcome.refused)


def _process(job: _Job, path: str) -> FileResult:
    """Read, prefilter, transform and (maybe) write one file; never raises."""
    source = _read(path)
    if isinstance(source, FileResult):
        return source
    return _prefilter(job, source) or _transform(job, source)


# Set once per worker process by _init_worker; pool tasks then carry only a path.
_WORKER_JOB: _Job | None = None


def _init_worker(codemod: Codemod | str, options: object, diff: bool, write: bool) -> None:
    """Set up a worker process once; a str codemod is an import path, imported here."""
    global _WORKER_JOB
    _die_with_parent()
    if isinstance(codemod, str):
        codemod = load_codemod(codemod)
    _WORKER_JOB = _Job(codemod, options, diff, write)


def _die_with_parent() -> None:
    """On Linux, have the kernel kill this worker when the runner dies (even of SIGKILL),
    so no orphan goes on rewriting files after the run was stopped."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    except (OSError, AttributeError):
        return


def _transform_in_worker(path: str) -> FileResult:
    """Pool task for a file the parent's prefilter let through: only a path is pickled."""
    assert _WORKER_JOB is not None, "worker used before _init_worker"
    return _process_candidate(_WORKER_JOB, path)


def _start_method() -> str:
    """fork where it is safe and cheap (Linux, one thread): workers start in milliseconds
    with the codemod already imported; spawn elsewhere."""
    if sys.platform.startswith("linux") and threading.active_count() == 1:
        return "fork"
    return "spawn"


def _results(
    job: _Job, files: list[str], jobs: int, import_path: str | None
) -> Iterator[FileResult]:
    """Yield results in ``files`` order, in parallel when the run is big enough to pay off.

    With more than one job the parent first reads every file and runs the codemod's
    prefilter (cheap, and usually rejects almost every file); only the files it lets
    through go to worker processes, as paths, and only when there are enough of them to
    pay for the workers. Spawned workers get the codemod's import path when known, so the
    instance itself never needs to pickle; forked ones inherit it.
    """
    if min(jobs, len(files) // MIN_FILES_PER_WORKER) < 2:
        yield from (_process(job, path) for path in files)
        return
    early: list[FileResult | None] = []
    for path in files:
        source = _read(path)
        early.append(source if isinstance(source, FileResult) else _prefilter(job, source))
    candidates = [path for path, result in zip(files, early) if result is None]
    workers = min(jobs, len(candidates) // MIN_FILES_PER_WORKER)
    if workers < 2:
        transformed = (_process_candidate(job, path) for path in candidates)
        yield from _merge(early, transformed)
        return
    method = _start_method()
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context(method),
        initializer=_init_worker,
        initargs=(
            job.codemod if method == "fork" else import_path or job.codemod,
            job.options, job.diff, job.write,
        ),
    )
    try:
        chunk = max(1, min(16, len(candidates) // (workers * 4)))
        yield from _merge(early, pool.map(_transform_in_worker, candidates, chunksize=chunk))
    finally:
        pool.shutdown(cancel_futures=True)


def _process_candidate(job: _Job, path: str) -> FileResult:
    """Transform a file the prefilter let through, read afresh (as a worker would)."""
    source = _read(path)
    if isinstance(source, FileResult):
        return source
    return _transform(job, source)


def _merge(
    early: list[FileResult | None], transformed: Iterator[FileResult]
) -> Iterator[FileResult]:
    """The early results with the transformed ones filled in where they are None."""
    for result in early:
        yield result if result is not None else next(transformed)


class _Progress:
    """A ``[done/total]`` counter on stderr for long interactive runs, never in logs."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.enabled = total > PROGRESS_MIN_FILES and stream.isatty()
        self.shown = ""
        self.last_draw = 0.0

    def update(self, done: int) -> None:
        now = time.monotonic()
        if self.enabled and (now - self.last_draw >= 0.1 or done == self.total):
            self.shown = f"[{done}/{self.total}]"
            self.stream.write("\r" + self.shown)
            self.stream.flush()
            self.last_draw = now

    def clear(self) -> None:
        """Erase the counter so stdout lines on the same terminal are not garbled."""
        if self.shown:
            self.stream.write("\r" + " " * len(self.shown) + "\r")
            self.stream.flush()
            self.shown = ""


def _note_line(path: str, note: Note, prefix: str = "") -> str:
    """``path:line: text`` like flake8, so editors and terminals can jump to the place."""
    location = path if note.line is None else f"{path}:{note.line}"
    return f"{location}: {prefix}{note.text}"


def _report(result: FileResult, args: argparse.Namespace) -> list[str]:
    """Lines for one file, in a fixed order: status, diff, notes, refusals."""
    if result.skipped is not None:
        return [f"{result.path}: skipped: {result.skipped}\n"]
    lines = []
    if result.changed:
        if args.check:
            lines.append(f"would change: {result.path}\n")
        elif not args.diff:
            lines.append(f"changed: {result.path}\n")
        if result.diff:
            lines.append(result.diff)
    if not args.quiet:
        lines.extend(_note_line(result.path, note) + "\n" for note in result.notes)
        lines.extend(_note_line(result.path, note, "refused: ") + "\n" for note in result.refused)
    return lines


def run(
    codemod: Codemod,
    paths: Sequence[str],
    args: argparse.Namespace,
    import_path: str | None = None,
) -> int:
    """Apply ``codemod`` to ``paths`` as the command line asked; returns the exit code.

    ``args`` is what ``build_parser(codemod)`` parses. Without ``import_path`` worker
    processes receive the pickled ``codemod`` instance instead of importing it.
    """
    out = sys.stdout
    files, problems = collect_files(paths, args.exclude)
    for path, reason in problems:
        out.write(f"{path}: skipped: {reason}\n")
    for directory in _without_python_files(paths, files):
        out.write(f"{directory}: no Python files found\n")
    job = _Job(codemod, codemod.configure(args), args.diff, not (args.diff or args.check))
    progress = _Progress(len(files), sys.stderr)
    changed = skipped = refused = 0
    for done, result in enumerate(_results(job, files, args.jobs, import_path), start=1):
        changed += result.changed
        skipped += result.skipped is not None
        refused += len(result.refused)
        lines = _report(result, args)
        if lines:
            progress.clear()
            out.writelines(lines)
        progress.update(done)
    progress.clear()
    verb = "changed" if job.write else "would change"
    summary = f"{len(files)} files scanned, {changed} {verb}, {skipped + len(problems)} skipped"
    out.write(summary + (f", {refused} refused" if refused else "") + "\n")
    out.flush()
    if skipped or problems:
        return 2
    return 1 if args.check and changed else 0


def main(codemod_name: str, argv: list[str] | None = None) -> int:
    """Command line entry point of ``python -m codemods.<name>``."""
    import_path = CODEMODS.get(codemod_name)
    if import_path is None:
        known = ", ".join(sorted(CODEMODS))
        sys.stderr.write(f"unknown codemod {codemod_name!r} (known: {known})\n")
        return 2
    try:
        codemod = load_codemod(import_path)
    except (ImportError, AttributeError) as error:
        sys.stderr.write(f"codemod {codemod_name!r} is unavailable: {error}\n")
        return 2
    return run_command_line(codemod, argv, import_path)


def _registered_parsers() -> Iterator[argparse.ArgumentParser]:
    """Every loadable registered codemod's parser, for the keys of the shared config table."""
    for import_path in CODEMODS.values():
        try:
            parser = build_parser(load_codemod(import_path))
        except Exception:  # a broken codemod is reported when it is run, not here
            continue
        yield parser


def run_command_line(
    codemod: Codemod,
    argv: Sequence[str] | None,
    import_path: str | None = None,
    prog: str | None = None,
) -> int:
    """Parse ``argv`` over the defaults in pyproject.toml, then ``run``; the exit code."""
    parser = build_parser(codemod, prog)
    try:
        args = config.parse_args(parser, argv, _registered_parsers)
    except config.ConfigError as error:
        sys.stderr.write(f"{parser.prog}: error: {error}\n")
        return 2
    if isinstance(sys.stdout, io.TextIOWrapper):
        # Diffs of e.g. latin-1 files must not crash a run on an ASCII-only terminal.
        sys.stdout.reconfigure(errors="backslashreplace")
    return run(codemod, args.paths, args, import_path)
