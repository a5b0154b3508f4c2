"""Engines whose URLs are built by formatting: the backend shows in the literal start."""

from sqlalchemy import create_engine

warehouse = create_engine(f"bigquery://{PROJECT}/{DATASET}")
replica = create_engine(f"postgresql+psycopg://{HOST}/app")
reporting = create_engine("mysql+pymysql://%s/reports" % HOST)
local = create_engine("duckdb:///" + PATH)
