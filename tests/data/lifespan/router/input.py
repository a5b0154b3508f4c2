from fastapi import APIRouter

router = APIRouter(prefix="/items", on_startup=[lambda: print("router ctor")])


@router.on_event("startup")
async def router_up() -> None:
    print("router_up")


@router.on_event("shutdown")
def router_down() -> None:
    print("router_down")


@router.get("/")
def list_items() -> list[int]:
    return [1]
