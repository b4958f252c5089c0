"""The ticket list: filters, text search and keyset pagination over what a user may see."""

from datetime import datetime, timedelta
from typing import Annotated, Literal, NamedTuple

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, and_, exists, func, or_, text
from sqlmodel import Session, col, select

from app.core import pagination
from app.core.errors import invalid_query
from app.core.types import ClientDateTime, DbId, UserText, utcnow
from app.evaluation.models import EvalAnswer
from app.tickets import access, duplicates, read
from app.tickets.models import Ticket, TicketEvent
from app.tickets.schemas import TicketPage
from app.tickets.workflow import Action, Status
from app.units import service as units_service
from app.units.models import Grid
from app.users.models import User
from app.users.roles import SEES_ALL_TICKETS

# sort parameter → (Ticket column, descending)
SORTS = {"-reported_at": ("reported_at", True), "reported_at": ("reported_at", False),
         "deadline_at": ("deadline_at", False), "-updated_at": ("updated_at", True)}


def parse_bbox(bbox: str) -> tuple[float, float, float, float]:
    try:
        min_lng, min_lat, max_lng, max_lat = (float(x) for x in bbox.split(","))
    except ValueError:
        raise invalid_query("bbox", "bbox 格式应为四个数 The bbox must be minLng,minLat,maxLng,maxLat",
                            "invalid_bbox") from None
    if not (-180 <= min_lng <= max_lng <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise invalid_query("bbox", "bbox 超出范围 The bbox is out of range", "invalid_bbox")
    return min_lng, min_lat, max_lng, max_lat


class TextSearch(NamedTuple):
    """What the database offers for searching text."""

    dialect: str
    bytewise: bool  # compares text byte by byte (SQLite; PostgreSQL with a C/POSIX collation)


_TEXT_SEARCH: dict[str, TextSearch] = {}


def text_search(session: Session) -> TextSearch:
    bind = session.get_bind()
    key = str(bind.engine.url)  # a Connection when tests bind sessions to one
    if key not in _TEXT_SEARCH:
        bytewise = bind.dialect.name == "sqlite"
        if bind.dialect.name == "postgresql":
            collation = session.execute(select(func.current_setting("lc_collate"))).scalar_one()
            bytewise = collation.split(".")[0].upper() in ("C", "POSIX")
        _TEXT_SEARCH[key] = TextSearch(bind.dialect.name, bytewise)
    return _TEXT_SEARCH[key]


def search_clause(q: str, search: TextSearch) -> ColumnElement[bool]:
    """Tickets whose case number, description or address contains q (trigram-indexed, see migrations)."""
    if q.upper().startswith("XC-"):
        # A case number (or its start). Where text compares byte by byte, a range on the unique index
        # finds it without a scan; under a linguistic collation that range could skip matches.
        prefix = q.upper()
        clause = Ticket.case_number.startswith(prefix, autoescape=True)
        if search.bytewise:
            clause = and_(clause, Ticket.case_number >= prefix, Ticket.case_number < prefix + "\uffff")
        return clause
    if search.dialect == "sqlite" and len(q) >= 3:  # the FTS5 trigram table needs three characters
        phrase = '"' + q.replace('"', '""') + '"'
        return text("tickets.rowid IN (SELECT rowid FROM tickets_search WHERE tickets_search MATCH :phrase)"
                    ).bindparams(phrase=phrase)
    return or_(Ticket.description.icontains(q, autoescape=True), col(Ticket.address).icontains(q, autoescape=True),
               Ticket.case_number.icontains(q, autoescape=True))


Origin = Literal["patrol", "evaluation"]


class TicketFilters(BaseModel):
    """The ticket list's query: its filters, order and page."""

    status: Annotated[list[Status] | None, Field(max_length=len(Status))] = None
    unit_id: DbId | None = None
    category_code: Annotated[UserText | None, Field(max_length=16)] = None
    overdue: bool | None = None
    q: Annotated[UserText | None, Field(max_length=100)] = None
    bbox: Annotated[UserText | None, Field(max_length=200, description="minLng,minLat,maxLng,maxLat (WGS-84)")] = None
    mine: Annotated[bool, Field(description="only tickets I reported (我上报的)")] = False
    reported_after: Annotated[ClientDateTime | None, Field(description="without a zone: city time")] = None
    has_duplicates: Annotated[bool | None, Field(description="open tickets with (true) or without (false) "
                                                             "possible duplicates")] = None
    near_deadline: Annotated[bool | None, Field(description="预超期 (see GET /api/config near_deadline)")] = None
    supervised: Annotated[bool | None, Field(description="督办 tickets")] = None
    pending_request: Annotated[bool | None, Field(description="a unit's request waits for a decision")] = None
    reported_before: Annotated[ClientDateTime | None, Field(description="reported before this time (exclusive)")
                               ] = None
    due_within_hours: Annotated[int | None, Field(ge=1, le=720, description="dispatched, not overdue, due within "
                                                                            "the next N hours (预超期)")] = None
    origin: Annotated[Origin | None, Field(description="patrol (巡查上报) or evaluation (实地测评)")] = None
    district_id: Annotated[DbId | None, Field(description="a unit and the units below it: tickets given to "
                                                          "them or inside their grids")] = None
    grid_id: DbId | None = None
    sort: Literal["-reported_at", "reported_at", "deadline_at", "-updated_at"] = "-reported_at"
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str | None, Field(max_length=200)] = None


