"""Read models: a ticket's summary (lists, statistics) and its detail (photos, timeline, what may be done)."""

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, Row, Select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.categories.models import Category
from app.core.types import utcnow
from app.photos import service as photos_service
from app.photos.models import Photo
from app.tickets import access, duplicates, origins, workflow
from app.tickets.deadlines import default_deadline
from app.tickets.models import Ticket, TicketEvent, TicketPhoto, TicketRequest, near_deadline_at, overdue_at
from app.tickets.schemas import (
    EventPublic,
    RequestOut,
    TicketDetail,
    TicketPhotoPublic,
    TicketSummary,
)
from app.tickets.workflow import Action, Status
from app.units.models import Unit
from app.users.models import User
from app.users.roles import SEES_ALL_TICKETS, Role


class CategoryName(NamedTuple):
    name_zh: str
    name_en: str


class Person(NamedTuple):
    display_name: str
    role: str


class NameLookup:
    """Batch look-ups of the names a page of tickets shows (no query per row).

    Built from `named_tickets` rows, a page costs no query of its own beyond the duplicate counts; built from
    bare tickets (a detail, requests), one query per kind of name.
    """

    def __init__(self, session: Session, tickets: Iterable[Ticket], viewer: User,
                 extra_user_ids: Iterable[int] = (), *, extra_unit_ids: Iterable[int | None] = (),
                 with_duplicates: bool = False, named_rows: Iterable[Row] | None = None,
                 categories: Iterable[Category] | None = None, thumbs: dict[uuid.UUID, uuid.UUID] | None = None):
        tickets = list(tickets)
        self.office_view = access.office_view(viewer)
        self.duplicate_counts = duplicates.duplicate_counts(session, tickets, viewer) if with_duplicates else {}
        self.categories: dict[str, CategoryName] = {}
        self.units: dict[int, str] = {}
        self.users: dict[int, Person] = {}
        self.thumbs: dict[uuid.UUID, uuid.UUID] = {}
        if named_rows is not None:
            self._take(named_rows)
            return
        # Only the rows this page names, as plain rows: loading every category (114) and unit as ORM
        # objects was a fifth of a list request's CPU time under load.
        codes = {t.category_code for t in tickets}
        if categories is None:
            categories = session.execute(select(Category.code, Category.name_zh, Category.name_en)
                                         .where(col(Category.code).in_(codes))).all() if codes else []
        self.categories = {c.code: CategoryName(c.name_zh, c.name_en) for c in categories}
        unit_ids = {t.unit_id for t in tickets} | {t.suggested_unit_id for t in tickets} | set(extra_unit_ids)
        unit_ids.discard(None)
        self.units = {uid: name for uid, name in session.execute(
            select(Unit.id, Unit.name).where(col(Unit.id).in_(unit_ids))
        ).all()} if unit_ids else {}
        user_ids = {t.reporter_id for t in tickets} | set(extra_user_ids)
        self.users = {uid: Person(name, role) for uid, name, role in session.execute(
            select(User.id, User.display_name, User.role).where(col(User.id).in_(user_ids))
        ).all()} if user_ids else {}
        ids = [t.id for t in tickets]
        if thumbs is not None:
            self.thumbs = thumbs
        elif ids:
            first = session.exec(
                select(TicketPhoto.ticket_id, TicketPhoto.photo_id)
                .where(col(TicketPhoto.ticket_id).in_(ids), TicketPhoto.stage == "report")
                .order_by(TicketPhoto.ticket_id, TicketPhoto.position)
            ).all()
            for tid, pid in first:
                self.thumbs.setdefault(tid, pid)

    def _take(self, rows: Iterable[Row]) -> None:
        for t in rows:
            if t.category_name_zh is not None:
                self.categories[t.category_code] = CategoryName(t.category_name_zh, t.category_name_en)
            if t.unit_name is not None:
                self.units[t.unit_id] = t.unit_name
            if t.suggested_unit_name is not None:
                self.units[t.suggested_unit_id] = t.suggested_unit_name
            if t.reporter_name is not None:
                self.users[t.reporter_id] = Person(t.reporter_name, t.reporter_role)
            if t.thumb is not None:
                self.thumbs[t.id] = t.thumb


_unit = aliased(Unit, name="unit")
_suggested = aliased(Unit, name="suggested_unit")
_reporter = aliased(User, name="reporter")
_first_photo = aliased(TicketPhoto, name="first_photo")

