"""Published bulletins API (已发布通报): publish an ended period's bulletin, list them, read and download them.

The office publishes (dispatcher, leader, admin); who reads them is who reads the live bulletin
(/api/stats/bulletin.*): the office roles; a unit gets 403 as it does there.
"""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import HTMLResponse

from app.auth.deps import CurrentUser, require_roles
from app.bulletins import service
from app.bulletins.schemas import BulletinDetail, BulletinIn, BulletinOut, BulletinPage
from app.core.db import SessionDep, TransactionRoute
from app.core.responses import AUTHENTICATED, not_modified
from app.core.types import DbId
from app.stats import exports
from app.users.roles import Role

router = APIRouter(prefix="/api/bulletins", tags=["bulletins"], responses=AUTHENTICATED,
                   route_class=TransactionRoute)
_publishers = require_roles(Role.dispatcher, Role.leader, Role.admin)
_readers = require_roles(Role.dispatcher, Role.leader, Role.admin, Role.inspector)  # as the live bulletin


@router.post("", response_model=BulletinOut, status_code=201, dependencies=[_publishers])
def publish(session: SessionDep, user: CurrentUser, body: BulletinIn):
    """Publish the bulletin of an ended period: its figures, red/black list, overdue list and files are stored
    as computed now and never change (409 already_published; 422 period_not_over for a period not ended)."""
    return service.out(service.publish(session, user, body))


@router.get("", response_model=BulletinPage, dependencies=[_readers])
def listing(session: SessionDep, limit: Annotated[int, Query(ge=1, le=200)] = 50,
            cursor: Annotated[str | None, Query(max_length=200)] = None):
    """Published bulletins, newest first, one page at a time."""
    return service.listing(session, limit=limit, cursor=cursor)


def _stored(request: Request, data: bytes, sha256: str, media_type: str, headers: dict[str, str]) -> Response:
    """The stored bytes; 304 when the caller already has them (ETag = their SHA-256)."""
    headers = {**headers, "ETag": f'"{sha256}"'}
    if not_modified(request.headers.get("if-none-match"), headers["ETag"]):
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=media_type, headers=headers)


@router.get("/{bulletin_id}.xlsx", dependencies=[_readers], responses={200: {"content": {exports.XLSX: {}}}})
def bulletin_xlsx(session: SessionDep, request: Request, bulletin_id: DbId):
    """The Excel workbook exactly as published (same bytes every time)."""
    b = service.get(session, bulletin_id)
    return _stored(request, b.xlsx, b.xlsx_sha256, exports.XLSX, exports.attachment(b.xlsx_filename))


@router.get("/{bulletin_id}.html", response_class=HTMLResponse, dependencies=[_readers])
def bulletin_html(session: SessionDep, request: Request, bulletin_id: DbId):
    """The printable page exactly as published (same bytes every time)."""
    b = service.get(session, bulletin_id)
    return _stored(request, b.html, b.html_sha256, "text/html; charset=utf-8", {"Cache-Control": "private, no-store"})


@router.get("/{bulletin_id}", response_model=BulletinDetail, dependencies=[_readers])
def bulletin(session: SessionDep, bulletin_id: DbId):
    """A published bulletin: its metadata and the snapshot of figures it was published with."""
    return service.detail(service.get(session, bulletin_id))
