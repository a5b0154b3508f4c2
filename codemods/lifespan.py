"""``python -m codemods.lifespan``: on_event handlers -> lifespan, engine dispose and pool settings.

Removes the findings FPR101–FPR103 and FPR105–FPR108 report: start-up/shut-down handlers
(``@app.on_event``, ``add_event_handler``, ``on_startup=``/``on_shutdown=``) move into one
``@asynccontextmanager`` lifespan per app or router, called in FastAPI's own order;
engines get ``dispose()`` at the end of the shut-down part and the pool parameters the
lint rules ask for.  Anything it cannot convert with certainty is left untouched and
reported (``refused:``), never half-converted.

Composition with an existing ``lifespan=`` (FPR103): the existing lifespan stays the
outer context.  Its start-up runs first, then the handlers FastAPI used to ignore; at
shut-down those handlers run first, then the existing lifespan's own shut-down, and
disposes last.  Resources the existing lifespan sets up are therefore available to the
handlers, the same nesting FastAPI uses for an app lifespan around a router lifespan.
"""

from __future__ import annotations

import argparse
import ast
import re

import libcst as cst

from flake8_fastapi_prod import knowledge

from .imports import add_imports
from .lifespan_engines import DisposePlanner, plan_pools
from .lifespan_facts import ModuleFacts, Target, collect
from .lifespan_plan import Planner, handler_names
from .lifespan_render import Renderer
from .lifespan_rewrite import Edits, Namer, Note, Options, Report, Rewriter
from .lifespan_support import HandlerRunner, ImportRefs
from .runner import Note as RunnerNote
from .runner import Outcome, main

_WEB = knowledge.FRAMEWORK_MODULES
_DATABASE = frozenset({"sqlalchemy", "sqlmodel"})
#: Plain substrings at least one of which ``_FRAMEWORK_IMPORT`` or ``_EVENT_CALL`` needs:
#: a substring test is ten times cheaper than the case-insensitive ``_TRIGGER``.
_FRAMEWORK_WORDS = (*sorted(_WEB | _DATABASE), *knowledge.EVENT_METHODS)
_FRAMEWORK_IMPORT = re.compile(
    rf"^[ \t]*(?:from|import)[ \t]+(?:{'|'.join(sorted(_WEB | _DATABASE))})\b", re.MULTILINE
)
#: Every word one of the conditions of ``_needs_look`` needs, for a quick rejection.
_TRIGGER = re.compile(
    r"on_event|on_startup|on_shutdown|add_event_handler|engine|sessionmaker|Session|bind|begin"
    r"|connect|create_all|drop_all",
    re.IGNORECASE,
)
_EVENT_CALL = re.compile(rf"\.(?:{'|'.join(knowledge.EVENT_METHODS)})\s*\(")
_EVENT_WORDS = frozenset({*knowledge.EVENT_METHODS, *knowledge.EVENT_KWARGS})
_FACTORY_WORDS = knowledge.ENGINE_FACTORY_NAMES
#: How the lint rules recognise an imported engine (FPR105): by its uses or its name.
_ENGINE_USE_WORDS = knowledge.ENGINE_METHODS | knowledge.ENGINE_CONSUMERS | {"bind"}


def might_change(source: str) -> bool:
    """Cheap prefilter: framework imports next to event, lifespan or engine words.

    Substring tests, then regular expressions reject almost every file; the survivors
    are confirmed with ``ast`` (C speed), so only files that can need a change (or a
    note: handlers registered on an imported app) reach the libcst parse.
    """
    if not any(word in source for word in _FRAMEWORK_WORDS) or not _may_need_look(source):
        return False
    if not (_FRAMEWORK_IMPORT.search(source) or _EVENT_CALL.search(source)):
        return False
    if not _TRIGGER.search(source):
        return False
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return True  # newer syntax than this Python: let libcst decide
    return _needs_look(_Words(tree))


