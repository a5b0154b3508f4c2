"""An Alembic env.py: its engine is throw-away by design, the rules and the codemod skip it."""
from alembic import context
from sqlalchemy import create_engine

connectable = create_engine(context.config.get_main_option("sqlalchemy.url"))
