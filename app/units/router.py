from fastapi import APIRouter
from sqlmodel import select

from app.auth.deps import CurrentUser
from app.core.db import SessionDep, TransactionRoute
from app.core.responses import AUTHENTICATED
from app.units import service
from app.units.models import Grid
from app.units.schemas import GridPublic, UnitPublic
from app.users.roles import Role

# Who sends tickets to units, and so must see a unit nobody would hear them at.
_SEES_STAFFING = frozenset({Role.dispatcher, Role.leader, Role.admin})

router = APIRouter(prefix="/api", tags=["units"], responses=AUTHENTICATED, route_class=TransactionRoute)


@router.get("/units", response_model=list[UnitPublic])
def list_units(session: SessionDep, user: CurrentUser):
    """All responsible units (责任单位); for the office, whether each has an active account."""
    units = [UnitPublic.model_validate(u, from_attributes=True) for u in service.list_units(session)]
    if user.role in _SEES_STAFFING:
        staffed = service.staffed_unit_ids(session)
        for u in units:
            u.has_staff = u.id in staffed
    return units


@router.get("/grids", response_model=list[GridPublic])
def list_grids(session: SessionDep, _: CurrentUser):
    """All grids (网格) with their GeoJSON polygons."""
    return session.exec(select(Grid).order_by(Grid.id)).all()