# What a summary shows, and every column a list pages by (app/core/pagination.py reads its key off the last
# row): a page is rows of these columns, not Ticket objects (30 columns converted instead of 37, no identity map).
SUMMARY_COLUMNS = ("id", "case_number", "status", "category_code", "description", "address", "lat", "lng",
                   "accuracy_m", "reporter_id", "unit_id", "suggested_unit_id", "deadline_at", "office_deadline_at",
                   "rework_count", "return_count", "extension_count", "urge_count", "supervised_at", "suspended_at",
                   "review_at", "voided_at", "pending_request", "reported_at", "first_dispatched_at",
                   "dispatched_at", "rectified_at", "closed_at", "cancelled_at", "updated_at")


def _named_tickets() -> Select:
    thumb = (select(_first_photo.photo_id)
             .where(_first_photo.ticket_id == Ticket.id, _first_photo.stage == "report")
             .order_by(_first_photo.position).limit(1).scalar_subquery())
    return (select(*(getattr(Ticket, name) for name in SUMMARY_COLUMNS),
                   Category.name_zh.label("category_name_zh"), Category.name_en.label("category_name_en"),
                   _unit.name.label("unit_name"), _suggested.name.label("suggested_unit_name"),
                   _reporter.display_name.label("reporter_name"), _reporter.role.label("reporter_role"),
                   thumb.label("thumb"))
            .outerjoin(Category, Category.code == Ticket.category_code)
            .outerjoin(_unit, _unit.id == Ticket.unit_id)
            .outerjoin(_suggested, _suggested.id == Ticket.suggested_unit_id)
            .outerjoin(_reporter, _reporter.id == Ticket.reporter_id))


# Built once (a list request only adds its filters): building the joins and the thumbnail's subquery afresh
# cost a tenth of the dispatcher's list call.
_NAMED_TICKETS = _named_tickets()


def named_tickets(*where: ColumnElement[bool]) -> Select:
    """The tickets matching `where` as rows of SUMMARY_COLUMNS, with the names and the thumbnail their summaries
    show joined in: one query for a page instead of five (each round trip and result cost more CPU than the
    page's own rows)."""
    return _NAMED_TICKETS.where(*where)


def thumb_url(photo_id: uuid.UUID | None) -> str | None:
    return photos_service.url(photo_id, "thumb") if photo_id else None


def _summary_fields(t: Ticket | Row, names: NameLookup, now: datetime, fields: tuple[str, ...] = ()) -> dict:
    """`t`: a Ticket, or a `named_tickets` row with its page's `fields` (Row._fields), read as a dict: a row's
    attributes cost ten times a dict's, and Row._asdict works out the row's keys afresh for every row (two
    fifths of this function's time in a unit's list request)."""
    c = dict(zip(fields, t, strict=True)) if fields else {name: getattr(t, name) for name in SUMMARY_COLUMNS}
    cat = names.categories.get(c["category_code"])
    reporter = names.users.get(c["reporter_id"])
    thumb = names.thumbs.get(c["id"])
    return dict(
        id=c["id"], case_number=c["case_number"], status=c["status"], category_code=c["category_code"],
        category_name_zh=cat.name_zh if cat else c["category_code"], category_name_en=cat.name_en if cat else "",
        description=c["description"], address=c["address"], lat=c["lat"], lng=c["lng"],
        accuracy_m=c["accuracy_m"], unit_id=c["unit_id"], unit_name=names.units.get(c["unit_id"]),
        suggested_unit_id=c["suggested_unit_id"], suggested_unit_name=names.units.get(c["suggested_unit_id"]),
        deadline_at=c["deadline_at"], office_deadline_at=c["office_deadline_at"], overdue=overdue_at(t, now),
        rework_count=c["rework_count"], return_count=c["return_count"], reported_at=c["reported_at"],
        dispatched_at=c["dispatched_at"], rectified_at=c["rectified_at"], closed_at=c["closed_at"],
        cancelled_at=c["cancelled_at"],
        reporter_name=(reporter.display_name if reporter else "?") if names.office_view else None,
        thumb_url=thumb_url(thumb), updated_at=c["updated_at"],
        possible_duplicate_count=names.duplicate_counts.get(c["id"], 0),
        pending_request=c["pending_request"], near_deadline=near_deadline_at(t, now), urge_count=c["urge_count"],
        supervised=c["supervised_at"] is not None, extension_count=c["extension_count"], review_at=c["review_at"],
        suspended_at=c["suspended_at"], voided_at=c["voided_at"],
    )


