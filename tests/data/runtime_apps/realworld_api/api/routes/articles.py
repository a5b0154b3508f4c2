from fastapi import APIRouter, Request
from sqlalchemy import text

router = APIRouter()


@router.get("/articles")
async def list_articles(request: Request) -> dict:
    async with request.app.state.engine.connect() as connection:
        rows = (await connection.execute(text("SELECT slug, title FROM articles"))).all()
    return {
        "articles": [{"slug": slug, "title": title} for slug, title in rows],
        "tags": sorted(request.app.state.tags),
    }
