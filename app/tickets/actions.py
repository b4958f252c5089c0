"""The write path: a report creates a ticket; every later action goes through `act` and the ACTIONS registry.

An action is one entry in ACTIONS: its input schema, the stage its photos are filed under, and a function
that checks the input and answers the changes it makes. `act` does the rest the same way for all of them:
visibility, idempotent replays, the workflow table's guard, one atomic status change, its timeline event.
"""

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from pydantic import BaseModel
from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.categories.models import Category
from app.core.config import get_settings
from app.core.db import commit_writes
from app.core.errors import Conflict, Forbidden, Invalid
from app.core.types import utcnow
from app.photos.models import Photo
from app.tickets import access, read, workflow
from app.tickets.deadlines import default_deadline
from app.tickets.models import CaseCounter, Ticket, TicketAssignment, TicketEvent, TicketPhoto
from app.tickets.schemas import (
    ActionIn,
    CancelIn,
    DispatchIn,
    RectifyIn,
    ReturnIn,
    TicketCreate,
    TicketDetail,
    VerifyIn,
)
from app.tickets.workflow import Action, Status
from app.units import service as units_service
from app.units.models import Unit
from app.users.models import User

# A deadline further ahead is a typo (2205 for 2025); tests/stats fixtures use deadlines ~4 years ahead.
MAX_DEADLINE_AHEAD = timedelta(days=5 * 366)


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
    commit_writes(session)
    return read.detail(session, user, ticket), True


def _replay_report(session: Session, user: User, ticket_id: uuid.UUID, digest: str) -> TicketDetail | None:
    """The first result of a report already made with this id (None: there is none); 409 for other content."""
    existing = session.get(Ticket, ticket_id, populate_existing=True)
    if existing is None:
        return None
    if existing.reporter_id != user.id or existing.request_hash != digest:
        raise Conflict("该编号已用于另一份上报 This id was already used for a different report",
                       code="idempotency_conflict")
    return read.detail(session, user, existing)


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


# ---- the actions on a ticket --------------------------------------------------------------------

class Change(NamedTuple):
    """What an action does to a ticket: new column values, and the fields of its timeline event."""

    ticket: dict[str, Any]
    event: dict[str, Any]  # note, unit_id, deadline_at


@dataclass(frozen=True)
class ActionSpec:
    """One action on an existing ticket. Who may take it, and from which status, is workflow.WORKFLOW's."""

    schema: type[ActionIn]
    # Checks the input against the ticket and answers the change: (session, ticket, body, now) → Change.
    change: Callable[[Session, Ticket, Any, datetime], Change]
    # The stage the body's photo_ids are filed under; None: the action takes no photos. Whether photos are
    # required is the schema's (photo_ids with min_length=1), so the API contract shows it.
    photo_stage: str | None = None
    # For the app (GET /api/config): the endpoint under /api/tickets/{id}/, body fields the action fixes,
    # and the rules `change` enforces beyond the schema (a field it requires, or one it ignores).
    path: str = ""
    fixed: Mapping[str, Any] = field(default_factory=dict)
    also_required: frozenset[str] = frozenset()
    ignored: frozenset[str] = frozenset()


def _deadline(session: Session, given: datetime | None, ticket: Ticket, now: datetime) -> datetime:
    if given is None:
        return default_deadline(session.get(Category, ticket.category_code), now)
    if given <= now:
        raise Invalid("整改时限须晚于当前时间 Deadline must be in the future", code="invalid_deadline")
    if given > now + MAX_DEADLINE_AHEAD:
        raise Invalid("整改时限不能超过五年 Deadline must be within five years", code="invalid_deadline")
    return given


def _dispatch(session: Session, ticket: Ticket, body: DispatchIn, now: datetime) -> Change:
    if session.get(Unit, body.unit_id) is None:
        raise Invalid("责任单位不存在 Unknown unit", code="unknown_unit")
    deadline = _deadline(session, body.deadline, ticket, now)
    return Change({"unit_id": body.unit_id, "deadline_at": deadline, "dispatched_at": now,
                   "first_dispatched_at": ticket.first_dispatched_at or now},
                  {"unit_id": body.unit_id, "deadline_at": deadline, "note": body.note})


def _return(session: Session, ticket: Ticket, body: ReturnIn, now: datetime) -> Change:
    return Change({"unit_id": None, "deadline_at": None, "return_count": Ticket.return_count + 1},
                  {"note": body.reason, "unit_id": ticket.unit_id})


def _rectify(session: Session, ticket: Ticket, body: RectifyIn, now: datetime) -> Change:
    return Change({"rectified_at": now, "first_rectified_at": ticket.first_rectified_at or now},
                  {"note": body.note, "unit_id": ticket.unit_id})


def _verify_pass(session: Session, ticket: Ticket, body: VerifyIn, now: datetime) -> Change:
    on_time = ticket.deadline_at is None or (ticket.rectified_at is not None
                                             and ticket.rectified_at <= ticket.deadline_at)
    return Change({"closed_at": now, "closed_on_time": on_time}, {"note": body.note})


def _verify_fail(session: Session, ticket: Ticket, body: VerifyIn, now: datetime) -> Change:
    if not (body.note or "").strip():
        raise Invalid("返工须填写原因 A failed verification needs a reason", code="reason_required")
    deadline = _deadline(session, body.deadline, ticket, now)
    return Change({"deadline_at": deadline, "dispatched_at": now, "rework_count": Ticket.rework_count + 1},
                  {"note": body.note, "unit_id": ticket.unit_id, "deadline_at": deadline})


