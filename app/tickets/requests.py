"""The queue of units' requests (延期 / 回退 / 挂账): what the office decides, and what a unit asked."""

from sqlmodel import Session, col, select

from app.core import pagination
from app.core.errors import Forbidden
from app.core.types import utcnow
from app.tickets import read
from app.tickets.models import Ticket, TicketRequest
from app.tickets.schemas import RequestItem, RequestKind, RequestPage, RequestState, RequestTicket
from app.users.models import User
from app.users.roles import Role

# Who reads the queue: the office all of it, a unit its own requests. Inspectors have nothing to decide.
OFFICE = frozenset({Role.dispatcher, Role.leader, Role.admin})


def list_requests(session: Session, user: User, *, state: RequestState | None = None,
                  kind: RequestKind | None = None, unit_id: int | None = None, limit: int = 50,
                  cursor: str | None = None) -> RequestPage:
    """A page of requests: the oldest first while they wait (state=pending), else the newest first."""
    stmt = select(TicketRequest)
    if user.role == Role.unit_staff and user.unit_id is not None:
        stmt = stmt.where(TicketRequest.unit_id == user.unit_id)
    elif user.role not in OFFICE:
        raise Forbidden("无权查看申请 Your role may not read requests")
    if state is not None:
        stmt = stmt.where(TicketRequest.state == state.value)
    if kind is not None:
        stmt = stmt.where(TicketRequest.kind == kind.value)
    if unit_id is not None:
        stmt = stmt.where(TicketRequest.unit_id == unit_id)
    rows, next_cursor = pagination.page(session, stmt, col(TicketRequest.requested_at), col(TicketRequest.id),
                                        desc=state != RequestState.pending, limit=limit, cursor=cursor)
    tickets = {t.id: t for t in session.exec(
        select(Ticket).where(col(Ticket.id).in_({r.ticket_id for r in rows}))).all()} if rows else {}
    names = read.NameLookup(session, tickets.values(), user, extra_user_ids=read.request_user_ids(rows),
                            extra_unit_ids=read.request_unit_ids(rows))
    now = utcnow()
    items = []
    for r in rows:
        t = tickets[r.ticket_id]
        cat = names.categories.get(t.category_code)
        thumb = names.thumbs.get(t.id)
        brief = RequestTicket(
            id=t.id, case_number=t.case_number, status=t.status, category_code=t.category_code,
            category_name_zh=cat.name_zh if cat else t.category_code, category_name_en=cat.name_en if cat else "",
            address=t.address, description=t.description, deadline_at=t.deadline_at, overdue=t.is_overdue_at(now),
            unit_name=names.units.get(t.unit_id), thumb_url=read.thumb_url(thumb))
        if user.role == Role.unit_staff and t.unit_id != user.unit_id:  # the ticket has left: its holder's time
            brief.deadline_at, brief.overdue = None, False
        items.append(RequestItem(**read.request_out(r, names).model_dump(), ticket=brief))
    return RequestPage(items=items, next_cursor=next_cursor)
