from fastapi import FastAPI
from sqlalchemy import create_engine

engine = create_engine("sqlite:///./app.db", connect_args={"check_same_thread": False})

app = FastAPI()


@app.on_event("shutdown")
def close() -> None:
    print("close")
