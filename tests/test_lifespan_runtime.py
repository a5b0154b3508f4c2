"""Runtime equivalence of ``codemods.lifespan`` on realistic multi-module FastAPI apps.

Issue 3, Tests section. Each app under ``tests/data/runtime_apps/`` is copied to a
temporary directory and run twice in fresh processes by ``_driver.py`` (real FastAPI,
``with TestClient(app):``, one request, real SQLite/aiosqlite engines): once as written,
once after ``python -m codemods.lifespan``. The driver reports the order in which the
start-up/shut-down handlers ran, every engine disposal, the engines' pool settings, the
warnings and the response. The converted app must behave the same, apart from the
documented changes:

- handlers an app with ``lifespan=`` silently ignored (FPR103) now run, once each;
- a router's ``on_event`` handler, which FastAPI runs once per level of
  ``include_router`` today (the copies in the parent's list), runs once: the run kept is
  the router's own nested lifespan, i.e. the last start-up run and the first shut-down run;
- every engine is disposed exactly once, after the last shut-down handler; engines with a
  URL from settings get ``pool_recycle=3600, pool_pre_ping=True`` but no pool size.

On top of that: no ``on_event`` deprecation warning remains, a second codemod run changes
nothing, and ``flake8 --select FPR101,...,FPR108`` reports nothing on the converted apps
that the codemod did not itself report as refused or left out.

All apps share one driver process per side, so the file runs in a few seconds.
"""

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tokenize
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
APPS = Path(__file__).resolve().parent / "data" / "runtime_apps"
LINT_CODES = "FPR101,FPR102,FPR103,FPR105,FPR106,FPR107,FPR108"
ON_EVENT_WARNING = "on_event is deprecated"
REQUEST = "request"
DISPOSE = "dispose:"
TIMEOUT = 120
HAVE_CODEMOD = importlib.util.find_spec("codemods.lifespan") is not None


@dataclass(frozen=True)
class Scenario:
    """One run of one app, and what FastAPI does with it today (verified by running it)."""

    id: str
    package: str
    target: str  # "module:attribute", or "module:factory()" for an app factory
    path: str
    events: tuple[str, ...]  # handler names, "request", "dispose:<db file>" in order
    env: dict[str, str] = field(default_factory=dict)
    # Assignments made after importing the app, before start-up ("module:obj.attr": value),
    # the way a test's conftest overrides settings.
    after_import: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # the start-up error TestClient re-raises
    # Router on_event handlers that run more than once today and once after conversion.
    router_handlers: frozenset[str] = frozenset()
    # Handlers an app with lifespan= ignores today, in registration order, and the event
    # of the existing lifespan's start-up that they must follow once they run.
    orphans: tuple[str, ...] = ()
    orphans_after: str | None = None
    # Engines whose URL comes from settings: after conversion pool_recycle=3600 and
    # pool_pre_ping=True, pool size left as it was (the URL may be in-memory SQLite).
    tuned_engines: frozenset[str] = frozenset()


def _db(name: str, driver: str = "sqlite") -> str:
    """An absolute SQLite URL in the run's directory (the driver expands ``{root}``)."""
    return f"{driver}:///{{root}}/{name}"


