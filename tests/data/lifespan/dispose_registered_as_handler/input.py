from fastapi import FastAPI
from sqlalchemy import create_engine

engine = create_engine("sqlite:///./app.db")
reports = create_engine("sqlite:///./reports.db")

app = FastAPI(on_shutdown=[engine.dispose])
app.state.reports = reports


@app.on_event("shutdown")
def close_reports() -> None:
    app.state.reports.dispose()
