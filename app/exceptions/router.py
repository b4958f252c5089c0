"""Exceptions ledger API (台账): extension, return and suspension requests with outcomes, voids, urges, 督办."""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.auth.deps import CurrentUser
from app.core.db import ReportSlot, SessionDep, TransactionRoute
from app.core.responses import AUTHENTICATED
from app.core.types import DbId
from app.exceptions import exports, service
from app.exceptions.schemas import ExceptionKind, ExceptionPage
from app.stats import exports as stats_exports

router = APIRouter(prefix="/api/exceptions", tags=["exceptions"], responses=AUTHENTICATED, route_class=TransactionRoute)

KindQ = Annotated[ExceptionKind | None, Query(description="one kind of exception; default all")]
UnitQ = Annotated[DbId | None, Query(description="the unit concerned (unit staff: their own only)")]
StartQ = Annotated[date | None, Query(description="first day (local), inclusive")]
EndQ = Annotated[date | None, Query(description="last day (local), inclusive")]


@router.get("", response_model=ExceptionPage)
def ledger(session: SessionDep, user: CurrentUser, kind: KindQ = None, unit_id: UnitQ = None, start: StartQ = None,
           end: EndQ = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
           cursor: Annotated[str | None, Query(max_length=200)] = None):
    """The ledger (台账) of deadline exceptions, newest first, one page at a time."""
    return service.ledger(session, user, kind=kind, unit_id=unit_id, start=start, end=end, limit=limit,
                          cursor=cursor)


@router.get(".xlsx", dependencies=[ReportSlot], responses={200: {"content": {stats_exports.XLSX: {}}}})
def ledger_xlsx(session: SessionDep, user: CurrentUser, kind: KindQ = None, unit_id: UnitQ = None,
                start: StartQ = None, end: EndQ = None):
    """The same ledger rows (same filters) as an Excel workbook."""
    data, filename = exports.ledger_xlsx(session, user, kind=kind, unit_id=unit_id, start=start, end=end)
    return Response(data, media_type=stats_exports.XLSX, headers=stats_exports.attachment(filename))