def _may_need_look(source: str) -> bool:
    """``_needs_look`` without a parse: the words each of its conditions needs in the text.

    Identifiers are only spelled as is in ASCII text (the parser NFKC-normalises the
    others), so any other text goes on to the parse.
    """
    if not source.isascii() or any(word in source for word in _EVENT_WORDS):
        return True
    if any(word in source for word in _DATABASE) and any(w in source for w in _FACTORY_WORDS):
        return True
    return "FastAPI" in source


class _Words:
    """The identifiers, imports and event receivers of a module, from one ``ast`` walk."""

    def __init__(self, tree: ast.AST) -> None:
        self.modules: set[str] = set()
        self.words: set[str] = set()
        self.imported: set[str] = set()
        self.receivers: set[str] = set()
        self.imported_engine = False
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                self._import(node)
            elif isinstance(node, ast.Attribute):
                self.words.add(node.attr)
                if node.attr in _EVENT_WORDS:
                    self.receivers.add(_head(node.value))
            elif isinstance(node, ast.Name):
                self.words.add(node.id)
            elif isinstance(node, ast.keyword) and node.arg:
                self.words.add(node.arg)

    def _import(self, node: ast.Import | ast.ImportFrom) -> None:
        names = [alias.asname or alias.name.split(".")[0] for alias in node.names]
        self.imported.update(names)
        if isinstance(node, ast.Import):
            self.modules.update(alias.name.split(".")[0] for alias in node.names)
            return
        top = (node.module or "").split(".")[0]
        if node.level == 0:
            self.modules.add(top)
        if node.level or top not in knowledge.LIBRARY_PACKAGES:
            self.imported_engine |= any("engine" in name.lower() for name in names)


def _head(node: ast.expr) -> str:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else ""


def _needs_look(found: _Words) -> bool:
    """Whether the module registers handlers, creates engines, or holds an app and an engine."""
    web = bool(found.modules & _WEB)
    if web and found.words & _EVENT_WORDS:
        return True
    if found.receivers & found.imported:
        return True  # registrations on an imported app: reported, even without a fastapi import
    if found.modules & _DATABASE and found.words & _FACTORY_WORDS:
        return True
    holds_app = web and "FastAPI" in found.words
    return holds_app and (found.imported_engine or bool(found.words & _ENGINE_USE_WORDS))


class LifespanCodemod:
    """The runner's view of this codemod (see ``codemods.runner.Codemod``)."""

    name = "lifespan"
    summary = "Move on_event handlers into a lifespan; dispose engines; set pool parameters"
    fixes = ("FPR101", "FPR102", "FPR103", "FPR105", "FPR106", "FPR107", "FPR108")

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        group = parser.add_argument_group("lifespan")
        group.add_argument(
            "--keep-ignored-handlers", action="store_true",
            help="leave apps that already have lifespan= (whose handlers never run) untouched "
                 "and only report them",
        )
        group.add_argument("--pool-size", type=_non_negative, default=10, metavar="N",
                           help="pool_size for engines without one (default: 10)")
        group.add_argument("--max-overflow", type=_non_negative, default=20, metavar="N",
                           help="max_overflow for engines without one (default: 20)")
        group.add_argument("--pool-recycle", type=int, default=3600, metavar="SECONDS",
                           help="pool_recycle for engines without one (default: 3600)")
        group.add_argument("--no-pool-sizing", action="store_true",
                           help="never add pool_size/max_overflow")
        group.add_argument("--no-pool-recycle", action="store_true",
                           help="never add pool_recycle")
        group.add_argument("--no-pool-pre-ping", action="store_true",
                           help="never add pool_pre_ping=True")
        group.add_argument("--no-pool", action="store_true",
                           help="add no pool parameter at all")
        group.add_argument(
            "--pool-size-on-dynamic-urls", action="store_true",
            help="also size pools whose URL is not a literal (fails with TypeError if the URL "
                 "turns out to be in-memory SQLite)",
        )

    def configure(self, args: argparse.Namespace) -> Options:
        sizing = not (args.no_pool or args.no_pool_sizing)
        return Options(
            keep_ignored_handlers=args.keep_ignored_handlers,
            pool_size=args.pool_size if sizing else None,
            max_overflow=args.max_overflow if sizing else None,
            pool_recycle=None if args.no_pool or args.no_pool_recycle else args.pool_recycle,
            pool_pre_ping=not (args.no_pool or args.no_pool_pre_ping),
            pool_size_on_dynamic_urls=args.pool_size_on_dynamic_urls,
        )

    def might_change(self, source: str) -> bool:
        return might_change(source)

    def transform(self, source: str, options: object) -> Outcome:
        assert isinstance(options, Options)
        code, report = rewrite(source, options)
        return Outcome(
            code,
            notes=tuple(_runner_note(note) for note in sorted(report.notes, key=_order)),
            refused=tuple(_runner_note(note) for note in sorted(report.refused, key=_order)),
        )


