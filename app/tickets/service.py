"""Tickets: report, the workflow actions, visibility, listing and duplicates."""

import base64
import hashlib
import json
import math
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, exists, false, func, literal, or_, text, true, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from app.categories import service as categories_service
from app.categories.models import Category
from app.core.config import get_settings
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.types import UTCDateTime, is_plausible, utcnow
from app.photos import service as photos_service
from app.photos.models import Photo
from app.tickets import workflow
from app.tickets.deadlines import deadline_from, load_calendar
from app.tickets.models import CaseCounter, Ticket, TicketAssignment, TicketEvent, TicketPhoto
from app.tickets.schemas import (
    CancelIn,
    DispatchIn,
    DuplicateCandidate,
    EventPublic,
    RectifyIn,
    ReturnIn,
    TicketCreate,
    TicketDetail,
    TicketPage,
    TicketPhotoPublic,
    TicketSummary,
    VerifyIn,
)
from app.tickets.workflow import Action, Status
from app.units import service as units_service
from app.units.models import Unit
from app.users.models import User
from app.users.roles import SEES_ALL_TICKETS, Role

EARTH_RADIUS_M = 6_371_008.8
# A deadline further ahead is a typo (2205 for 2025); tests/stats fixtures use deadlines ~4 years ahead.
MAX_DEADLINE_AHEAD = timedelta(days=5 * 366)


# ---- visibility ---------------------------------------------------------------------------------

def visible_clause(user: User) -> ColumnElement[bool]:
    """Who sees what: a unit sees only tickets that are or were dispatched to it, nothing before."""
    if user.role in SEES_ALL_TICKETS:
        return true()
    if user.role == Role.unit_staff and user.unit_id is not None:
        # A correlated EXISTS lets SQLite walk the list's ordering index and stop at the page's end;
        # `id IN (…)` made it sort all of a busy unit's tickets (450 ms → 6 ms at 1 M tickets).
        return exists().where(TicketAssignment.ticket_id == Ticket.id, TicketAssignment.unit_id == user.unit_id)
    return false()


def get_visible(session: Session, user: User, ticket_id: uuid.UUID) -> Ticket:
    """The ticket, or 404 for one that does not exist or that this user may not see."""
    stmt = select(Ticket).where(Ticket.id == ticket_id, visible_clause(user))
    ticket = session.exec(stmt).first()
    if ticket is None:
        raise NotFound("案件不存在 Ticket not found")
    return ticket


def office_view(user: User) -> bool:
    """四不两直: who found a problem, and what happened before the office dispatched it, is the office's
    business; a unit sees neither (no reporter, no report event, no inspector's name)."""
    return user.role in SEES_ALL_TICKETS


def visible_events(user: User, events: Iterable[TicketEvent]) -> list[TicketEvent]:
    """A ticket's timeline (in order) as this user may see it: a unit's starts at the first dispatch."""
    events = list(events)
    if office_view(user):
        return events
    first = next((i for i, e in enumerate(events) if e.action == Action.dispatch), len(events))
    return events[first:]


def is_overdue(t: Ticket, now: datetime) -> bool:
    """超期: dispatched, deadline passed, not yet rectified."""
    return t.status == Status.dispatched and t.deadline_at is not None and t.deadline_at < now


def request_hash(body: BaseModel, **extra) -> str:
    payload = body.model_dump(mode="json") | extra
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


# ---- report -------------------------------------------------------------------------------------

def next_case_number(session: Session, now: datetime) -> str:
    """XC-YYYY-NNNNNN from a per-year counter; the row lock makes concurrent reports take turns."""
    year = now.astimezone(get_settings().tz).year
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(CaseCounter).values(year=year, last=0).on_conflict_do_nothing())
    number = session.execute(
        update(CaseCounter).where(CaseCounter.year == year).values(last=CaseCounter.last + 1)
        .returning(CaseCounter.last)
    ).scalar_one()
    return f"XC-{year}-{number:06d}"


