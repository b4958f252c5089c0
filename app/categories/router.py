from fastapi import APIRouter

from app.auth.deps import CurrentUser
from app.categories import service
from app.categories.schemas import CategoryPublic
from app.core.db import SessionDep, TransactionRoute
from app.core.responses import AUTHENTICATED

router = APIRouter(prefix="/api/categories", tags=["categories"], responses=AUTHENTICATED, route_class=TransactionRoute)


@router.get("", response_model=list[CategoryPublic])
def list_categories(session: SessionDep, _: CurrentUser):
    """The two-level problem taxonomy, flat, in display order."""
    return service.list_categories(session)
