from fastapi import FastAPI

from probe import record

from .routers import admin, pages, reports

app = FastAPI(title="CMS")


@app.on_event("startup")
async def connect_search() -> None:
    record("connect_search")


app.include_router(admin.router)


@app.on_event("startup")
def load_templates() -> None:
    record("load_templates")


@app.on_event("shutdown")
async def disconnect_search() -> None:
    record("disconnect_search")


app.include_router(pages.router)
app.include_router(reports.router)
