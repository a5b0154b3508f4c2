"""Run FastAPI apps under ``TestClient`` and print what their lifespans did, as JSON.

Usage: ``python _driver.py ROOT`` with a JSON list of scenarios on stdin, each
``{"id": str, "app": "pkg.module:attr" or "pkg.module:factory()", "path": str,
"env": {name: value}, "after_import": {"pkg.module:obj.attr": value}}``; ``{root}`` in env
values is replaced by ROOT, and ``after_import`` assignments are made after the app is
imported and before its lifespan starts (as a test's conftest overrides settings). ROOT is
put on ``sys.path`` and made the working directory (literal ``sqlite:///./x.db`` URLs land
there).

For each scenario the driver imports the app fresh (the app's package is dropped from
``sys.modules`` first), enters ``with TestClient(app):``, makes one GET request, leaves,
and reports: the event log (handler names from ``probe.record``, ``request`` when the
request is made, ``dispose:<db>`` whenever an engine is disposed), the engines created
with their pool settings,
the warnings raised while importing and running the app, the response, and the error if
the lifespan raised. Engines are real; creation and ``Engine.dispose`` are only
observed (see ``_install_spies``); ``AsyncEngine.dispose`` goes through ``Engine.dispose``.
"""

import gc
import importlib
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Dialect, Engine

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette warns that TestClient prefers httpx2.
    from fastapi.testclient import TestClient

CREATED: list[Engine] = []


def _label(engine: Engine) -> str:
    """Name an engine by its database file (each app uses distinct file names)."""
    database = engine.url.database
    return Path(database).name if database and database != ":memory:" else ":memory:"


def _install_spies() -> None:
    """Observe engine creation and disposal without changing what they do.

    Creation is seen through ``Dialect.engine_created``, SQLAlchemy's hook called once for
    every new engine (wrapping ``Engine.__init__`` would hide its keyword arguments from
    ``create_engine``'s argument check).
    """
    import probe

    real_created = Dialect.engine_created.__func__  # type: ignore[attr-defined]
    real_dispose = Engine.dispose

    def engine_created(cls: type, engine: Engine) -> None:
        CREATED.append(engine)
        real_created(cls, engine)

    def dispose(self: Engine, close: bool = True) -> None:
        probe.record(f"dispose:{_label(self)}")
        real_dispose(self, close=close)

    Dialect.engine_created = classmethod(engine_created)  # type: ignore[assignment]
    Engine.dispose = dispose  # type: ignore[method-assign]


def _pool_settings(engine: Engine) -> dict[str, Any]:
    """The pool parameters the engine really runs with (kept across ``dispose()``)."""
    pool = engine.pool
    max_overflow = getattr(pool, "_max_overflow", None)
    return {
        "pool": type(pool).__name__,
        "recycle": pool._recycle,
        "pre_ping": pool._pre_ping,
        "size": pool.size() if max_overflow is not None else None,
        "max_overflow": max_overflow,
    }


def _load(target: str) -> Any:
    """Import ``pkg.module:attr``, calling it when written ``attr()`` (an app factory)."""
    module_name, _, attribute = target.partition(":")
    package = module_name.split(".")[0]
    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]
    module = importlib.import_module(module_name)
    if attribute.endswith("()"):
        return getattr(module, attribute[:-2])()
    return getattr(module, attribute)


def _assign(target: str, value: Any) -> None:
    """``module:a.b`` = value, the way a conftest overrides settings after importing the app."""
    module_name, _, path = target.partition(":")
    *owners, attribute = path.split(".")
    owner: Any = importlib.import_module(module_name)
    for name in owners:
        owner = getattr(owner, name)
    setattr(owner, attribute, value)


def run(scenario: dict[str, Any], root: str) -> dict[str, Any]:
    """Run one scenario and describe it."""
    import probe

    env = {k: v.replace("{root}", root) for k, v in scenario.get("env", {}).items()}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    probe.events.clear()
    CREATED.clear()
    result: dict[str, Any] = {"id": scenario["id"], "error": None, "status": None, "body": None}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                app = _load(scenario["app"])
                for target, value in scenario.get("after_import", {}).items():
                    _assign(target, value)
                with TestClient(app) as client:
                    probe.record("request")
                    response = client.get(scenario["path"])
                    result["status"] = response.status_code
                    result["body"] = response.json()
            except Exception as error:  # the app's own failure is part of its behaviour
                result["error"] = f"{type(error).__name__}: {error}"
            gc.collect()  # flush "coroutine ... was never awaited" warnings now
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    result["events"] = list(probe.events)
    result["engines"] = {_label(e): _pool_settings(e) for e in CREATED}
    result["warnings"] = [
        {
            "category": w.category.__name__,
            "message": str(w.message).strip().splitlines()[0],
            "file": w.filename,
            "line": w.lineno,
        }
        for w in caught
    ]
    return result


def main() -> None:
    root = os.path.abspath(sys.argv[1])
    sys.path.insert(0, root)
    os.chdir(root)
    sys.dont_write_bytecode = True
    _install_spies()
    scenarios = json.load(sys.stdin)
    print(json.dumps([run(s, root) for s in scenarios]))


if __name__ == "__main__":
    main()