def summaries(session: Session, user: User, rows: list[Row], now: datetime, *,
              with_duplicates: bool = False) -> list[TicketSummary]:
    """The tickets (already checked as visible), as `named_tickets` rows, as this user sees them in a list;
    with_duplicates counts each one's possible duplicates."""
    names = NameLookup(session, rows, user, with_duplicates=with_duplicates, named_rows=rows)
    # Only the office sees reported tickets, so only its lists can hold findings waiting for their round.
    waiting = origins.awaiting_publication(session, [t.id for t in rows if t.status == Status.reported]) \
        if names.office_view else set()
    own = {} if names.office_view else own_counts(session, user, rows)
    fields = rows[0]._fields if rows else ()
    return [TicketSummary(**_summary_fields(t, names, now, fields) | own.get(t.id, {}),
                          awaiting_round=t.id in waiting) for t in rows]


def summary(session: Session, user: User, ticket: Ticket, now: datetime) -> TicketSummary:
    """One ticket as this user sees it in a list."""
    names = NameLookup(session, [ticket], user)
    own = {} if names.office_view else own_counts(session, user, [ticket])
    return TicketSummary(**_summary_fields(ticket, names, now) | own.get(ticket.id, {}))


def own_counts(session: Session, user: User, tickets: Iterable[Ticket | Row]) -> dict[uuid.UUID, dict]:
    """For a unit: the summary's counters of each ticket that has changed hands as its own time with it made
    them (access.own_counts); a ticket never given back (回退, 改派) has only ever had this unit, so its own
    counters are already the unit's and cost no query."""
    tickets = [t for t in tickets if t.return_count]
    if not tickets:
        return {}
    events: dict[uuid.UUID, list[Row]] = {t.id: [] for t in tickets}
    for e in session.execute(select(TicketEvent.ticket_id, TicketEvent.id, TicketEvent.action, TicketEvent.unit_id,
                                    TicketEvent.at).where(col(TicketEvent.ticket_id).in_(list(events)))
                             .order_by(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.id)).all():
        events[e.ticket_id].append(e)
    return {t.id: _as_summary(access.own_counts(user, events[t.id])) | _holder_fields(user, t) for t in tickets}


# What a ticket's current holder is doing with it: another unit's time, once the ticket has left this unit.
_HOLDERS_NOW = {"deadline_at": None, "office_deadline_at": None, "overdue": False, "near_deadline": False,
                "pending_request": None, "dispatched_at": None, "rectified_at": None, "review_at": None,
                "suspended_at": None}


def _holder_fields(user: User, ticket: Ticket | Row) -> dict:
    """For a unit the ticket has left (returned, 改派): its holder's deadline, request, rectification and
    suspension blanked, as the timeline hides that unit's events; where it went and its end stay shown."""
    return {} if ticket.unit_id == user.unit_id else _HOLDERS_NOW


def _as_summary(counts: dict) -> dict:
    """access.own_counts as a summary's fields (supervised: whether, not when)."""
    fields = {k: v for k, v in counts.items() if k != "supervised_at"}
    return fields | {"supervised": counts["supervised_at"] is not None}


def detail(session: Session, user: User, ticket: Ticket, *, fresh: bool = False) -> TicketDetail:
    """The ticket with its photos, timeline, duplicates and what this user may do now. `fresh`: the ticket
    was just loaded (otherwise it is reloaded: an action in this session may have updated it in SQL)."""
    if not fresh:
        session.refresh(ticket)
    all_events = session.exec(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.at, TicketEvent.id)
    ).all()
    events = access.visible_events(user, all_events)
    # Another unit's after-photos stay out of the list with their events (the report's photos are shown to
    # units although the report event is not).
    others = access.others_events(user, all_events)
    requests = visible_requests(session, user, ticket)
    links = session.exec(
        select(TicketPhoto, Photo).join(Photo, Photo.id == TicketPhoto.photo_id)
        .where(TicketPhoto.ticket_id == ticket.id).order_by(TicketPhoto.event_id, TicketPhoto.position)
    ).all()
    photos_by_event: dict[int, list[uuid.UUID]] = {}
    photos = []
    office = access.office_view(user)
    for link, photo in links:
        if link.event_id in others:
            continue
        photos_by_event.setdefault(link.event_id, []).append(photo.id)
        public = photos_service.to_public(photo)
        if not office and photo.uploader_id != user.id:
            # What the camera recorded (when, where) is the inspector's, like the original a unit may not fetch;
            # the display copy's watermark shows what the report itself says.
            public = public.model_copy(update={"taken_at": None, "exif_lat": None, "exif_lng": None})
        photos.append(TicketPhotoPublic(**public.model_dump(), stage=link.stage, event_id=link.event_id))
    report_photos = sorted((link.position, link.photo_id) for link, _ in links if link.stage == "report")
    category = session.get(Category, ticket.category_code)
    names = NameLookup(session, [ticket], user,
                       extra_user_ids={e.actor_id for e in events} | request_user_ids(requests),
                       extra_unit_ids={e.unit_id for e in events} | request_unit_ids(requests),
                       categories=[category] if category else [],
                       thumbs={ticket.id: report_photos[0][1]} if report_photos else {})
    now = utcnow()
    # A unit's counters of a ticket that changed hands are its own time's (the timeline above is already).
    own = access.own_counts(user, all_events) if ticket.return_count and not names.office_view else None
    left = _holder_fields(user, ticket) if own is not None else {}
    status = Status(ticket.status)
    possible, possible_count = duplicates.possible_duplicates(session, ticket, access.visible_clause(user)) \
        if user.role in SEES_ALL_TICKETS and status in workflow.OPEN_STATUSES else ([], 0)
    origin = origins.origin(session, ticket.id)
    waiting = origin is not None and not origin.round_published
    allowed = workflow.allowed_actions(status, user.role, own_unit=access.own_unit(user, ticket))
    return TicketDetail(
        **_summary_fields(ticket, names, now) | {"possible_duplicate_count": possible_count}
        | (_as_summary(own) if own else {}) | left,
        photos=photos,
        events=[_event_public(e, names, photos_by_event.get(e.id, [])) for e in events],
        possible_duplicates=possible,
        duplicate_of=_visible_duplicate_of(session, user, ticket),
        allowed_actions=[a for a in allowed if not (waiting and a == Action.dispatch)],
        # The category's limit from now: the default of a dispatch, and of a 返工 (failed verification).
        suggested_deadline_at=default_deadline(category, now, session)
        if status in (Status.reported, Status.rectified) else None,
        requests=[request_out(r, names) for r in requests],
        supervised_at=own["supervised_at"] if own else ticket.supervised_at,
        origin=origin,
        awaiting_round=waiting,
    )


