from fastapi import APIRouter

from app.config import service
from app.config.schemas import PublicConfig
from app.core.db import SessionDep, TransactionRoute
from app.core.responses import COMMON

router = APIRouter(prefix="/api", tags=["config"], responses=COMMON, route_class=TransactionRoute)


@router.get("/config", response_model=PublicConfig)
def public_config(session: SessionDep):
    """Deployment settings the app needs, public (no secrets): map tiles, their coordinate system
    (WGS-84 or GCJ-02), and whether the demo logins work. The app caches it for offline use."""
    return service.public_config(session)
