from fastapi import FastAPI
from sqlalchemy import create_engine

engine = create_engine("sqlite:///x.db")
app = FastAPI(lifespan=lambda a: None, on_startup=[print])
other = create_engine("postgresql://x")
