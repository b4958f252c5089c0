from fastapi import APIRouter

from app.auth.deps import CurrentUser
from app.core.db import SessionDep, TransactionRoute
from app.core.responses import AUTHENTICATED
from app.users import service
from app.users.schemas import UserPublic

router = APIRouter(prefix="/api", tags=["users"], responses=AUTHENTICATED, route_class=TransactionRoute)


@router.get("/me", response_model=UserPublic)
def me(session: SessionDep, user: CurrentUser):
    """The logged-in user."""
    return service.to_public(session, user)