def suggest_unit(session: Session, category: Category, lat: float, lng: float) -> int | None:
    """Routing: the grid containing the point, else the category's (or its class's) default unit."""
    grid = units_service.grid_at(session, lat, lng)
    if grid:
        return grid.unit_id
    if category.default_unit_id:
        return category.default_unit_id
    parent = session.get(Category, category.parent_code) if category.parent_code else None
    return parent.default_unit_id if parent else None


def report(session: Session, user: User, body: TicketCreate) -> tuple[TicketDetail, bool]:
    """Create a ticket from a report; answers (detail, created). A replay answers the first result."""
    digest = request_hash(body)
    if (replayed := _replay_report(session, user, body.id, digest)) is not None:
        return replayed, False
    try:
        workflow.transition(None, Action.report, user.role)
    except workflow.NotAllowed:
        raise Forbidden("只有督查员和派遣员可以上报 Only inspectors and dispatchers report") from None
    category = session.get(Category, body.category_code)
    if category is None or category.parent_code is None:
        raise Invalid(f"未知的问题类别 Unknown category: {body.category_code}", code="unknown_category")
    try:
        photos = _claimable_photos(session, user, body.photo_ids)
    except Conflict:
        # Our own resend may have committed since we looked: then its photos are in use by this very report.
        if (replayed := _replay_report(session, user, body.id, digest)) is not None:
            return replayed, False
        raise
    lat, lng, accuracy = body.lat, body.lng, body.accuracy_m
    if lat is None or lng is None:
        located = next((p for p in photos if p.exif_lat is not None and p.exif_lng is not None), None)
        if located is None:
            raise Invalid("缺少位置：请定位或在地图上选点 No location: give lat/lng or a photo with GPS",
                          code="location_required")
        lat, lng, accuracy = located.exif_lat, located.exif_lng, None
    captured_at = body.captured_at or next((p.taken_at for p in photos if p.taken_at), None)

    now = utcnow()
    ticket = Ticket(
        id=body.id, case_number=next_case_number(session, now), status=Status.reported,
        category_code=category.code, description=body.description.strip(), address=body.address,
        lat=lat, lng=lng, accuracy_m=accuracy, captured_at=captured_at,
        reporter_id=user.id, suggested_unit_id=suggest_unit(session, category, lat, lng),
        reported_at=now, updated_at=now, request_hash=digest,
    )
    try:
        # On PostgreSQL an identical resend, or another report with one of our photos, may commit while we
        # work; the unique keys (ticket id, photo) catch it here. The savepoint keeps the transaction usable
        # for reading what the winner wrote.
        with session.begin_nested():
            session.add(ticket)
            session.flush()
            event = _add_event(session, ticket, Action.report, None, Status.reported, user, now,
                               note=ticket.description or None, action_id=body.id, digest=digest)
            _attach_photos(session, ticket, event, photos, "report")
            session.flush()
    except IntegrityError:
        if (replayed := _replay_report(session, user, body.id, digest)) is not None:
            return replayed, False
        _raise_if_photos_in_use(session, body.photo_ids)
        raise
    session.flush()
    return detail(session, user, ticket), True


def _replay_report(session: Session, user: User, ticket_id: uuid.UUID, digest: str) -> TicketDetail | None:
    """The first result of a report already made with this id (None: there is none); 409 for other content."""
    existing = session.get(Ticket, ticket_id, populate_existing=True)
    if existing is None:
        return None
    if existing.reporter_id != user.id or existing.request_hash != digest:
        raise Conflict("该编号已用于另一份上报 This id was already used for a different report",
                       code="idempotency_conflict")
    return detail(session, user, existing)


def _raise_if_photos_in_use(session: Session, ids: list[uuid.UUID]) -> None:
    used = session.exec(select(TicketPhoto.photo_id).where(col(TicketPhoto.photo_id).in_(ids))).all()
    if used:
        raise Conflict("照片已被其他记录使用 Photo already used", code="photo_in_use",
                       details={"photo_ids": [str(i) for i in used]})