SCENARIOS = (
    Scenario(
        "shop_api",
        "shop_api",
        "shop_api.main:app",
        "/health",
        (
            "startup_checks", "create_tables", "check_schema", "load_fixtures", "warm_cache",
            REQUEST, "flush_metrics", "log_shutdown", "close_sessions",
        ),
        env={"SHOP_DATABASE_URL": _db("shop.db")},
        tuned_engines=frozenset({"shop.db"}),
    ),
    Scenario(
        "shop_api-startup_fails",
        "shop_api",
        "shop_api.main:app",
        "/health",
        ("startup_checks", "create_tables", "check_schema"),
        env={"SHOP_DATABASE_URL": _db("shop.db"), "SHOP_REQUIRED_SCHEMA": "3"},
        error="RuntimeError: database schema 2 is older than required 3",
        tuned_engines=frozenset({"shop.db"}),
    ),
    Scenario(
        "realworld_api",
        "realworld_api",
        "realworld_api.main:app",
        "/api/articles",
        (
            "start_app", "connect_to_db", "fill_tag_cache",
            REQUEST, "stop_app", "close_db_connection", "dispose:realworld.db", "drop_tag_cache",
        ),
        env={"REALWORLD_DATABASE_URL": _db("realworld.db", "sqlite+aiosqlite")},
        tuned_engines=frozenset({"realworld.db"}),
    ),
    Scenario(
        "metrics_app",
        "metrics_app",
        "metrics_app.main:app",
        "/metrics/",
        (
            "transactional(seed_counters)", "seed_counters",
            "repeat_every(refresh_exchange_rates)", "refresh_exchange_rates",
            "repeat_every(prune_stale_sessions)", "prune_stale_sessions",
            REQUEST, "transactional(persist_counters)", "persist_counters", "clear_rates",
        ),
    ),
    Scenario(
        "orders_service",
        "orders_service",
        "orders_service.main:app",
        "/orders/count",
        (
            "init_models", "connect_redis", "start_outbox_relay", "lambda:startup",
            "cache.warm(size=10)", "flush_outbox(startup)", "announce",
            REQUEST, "stop_outbox_relay", "outbox_relay:stopped", "flush_outbox(shutdown)",
            "lambda:shutdown", "close_redis", "goodbye",
        ),
    ),
    Scenario(
        # FastAPI evaluates partial(...) arguments when the handler is registered (import
        # time), so a settings override made by a test after import does not reach them.
        "orders_service-settings_overridden_after_import",
        "orders_service",
        "orders_service.main:app",
        "/orders/count",
        (
            "init_models", "connect_redis", "start_outbox_relay", "lambda:startup",
            "cache.warm(size=10)", "flush_outbox(startup)", "announce",
            REQUEST, "stop_outbox_relay", "outbox_relay:stopped", "flush_outbox(shutdown)",
            "lambda:shutdown", "close_redis", "goodbye",
        ),
        after_import={"orders_service.core.config:settings.cache_size": 3},
    ),
    Scenario(
        "cms_api",
        "cms_api",
        "cms_api.main:app",
        "/admin/permissions",
        (
            "connect_search", "load_admin_permissions", "load_templates", "open_report_store",
            "load_admin_permissions", "open_report_store", "open_report_store",
            REQUEST, "close_report_store", "close_report_store", "drop_admin_sessions",
            "drop_admin_sessions", "disconnect_search", "close_report_store",
        ),
        router_handlers=frozenset({
            "load_admin_permissions", "drop_admin_sessions",
            "open_report_store", "close_report_store",
        }),
    ),
    Scenario(
        "inventory_service-audit",
        "inventory_service",
        "inventory_service.main:create_app()",
        "/stock/",
        (
            "open_http_client", "load_feature_flags", "audit.start",
            REQUEST, "audit.stop", "close_http_client", "clear_feature_flags", "close_engine",
            "dispose:inventory.db",
        ),
        env={"INVENTORY_DATABASE_URL": _db("inventory.db"), "INVENTORY_ENABLE_AUDIT": "1"},
        tuned_engines=frozenset({"inventory.db"}),
    ),
    Scenario(
        "inventory_service-no_audit",
        "inventory_service",
        "inventory_service.main:create_app()",
        "/stock/",
        (
            "open_http_client", "load_feature_flags",
            REQUEST, "close_http_client", "clear_feature_flags", "close_engine",
            "dispose:inventory.db",
        ),
        env={"INVENTORY_DATABASE_URL": _db("inventory.db"), "INVENTORY_ENABLE_AUDIT": "0"},
        tuned_engines=frozenset({"inventory.db"}),
    ),
    Scenario(
        "notifications_api-scheduler",
        "notifications_api",
        "notifications_api.main:app",
        "/notifications/status",
        (
            "connect_broker", "scheduler.start", "log_config",
            REQUEST, "scheduler.shutdown", "close_db", "dispose:notifications.db",
            "disconnect_broker",
        ),
        env={
            "NOTIFY_DATABASE_URL": _db("notifications.db", "sqlite+aiosqlite"),
            "ENABLE_SCHEDULER": "true",
            "SENTRY_DSN": "",
        },
        tuned_engines=frozenset({"notifications.db"}),
    ),
    Scenario(
        "notifications_api-sentry",
        "notifications_api",
        "notifications_api.main:app",
        "/notifications/status",
        (
            "connect_broker", "init_sentry", "log_config",
            REQUEST, "close_db", "dispose:notifications.db", "disconnect_broker",
        ),
        env={
            "NOTIFY_DATABASE_URL": _db("notifications.db", "sqlite+aiosqlite"),
            "ENABLE_SCHEDULER": "false",
            "SENTRY_DSN": "https://key@sentry.invalid/1",
        },
        tuned_engines=frozenset({"notifications.db"}),
    ),
    Scenario(
        "billing_api",
        "billing_api",
        "billing_api.main:app",
        "/invoices/count",
        ("lifespan:enter", "register_webhooks", REQUEST, "lifespan:exit"),
        env={"BILLING_DATABASE_URL": _db("billing.db")},
        orphans=(
            "warm_invoice_templates", "connect_payment_gateway",
            "close_payment_gateway", "flush_ledger",
        ),
        orphans_after="lifespan:enter",
        tuned_engines=frozenset({"billing.db"}),
    ),
    Scenario(
        "gateway_service",
        "gateway_service",
        "gateway_service.main:app",
        "/routes",
        ("on_start", "load_routes", REQUEST, "on_stop", "dispose:gateway.db"),
        env={"GATEWAY_DATABASE_URL": _db("gateway.db", "sqlite+aiosqlite")},
        tuned_engines=frozenset({"gateway.db"}),
    ),
    Scenario(
        "tasks_api",
        "tasks_api",
        "tasks_api.main:app",
        "/tasks/health",
        ("startup_redis", "create_schema", REQUEST, "shutdown_redis", "log_stop"),
        env={"TASKS_DATABASE_URL": _db("tasks.db", "sqlite+aiosqlite")},
        tuned_engines=frozenset({"tasks.db"}),
    ),
    Scenario(
        "blog_api",
        "blog_api",
        "blog_api.main:app",
        "/posts/count",
        ("configure_logging", "create_tables", REQUEST, "close_database", "dispose:blog.db"),
        env={"BLOG_DATABASE_URL": _db("blog.db")},
        tuned_engines=frozenset({"blog.db"}),
    ),
    Scenario(
        "search_api",
        "search_api",
        "search_api.main:app",
        "/search?q=fast",
        ("load_synonyms", "build_index", REQUEST, "timed(drop_index)", "drop_index"),
    ),
)
PACKAGES = tuple(dict.fromkeys(s.package for s in SCENARIOS))