def from_evaluation() -> ColumnElement[bool]:
    """Tickets an evaluation (实地测评) found, as a WHERE clause on `tickets`."""
    return exists().where(EvalAnswer.ticket_id == Ticket.id)


def in_district(unit_ids: set[int]) -> ColumnElement[bool]:
    """Tickets of a unit subtree: given to one of its units, or inside a grid one of them is responsible for."""
    in_grid = exists().where(Grid.id == Ticket.grid_id, col(Grid.unit_id).in_(unit_ids))
    return or_(col(Ticket.unit_id).in_(unit_ids), in_grid)


def supervised_clause(user: User) -> ColumnElement[bool]:
    """督办 tickets: for the office, any; for a unit, those 督办ed while they were its own (read.own_counts)."""
    if access.office_view(user):
        return col(Ticket.supervised_at).is_not(None)
    return exists().where(TicketEvent.ticket_id == Ticket.id, TicketEvent.action == Action.supervise.value,
                          TicketEvent.unit_id == user.unit_id)


def held_by(user: User) -> ColumnElement[bool] | None:
    """A unit sees a ticket that has left it (回退, 改派) without its holder's deadline, request or lateness
    (read._holder_fields): the filters and the order on them match only tickets it holds (None: the office's)."""
    return None if access.office_view(user) else Ticket.unit_id == user.unit_id


