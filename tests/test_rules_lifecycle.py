"""FPR101–FPR109 edge cases beyond each rule's own examples."""

from __future__ import annotations

import ast
import textwrap

import pytest

from flake8_fastapi_prod.checker import Plugin
from plugin_runs import run_plugin


def findings(source: str, select: str = "FPR1") -> list[tuple[int, str]]:
    found = [(line, m.split()[0]) for line, _, m in run_plugin(textwrap.dedent(source))]
    return sorted(item for item in found if item[1].startswith(select))


def codes(source: str, select: str = "FPR1") -> list[str]:
    return [code for _, code in findings(source, select)]


def test_on_event_called_by_hand_is_flagged() -> None:
    assert codes(
        """
        from fastapi import FastAPI
        app = FastAPI()
        app.on_event("startup")(connect)
        """
    ) == ["FPR101"]


def test_app_factory_and_conditional_registration() -> None:
    assert findings(
        """
        from fastapi import FastAPI

        def create_app(settings) -> FastAPI:
            app = FastAPI(lifespan=lifespan)
            if settings.cache:
                @app.on_event("startup")
                async def warm():
                    ...
            return app
        """
    ) == [(7, "FPR101"), (7, "FPR103")]


def test_app_router_and_self_app() -> None:
    assert codes(
        """
        from fastapi import FastAPI

        class Server:
            def __init__(self):
                self.app = FastAPI()
                self.app.router.add_event_handler("shutdown", self.stop)

            def stop(self):
                ...
        """
    ) == ["FPR101"]


def test_subclass_of_fastapi_counts_as_app() -> None:
    assert codes(
        """
        from fastapi import FastAPI

        class App(FastAPI):
            pass

        app = App(lifespan=lifespan)
        app.router.add_event_handler("startup", go)
        """
    ) == ["FPR101", "FPR103"]


def test_router_included_into_app_with_lifespan_is_not_fpr103() -> None:
    # verified: a router without its own lifespan still runs its handlers once
    assert codes(
        """
        from fastapi import APIRouter, FastAPI
        router = APIRouter()
        app = FastAPI(lifespan=lifespan)

        @router.on_event("startup")
        def start():
            ...

        app.include_router(router)
        """
    ) == ["FPR101"]


def test_unknown_event_name_and_dynamic_event_are_silent() -> None:
    assert codes(
        """
        from fastapi import FastAPI
        app = FastAPI()
        app.router.add_event_handler(event_name, handler)
        """
    ) == []


def test_module_without_framework_imports_is_silent() -> None:
    assert codes(
        """
        def wire(app):
            app.add_event_handler("startup", go)

            @app.on_event("shutdown")
            def stop():
                ...
        """
    ) == []


def test_engine_under_module_level_try_is_import_time() -> None:
    assert "FPR104" in codes(
        """
        import sqlalchemy as sa
        try:
            engine = sa.create_engine(settings.url)
        except Exception:
            engine = None
        """
    )


def test_engine_in_lifespan_disposed_through_app_state() -> None:
    assert codes(
        """
        from contextlib import asynccontextmanager
        from fastapi import FastAPI
        from sqlalchemy.ext.asyncio import create_async_engine

        @asynccontextmanager
        async def lifespan(app: FastAPI):
            engine = create_async_engine(
                settings.url, pool_size=5, max_overflow=5, pool_recycle=60, pool_pre_ping=True
            )
            app.state.db = engine
            yield
            await app.state.db.dispose()

        app = FastAPI(lifespan=lifespan)
        """
    ) == []


def test_router_lifespan_that_never_disposes_its_engine() -> None:
    """No ``FastAPI`` in the module: the rule gate must still let FPR105 run."""
    assert codes(
        """
        from contextlib import asynccontextmanager
        from fastapi import APIRouter
        from sqlalchemy.ext.asyncio import create_async_engine

        @asynccontextmanager
        async def lifespan(app):
            app.state.engine = create_async_engine(
                settings.url, pool_size=5, max_overflow=5, pool_recycle=60, pool_pre_ping=True
            )
            yield

        router = APIRouter(lifespan=lifespan)
        """
    ) == ["FPR105"]


def test_imported_engine_used_as_bind_in_app_module() -> None:
    assert findings(
        """
        from fastapi import FastAPI
        from app.database import db
        from sqlalchemy.orm import sessionmaker

        SessionLocal = sessionmaker(bind=db)
        app = FastAPI()
        """
    ) == [(3, "FPR105")]


def test_imported_engine_class_is_not_an_engine() -> None:
    assert codes(
        """
        from fastapi import FastAPI
        from .search import SearchEngine
        app = FastAPI()
        """
    ) == []