# Findings the original apps must produce: proof that each fixture exercises the rules.
LINT_BEFORE: dict[str, set[tuple[str, str]]] = {
    "shop_api": {("main.py", "FPR101"), ("main.py", "FPR105"), ("db.py", "FPR107")},
    "realworld_api": {("main.py", "FPR101"), ("db/events.py", "FPR108")},
    "metrics_app": {("main.py", "FPR101"), ("main.py", "FPR105")},
    "orders_service": {("main.py", "FPR101"), ("main.py", "FPR102"), ("main.py", "FPR105")},
    "cms_api": {("main.py", "FPR101"), ("routers/admin.py", "FPR101"),
                ("routers/reports.py", "FPR101")},
    "inventory_service": {("main.py", "FPR101"), ("main.py", "FPR105"),
                          ("database.py", "FPR107")},
    "notifications_api": {("main.py", "FPR101"), ("db.py", "FPR107")},
    "billing_api": {("main.py", "FPR102"), ("main.py", "FPR103"), ("main.py", "FPR105"),
                    ("routers/webhooks.py", "FPR101")},
    "gateway_service": {("main.py", "FPR101"), ("database.py", "FPR107")},
    "tasks_api": {("main.py", "FPR101"), ("core/redis.py", "FPR101"), ("main.py", "FPR105"),
                  ("db.py", "FPR107")},
    "blog_api": {("core/application.py", "FPR101"), ("database.py", "FPR107")},
    "search_api": {("main.py", "FPR101")},
}


