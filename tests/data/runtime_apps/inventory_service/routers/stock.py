from fastapi import APIRouter, Depends, Request
from sqlalchemy import text
from sqlalchemy.orm import Session

from ..database import get_session

router = APIRouter(prefix="/stock")


@router.get("/")
def stock(request: Request, session: Session = Depends(get_session)) -> dict:
    session.execute(text("SELECT 1"))
    return {"flags": sorted(request.app.state.flags), "audit": request.app.state.audit}
