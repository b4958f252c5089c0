from fastapi import APIRouter

from app.auth.deps import CurrentUser
from app.categories import service
from app.categories.schemas import CategoryPublic
from app.core.db import SessionDep
from app.core.responses import AUTHENTICATED

router = APIRouter(prefix="/api/categories", tags=["categories"], responses=AUTHENTICATED)


@router.get("", response_model=list[CategoryPublic])
def list_categories(session: SessionDep, _: CurrentUser):
    """The two-level problem taxonomy, flat, in display order."""
    return service.list_categories(session)