# --------------------------------------------------------------------------- processes


@dataclass(frozen=True)
class Completed:
    """A finished subprocess."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        """Everything needed to understand a failure, for assertion messages."""
        return (
            f"$ {' '.join(self.args)}\nexit {self.returncode}\n"
            f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}"
        )


def _run(args: Sequence[str], stdin: str | None = None) -> Completed:
    """Run one command from the repository root with the test's interpreter."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    process = subprocess.run(
        args, input=stdin, capture_output=True, text=True, cwd=REPO, env=env, timeout=TIMEOUT
    )
    return Completed(tuple(args), process.returncode, process.stdout, process.stderr)


def _run_parallel(*jobs: tuple[Sequence[str], str | None]) -> list[Completed]:
    """Run independent commands at the same time (most of their time is start-up)."""
    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(lambda job: _run(*job), jobs))


def _driver_job(root: Path) -> tuple[list[str], str]:
    """The driver command for every scenario, with apps imported from ``root``."""
    scenarios = [
        {"id": s.id, "app": s.target, "path": s.path, "env": s.env,
         "after_import": s.after_import}
        for s in SCENARIOS
    ]
    return [sys.executable, str(root / "_driver.py"), str(root)], json.dumps(scenarios)


def _codemod_job(root: Path) -> tuple[list[str], None]:
    """``python -m codemods.lifespan`` over every app copied to ``root``.

    One worker: the other commands already use the second core, and spawning workers
    costs more than these ~80 files take.
    """
    return [
        sys.executable, "-m", "codemods.lifespan", "-j", "1", *(str(root / p) for p in PACKAGES)
    ], None


def _flake8_job(root: Path) -> tuple[list[str], None]:
    """The lifespan rules over every app in ``root``, ignoring the project's config."""
    return [
        sys.executable, "-m", "flake8", "--isolated", f"--select={LINT_CODES}",
        *(str(root / p) for p in PACKAGES),
    ], None


def _driver_results(completed: Completed) -> dict[str, dict[str, Any]]:
    """Scenario id -> what the driver observed."""
    assert completed.returncode == 0, completed.describe()
    return {result["id"]: result for result in json.loads(completed.stdout)}


# --------------------------------------------------------------------------- output parsing


@dataclass(frozen=True)
class Finding:
    """A flake8 finding, located relative to its app package."""

    package: str
    file: str
    line: int
    code: str
    text: str


@dataclass(frozen=True)
class Report:
    """One line of the codemod's output about an app file, located like a Finding.

    ``kind`` is "changed" for ``changed: PATH``/``would change: PATH``, "skipped" for
    ``PATH: skipped: reason`` and "note" for ``PATH[:LINE]: text`` (refusals included).
    """

    package: str
    file: str
    line: int | None
    text: str
    kind: str


def _locate(root: Path, path: str) -> tuple[str, str] | None:
    """(package, path inside the package) of a path the tools printed, if it is an app's."""
    try:
        relative = Path(path).resolve().relative_to(root.resolve())
    except ValueError:
        return None
    return relative.parts[0], Path(*relative.parts[1:]).as_posix()


def _findings(completed: Completed, root: Path) -> list[Finding]:
    """Parse ``path:line:col: CODE message`` lines."""
    assert completed.returncode in (0, 1) and not completed.stderr, completed.describe()
    findings = []
    for line in completed.stdout.splitlines():
        match = re.match(r"(?P<path>.+?):(?P<line>\d+):\d+: (?P<code>FPR\d+) (?P<text>.*)", line)
        assert match, f"unexpected flake8 output line: {line!r}"
        located = _locate(root, match["path"])
        assert located, line
        findings.append(Finding(*located, int(match["line"]), match["code"], match["text"]))
    return findings


