"""Reports: an inner router with its own store, mounted under an outer /reports router."""
from fastapi import APIRouter

from probe import record

inner = APIRouter()
STORE: dict[str, list[str]] = {}


@inner.on_event("startup")
def open_report_store() -> None:
    record("open_report_store")
    STORE.setdefault("reports", []).append("daily")


@inner.on_event("shutdown")
async def close_report_store() -> None:
    record("close_report_store")
    STORE.clear()


@inner.get("/")
def list_reports() -> list[str]:
    return STORE.get("reports", [])


router = APIRouter(prefix="/reports", tags=["reports"])
router.include_router(inner)
