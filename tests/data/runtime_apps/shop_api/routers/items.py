from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import get_db
from ..models import Item

router = APIRouter(tags=["items"])


@router.get("/")
def list_items(db: Session = Depends(get_db)) -> list[dict]:
    return [{"name": i.name, "price_cents": i.price_cents} for i in db.scalars(select(Item))]