def ticket_filters(user: User, *, now: datetime, search: TextSearch, status: list[Status] | None = None,
                   unit_id: int | None = None, category_code: str | None = None, overdue: bool | None = None,
                   q: str | None = None, bbox: str | None = None, reporter_id: int | None = None,
                   reported_after: datetime | None = None, near_deadline: bool | None = None,
                   supervised: bool | None = None, pending_request: bool | None = None,
                   reported_before: datetime | None = None, due_within_hours: int | None = None,
                   origin: Origin | None = None, district: set[int] | None = None, grid_id: int | None = None
                   ) -> list[ColumnElement[bool]]:
    """The WHERE clauses of the ticket list: what this user may see, narrowed by the list's filters.

    `district`: the unit ids of a subtree (units_service.descendant_ids).
    """
    where: list[ColumnElement[bool]] = [access.visible_clause(user)]
    held = held_by(user)

    def holding(clause: ColumnElement[bool], wanted: bool) -> ColumnElement[bool]:
        if held is None:
            return clause if wanted else ~clause
        return and_(held, clause) if wanted else or_(col(Ticket.unit_id).is_(None), ~held, ~clause)
    if reporter_id is not None:
        where.append(Ticket.reporter_id == reporter_id)
    if reported_after is not None:
        where.append(Ticket.reported_at >= reported_after)
    if reported_before is not None:
        if reported_after is not None and reported_before < reported_after:
            raise invalid_query("reported_before", "结束时间须晚于开始时间 The date range is reversed",
                                "invalid_date_range")
        where.append(Ticket.reported_at < reported_before)
    if due_within_hours is not None:  # dispatched, not overdue, due within the next N hours
        where += [Ticket.status == Status.dispatched.value, Ticket.deadline_at >= now,
                  Ticket.deadline_at <= now + timedelta(hours=due_within_hours)] + ([held] if held is not None else [])
    if origin == "evaluation":
        where.append(from_evaluation())
    elif origin == "patrol":
        where.append(~from_evaluation())
    if district is not None:
        where.append(in_district(district))
    if grid_id is not None:
        where.append(Ticket.grid_id == grid_id)
    if status:
        where.append(col(Ticket.status).in_([s.value for s in status]))
    if unit_id is not None:
        where.append(Ticket.unit_id == unit_id)
    if category_code:
        where.append(Ticket.category_code.startswith(category_code, autoescape=True))
    if overdue is not None:
        where.append(holding(Ticket.is_overdue_at(now), overdue))
    if near_deadline is not None:
        where.append(holding(Ticket.is_near_deadline_at(now), near_deadline))
    if supervised is not None:
        where.append(supervised_clause(user) if supervised else ~supervised_clause(user))
    if pending_request is not None:
        where.append(holding(col(Ticket.pending_request).is_not(None), pending_request))
    if q and (q := q.strip()):
        where.append(search_clause(q, search))
    if bbox:
        min_lng, min_lat, max_lng, max_lat = parse_bbox(bbox)
        where += [Ticket.lat.between(min_lat, max_lat), Ticket.lng.between(min_lng, max_lng)]
    return where


def list_tickets(session: Session, user: User, *, sort: str = "-reported_at", limit: int = 50,
                 cursor: str | None = None, has_duplicates: bool | None = None, district_id: int | None = None,
                 **filters) -> TicketPage:
    """A page of the tickets this user may see, newest first by default; keyset pagination.

    sort=deadline_at lists only tickets that have a deadline (dispatched now or before), soonest first.
    has_duplicates filters on possible_duplicate_count (> 0 or == 0); a page may then hold fewer than
    `limit` items while next_cursor still leads on.
    """
    if has_duplicates and user.role not in SEES_ALL_TICKETS:
        # Possible duplicates are the office's: a unit's tickets have none. Filtering in SQL anyway left a
        # cursor on the empty page naming the ticket an undispatched report lies next to.
        return TicketPage(items=[], next_cursor=None)
    now = utcnow()
    if district_id is not None:
        filters["district"] = units_service.descendant_ids(session, district_id)
    where = ticket_filters(user, now=now, search=text_search(session), **filters)
    if has_duplicates:
        where.append(duplicates.has_duplicate_window(user))
    field, desc = SORTS[sort]
    key = getattr(Ticket, field)
    if field == "deadline_at":
        where.append(col(Ticket.deadline_at).is_not(None))
        if (held := held_by(user)) is not None:
            where.append(held)
    rows, next_cursor = pagination.page(session, read.named_tickets(*where), key, col(Ticket.id),
                                        desc=desc, limit=limit, cursor=cursor)
    items = read.summaries(session, user, rows, now, with_duplicates=user.role in SEES_ALL_TICKETS)
    if has_duplicates is not None:
        items = [i for i in items if (i.possible_duplicate_count > 0) == has_duplicates]
    return TicketPage(items=items, next_cursor=next_cursor)