def _claimable_photos(session: Session, user: User, ids: list[uuid.UUID]) -> list[Photo]:
    """Photos this user uploaded and that no ticket uses yet, in the order given."""
    if len(set(ids)) != len(ids):
        raise Invalid("照片重复 The same photo is listed twice", code="duplicate_photo")
    found = {p.id: p for p in session.exec(select(Photo).where(col(Photo.id).in_(ids))).all()}
    missing = [str(i) for i in ids if i not in found or found[i].uploader_id != user.id]
    if missing:
        raise Invalid("照片尚未上传 Photo not uploaded yet", code="unknown_photo", details={"photo_ids": missing})
    _raise_if_photos_in_use(session, ids)
    return [found[i] for i in ids]


def _attach_photos(session: Session, ticket: Ticket, event: TicketEvent, photos: list[Photo], stage: str) -> None:
    for pos, photo in enumerate(photos):
        session.add(TicketPhoto(ticket_id=ticket.id, photo_id=photo.id, event_id=event.id, stage=stage,
                                position=pos))


def _add_event(session: Session, ticket: Ticket, action: Action, frm: Status | None, to: Status, user: User,
               now: datetime, *, note: str | None = None, unit_id: int | None = None,
               deadline_at: datetime | None = None, action_id: uuid.UUID | None = None,
               digest: str | None = None) -> TicketEvent:
    event = TicketEvent(ticket_id=ticket.id, action=action.value, from_status=frm.value if frm else None,
                        to_status=to.value, actor_id=user.id, at=now, note=note, unit_id=unit_id,
                        deadline_at=deadline_at, action_id=action_id, request_hash=digest)
    session.add(event)
    session.flush()
    return event


# ---- actions ------------------------------------------------------------------------------------

