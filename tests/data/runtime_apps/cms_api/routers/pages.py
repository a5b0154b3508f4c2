from fastapi import APIRouter

router = APIRouter(prefix="/pages")


@router.get("/{slug}")
def page(slug: str) -> dict:
    return {"slug": slug}