def rewrite(source: str, options: Options) -> tuple[str, Report]:
    """The new source and what to tell the user; the very same string when nothing changes."""
    module = cst.parse_module(source)
    facts = collect(module)
    report = Report()
    namer = Namer(facts.names)
    refs = ImportRefs(facts, namer)
    runner = HandlerRunner(facts.meta, refs, namer)
    planner = Planner(facts, options, report, namer, refs, runner)
    edits = Edits()
    for target in facts.targets:
        if target.has_handlers:
            planner.plan(target)
    _report_strays(facts, report)
    DisposePlanner(facts, planner, edits, report).run()
    plan_pools(facts, options, edits, report)
    renderer = Renderer(facts.meta, refs, namer, runner)
    for spec in planner.specs.values():
        renderer.finish(spec, edits)
        report.notes.extend(_conversion_notes(facts, spec.target, spec.existing is not None))
    anchors = [spec.target.anchor for spec in planner.specs.values() if spec.target.anchor]
    runner.place(edits, [*anchors, *edits.append_body])
    if not edits:
        return source, report
    edits.remove_lines(facts.meta.parent)
    new = module.visit(Rewriter(edits))
    if refs.needed:
        new = add_imports(new, refs.needed)
    return new.code, report


def _report_strays(facts: ModuleFacts, report: Report) -> None:
    """Registrations on apps created elsewhere: left as they are, and said so."""
    codes = ("FPR101",) if facts.imports_framework else ()
    for stray in facts.strays:
        report.refused.append(Note(
            stray.line,
            f"{stray.event} handler registered on `{stray.receiver}`, which this module does "
            "not create: left as is (a lifespan this codemod generates still runs it); move "
            "it into that app's lifespan by hand to drop the deprecated API",
            codes,
        ))


def _conversion_notes(facts: ModuleFacts, target: Target, composed: bool) -> list[Note]:
    """The run summary's lines about a converted target: changed behaviour is never silent."""
    if not target.registrations:
        return []
    handlers = handler_names(facts.meta, target)
    arg = target.lifespan_arg()
    existing = facts.meta.code(arg.value) if arg is not None else ""
    if composed and not target.is_router:
        return [Note(
            target.line,
            f"behaviour change: {target.label} had lifespan={existing}, so FastAPI never ran "
            f"its handlers {handlers}; they now run inside it (after its start-up, before its "
            "shut-down)",
        )]
    if composed:
        return [Note(
            target.line,
            f"behaviour change: {target.label} had lifespan={existing}, so its handlers "
            f"{handlers} only ran as copies in an app without lifespan=, before {existing} "
            f"started; they now run inside {existing}, in every app that includes the router",
        )]
    if target.is_router:
        return [Note(
            target.line,
            f"{target.label}: its handlers {handlers} now run once per `include_router`, in "
            "the router's lifespan after the app's start-up; FastAPI ran them twice per "
            "inclusion (copied into the app, and again through the router's nested lifespan)",
        )]
    return []


def _order(note: Note) -> tuple[int, str]:
    return (note.line or 0, note.text)


def _runner_note(note: Note) -> RunnerNote:
    return RunnerNote(note.line, note.render())


def _non_negative(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"must be at least 0, got {number}")
    return number


CODEMOD = LifespanCodemod()

if __name__ == "__main__":
    raise SystemExit(main("lifespan"))