def act(session: Session, user: User, ticket_id: uuid.UUID, action: Action, body: BaseModel) -> TicketDetail:
    """Apply one workflow action: guard, atomic status change, event and stage timestamp, one commit."""
    ticket = get_visible(session, user, ticket_id)
    digest = request_hash(body, action=action.value)
    action_id: uuid.UUID = body.action_id  # type: ignore[attr-defined]
    if (replayed := _replay_action(session, user, ticket, action_id, digest)) is not None:
        return replayed

    frm = Status(ticket.status)
    own_unit = user.role == Role.unit_staff and ticket.unit_id is not None and ticket.unit_id == user.unit_id
    try:
        to = workflow.transition(frm, action, user.role, own_unit=own_unit)
    except workflow.NotAllowed:
        raise Forbidden("无权执行此操作 Your role may not do this to this ticket") from None
    except workflow.WrongState:
        raise _wrong_state(frm, action) from None

    now = utcnow()
    try:
        changes, event_kw, photos = _prepare(session, user, ticket, action, body, now)
    except Conflict:
        # photo_in_use: perhaps by our own resend of this action, committed since we looked.
        if (replayed := _replay_action(session, user, ticket, action_id, digest)) is not None:
            return replayed
        raise
    changes |= {"status": to.value, "updated_at": now}
    try:
        with session.begin_nested():
            # The status guard in the WHERE clause makes exactly one of two concurrent actions win.
            result = session.execute(
                update(Ticket).where(Ticket.id == ticket.id, Ticket.status == frm.value).values(**changes)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:
                raise _LostRace
            event = _add_event(session, ticket, action, frm, to, user, now, action_id=action_id, digest=digest,
                               **event_kw)
            if photos:
                _attach_photos(session, ticket, event, photos, "rectify" if action == Action.rectify else "verify")
            if action == Action.dispatch and session.get(TicketAssignment, (ticket.id, changes["unit_id"])) is None:
                session.add(TicketAssignment(ticket_id=ticket.id, unit_id=changes["unit_id"], first_dispatched_at=now))
            session.flush()
    except (_LostRace, IntegrityError):
        # Another request got there first (the same action resent, another action, or one of our photos).
        return _lost_race(session, user, ticket_id, action, action_id, digest, [p.id for p in photos])
    session.flush()
    session.expire(ticket)
    return detail(session, user, ticket)


class _LostRace(Exception):
    """The guarded UPDATE matched no row: the ticket changed status since we read it."""


def _wrong_state(status: Status, action: Action) -> Conflict:
    return Conflict(f"案件当前状态为 {status.value}，不能执行 {action.value} "
                    f"Ticket is {status.value}; cannot {action.value}",
                    code="invalid_state", details={"current_status": status.value})


def _lost_race(session: Session, user: User, ticket_id: uuid.UUID, action: Action, action_id: uuid.UUID,
               digest: str, photo_ids: list[uuid.UUID]) -> TicketDetail:
    """Another request changed the ticket first: a replay of ours answers its result, else 409."""
    session.rollback()  # a fresh transaction sees what the winner committed
    ticket = get_visible(session, user, ticket_id)
    if (replayed := _replay_action(session, user, ticket, action_id, digest)) is not None:
        return replayed
    _raise_if_photos_in_use(session, photo_ids)
    raise _wrong_state(Status(ticket.status), action)


def _replay_action(session: Session, user: User, ticket: Ticket, action_id: uuid.UUID, digest: str
                   ) -> TicketDetail | None:
    event = session.exec(select(TicketEvent).where(TicketEvent.action_id == action_id)).first()
    if event is None:
        return None
    if event.ticket_id != ticket.id or event.request_hash != digest or event.actor_id != user.id:
        raise Conflict("该操作编号已用于另一操作 This action id was already used for a different action",
                       code="idempotency_conflict")
    return detail(session, user, ticket)


def _deadline(given: datetime | None, ticket: Ticket, session: Session, now: datetime) -> datetime:
    if given is None:
        return default_deadline(session, ticket, now)
    if given <= now:
        raise Invalid("整改时限须晚于当前时间 Deadline must be in the future", code="invalid_deadline")
    if given > now + MAX_DEADLINE_AHEAD:
        raise Invalid("整改时限不能超过五年 Deadline must be within five years", code="invalid_deadline")
    return given


def default_deadline(session: Session, ticket: Ticket, now: datetime) -> datetime:
    category = session.get(Category, ticket.category_code)
    settings = get_settings()
    return deadline_from(now, categories_service.deadline_hours(category), settings.tz,
                         load_calendar(settings.working_calendar_path))


def _prepare(session: Session, user: User, ticket: Ticket, action: Action, body: BaseModel, now: datetime
             ) -> tuple[dict, dict, list[Photo]]:
    """Validate one action's input; answers (ticket column changes, event fields, photos)."""
    match action:
        case Action.dispatch:
            assert isinstance(body, DispatchIn)
            if session.get(Unit, body.unit_id) is None:
                raise Invalid("责任单位不存在 Unknown unit", code="unknown_unit")
            deadline = _deadline(body.deadline, ticket, session, now)
            changes = {"unit_id": body.unit_id, "deadline_at": deadline, "dispatched_at": now,
                       "first_dispatched_at": ticket.first_dispatched_at or now}
            return changes, {"unit_id": body.unit_id, "deadline_at": deadline, "note": body.note}, []
        case Action.return_:
            assert isinstance(body, ReturnIn)
            changes = {"unit_id": None, "deadline_at": None, "return_count": Ticket.return_count + 1}
            return changes, {"note": body.reason, "unit_id": ticket.unit_id}, []
        case Action.rectify:
            assert isinstance(body, RectifyIn)
            photos = _claimable_photos(session, user, body.photo_ids)
            changes = {"rectified_at": now, "first_rectified_at": ticket.first_rectified_at or now}
            return changes, {"note": body.note, "unit_id": ticket.unit_id}, photos
        case Action.verify_pass:
            assert isinstance(body, VerifyIn)
            photos = _claimable_photos(session, user, body.photo_ids) if body.photo_ids else []
            on_time = ticket.deadline_at is None or (ticket.rectified_at is not None
                                                     and ticket.rectified_at <= ticket.deadline_at)
            return {"closed_at": now, "closed_on_time": on_time}, {"note": body.note}, photos
        case Action.verify_fail:
            assert isinstance(body, VerifyIn)
            if not (body.note or "").strip():
                raise Invalid("返工须填写原因 A failed verification needs a reason", code="reason_required")
            photos = _claimable_photos(session, user, body.photo_ids) if body.photo_ids else []
            deadline = _deadline(body.deadline, ticket, session, now)
            changes = {"deadline_at": deadline, "dispatched_at": now, "rework_count": Ticket.rework_count + 1}
            return changes, {"note": body.note, "unit_id": ticket.unit_id, "deadline_at": deadline}, photos
        case Action.cancel:
            assert isinstance(body, CancelIn)
            if body.duplicate_of is not None:
                if body.duplicate_of == ticket.id or session.get(Ticket, body.duplicate_of) is None:
                    raise Invalid("重复案件不存在 duplicate_of must be another existing ticket",
                                  code="unknown_ticket")
            return {"cancelled_at": now, "duplicate_of": body.duplicate_of}, {"note": body.reason}, []
    raise AssertionError(action)


def dispatch(session, user, ticket_id, body: DispatchIn):
    return act(session, user, ticket_id, Action.dispatch, body)


def return_(session, user, ticket_id, body: ReturnIn):
    return act(session, user, ticket_id, Action.return_, body)


def rectify(session, user, ticket_id, body: RectifyIn):
    return act(session, user, ticket_id, Action.rectify, body)


def verify(session, user, ticket_id, body: VerifyIn):
    return act(session, user, ticket_id, Action.verify_pass if body.passed else Action.verify_fail, body)


def cancel(session, user, ticket_id, body: CancelIn):
    return act(session, user, ticket_id, Action.cancel, body)


# ---- duplicates ---------------------------------------------------------------------------------

def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine) in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def _window(lat: float, radius: float) -> tuple[float, float]:
    """Half-sizes in degrees (lat, lng) of the square around a point that holds the circle."""
    return radius / 111_320, radius / (111_320 * max(math.cos(math.radians(lat)), 0.01))


