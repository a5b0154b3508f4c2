from fastapi import APIRouter

from . import articles

router = APIRouter()
router.include_router(articles.router, tags=["articles"])