def test_engine_disposed_in_shutdown_handler_is_fine() -> None:
    assert "FPR105" not in codes(
        """
        from fastapi import FastAPI
        from .db import engine
        app = FastAPI()
        app.router.add_event_handler("shutdown", engine.dispose)
        """
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ('"sqlite://"', []),
        ('"sqlite+aiosqlite:///./db.sqlite3"', []),
        ("URL", []),
        ('"postgresql://db/app"', ["FPR106", "FPR107", "FPR108"]),
        ("settings.DATABASE_URL", ["FPR106", "FPR107", "FPR108"]),
        ("REBOUND", ["FPR106", "FPR107", "FPR108"]),
    ],
)
def test_pool_rules_follow_the_url(url: str, expected: list[str]) -> None:
    source = f"""
        from sqlalchemy import create_engine
        URL = "sqlite:///./app.db"
        REBOUND = "sqlite://"
        REBOUND = os.environ["DATABASE_URL"]

        def make():
            return create_engine({url})
        """
    assert codes(source) == expected


def test_pool_pre_ping_false_is_a_choice() -> None:
    assert codes(
        """
        from sqlalchemy import create_engine

        def make():
            return create_engine(
                "postgresql://db/app", pool_size=1, max_overflow=0, pool_recycle=60,
                pool_pre_ping=False,
            )
        """
    ) == []


def test_engine_in_nested_function_of_path_operation_is_not_per_request() -> None:
    assert "FPR109" not in codes(
        """
        from fastapi import FastAPI
        from sqlalchemy import create_engine
        app = FastAPI()

        @app.get("/")
        def index():
            def later():
                return create_engine("sqlite://")
            return later
        """
    )


def test_engine_in_annotated_dependency_is_per_request() -> None:
    assert "FPR109" in codes(
        """
        from typing import Annotated
        from fastapi import Depends, FastAPI
        from sqlalchemy import create_engine
        app = FastAPI()

        def get_db():
            engine = create_engine("sqlite:///x.db")
            with engine.connect() as connection:
                yield connection

        @app.get("/")
        def index(db: Annotated[object, Depends(get_db)]):
            ...
        """
    )


def test_own_create_engine_helper_is_not_an_engine() -> None:
    assert codes(
        """
        from fastapi import FastAPI

        def create_engine(url):
            ...

        engine = create_engine("postgresql://db")
        app = FastAPI()
        """
    ) == []


def test_engine_through_same_module_factory_is_import_time() -> None:
    assert findings(
        """
        from sqlalchemy import create_engine

        def make_engine(url):
            engine = create_engine(url, pool_size=5, max_overflow=5, pool_recycle=60,
                                   pool_pre_ping=True)
            return engine

        engine = make_engine(DATABASE_URL)
        """
    ) == [(9, "FPR104")]


def test_engine_through_same_module_class_is_import_time() -> None:
    assert "FPR104" in codes(
        """
        from sqlalchemy import create_engine

        class Database:
            def __init__(self):
                self.engine = create_engine(DATABASE_URL)

        db = Database()
        """
    )


def test_method_named_like_an_import_does_not_hide_it() -> None:
    assert "FPR107" in codes(
        """
        from sqlalchemy import create_engine

        class Mixin:
            def create_engine(self, url):
                return create_engine(url)
        """
    )


def test_imported_engine_factory_function_is_not_an_engine() -> None:
    assert codes(
        """
        from contextlib import asynccontextmanager
        from fastapi import FastAPI
        from myapp.db import create_async_engine, close_engine

        @asynccontextmanager
        async def lifespan(app):
            e = create_async_engine("app")
            yield
            await e.dispose()

        app = FastAPI(lifespan=lifespan, on_shutdown=[close_engine])
        """
    ) == ["FPR102", "FPR103"]


def test_databases_database_is_not_an_engine() -> None:
    assert "FPR105" not in codes(
        """
        from fastapi import FastAPI
        from app.db import database
        app = FastAPI()

        @app.on_event("startup")
        async def start():
            await database.connect()
        """
    )


@pytest.mark.parametrize(
    "url", ['f"bigquery://{project}/{dataset}"', '"duckdb:///local.db"', '"sqlite://" + path']
)
def test_serverless_backends_are_exempt_from_pool_rules(url: str) -> None:
    assert codes(
        f"""
        from sqlalchemy import create_engine

        def make():
            return create_engine({url})
        """
    ) == []


def test_on_event_on_app_imported_into_a_handler_module() -> None:
    assert codes(
        """
        from .main import app
        from .bus import bus

        @app.on_event("startup")
        async def load_translations():
            ...

        @bus.on_event("startup")
        def unrelated():
            ...
        """
    ) == ["FPR101"]


@pytest.mark.parametrize(
    "filename", ["tests/conftest.py", "tests/test_users.py", "tests/factories.py", "env.py"]
)
def test_throw_away_engines_in_tests_and_migrations_are_silent(filename: str) -> None:
    source = textwrap.dedent(
        """
        import alembic
        from sqlalchemy import create_engine
        engine = create_engine(settings.url)
        """
    )
    if filename != "env.py":
        source = source.replace("import alembic\n", "")
    tree = ast.parse(source)
    assert [m for _, _, m, _ in Plugin(tree, filename).run() if m.startswith("FPR1")] == []
