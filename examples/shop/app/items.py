"""The item catalogue: partial updates, uploads, search and errors as first written."""

from typing import Optional

from fastapi import APIRouter, Depends, UploadFile
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.orm import Session

from .db import SessionLocal

router = APIRouter(prefix="/items")


class ItemUpdate(BaseModel):
    name: Optional[str] = None
    description: Optional[str] = None
    price: Optional[float] = None


def get_db():
    with SessionLocal() as session:
        yield session


@router.patch("/{item_id}")
def update_item(item_id: int, update: ItemUpdate, db: Session = Depends(get_db)):
    item = db.get(Item, item_id)
    # FPR601: every field the client left out is written back as None
    for field, value in update.model_dump().items():
        setattr(item, field, value)
    db.commit()
    return item


@router.patch("/{item_id}/price")
def reprice(item_id: int, update: ItemUpdate, db: Session = Depends(get_db)):
    item = db.get(Item, item_id)
    # FPR601: attribute by attribute, unguarded
    item.price = update.price
    item.description = update.description
    db.commit()
    return item


@router.post("/{item_id}/image")
async def upload_image(item_id: int, image: UploadFile):
    # FPR602: a 2 GB upload becomes a 2 GB bytes object
    data = await image.read()
    storage.put(f"items/{item_id}/{image.filename}", data)
    return {"size": len(data)}


@router.get("/search")
def search(q: str, sort: str = "name", db: Session = Depends(get_db)):
    # FPR603: both the search term and the sort column go straight into the SQL
    sql = f"SELECT id, name FROM items WHERE name LIKE '%{q}%'"
    sql += " ORDER BY " + sort
    return db.execute(text(sql)).all()


@router.get("/{item_id}")
def read_item(item_id: int, db: Session = Depends(get_db)):
    item = db.get(Item, item_id)
    if item is None:
        # FPR604: the client gets a 500 instead of a 404
        raise ValueError(f"item {item_id} not found")
    return item


class Item:
    """Stands in for the ORM model."""


class _Storage:
    def put(self, key: str, data: bytes) -> None:
        ...


storage = _Storage()