def possible_duplicates(session: Session, ticket: Ticket) -> list[DuplicateCandidate]:
    """Open tickets of the same category within the configured radius (50 m)."""
    radius = get_settings().duplicate_radius_m
    dlat, dlng = _window(ticket.lat, radius)
    rows = session.exec(
        select(Ticket).where(
            Ticket.id != ticket.id, Ticket.category_code == ticket.category_code,
            col(Ticket.status).in_([s.value for s in workflow.OPEN_STATUSES]),
            Ticket.lat.between(ticket.lat - dlat, ticket.lat + dlat),
            Ticket.lng.between(ticket.lng - dlng, ticket.lng + dlng),
        )
    ).all()
    out = []
    for t in rows:
        d = distance_m(ticket.lat, ticket.lng, t.lat, t.lng)
        if d <= radius:
            out.append(DuplicateCandidate(id=t.id, case_number=t.case_number, status=t.status,
                                          description=t.description, distance_m=round(d, 1)))
    return sorted(out, key=lambda c: c.distance_m)


def duplicate_counts(session: Session, tickets: list[Ticket]) -> dict[uuid.UUID, int]:
    """For a page of tickets, how many possible duplicates each open one has (one query for the page)."""
    open_ones = [t for t in tickets if t.status in workflow.OPEN_STATUSES]
    if not open_ones:
        return {}
    radius = get_settings().duplicate_radius_m
    dlat, _ = _window(max(abs(t.lat) for t in open_ones), radius)
    dlng = max(_window(t.lat, radius)[1] for t in open_ones)
    other = aliased(Ticket)
    pairs = session.exec(
        select(Ticket.id, Ticket.lat, Ticket.lng, other.lat, other.lng)
        .join(other, and_(other.category_code == Ticket.category_code, other.id != Ticket.id,
                          col(other.status).in_([s.value for s in workflow.OPEN_STATUSES]),
                          other.lat.between(Ticket.lat - dlat, Ticket.lat + dlat),
                          other.lng.between(Ticket.lng - dlng, Ticket.lng + dlng)))
        .where(col(Ticket.id).in_([t.id for t in open_ones]))
    ).all()
    counts: dict[uuid.UUID, int] = {}
    for tid, lat, lng, olat, olng in pairs:
        if distance_m(lat, lng, olat, olng) <= radius:
            counts[tid] = counts.get(tid, 0) + 1
    return counts


