from fastapi import APIRouter

from probe import record

router = APIRouter(prefix="/webhooks")
REGISTERED: list[str] = []


@router.on_event("startup")
def register_webhooks() -> None:
    record("register_webhooks")
    REGISTERED.append("invoice.paid")


@router.get("/")
def webhooks() -> list[str]:
    return REGISTERED
