"""The benchmark corpora: standard-library sources and generated FastAPI services.

Everything here is deterministic: the same interpreter gives the same standard-library
selection, and a generated service depends only on its index and flags, so two runs
(or a run and a test) measure and check the same bytes.
"""

from __future__ import annotations

import ast
import sysconfig
import warnings
from dataclasses import dataclass
from pathlib import Path

#: Directory names of the standard library's own test suites: left out, so the corpus is
#: library code like an application's (the issue's 330,000-line web-stack corpus).
_TEST_DIRS = frozenset({"test", "tests", "idle_test"})


@dataclass(frozen=True)
class Source:
    """One corpus file: a path relative to the corpus root, and its bytes."""

    relative: str
    data: bytes

    @property
    def lines(self) -> int:
        return self.data.count(b"\n")


def parses(data: bytes) -> bool:
    """Whether this interpreter's ``ast.parse`` accepts ``data`` (flake8 reports E999 else)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(data)
    except (SyntaxError, ValueError):
        return False
    return True


def stdlib_sources(every: int = 1) -> list[Source]:
    """The standard library's parsable non-test ``.py`` files, sorted; ``every`` n-th only."""
    root = Path(sysconfig.get_paths()["stdlib"])
    sources = []
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if "site-packages" in parts or _TEST_DIRS.intersection(parts):
            continue
        data = path.read_bytes()
        if parses(data):
            sources.append(Source("stdlib/" + "/".join(parts), data))
    return sources[::every]


# --- generated FastAPI services -------------------------------------------------------

_MAIN_WITH_HANDLERS = '''\
"""Service {i}: the app, its database and its start-up/shut-down handlers."""

import logging

from fastapi import Depends, FastAPI
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from .routers import items, users
from .settings import get_settings

logger = logging.getLogger(__name__)

DATABASE_URL = "postgresql+psycopg://svc{i}@db/svc{i}"
engine = create_engine(DATABASE_URL, echo=False)
SessionLocal = sessionmaker(bind=engine, autoflush=False)

app = FastAPI(title="service {i}", version="1.{i}.0")
app.include_router(items.router)
app.include_router(users.router)


@app.on_event("startup")
async def check_database() -> None:
    with engine.begin() as connection:
        connection.execute(text("select 1"))
    logger.info("service {i} started")


@app.on_event("startup")
def warm_cache() -> None:
    get_settings()


@app.on_event("shutdown")
async def say_goodbye() -> None:
    logger.info("service {i} stopping")


def get_db():
    session: Session = SessionLocal()
    try:
        yield session
    finally:
        session.close()


@app.get("/health")
def health(db: Session = Depends(get_db)) -> dict[str, str]:
    db.execute(text("select 1"))
    return {{"status": "ok", "service": "{i}"}}
'''

_MAIN_CONVERTED = '''\
"""Service {i}: the app and its lifespan, already the way FPR asks."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from .db import SessionLocal, engine
from .routers import items, users

logger = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    async with engine.begin() as connection:
        await connection.execute(text("select 1"))
    logger.info("service {i} started")
    yield
    await engine.dispose()


app = FastAPI(title="service {i}", version="1.{i}.0", lifespan=lifespan)
app.include_router(items.router)
app.include_router(users.router)


async def get_db() -> AsyncIterator[AsyncSession]:
    async with SessionLocal() as session:
        yield session


@app.get("/health")
async def health(db: AsyncSession = Depends(get_db)) -> dict[str, str]:
    await db.execute(text("select 1"))
    return {{"status": "ok", "service": "{i}"}}
'''

_DB_CONFIGURED = '''\
"""Service {i}: the engine, sized and recycled, disposed by the app's lifespan."""

from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from .settings import get_settings

engine = create_async_engine(
    get_settings().database_url,
    pool_size=10,
    max_overflow=20,
    pool_recycle=3600,
    pool_pre_ping=True,
)
SessionLocal = async_sessionmaker(engine, expire_on_commit=False)
'''

_DB_UNCONFIGURED = '''\
"""Service {i}: the engine as the tutorials write it."""

import os

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

engine = create_engine(os.environ.get("DATABASE_URL", "postgresql+psycopg://svc{i}@db/svc{i}"))
replica = create_engine("postgresql+psycopg://svc{i}@replica/svc{i}", pool_size=5)
SessionLocal = sessionmaker(bind=engine, autoflush=False)
'''

_SETTINGS = '''\
"""Service {i}: settings, read once."""

from functools import lru_cache

from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    database_url: str = "postgresql+asyncpg://svc{i}@db/svc{i}"
    redis_url: str = "redis://cache/{i}"
    page_size: int = 50
    debug: bool = False


@lru_cache
def get_settings() -> Settings:
    return Settings()
'''

_SCHEMAS_HEAD = '''\
"""Service {i}: request and response models."""

from datetime import datetime

from pydantic import BaseModel, Field
'''

_SCHEMA = '''

class {name}Create(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = None
    price_{k}: float = Field(gt=0)
    tags: list[str] = []


class {name}Update(BaseModel):
    name: str | None = None
    description: str | None = None
    price_{k}: float | None = None


class {name}Read({name}Create):
    id: int
    created_at: datetime
'''

_ROUTER_HEAD = '''\
"""Service {i}: the {resource} endpoints."""

import asyncio
import logging

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, UploadFile
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..db import SessionLocal
from ..schemas import (
{names}
)

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/{resource}", tags=["{resource}"])


async def get_session():
    async with SessionLocal() as session:
        yield session


async def notify(resource_id: int, event: str) -> None:
    try:
        async with asyncio.timeout(5):
            await asyncio.sleep(0)
            logger.info("%s %s", event, resource_id)
    except TimeoutError:
        logger.warning("notification for %s timed out", resource_id)
'''

