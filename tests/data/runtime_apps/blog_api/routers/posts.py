from fastapi import APIRouter
from sqlalchemy import text

from ..database import SessionLocal

router = APIRouter(prefix="/posts")


@router.get("/count")
def count_posts() -> dict:
    with SessionLocal() as session:
        return {"posts": session.execute(text("SELECT count(*) FROM posts")).scalar()}