def _reports(completed: Completed, root: Path) -> list[Report]:
    """Parse the codemod's per-file lines; other lines (summary, diffs) are ignored."""
    reports = []
    for line in completed.stdout.splitlines():
        changed = re.match(r"(?:would change|changed): (?P<path>.+\.py)$", line)
        note = re.match(r"(?P<path>[^:]+?\.py)(?::(?P<line>\d+))?: (?P<text>.*)", line)
        if changed:
            located, number, text, kind = _locate(root, changed["path"]), None, "", "changed"
        elif note:
            number = int(note["line"]) if note["line"] else None
            text = note["text"]
            kind = "skipped" if number is None and text.startswith("skipped:") else "note"
            located = _locate(root, note["path"])
        else:
            continue
        if located:
            reports.append(Report(*located, number, text, kind))
    return reports


def _is_refusal(report: Report) -> bool:
    """A place the codemod says it deliberately left alone (refused or left out)."""
    text = report.text.lower()
    return report.line is not None and ("refused" in text or "left out" in text)


# --------------------------------------------------------------------------- event logs


def _handlers(events: Iterable[str]) -> list[str]:
    """The handler events: everything but the disposals."""
    return [e for e in events if not e.startswith(DISPOSE)]


def _split(events: Sequence[str]) -> tuple[list[str], list[str]]:
    """(start-up part, shut-down part) around the request."""
    index = events.index(REQUEST)
    return list(events[:index]), list(events[index + 1:])


def _router_handlers_once(events: Sequence[str], names: frozenset[str]) -> list[str]:
    """Today's handler order with the copies of router handlers dropped.

    FastAPI runs a router handler's copies (in the parents' lists) first at start-up and
    last at shut-down; the run through the router's own nested lifespan is the last
    start-up run and the first shut-down run. That run is the one a router lifespan keeps.
    """
    startup, shutdown = _split(events)
    kept_startup = [
        e for i, e in enumerate(startup) if e not in names or e not in startup[i + 1:]
    ]
    kept_shutdown = [e for i, e in enumerate(shutdown) if e not in names or e not in shutdown[:i]]
    return [*kept_startup, REQUEST, *kept_shutdown]