_ROUTES = '''

@router.get("/{k}/{{item_id}}", response_model={name}Read)
async def read_{resource}_{k}(item_id: int, session: AsyncSession = Depends(get_session)):
    row = await session.get({name}Read, item_id)
    if row is None:
        raise HTTPException(status_code=404, detail="{resource} {k} not found")
    return row


@router.get("/{k}", response_model=list[{name}Read])
async def list_{resource}_{k}(
    offset: int = 0, limit: int = 50, session: AsyncSession = Depends(get_session)
):
    result = await session.execute(select({name}Read).offset(offset).limit(limit))
    return result.scalars().all()


@router.post("/{k}", response_model={name}Read, status_code=201)
async def create_{resource}_{k}(
    body: {name}Create, tasks: BackgroundTasks, session: AsyncSession = Depends(get_session)
):
    row = {name}Read(**body.model_dump(), id=0, created_at=None)
    session.add(row)
    await session.commit()
    tasks.add_task(notify, row.id, "created")
    return row


@router.patch("/{k}/{{item_id}}", response_model={name}Read)
async def update_{resource}_{k}(
    item_id: int, body: {name}Update, session: AsyncSession = Depends(get_session)
):
    row = await session.get({name}Read, item_id)
    if row is None:
        raise HTTPException(status_code=404)
    for field, value in body.model_dump(exclude_unset=True).items():
        setattr(row, field, value)
    await session.commit()
    return row


@router.post("/{k}/{{item_id}}/image")
async def upload_{resource}_{k}(item_id: int, image: UploadFile) -> dict[str, int]:
    size = 0
    while chunk := await image.read(65536):
        size += len(chunk)
    return {{"id": item_id, "bytes": size}}
'''

_TEST_HEAD = '''\
"""Service {i}: endpoint tests."""

import pytest
from fastapi.testclient import TestClient

from app{i}.main import app, get_db


@pytest.fixture
def client():
    app.dependency_overrides[get_db] = lambda: iter([None])
    with TestClient(app) as client:
        yield client
    app.dependency_overrides.clear()
'''

_TEST = '''

def test_{resource}_{k}_missing(client):
    response = client.get("/{resource}/{k}/0")
    assert response.status_code == 404


def test_{resource}_{k}_list(client):
    response = client.get("/{resource}/{k}", params={{"limit": 5}})
    assert response.status_code == 200
    assert isinstance(response.json(), list)
'''


def _router(i: int, resource: str, routes: int) -> str:
    names = [f"{resource.title()}{k}" for k in range(routes)]
    imports = "".join(f"    {n}{kind},\n" for n in names for kind in ("Create", "Read", "Update"))
    text = _ROUTER_HEAD.format(i=i, resource=resource, names=imports)
    return text + "".join(
        _ROUTES.format(k=k, name=name, resource=resource) for k, name in enumerate(names)
    )


def service(i: int, *, handlers: bool, routes: int = 4) -> dict[str, str]:
    """One generated FastAPI service (package ``app{i}``): path -> source.

    ``handlers``: ``main.py`` registers ``on_event`` handlers and creates an unconfigured
    engine (what ``codemods.lifespan`` converts), else the service is already converted
    (lifespan, sized engine in ``db.py``: nothing to change, but ``db.py`` passes any
    prefilter that looks for engine factories). ``routes``: resources per router.
    """
    root = f"app{i}"
    names = [f"{r.title()}{k}" for r in ("items", "users") for k in range(routes)]
    files = {
        f"{root}/__init__.py": "",
        f"{root}/main.py": (_MAIN_WITH_HANDLERS if handlers else _MAIN_CONVERTED).format(i=i),
        f"{root}/db.py": _DB_CONFIGURED.format(i=i),
        f"{root}/settings.py": _SETTINGS.format(i=i),
        f"{root}/schemas.py": _SCHEMAS_HEAD.format(i=i)
        + "".join(_SCHEMA.format(name=n, k=k) for k, n in enumerate(names)),
        f"{root}/routers/__init__.py": "",
        f"{root}/routers/items.py": _router(i, "items", routes),
        f"{root}/routers/users.py": _router(i, "users", routes),
        f"{root}/tests/__init__.py": "",
        f"{root}/tests/test_api.py": _TEST_HEAD.format(i=i) + "".join(
            _TEST.format(resource=r, k=k) for r in ("items", "users") for k in range(routes)
        ),
    }
    return files


def services(count: int, with_handlers: int, routes: int = 4) -> list[Source]:
    """``count`` services, the first ``with_handlers`` of them registering handlers."""
    return [
        Source("services/" + path, text.encode())
        for i in range(count)
        for path, text in service(i, handlers=i < with_handlers, routes=routes).items()
    ]


def change_heavy(count: int) -> list[Source]:
    """``count`` services reduced to the files ``codemods.lifespan`` rewrites: every file
    changes (handlers into a lifespan, engines disposed and given pool parameters)."""
    sources = []
    for i in range(count):
        sources.append(Source(f"heavy/app{i}/main.py", _MAIN_WITH_HANDLERS.format(i=i).encode()))
        sources.append(Source(f"heavy/app{i}/db.py", _DB_UNCONFIGURED.format(i=i).encode()))
    return sources


def write_tree(root: Path, sources: list[Source]) -> None:
    """Write ``sources`` under ``root`` (which must not exist yet)."""
    for source in sources:
        path = root / source.relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(source.data)
