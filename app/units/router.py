from fastapi import APIRouter
from sqlmodel import select

from app.auth.deps import CurrentUser
from app.core.db import SessionDep, TransactionRoute
from app.core.responses import AUTHENTICATED
from app.units import service
from app.units.models import Grid
from app.units.schemas import GridPublic, UnitPublic

router = APIRouter(prefix="/api", tags=["units"], responses=AUTHENTICATED, route_class=TransactionRoute)


@router.get("/units", response_model=list[UnitPublic])
def list_units(session: SessionDep, _: CurrentUser):
    """All responsible units (责任单位)."""
    return service.list_units(session)


@router.get("/grids", response_model=list[GridPublic])
def list_grids(session: SessionDep, _: CurrentUser):
    """All grids (网格) with their GeoJSON polygons."""
    return session.exec(select(Grid).order_by(Grid.id)).all()