def _on_event_warnings(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [w for w in result["warnings"] if w["message"].startswith(ON_EVENT_WARNING)]


def _snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """Content hash and mtime of every Python file under ``root``."""
    return {
        path.relative_to(root).as_posix(): (
            hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns
        )
        for path in sorted(root.rglob("*.py"))
    }


# --------------------------------------------------------------------------- the runs


@dataclass
class Runs:
    """Everything the tests look at, produced once for the whole module."""

    original: dict[str, dict[str, Any]]
    lint_before: list[Finding]
    converted_root: Path | None = None
    codemod: Completed | None = None
    reports: list[Report] = field(default_factory=list)
    converted: dict[str, dict[str, Any]] = field(default_factory=dict)
    lint_after: list[Finding] = field(default_factory=list)
    second_run: Completed | None = None
    second_root: Path | None = None
    before_second_run: dict[str, tuple[str, int]] = field(default_factory=dict)
    after_second_run: dict[str, tuple[str, int]] = field(default_factory=dict)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """Run the originals, the codemod, the converted apps and a second codemod run.

    Independent commands run concurrently; the second codemod run works on its own copy
    of the converted tree so it cannot change what the converted driver imports.
    """
    base = tmp_path_factory.mktemp("runtime_apps")
    original_root, converted_root = base / "original", base / "converted"
    ignore = shutil.ignore_patterns("__pycache__", "*.db")
    shutil.copytree(APPS, original_root, ignore=ignore)
    jobs = [_driver_job(original_root), _flake8_job(original_root)]
    if HAVE_CODEMOD:
        shutil.copytree(APPS, converted_root, ignore=ignore)
        jobs.append(_codemod_job(converted_root))
    driver, flake8, *codemod = _run_parallel(*jobs)
    result = Runs(_driver_results(driver), _findings(flake8, original_root))
    if not codemod:
        return result
    result.converted_root = converted_root
    result.codemod = codemod[0]
    result.reports = _reports(codemod[0], converted_root)
    second_root = base / "second"
    shutil.copytree(converted_root, second_root, ignore=ignore)
    result.second_root = second_root
    result.before_second_run = _snapshot(second_root)
    driver, flake8, second = _run_parallel(
        _driver_job(converted_root), _flake8_job(converted_root), _codemod_job(second_root)
    )
    result.converted = _driver_results(driver)
    result.lint_after = _findings(flake8, converted_root)
    result.second_run = second
    result.after_second_run = _snapshot(second_root)
    return result


def _need_codemod() -> None:
    pytest.importorskip("codemods.lifespan", reason="codemods/lifespan.py has not landed yet")


def _app_refusals(runs: Runs, package: str) -> list[Report]:
    return [r for r in runs.reports if r.package == package and _is_refusal(r)]


# --------------------------------------------------------------------------- originals


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_original_app_runs_its_handlers_in_fastapi_order(runs: Runs, scenario: Scenario) -> None:
    """The fixtures behave the way docs/framework-facts.md says FastAPI runs handlers."""
    result = runs.original[scenario.id]
    assert result["events"] == list(scenario.events)
    assert result["error"] == scenario.error
    if scenario.error is None:
        assert result["status"] == 200, result
    sources = (APPS / scenario.package).rglob("*.py")
    uses_on_event = any(".on_event(" in path.read_text() for path in sources)
    assert bool(_on_event_warnings(result)) == uses_on_event


@pytest.mark.parametrize("package", PACKAGES)
def test_original_app_is_flagged_by_the_lifespan_rules(runs: Runs, package: str) -> None:
    found = {(f.file, f.code) for f in runs.lint_before if f.package == package}
    assert LINT_BEFORE[package] <= found


def test_router_expectation_matches_the_documented_nesting() -> None:
    """The cms_api expectation spelled out: nested router handlers keep their own run."""
    cms = next(s for s in SCENARIOS if s.id == "cms_api")
    assert _router_handlers_once(cms.events, cms.router_handlers) == [
        "connect_search", "load_templates", "load_admin_permissions", "open_report_store",
        REQUEST, "close_report_store", "drop_admin_sessions", "disconnect_search",
    ]


# --------------------------------------------------------------------------- conversion


@pytest.mark.parametrize("package", PACKAGES)
def test_codemod_converts_the_app_without_skipping_files(runs: Runs, package: str) -> None:
    _need_codemod()
    assert runs.codemod is not None and runs.converted_root is not None
    assert runs.codemod.returncode == 0, runs.codemod.describe()
    mine = [r for r in runs.reports if r.package == package]
    assert not [r for r in mine if r.kind == "skipped"], runs.codemod.describe()
    changed = [r for r in mine if r.kind == "changed"]
    assert changed or _app_refusals(runs, package), runs.codemod.describe()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_converted_app_runs_the_same_handlers_in_the_same_order(
    runs: Runs, scenario: Scenario
) -> None:
    """Same handler sequence, apart from the documented router and orphan changes."""
    _need_codemod()
    before, after = runs.original[scenario.id], runs.converted[scenario.id]
    expected = _handlers(before["events"])
    if scenario.router_handlers:
        expected = _router_handlers_once(expected, scenario.router_handlers)
    actual = _handlers(after["events"])
    if scenario.orphans:
        assert [e for e in actual if e not in scenario.orphans] == expected
        assert [e for e in actual if e in scenario.orphans] == list(scenario.orphans), (
            "each handler the old lifespan= ignored now runs once, in registration order"
        )
        startup, shutdown = _split(actual)
        started = [e for e in scenario.orphans if e in startup]
        assert started and all(
            startup.index(e) > startup.index(scenario.orphans_after) for e in started
        ), f"orphaned start-up handlers must run after {scenario.orphans_after}: {actual}"
        assert set(scenario.orphans) <= set(startup) | set(shutdown)
    else:
        assert actual == expected, f"\nbefore: {before['events']}\nafter:  {after['events']}"
    assert after["error"] == before["error"]
    assert (after["status"], after["body"]) == (before["status"], before["body"])


def test_orphaned_handlers_are_split_by_phase(runs: Runs) -> None:
    """billing_api: the two start-up orphans run before the request, the others after."""
    _need_codemod()
    startup, shutdown = _split(runs.converted["billing_api"]["events"])
    assert {"warm_invoice_templates", "connect_payment_gateway"} <= set(startup)
    assert {"close_payment_gateway", "flush_ledger"} <= set(shutdown)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_converted_app_disposes_every_engine_once_at_the_end(
    runs: Runs, scenario: Scenario
) -> None:
    """Each engine is disposed exactly once: where the app already did it, or last.

    Only an app the codemod reported as refused may leave an engine undisposed.
    """
    _need_codemod()
    before, after = runs.original[scenario.id]["events"], runs.converted[scenario.id]["events"]
    engines = runs.converted[scenario.id]["engines"]
    assert set(engines) == set(runs.original[scenario.id]["engines"])
    if scenario.error is not None:
        # Start-up failed: no shut-down code runs, before or after (no try/finally).
        assert after == before
        return
    refused = bool(_app_refusals(runs, scenario.package))
    for engine in engines:
        marker = DISPOSE + engine
        if refused and marker not in after:
            continue  # an app the codemod refused (and said so) may keep its leak
        assert after.count(marker) == 1, f"{engine} disposed {after.count(marker)} times: {after}"
        position = after.index(marker)
        if marker in before:  # the app disposes it itself: same place as before
            assert after[position - 1] == before[before.index(marker) - 1], after
        else:
            assert all(e.startswith(DISPOSE) for e in after[position:]), (
                f"{engine} must be disposed after the last shut-down handler: {after}"
            )


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_converted_engines_get_pool_recycle_and_pre_ping(runs: Runs, scenario: Scenario) -> None:
    """Engines on settings URLs: recycle/pre-ping added, pool size not guessed."""
    _need_codemod()
    before = runs.original[scenario.id]["engines"]
    after = runs.converted[scenario.id]["engines"]
    for engine, pool in after.items():
        if engine in scenario.tuned_engines:
            assert (pool["recycle"], pool["pre_ping"]) == (3600, True), engine
            assert (pool["size"], pool["max_overflow"]) == (
                before[engine]["size"], before[engine]["max_overflow"]
            ), engine
        else:
            assert pool == before[engine], engine


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.id)
def test_converted_app_raises_no_on_event_or_unawaited_warning(
    runs: Runs, scenario: Scenario
) -> None:
    _need_codemod()
    result = runs.converted[scenario.id]
    refusals = _app_refusals(runs, scenario.package)
    # on_event warns twice per app decorator (one attributed to fastapi itself): look at
    # the ones attributed to the app's code, which name the line.
    unexplained = [
        w for w in _on_event_warnings(result)
        if (place := _locate_warning(runs, w)) is not None
        and not any(r.file == place[0] and r.line == place[1] for r in refusals)
    ]
    assert not unexplained, (unexplained, refusals)
    never_awaited = [w for w in result["warnings"] if "never awaited" in w["message"]]
    assert not never_awaited, never_awaited