def _cancel(session: Session, ticket: Ticket, body: CancelIn, now: datetime) -> Change:
    if body.duplicate_of is not None:
        if body.duplicate_of == ticket.id or session.get(Ticket, body.duplicate_of) is None:
            raise Invalid("重复案件不存在 duplicate_of must be another existing ticket", code="unknown_ticket")
    return Change({"cancelled_at": now, "duplicate_of": body.duplicate_of}, {"note": body.reason})


ACTIONS: dict[Action, ActionSpec] = {
    Action.dispatch: ActionSpec(DispatchIn, _dispatch, path="dispatch"),
    Action.return_: ActionSpec(ReturnIn, _return, path="return"),
    Action.rectify: ActionSpec(RectifyIn, _rectify, photo_stage="rectify", path="rectify"),
    Action.verify_pass: ActionSpec(VerifyIn, _verify_pass, photo_stage="verify", path="verify",
                                   fixed={"passed": True}, ignored=frozenset({"deadline"})),
    Action.verify_fail: ActionSpec(VerifyIn, _verify_fail, photo_stage="verify", path="verify",
                                   fixed={"passed": False}, also_required=frozenset({"note"})),
    Action.cancel: ActionSpec(CancelIn, _cancel, path="cancel"),
}


def act(session: Session, user: User, ticket_id: uuid.UUID, action: Action, body: ActionIn) -> TicketDetail:
    """Apply one workflow action: guard, atomic status change, event and stage timestamp, one commit."""
    spec = ACTIONS[action]
    if not isinstance(body, spec.schema):
        raise TypeError(f"{action.value} takes {spec.schema.__name__}, not {type(body).__name__}")
    ticket = access.get_visible(session, user, ticket_id)
    digest = request_hash(body, action=action.value)
    if (replayed := _replay_action(session, user, ticket, body.action_id, digest)) is not None:
        return replayed

    frm = Status(ticket.status)
    to = workflow.transition(frm, action, user.role, own_unit=access.own_unit(user, ticket))  # 403 / 409

    now = utcnow()
    photo_ids: list[uuid.UUID] = getattr(body, "photo_ids", []) if spec.photo_stage else []
    try:
        change = spec.change(session, ticket, body, now)
        photos = _claimable_photos(session, user, photo_ids) if photo_ids else []
    except Conflict:
        # photo_in_use: perhaps by our own resend of this action, committed since we looked.
        if (replayed := _replay_action(session, user, ticket, body.action_id, digest)) is not None:
            return replayed
        raise
    values = change.ticket | {"status": to.value, "updated_at": now}
    try:
        with session.begin_nested():
            # The status guard in the WHERE clause makes exactly one of two concurrent actions win.
            result = session.execute(
                update(Ticket).where(Ticket.id == ticket.id, Ticket.status == frm.value).values(**values)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount != 1:
                raise _LostRace
            event = _add_event(session, ticket, action, frm, to, user, now, action_id=body.action_id,
                               digest=digest, **change.event)
            if photos:
                _attach_photos(session, ticket, event, photos, spec.photo_stage)
            # Every unit a ticket is ever given may see it from then on (access.visible_clause reads this).
            unit_id = values.get("unit_id")
            if unit_id is not None and session.get(TicketAssignment, (ticket.id, unit_id)) is None:
                session.add(TicketAssignment(ticket_id=ticket.id, unit_id=unit_id, first_dispatched_at=now))
            session.flush()
    except (_LostRace, IntegrityError):
        # Another request got there first (the same action resent, another action, or one of our photos).
        return _lost_race(session, user, ticket_id, action, body.action_id, digest, [p.id for p in photos])
    commit_writes(session)
    session.expire(ticket)
    return read.detail(session, user, ticket)


class _LostRace(Exception):
    """The guarded UPDATE matched no row: the ticket changed status since we read it."""


def _lost_race(session: Session, user: User, ticket_id: uuid.UUID, action: Action, action_id: uuid.UUID,
               digest: str, photo_ids: list[uuid.UUID]) -> TicketDetail:
    """Another request changed the ticket first: a replay of ours answers its result, else 409."""
    session.rollback()  # a fresh transaction sees what the winner committed
    ticket = access.get_visible(session, user, ticket_id)
    if (replayed := _replay_action(session, user, ticket, action_id, digest)) is not None:
        return replayed
    _raise_if_photos_in_use(session, photo_ids)
    raise workflow.WrongState(Status(ticket.status), action)


def _replay_action(session: Session, user: User, ticket: Ticket, action_id: uuid.UUID, digest: str
                   ) -> TicketDetail | None:
    event = session.exec(select(TicketEvent).where(TicketEvent.action_id == action_id)).first()
    if event is None:
        return None
    if event.ticket_id != ticket.id or event.request_hash != digest or event.actor_id != user.id:
        raise Conflict("该操作编号已用于另一操作 This action id was already used for a different action",
                       code="idempotency_conflict")
    return read.detail(session, user, ticket)


def dispatch(session: Session, user: User, ticket_id: uuid.UUID, body: DispatchIn) -> TicketDetail:
    return act(session, user, ticket_id, Action.dispatch, body)


def return_(session: Session, user: User, ticket_id: uuid.UUID, body: ReturnIn) -> TicketDetail:
    return act(session, user, ticket_id, Action.return_, body)


def rectify(session: Session, user: User, ticket_id: uuid.UUID, body: RectifyIn) -> TicketDetail:
    return act(session, user, ticket_id, Action.rectify, body)


def verify(session: Session, user: User, ticket_id: uuid.UUID, body: VerifyIn) -> TicketDetail:
    """Pass closes the ticket, fail sends it back to the unit (返工): two actions behind one endpoint."""
    return act(session, user, ticket_id, Action.verify_pass if body.passed else Action.verify_fail, body)


def cancel(session: Session, user: User, ticket_id: uuid.UUID, body: CancelIn) -> TicketDetail:
    return act(session, user, ticket_id, Action.cancel, body)