# ---- reading ------------------------------------------------------------------------------------

class TicketNames:
    """Batch look-ups of the names a page of tickets needs (no query per row)."""

    def __init__(self, session: Session, tickets: Iterable[Ticket], viewer: User,
                 extra_user_ids: Iterable[int] = (), *, extra_unit_ids: Iterable[int | None] = (),
                 duplicates: bool = False):
        tickets = list(tickets)
        self.office_view = office_view(viewer)
        self.duplicates = duplicate_counts(session, tickets) if duplicates else {}
        # Only the rows this page names, as plain rows: loading every category (114) and unit as ORM
        # objects was a fifth of a list request's CPU time under load.
        codes = {t.category_code for t in tickets}
        self.categories = {c.code: c for c in session.execute(
            select(Category.code, Category.name_zh, Category.name_en).where(col(Category.code).in_(codes))
        ).all()} if codes else {}
        unit_ids = {t.unit_id for t in tickets} | {t.suggested_unit_id for t in tickets} | set(extra_unit_ids)
        unit_ids.discard(None)
        self.units = {uid: name for uid, name in session.execute(
            select(Unit.id, Unit.name).where(col(Unit.id).in_(unit_ids))
        ).all()} if unit_ids else {}
        user_ids = {t.reporter_id for t in tickets} | set(extra_user_ids)
        self.users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(user_ids))).all()} \
            if user_ids else {}
        ids = [t.id for t in tickets]
        self.thumbs: dict[uuid.UUID, uuid.UUID] = {}
        if ids:
            first = session.exec(
                select(TicketPhoto.ticket_id, TicketPhoto.photo_id)
                .where(col(TicketPhoto.ticket_id).in_(ids), TicketPhoto.stage == "report")
                .order_by(TicketPhoto.ticket_id, TicketPhoto.position)
            ).all()
            for tid, pid in first:
                self.thumbs.setdefault(tid, pid)


def summary_fields(t: Ticket, names: TicketNames, now: datetime) -> dict:
    cat = names.categories.get(t.category_code)
    reporter = names.users.get(t.reporter_id)
    thumb = names.thumbs.get(t.id)
    return dict(
        id=t.id, case_number=t.case_number, status=t.status, category_code=t.category_code,
        category_name_zh=cat.name_zh if cat else t.category_code, category_name_en=cat.name_en if cat else "",
        description=t.description, address=t.address, lat=t.lat, lng=t.lng, accuracy_m=t.accuracy_m,
        unit_id=t.unit_id, unit_name=names.units.get(t.unit_id), suggested_unit_id=t.suggested_unit_id,
        suggested_unit_name=names.units.get(t.suggested_unit_id), deadline_at=t.deadline_at,
        overdue=is_overdue(t, now), rework_count=t.rework_count, return_count=t.return_count,
        reported_at=t.reported_at, dispatched_at=t.dispatched_at, rectified_at=t.rectified_at,
        closed_at=t.closed_at, cancelled_at=t.cancelled_at,
        reporter_name=(reporter.display_name if reporter else "?") if names.office_view else None,
        thumb_url=photos_service.url(thumb, "thumb") if thumb else None, updated_at=t.updated_at,
        possible_duplicate_count=names.duplicates.get(t.id, 0),
    )