def _locate_warning(runs: Runs, warning: dict[str, Any]) -> tuple[str, int] | None:
    """(file in package, line) of a warning raised by app code, else None."""
    assert runs.converted_root is not None
    located = _locate(runs.converted_root, warning["file"])
    return (located[1], warning["line"]) if located else None


@pytest.mark.parametrize(
    "scenario", [s for s in SCENARIOS if s.router_handlers], ids=lambda s: s.id
)
def test_router_handlers_are_reported_as_running_once(runs: Runs, scenario: Scenario) -> None:
    """The run summary says which router handlers FastAPI ran twice and now run once."""
    _need_codemod()
    notes = [r.text for r in runs.reports if r.package == scenario.package and "once" in r.text]
    for handler in scenario.router_handlers:
        assert any(handler in note for note in notes), (handler, notes)


@pytest.mark.parametrize("package", PACKAGES)
def test_converted_files_keep_their_comments(runs: Runs, package: str) -> None:
    """Every comment survives the rewrite, once: none lost, none copied onto new code."""
    _need_codemod()
    assert runs.converted_root is not None
    for original in sorted((APPS / package).rglob("*.py")):
        relative = original.relative_to(APPS)
        before, after = _comments(original), _comments(runs.converted_root / relative)
        assert after == before, (
            f"{relative}: added {dict(after - before)}, lost {dict(before - after)}"
        )


