from fastapi import APIRouter

from probe import record

router = APIRouter(prefix="/admin", tags=["admin"])

PERMISSIONS: dict[str, set[str]] = {}


@router.on_event("startup")
async def load_admin_permissions() -> None:
    record("load_admin_permissions")
    PERMISSIONS["admin"] = {"read", "write"}


@router.on_event("shutdown")
def drop_admin_sessions() -> None:
    record("drop_admin_sessions")
    PERMISSIONS.clear()


@router.get("/permissions")
def permissions() -> dict:
    return {role: sorted(perms) for role, perms in PERMISSIONS.items()}
