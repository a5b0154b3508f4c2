from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from probe import record

from .core.config import get_settings

engine = create_engine(get_settings().database_url)


def get_session():
    with Session(engine) as session:
        yield session


def close_engine() -> None:
    """Shut-down hook: close every pooled connection."""
    record("close_engine")
    engine.dispose()