def _comments(path: Path) -> Counter[str]:
    """How often each comment text occurs in a Python file."""
    with path.open("rb") as handle:
        tokens = tokenize.tokenize(handle.readline)
        return Counter(t.string for t in tokens if t.type == tokenize.COMMENT)


def test_orphaned_handlers_are_reported_as_a_behaviour_change(runs: Runs) -> None:
    _need_codemod()
    assert runs.codemod is not None
    lines = [
        line for line in runs.codemod.stdout.splitlines()
        if "behaviour change:" in line and "billing_api" in line
    ]
    assert lines, runs.codemod.describe()
    billing = next(s for s in SCENARIOS if s.id == "billing_api")
    for handler in billing.orphans:
        assert any(handler in line for line in lines), (handler, lines)


@pytest.mark.parametrize("package", PACKAGES)
def test_second_codemod_run_changes_nothing(runs: Runs, package: str) -> None:
    _need_codemod()
    assert runs.second_run is not None and runs.second_root is not None
    assert runs.second_run.returncode == 0, runs.second_run.describe()
    changed = [
        r for r in _reports(runs.second_run, runs.second_root)
        if r.package == package and r.kind != "note"
    ]
    assert not changed, runs.second_run.describe()
    prefix = package + "/"
    before = {k: v for k, v in runs.before_second_run.items() if k.startswith(prefix)}
    after = {k: v for k, v in runs.after_second_run.items() if k.startswith(prefix)}
    assert after == before


@pytest.mark.parametrize("package", PACKAGES)
def test_lint_is_clean_after_conversion_except_reported_refusals(
    runs: Runs, package: str
) -> None:
    """Every lifespan finding left must be one the codemod reported as refused/left out."""
    _need_codemod()
    assert runs.converted_root is not None
    refusals = _app_refusals(runs, package)
    unexplained = [
        f for f in runs.lint_after
        if f.package == package and not _explained(runs.converted_root, f, refusals)
    ]
    assert not unexplained, "\n".join(
        [f"{f.file}:{f.line}: {f.code} {f.text}" for f in unexplained]
        + ["codemod reported:"] + [f"{r.file}:{r.line}: {r.text}" for r in refusals]
    )


def _explained(root: Path, finding: Finding, refusals: Sequence[Report]) -> bool:
    """Whether a refusal points at the finding: same line, or the same source text.

    The codemod reports lines of the file as it read it; the finding is on the converted
    file, where added imports or a lifespan may have moved it.
    """
    converted = (root / finding.package / finding.file).read_text().splitlines()
    original = (APPS / finding.package / finding.file).read_text().splitlines()
    text = converted[finding.line - 1].strip()
    for refusal in refusals:
        if refusal.file != finding.file or refusal.line is None:
            continue
        if refusal.line == finding.line:
            return True
        if refusal.line <= len(original) and original[refusal.line - 1].strip() == text:
            return True
    return False