def detail(session: Session, user: User, ticket: Ticket) -> TicketDetail:
    """The ticket with its photos, timeline, duplicates and what this user may do now."""
    session.refresh(ticket)
    events = visible_events(user, session.exec(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.at, TicketEvent.id)
    ).all())
    names = TicketNames(session, [ticket], user, extra_user_ids={e.actor_id for e in events},
                        extra_unit_ids={e.unit_id for e in events})
    links = session.exec(
        select(TicketPhoto, Photo).join(Photo, Photo.id == TicketPhoto.photo_id)
        .where(TicketPhoto.ticket_id == ticket.id).order_by(TicketPhoto.event_id, TicketPhoto.position)
    ).all()
    photos_by_event: dict[int, list[uuid.UUID]] = {}
    photos = []
    for link, photo in links:
        photos_by_event.setdefault(link.event_id, []).append(photo.id)
        photos.append(TicketPhotoPublic(**photos_service.to_public(photo).model_dump(), stage=link.stage,
                                        event_id=link.event_id))
    now = utcnow()
    status = Status(ticket.status)
    own_unit = user.role == Role.unit_staff and ticket.unit_id is not None and ticket.unit_id == user.unit_id
    duplicates = possible_duplicates(session, ticket) \
        if user.role in SEES_ALL_TICKETS and status in workflow.OPEN_STATUSES else []
    return TicketDetail(
        **summary_fields(ticket, names, now) | {"possible_duplicate_count": len(duplicates)},
        photos=photos,
        events=[_event_public(e, names, photos_by_event.get(e.id, [])) for e in events],
        possible_duplicates=duplicates,
        duplicate_of=_visible_duplicate_of(session, user, ticket),
        allowed_actions=workflow.allowed_actions(status, user.role, own_unit=own_unit),
        # The category's limit from now: the default of a dispatch, and of a 返工 (failed verification).
        suggested_deadline_at=default_deadline(session, ticket, now)
        if status in (Status.reported, Status.rectified) else None,
    )


def _event_public(e: TicketEvent, names: TicketNames, photo_ids: list[uuid.UUID]) -> EventPublic:
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
    if ticket.duplicate_of is None or office_view(user):
        return ticket.duplicate_of
    try:
        return get_visible(session, user, ticket.duplicate_of).id
    except NotFound:
        return None


SORTS = {"-reported_at": ("reported_at", True), "reported_at": ("reported_at", False),
         "deadline_at": ("deadline_at", False), "-updated_at": ("updated_at", True)}


