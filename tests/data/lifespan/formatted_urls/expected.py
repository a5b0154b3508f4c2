"""Engines whose URLs are built by formatting: the backend shows in the literal start."""

from sqlalchemy import create_engine

warehouse = create_engine(f"bigquery://{PROJECT}/{DATASET}")
replica = create_engine(f"postgresql+psycopg://{HOST}/app", pool_size=10, max_overflow=20, pool_recycle=3600, pool_pre_ping=True)
reporting = create_engine("mysql+pymysql://%s/reports" % HOST, pool_size=10, max_overflow=20, pool_recycle=3600, pool_pre_ping=True)
local = create_engine("duckdb:///" + PATH)