def visible_requests(session: Session, user: User, ticket: Ticket) -> list[TicketRequest]:
    """The ticket's requests, newest first; a unit sees only those its own unit made."""
    stmt = select(TicketRequest).where(TicketRequest.ticket_id == ticket.id)
    if not access.office_view(user):
        stmt = stmt.where(TicketRequest.unit_id == user.unit_id)
    # populate_existing: a decision in this session updated the row in SQL, past the identity map.
    stmt = stmt.order_by(col(TicketRequest.requested_at).desc(), col(TicketRequest.id))
    return list(session.exec(stmt.execution_options(populate_existing=True)).all())


def request_user_ids(requests: Iterable[TicketRequest]) -> set[int]:
    return {r.requested_by for r in requests} | {r.decided_by for r in requests if r.decided_by}


def request_unit_ids(requests: Iterable[TicketRequest]) -> set[int]:
    return {r.unit_id for r in requests} | {r.reassigned_unit_id for r in requests if r.reassigned_unit_id}


def request_out(r: TicketRequest, names: NameLookup) -> RequestOut:
    """A request as it is shown (names looked up in `names`, which holds its users and units)."""
    requester, decider = names.users.get(r.requested_by), names.users.get(r.decided_by)
    return RequestOut(
        id=r.id, kind=r.kind, state=r.state, reason=r.reason, requested_deadline=r.requested_deadline,
        deadline_before=r.deadline_before, requested_by_name=requester.display_name if requester else None,
        requested_at=r.requested_at, decided_by_name=decider.display_name if decider else None,
        decided_at=r.decided_at, decision_note=r.decision_note, decided_deadline=r.decided_deadline,
        reassigned_unit_id=r.reassigned_unit_id, reassigned_unit_name=names.units.get(r.reassigned_unit_id),
        unit_id=r.unit_id, unit_name=names.units.get(r.unit_id),
    )


def _event_public(e: TicketEvent, names: NameLookup, photo_ids: list[uuid.UUID]) -> EventPublic:
    actor = names.users[e.actor_id]
    # Inspectors stay anonymous to units (四不两直); the role still tells the unit who checked its work.
    anonymous = not names.office_view and actor.role == Role.inspector
    return EventPublic(
        id=e.id, action=Action(e.action), from_status=e.from_status, to_status=e.to_status,
        actor_id=None if anonymous else e.actor_id, actor_name=None if anonymous else actor.display_name,
        actor_role=actor.role, at=e.at, note=e.note, unit_id=e.unit_id, unit_name=names.units.get(e.unit_id),
        deadline_at=e.deadline_at, photo_ids=photo_ids,
    )


def _visible_duplicate_of(session: Session, user: User, ticket: Ticket) -> uuid.UUID | None:
    """The ticket this one duplicates, if the reader may see that one too (a unit: only its own)."""
    if ticket.duplicate_of is None or access.office_view(user) or access.may_see(session, user, ticket.duplicate_of):
        return ticket.duplicate_of
    return None