def encode_cursor(value: datetime, tid: uuid.UUID) -> str:
    raw = json.dumps([value.isoformat(), str(tid)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The (time, id) an encode_cursor made; anything else, e.g. a naive or absurd time, is 422 invalid_cursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, tid = json.loads(raw)
        at, tid = datetime.fromisoformat(value), uuid.UUID(tid)
    except (ValueError, TypeError, AttributeError):
        at = None
    if at is None or not is_plausible(at):
        raise Invalid("分页游标无效 Invalid cursor", code="invalid_cursor")
    return at, tid


def parse_bbox(bbox: str) -> tuple[float, float, float, float]:
    try:
        min_lng, min_lat, max_lng, max_lat = (float(x) for x in bbox.split(","))
    except ValueError:
        raise Invalid("bbox 格式应为 minLng,minLat,maxLng,maxLat", code="invalid_bbox") from None
    if not (-180 <= min_lng <= max_lng <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise Invalid("bbox 超出范围 bbox out of range", code="invalid_bbox")
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


def ticket_filters(user: User, *, status: list[Status] | None = None, unit_id: int | None = None,
                   category_code: str | None = None, overdue: bool | None = None, q: str | None = None,
                   bbox: str | None = None, now: datetime | None = None,
                   search: TextSearch = TextSearch("sqlite", True), reporter_id: int | None = None,
                   reported_after: datetime | None = None) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a filtered ticket list (also used by the statistics drill-down)."""
    now = now or utcnow()
    where: list[ColumnElement[bool]] = [visible_clause(user)]
    if reporter_id is not None:
        where.append(Ticket.reporter_id == reporter_id)
    if reported_after is not None:
        where.append(Ticket.reported_at >= reported_after)
    if status:
        where.append(col(Ticket.status).in_([s.value for s in status]))
    if unit_id is not None:
        where.append(Ticket.unit_id == unit_id)
    if category_code:
        where.append(Ticket.category_code.startswith(category_code, autoescape=True))
    overdue_clause = and_(Ticket.status == Status.dispatched.value, Ticket.deadline_at < now)
    if overdue is True:
        where.append(overdue_clause)
    elif overdue is False:
        where.append(~overdue_clause)
    if q and (q := q.strip()):
        where.append(search_clause(q, search))
    if bbox:
        min_lng, min_lat, max_lng, max_lat = parse_bbox(bbox)
        where += [Ticket.lat.between(min_lat, max_lat), Ticket.lng.between(min_lng, max_lng)]
    return where


def _has_duplicate_window() -> ColumnElement[bool]:
    """An open ticket with another open one of its category in the square around the duplicate radius
    (a superset: the exact distance is checked on the page, as for possible_duplicate_count)."""
    radius = get_settings().duplicate_radius_m
    dlat, dlng = _window(60.0, radius)  # the widest longitude window of any Chinese latitude
    other = aliased(Ticket)
    open_values = [s.value for s in workflow.OPEN_STATUSES]
    return and_(col(Ticket.status).in_(open_values), exists().where(
        other.category_code == Ticket.category_code, other.id != Ticket.id, col(other.status).in_(open_values),
        other.lat.between(Ticket.lat - dlat, Ticket.lat + dlat),
        other.lng.between(Ticket.lng - dlng, Ticket.lng + dlng)))


def list_tickets(session: Session, user: User, *, sort: str = "-reported_at", limit: int = 50,
                 cursor: str | None = None, has_duplicates: bool | None = None, **filters) -> TicketPage:
    """A page of the tickets this user may see, newest first by default; keyset pagination.

    sort=deadline_at lists only tickets that have a deadline (dispatched now or before), soonest first.
    has_duplicates filters on possible_duplicate_count (> 0 or == 0); a page may then hold fewer than
    `limit` items while next_cursor still leads on.
    """
    now = utcnow()
    where = ticket_filters(user, now=now, search=text_search(session), **filters)
    if has_duplicates:
        where.append(_has_duplicate_window())
    field, desc = SORTS[sort]
    key = getattr(Ticket, field)
    if field == "deadline_at":
        where.append(col(Ticket.deadline_at).is_not(None))
    if cursor:
        value, tid = decode_cursor(cursor)
        bound = literal(value, UTCDateTime)
        where.append(or_(key < bound, and_(key == bound, Ticket.id < tid)) if desc
                     else or_(key > bound, and_(key == bound, Ticket.id > tid)))
    order = [key.desc(), col(Ticket.id).desc()] if desc else [key.asc(), col(Ticket.id).asc()]
    rows = list(session.exec(select(Ticket).where(*where).order_by(*order).limit(limit + 1)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    names = TicketNames(session, rows, user, duplicates=user.role in SEES_ALL_TICKETS)
    items = [TicketSummary(**summary_fields(t, names, now)) for t in rows]
    if has_duplicates is not None:
        items = [i for i in items if (i.possible_duplicate_count > 0) == has_duplicates]
    next_cursor = encode_cursor(getattr(rows[-1], field), rows[-1].id) if more else None
    return TicketPage(items=items, next_cursor=next_cursor)
