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
from sqlalchemy import ColumnElement, bindparam, func, insert, literal, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app import jobs
from app.categories.models import Category
from app.core.config import get_settings
from app.core.db import commit_writes
from app.core.errors import Conflict, Forbidden, Invalid, NotFound
from app.core.types import UTCDateTime, utcnow
from app.notifications import service as notifications
from app.photos.models import Photo
from app.tickets import access, origins, read, verifications, workflow
from app.tickets.deadlines import default_deadline
from app.tickets.models import CaseCounter, Ticket, TicketAssignment, TicketEvent, TicketPhoto, TicketRequest
from app.tickets.schemas import (
    ActionIn,
    CancelIn,
    DecisionIn,
    DispatchIn,
    RectifyIn,
    RequestIn,
    RequestKind,
    RequestState,
    ResumeIn,
    ReturnIn,
    SuperviseIn,
    TicketCreate,
    TicketDetail,
    UrgeIn,
    VerifyIn,
    VoidIn,
)
from app.tickets.workflow import Action, Status
from app.units import service as units_service
from app.units.models import Grid, Unit
from app.users.models import User

# A deadline further ahead is a typo (2205 for 2025); tests/stats fixtures use deadlines ~4 years ahead.
MAX_DEADLINE_AHEAD = timedelta(days=5 * 366)



def _both_deadlines(deadline: datetime | None) -> dict:
    """A new deadline for the unit that is also the office's (按期 is judged against the latter): dispatch,
    re-dispatch, an approved extension, resuming, a return. A 返工 sets the unit's alone."""
    return {"deadline_at": deadline, "office_deadline_at": deadline}

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


def suggest_unit(session: Session, category: Category, lat: float, lng: float, grid: Grid | None
                 ) -> int | None:
    """Routing: the grid containing the point (found by the caller), else the category's (or its class's)
    default unit."""
    if grid:
        return grid.unit_id
    if category.default_unit_id:
        return category.default_unit_id
    parent = session.get(Category, category.parent_code) if category.parent_code else None
    return parent.default_unit_id if parent else None


def report(session: Session, user: User, body: TicketCreate) -> tuple[TicketDetail, bool]:
    """Create a ticket from a report; answers (detail, created). A replay creates nothing and answers the ticket as
    it is now (the same id and case number; its state may have moved on since)."""
    digest = request_hash(body)
    if (replayed := _replay_report(session, user, body.id, digest)) is not None:
        return replayed, False
    try:
        workflow.transition(None, Action.report, user.role)
    except workflow.NotAllowed:
        raise Forbidden("只有督查员和派遣员可以上报 Only inspectors and dispatchers report") from None
    category = session.get(Category, body.category_code)
    if category is None or category.parent_code is None:
        raise Invalid(f"未知的问题类别：{body.category_code} Unknown category: {body.category_code}",
                      code="unknown_category")
    if not category.enabled or not session.get(Category, category.parent_code).enabled:
        raise Invalid(f"该问题类别已停用：{body.category_code} Category disabled: {body.category_code}",
                      code="category_disabled")
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
    grid = units_service.grid_at(session, lat, lng)
    ticket = Ticket(
        id=body.id, case_number=next_case_number(session, now), status=Status.reported,
        category_code=category.code, description=body.description.strip(), address=body.address,
        lat=lat, lng=lng, accuracy_m=accuracy, captured_at=captured_at,
        reporter_id=user.id, suggested_unit_id=suggest_unit(session, category, lat, lng, grid),
        grid_id=grid.id if grid else None, reported_at=now, updated_at=now, request_hash=digest,
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
        # The report's id is its event's action id: one an action on another ticket already took.
        if session.exec(select(TicketEvent.id).where(TicketEvent.action_id == body.id)).first() is not None:
            raise Conflict("该编号已用于另一操作 This id was already used for an action",
                           code="idempotency_conflict") from None
        raise
    commit_writes(session)
    return read.detail(session, user, ticket), True


def claimable_photos(session: Session, user: User, ids: list[uuid.UUID]) -> list[Photo]:
    """Photos this user uploaded and that no ticket uses yet (422 unknown_photo, 409 photo_in_use)."""
    return _claimable_photos(session, user, ids)


def record_finding(session: Session, user: User, *, ticket_id: uuid.UUID, category_code: str, description: str,
                   address: str | None, lat: float, lng: float, photos: list[Photo],
                   suggested_unit_id: int | None, digest: str, now: datetime) -> Ticket:
    """A problem an evaluation (实地测评) found enters the loop as a report would: a case number, the report
    event with its photos, the category's unit suggested. The caller's transaction holds it (flushed only)."""
    ticket = Ticket(id=ticket_id, case_number=next_case_number(session, now), status=Status.reported,
                    category_code=category_code, description=description, address=address, lat=lat, lng=lng,
                    reporter_id=user.id, suggested_unit_id=suggested_unit_id,
                    grid_id=grid.id if (grid := units_service.grid_at(session, lat, lng)) else None,
                    reported_at=now, updated_at=now, request_hash=digest)
    session.add(ticket)
    session.flush()
    event = _add_event(session, ticket, Action.report, None, Status.reported, user, now, note=description,
                       action_id=ticket_id, digest=digest)
    _attach_photos(session, ticket, event, photos, "report")
    session.flush()
    return ticket


def _replay_report(session: Session, user: User, ticket_id: uuid.UUID, digest: str) -> TicketDetail | None:
    """The ticket a report already made with this id (None: there is none), as it is now; 409 for other content."""
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
    """What an action does to a ticket: new column values, and the fields of its timeline event.

    `guard`: more conditions for the ticket's guarded UPDATE (besides its status), e.g. "no request waits";
    `then`: more writes in the same transaction once the event exists (the request ledger row); it raises
    _LostRace when its own guard finds that a concurrent request got there first.
    """

    ticket: dict[str, Any]
    event: dict[str, Any]  # note, unit_id, deadline_at
    guard: tuple[ColumnElement[bool], ...] = ()
    then: Callable[[Session, TicketEvent], None] | None = None


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
        return default_deadline(session.get(Category, ticket.category_code), now, session)
    if given <= now:
        raise Invalid("整改时限须晚于当前时间 Deadline must be in the future", code="invalid_deadline")
    if given > now + MAX_DEADLINE_AHEAD:
        raise Invalid("整改时限不能超过五年 Deadline must be within five years", code="invalid_deadline")
    return given


def _dispatch(session: Session, ticket: Ticket, body: DispatchIn, now: datetime) -> Change:
    origins.check_dispatchable(session, ticket.id)  # 四不两直: a finding waits for its round's publication
    unit = session.get(Unit, body.unit_id)
    if unit is None:
        raise Invalid("责任单位不存在 Unknown unit", code="unknown_unit")
    if not unit.is_active:
        raise Invalid("责任单位已停用 The unit is deactivated", code="inactive_unit")
    deadline = _deadline(session, body.deadline, ticket, now)
    return Change({"unit_id": body.unit_id, **_both_deadlines(deadline),
                   "dispatched_at": now, "first_dispatched_at": ticket.first_dispatched_at or now},
                  {"unit_id": body.unit_id, "deadline_at": deadline, "note": body.note})


def _rectify(session: Session, ticket: Ticket, body: RectifyIn, now: datetime) -> Change:
    return Change({"rectified_at": now, "first_rectified_at": ticket.first_rectified_at or now},
                  {"note": body.note, "unit_id": ticket.unit_id})


def _verify_pass(session: Session, ticket: Ticket, body: VerifyIn, now: datetime) -> Change:
    # 按期 is judged against the office's deadline: a 返工's new deadline does not make a late fix on time.
    on_time = ticket.office_deadline_at is None or (ticket.rectified_at is not None
                                                    and ticket.rectified_at <= ticket.office_deadline_at)
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


# ---- deadline exceptions: a unit's request, the office's decision --------------------------------

NO_PENDING_REQUEST = "no_pending_request"


def _later_deadline(given: datetime, ticket: Ticket, now: datetime, what: str = "申请的整改时限") -> datetime:
    if given <= now or (ticket.deadline_at is not None and given <= ticket.deadline_at):
        raise Invalid(f"{what}须晚于当前时间和现有时限 The deadline must be later than now and than the current one",
                      code="invalid_deadline", details={"current_deadline": ticket.deadline_at.isoformat()
                                                        if ticket.deadline_at else None})
    if given > now + MAX_DEADLINE_AHEAD:
        raise Invalid("整改时限不能超过五年 Deadline must be within five years", code="invalid_deadline")
    return given


def _review_date(given: datetime, now: datetime) -> datetime:
    if given <= now:
        raise Invalid("复查日期须晚于当前时间 The review date must be in the future", code="invalid_review_at")
    if given > now + MAX_DEADLINE_AHEAD:
        raise Invalid("复查日期不能超过五年 The review date must be within five years", code="invalid_review_at")
    return given


def _request(kind: RequestKind) -> Callable[[Session, Ticket, RequestIn, datetime], Change]:
    def change(session: Session, ticket: Ticket, body: RequestIn, now: datetime) -> Change:
        if ticket.pending_request is not None:
            raise Conflict("已有待审批的申请 A request on this ticket is already waiting for a decision",
                           code="request_pending", details={"pending_request": ticket.pending_request})
        asked: datetime | None = None
        if kind == RequestKind.extension:
            if body.deadline is None:
                raise Invalid("延期申请须填写申请的时限 An extension request needs the deadline asked for",
                              code="deadline_required")
            asked = _later_deadline(body.deadline, ticket, now)
        elif kind == RequestKind.suspension and body.review_at is not None:
            asked = _review_date(body.review_at, now)
        unit_id, deadline_before = ticket.unit_id, ticket.deadline_at

        def then(session: Session, event: TicketEvent) -> None:
            session.add(TicketRequest(
                id=body.action_id, ticket_id=ticket.id, kind=kind.value, state=RequestState.pending.value,
                unit_id=unit_id, reason=body.reason, requested_deadline=asked, deadline_before=deadline_before,
                requested_by=event.actor_id, requested_at=event.at, request_event_id=event.id))
            session.flush()  # the partial unique index: a second pending request loses here

        return Change({"pending_request": kind.value},
                      {"note": body.reason, "unit_id": unit_id, "deadline_at": asked},
                      guard=(col(Ticket.pending_request).is_(None),), then=then)

    return change


def _pending(session: Session, ticket: Ticket, body: DecisionIn, kind: RequestKind) -> TicketRequest:
    """The request decided on: 404 if it is not this ticket's; 409 unless it waits and is of this kind."""
    request = session.get(TicketRequest, body._request_id, populate_existing=True) \
        if body._request_id is not None else None
    if request is None or request.ticket_id != ticket.id:
        raise NotFound("申请不存在 Request not found")
    if request.state != RequestState.pending.value or request.kind != kind.value:
        raise Conflict("该申请不在待审批状态 No such request is waiting for a decision", code=NO_PENDING_REQUEST,
                       details={"state": request.state, "kind": request.kind})
    return request


def _decide(request_id: uuid.UUID, state: RequestState, note: str | None, *, deadline: datetime | None = None,
            unit_id: int | None = None) -> Callable[[Session, TicketEvent], None]:
    """Record the decision on the request row; of two concurrent decisions only one finds it pending."""

    def then(session: Session, event: TicketEvent) -> None:
        result = session.execute(
            update(TicketRequest)
            .where(TicketRequest.id == request_id, TicketRequest.state == RequestState.pending.value)
            .values(state=state.value, decided_by=event.actor_id, decided_at=event.at, decision_note=note,
                    decided_deadline=deadline, reassigned_unit_id=unit_id, decision_event_id=event.id)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            raise _LostRace

    return then


def _decision_guard(kind: RequestKind) -> tuple[ColumnElement[bool], ...]:
    return (Ticket.pending_request == kind.value,)


def _reject(kind: RequestKind) -> Callable[[Session, Ticket, DecisionIn, datetime], Change]:
    def change(session: Session, ticket: Ticket, body: DecisionIn, now: datetime) -> Change:
        request = _pending(session, ticket, body, kind)
        if not (body.note or "").strip():
            raise Invalid("驳回须填写理由 A rejection needs a note", code="note_required")
        return Change({"pending_request": None}, {"note": body.note, "unit_id": ticket.unit_id},
                      guard=_decision_guard(kind), then=_decide(request.id, RequestState.rejected, body.note))

    return change


def _approve_extension(session: Session, ticket: Ticket, body: DecisionIn, now: datetime) -> Change:
    request = _pending(session, ticket, body, RequestKind.extension)
    granted = _later_deadline(body.deadline or request.requested_deadline, ticket, now, "批准的整改时限")
    return Change({**_both_deadlines(granted),
                   "extension_count": Ticket.extension_count + 1, "pending_request": None},
                  {"note": body.note, "unit_id": ticket.unit_id, "deadline_at": granted},
                  guard=_decision_guard(RequestKind.extension),
                  then=_decide(request.id, RequestState.approved, body.note, deadline=granted))


def _approve_return(session: Session, ticket: Ticket, body: DecisionIn, now: datetime) -> Change:
    request = _pending(session, ticket, body, RequestKind.return_)
    # The unit said the problem is not theirs and the office agreed: it is no longer the one to suggest.
    not_theirs = {"suggested_unit_id": None} if ticket.suggested_unit_id == ticket.unit_id else {}
    return Change({"unit_id": None, **_both_deadlines(None),
                   "return_count": Ticket.return_count + 1,
                   "pending_request": None, **not_theirs},
                  {"note": body.note, "unit_id": ticket.unit_id},
                  guard=_decision_guard(RequestKind.return_),
                  then=_decide(request.id, RequestState.approved, body.note))


def _reassign(session: Session, ticket: Ticket, body: DecisionIn, now: datetime) -> Change:
    request = _pending(session, ticket, body, RequestKind.return_)
    unit = session.get(Unit, body.unit_id) if body.unit_id is not None else None
    if unit is None:
        raise Invalid("责任单位不存在 Unknown unit", code="unknown_unit")
    if not unit.is_active:
        raise Invalid("责任单位已停用 The unit is deactivated", code="inactive_unit")
    if body.unit_id == ticket.unit_id:
        raise Invalid("改派须选择另一单位 Re-dispatch to another unit", code="same_unit")
    deadline = _deadline(session, body.deadline, ticket, now)
    return Change({"unit_id": body.unit_id, **_both_deadlines(deadline),
                   "dispatched_at": now, "return_count": Ticket.return_count + 1, "pending_request": None},
                  {"note": body.note, "unit_id": body.unit_id, "deadline_at": deadline},
                  guard=_decision_guard(RequestKind.return_),
                  then=_decide(request.id, RequestState.approved, body.note, deadline=deadline,
                               unit_id=body.unit_id))


RESUME_IF_DUE = "tickets.resume_if_due"


def _approve_suspension(session: Session, ticket: Ticket, body: DecisionIn, now: datetime) -> Change:
    request = _pending(session, ticket, body, RequestKind.suspension)
    if body.review_at is None:
        raise Invalid("批准挂账须填写复查日期 Approving a suspension needs a review date", code="review_at_required")
    review_at = _review_date(body.review_at, now)
    decide = _decide(request.id, RequestState.approved, body.note, deadline=review_at)

    def then(session: Session, event: TicketEvent) -> None:
        decide(session, event)
        # Back by itself at the review date, unless resumed (or suspended again) by hand before.
        jobs.enqueue(session, RESUME_IF_DUE, {"ticket_id": str(ticket.id), "review_at": review_at.isoformat(),
                                              "actor_id": event.actor_id}, run_after=review_at)

    # The timeline's deadline_at of a suspension is its review date.
    return Change({"suspended_at": now, "review_at": review_at, "suspension_count": Ticket.suspension_count + 1,
                   "pending_request": None},
                  {"note": body.note, "unit_id": ticket.unit_id, "deadline_at": review_at},
                  guard=_decision_guard(RequestKind.suspension), then=then)


def _resume(session: Session, ticket: Ticket, body: ResumeIn, now: datetime) -> Change:
    deadline = _deadline(session, body.deadline, ticket, now)
    return Change({**_both_deadlines(deadline), "dispatched_at": now,
                   "suspended_at": None, "review_at": None},
                  {"note": body.note, "unit_id": ticket.unit_id, "deadline_at": deadline})


def _void(session: Session, ticket: Ticket, body: VoidIn, now: datetime) -> Change:
    if body.duplicate_of is not None:
        if body.duplicate_of == ticket.id or session.get(Ticket, body.duplicate_of) is None:
            raise Invalid("重复案件不存在 duplicate_of must be another existing ticket", code="unknown_ticket")

    def then(session: Session, event: TicketEvent) -> None:
        # A request still waiting is rejected in the same step: there is nothing left to decide.
        session.execute(
            update(TicketRequest)
            .where(TicketRequest.ticket_id == ticket.id, TicketRequest.state == RequestState.pending.value)
            .values(state=RequestState.rejected.value, decided_by=event.actor_id, decided_at=event.at,
                    decision_note=f"案件已作废 Ticket voided: {body.reason}"[:2000], decision_event_id=event.id)
            .execution_options(synchronize_session=False))

    return Change({"voided_at": now, "duplicate_of": body.duplicate_of, "pending_request": None},
                  {"note": body.reason, "unit_id": ticket.unit_id}, then=then)


def _urge(session: Session, ticket: Ticket, body: UrgeIn, now: datetime) -> Change:
    return Change({"urge_count": Ticket.urge_count + 1}, {"note": body.note, "unit_id": ticket.unit_id})


def _supervise(session: Session, ticket: Ticket, body: SuperviseIn, now: datetime) -> Change:
    # The first 督办 sets the flag's time; later ones are recorded on the timeline only.
    return Change({"supervised_at": func.coalesce(Ticket.supervised_at, literal(now, UTCDateTime))},
                  {"note": body.note, "unit_id": ticket.unit_id})


_REQUEST_PATH = "requests"
_DECISION_PATH = "requests/{request_id}/decision"


ACTIONS: dict[Action, ActionSpec] = {
    Action.dispatch: ActionSpec(DispatchIn, _dispatch, path="dispatch"),
    Action.rectify: ActionSpec(RectifyIn, _rectify, photo_stage="rectify", path="rectify"),
    Action.verify_pass: ActionSpec(VerifyIn, _verify_pass, photo_stage="verify", path="verify",
                                   fixed={"passed": True}, ignored=frozenset({"deadline"})),
    Action.verify_fail: ActionSpec(VerifyIn, _verify_fail, photo_stage="verify", path="verify",
                                   fixed={"passed": False}, also_required=frozenset({"note"})),
    Action.cancel: ActionSpec(CancelIn, _cancel, path="cancel"),
    Action.request_extension: ActionSpec(
        RequestIn, _request(RequestKind.extension), photo_stage="request", path=_REQUEST_PATH,
        fixed={"kind": RequestKind.extension.value}, also_required=frozenset({"deadline"}),
        ignored=frozenset({"review_at"})),
    Action.request_return: ActionSpec(
        RequestIn, _request(RequestKind.return_), photo_stage="request", path=_REQUEST_PATH,
        fixed={"kind": RequestKind.return_.value}, ignored=frozenset({"deadline", "review_at"})),
    Action.request_suspension: ActionSpec(
        RequestIn, _request(RequestKind.suspension), photo_stage="request", path=_REQUEST_PATH,
        fixed={"kind": RequestKind.suspension.value}, ignored=frozenset({"deadline"})),
    Action.approve_extension: ActionSpec(DecisionIn, _approve_extension, path=_DECISION_PATH,
                                         fixed={"approve": True}, ignored=frozenset({"review_at", "unit_id"})),
    Action.reject_extension: ActionSpec(DecisionIn, _reject(RequestKind.extension), path=_DECISION_PATH,
                                        fixed={"approve": False}, also_required=frozenset({"note"}),
                                        ignored=frozenset({"deadline", "review_at", "unit_id"})),
    Action.approve_return: ActionSpec(DecisionIn, _approve_return, path=_DECISION_PATH,
                                      fixed={"approve": True}, ignored=frozenset({"deadline", "review_at", "unit_id"})),
    Action.reassign: ActionSpec(DecisionIn, _reassign, path=_DECISION_PATH, fixed={"approve": True},
                                also_required=frozenset({"unit_id"}), ignored=frozenset({"review_at"})),
    Action.reject_return: ActionSpec(DecisionIn, _reject(RequestKind.return_), path=_DECISION_PATH,
                                     fixed={"approve": False}, also_required=frozenset({"note"}),
                                     ignored=frozenset({"deadline", "review_at", "unit_id"})),
    Action.approve_suspension: ActionSpec(DecisionIn, _approve_suspension, path=_DECISION_PATH,
                                          fixed={"approve": True}, also_required=frozenset({"review_at"}),
                                          ignored=frozenset({"deadline", "unit_id"})),
    Action.reject_suspension: ActionSpec(DecisionIn, _reject(RequestKind.suspension), path=_DECISION_PATH,
                                         fixed={"approve": False}, also_required=frozenset({"note"}),
                                         ignored=frozenset({"deadline", "review_at", "unit_id"})),
    Action.resume: ActionSpec(ResumeIn, _resume, path="resume"),
    Action.void: ActionSpec(VoidIn, _void, path="void"),
    Action.urge: ActionSpec(UrgeIn, _urge, path="urge"),
    Action.supervise: ActionSpec(SuperviseIn, _supervise, path="supervise"),
}


def act(session: Session, user: User, ticket_id: uuid.UUID, action: Action, body: ActionIn,
        **hash_extra: Any) -> TicketDetail:
    """Apply one workflow action: guard, atomic status change, event and stage timestamp, one commit.

    `hash_extra`: what identifies the action besides its body (a decision's request id from the path).
    """
    spec = ACTIONS[action]
    if not isinstance(body, spec.schema):
        raise TypeError(f"{action.value} takes {spec.schema.__name__}, not {type(body).__name__}")
    ticket = access.get_visible(session, user, ticket_id)
    digest = request_hash(body, action=action.value, **hash_extra)
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
    try:
        with session.begin_nested():
            if not apply(session, user, ticket, action, frm, to, change, body.action_id, digest, now, photos,
                          spec.photo_stage):
                raise _LostRace
    except (_LostRace, IntegrityError):
        # Another request got there first (the same action resent, another action, or one of our photos).
        return _lost_race(session, user, ticket_id, action, body, digest, [p.id for p in photos])
    commit_writes(session)
    session.expire(ticket)
    return read.detail(session, user, ticket)


def apply(session: Session, user: User, ticket: Ticket, action: Action, frm: Status, to: Status, change: Change,
           action_id: uuid.UUID, digest: str, now: datetime, photos: list[Photo], photo_stage: str | None) -> bool:
    """The writes of one action: the guarded status change, its event, the request ledger's row, notifications,
    photos and the unit's assignment. False (nothing written) when the guard finds the ticket changed."""
    values = change.ticket | {"status": to.value, "updated_at": now}
    # The status guard in the WHERE clause makes exactly one of two concurrent actions win.
    # Actions that keep the status (a decision on a request) add their own guard: exactly one of an
    # approval and a rejection of one request finds it still waiting.
    result = session.execute(
        update(Ticket).where(Ticket.id == ticket.id, Ticket.status == frm.value, *change.guard)
        .values(**values).execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    event = _add_event(session, ticket, action, frm, to, user, now, action_id=action_id, digest=digest,
                       **change.event)
    if change.then is not None:
        change.then(session, event)
    # The statistics' fact rows of verifications: a new one, or a ticket's verifications following it to its
    # new unit (or to none, returned).
    if action in (Action.verify_pass, Action.verify_fail):
        verifications.record(session, event)
    if "unit_id" in values:
        verifications.follow_unit(session, [ticket.id], values["unit_id"])
    notifications.on_event(session, ticket, event, previous_unit_id=ticket.unit_id)
    if photos:
        _attach_photos(session, ticket, event, photos, photo_stage)
    # Every unit a ticket is ever given may see it from then on (access.visible_clause reads this).
    unit_id = values.get("unit_id")
    if unit_id is not None and session.get(TicketAssignment, (ticket.id, unit_id)) is None:
        session.add(TicketAssignment(ticket_id=ticket.id, unit_id=unit_id, first_dispatched_at=now))
    session.flush()
    return True


def dispatch_findings(session: Session, user: User, findings: list[tuple[uuid.UUID, int]], note: str) -> int:
    """Dispatch each (ticket, unit) still reported to that unit with its category's default deadline, inside the
    caller's transaction (flushed, never committed): an evaluation round's publication sending its findings
    straight to the sites' units. The same writes as the dispatch action (status, deadlines, event, assignment,
    reminders, messages), done in bulk: the tickets read and locked in one pass, one UPDATE statement run for
    all, events and assignments inserted in batches. A ticket no longer reported is left as it is; an unknown or
    deactivated unit refuses the whole (422). Answers how many were dispatched.

    The round's 直接交办 authorises these dispatches, not the publisher's role: any office role may publish a
    round (app/evaluation/workflow.py), and each dispatch is recorded as the publisher's."""
    unit_of = dict(findings)
    if not unit_of:
        return 0
    units = {u.id: u for u in session.exec(select(Unit).where(col(Unit.id).in_(set(unit_of.values())))).all()}
    for unit_id in set(unit_of.values()):
        if unit_id not in units:
            raise Invalid("责任单位不存在 Unknown unit", code="unknown_unit")
        if not units[unit_id].is_active:
            raise Invalid("责任单位已停用 The unit is deactivated", code="inactive_unit")
    ids = list(unit_of)
    tickets: list[Ticket] = []
    for i in range(0, len(ids), _BATCH):
        # Locked (PostgreSQL) so that no action slips in between this read and the update below.
        tickets += session.exec(select(Ticket).where(col(Ticket.id).in_(ids[i:i + _BATCH]),
                                                     Ticket.status == Status.reported.value)
                                .with_for_update()).all()
    if not tickets:
        return 0
    to = workflow.WORKFLOW[(Status.reported, Action.dispatch)].to
    now = utcnow()
    categories = {c.code: c for c in session.exec(select(Category).where(
        col(Category.code).in_({t.category_code for t in tickets}))).all()}
    deadlines = {code: default_deadline(c, now, session) for code, c in categories.items()}
    order = {tid: i for i, tid in enumerate(ids)}
    tickets.sort(key=lambda t: order[t.id])
    # A Core UPDATE: the loaded objects keep their values from before, as the notifications read them.
    table = Ticket.__table__
    session.connection().execute(
        update(table).where(table.c.id == bindparam("b_id"), table.c.status == Status.reported.value)
        .values(status=to.value, updated_at=now, unit_id=bindparam("b_unit"), deadline_at=bindparam("b_deadline"),
                office_deadline_at=bindparam("b_deadline"), dispatched_at=now,
                first_dispatched_at=bindparam("b_first")),
        [{"b_id": t.id, "b_unit": unit_of[t.id], "b_deadline": deadlines[t.category_code],
          "b_first": t.first_dispatched_at or now} for t in tickets])
    for unit_id in set(unit_of[t.id] for t in tickets):  # a finding returned after a 返工 has verifications
        verifications.follow_unit(session, [t.id for t in tickets if unit_of[t.id] == unit_id], unit_id)
    rows = []
    for t in tickets:
        body = DispatchIn(action_id=uuid.uuid5(t.id, "dispatch-on-publish"), unit_id=unit_of[t.id], note=note)
        rows.append({"ticket_id": t.id, "action": Action.dispatch.value, "from_status": Status.reported.value,
                     "to_status": to.value, "actor_id": user.id, "at": now, "note": note, "unit_id": unit_of[t.id],
                     "deadline_at": deadlines[t.category_code], "action_id": body.action_id,
                     "request_hash": request_hash(body, action=Action.dispatch.value)})
    events = []
    for i in range(0, len(rows), _BATCH):
        events += session.scalars(insert(TicketEvent).returning(TicketEvent, sort_by_parameter_order=True),
                                  rows[i:i + _BATCH]).all()
    assigned = set()
    for i in range(0, len(ids), _BATCH):
        assigned |= set(session.exec(select(TicketAssignment.ticket_id, TicketAssignment.unit_id).where(
            col(TicketAssignment.ticket_id).in_(ids[i:i + _BATCH]))).all())
    new = [{"ticket_id": t.id, "unit_id": unit_of[t.id], "first_dispatched_at": now} for t in tickets
           if (t.id, unit_of[t.id]) not in assigned]
    for i in range(0, len(new), _BATCH):
        session.execute(insert(TicketAssignment), new[i:i + _BATCH])
    notifications.on_dispatches(session, list(zip(tickets, events, strict=True)))
    for t in tickets:
        session.expire(t)
    session.flush()
    return len(tickets)


_BATCH = 500  # rows per IN list and per multi-row INSERT


class _LostRace(Exception):
    """The guarded UPDATE matched no row: the ticket changed status since we read it."""


def _lost_race(session: Session, user: User, ticket_id: uuid.UUID, action: Action, body: ActionIn,
               digest: str, photo_ids: list[uuid.UUID]) -> TicketDetail:
    """Another request changed the ticket first: a replay of ours answers its result, else 409."""
    session.rollback()  # a fresh transaction sees what the winner committed
    ticket = access.get_visible(session, user, ticket_id)
    if (replayed := _replay_action(session, user, ticket, body.action_id, digest)) is not None:
        return replayed
    _raise_if_photos_in_use(session, photo_ids)
    status = Status(ticket.status)
    try:
        workflow.transition(status, action, user.role, own_unit=access.own_unit(user, ticket))
        # The status still allows the action: the winner took what it needed (a request now waits, or the
        # one decided on is decided); the action's own checks say which.
        ACTIONS[action].change(session, ticket, body, utcnow())
    except (workflow.WrongState, workflow.NotAllowed):
        pass  # the ticket moved on (another status, or another unit's now): 409 like any lost race
    raise workflow.WrongState(status, action)


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
    """The old 退回 endpoint's body files a return request (outboxes of earlier app versions still land)."""
    return request(session, user, ticket_id, RequestIn(action_id=body.action_id, kind=RequestKind.return_,
                                                       reason=body.reason))


REQUEST_ACTIONS = {RequestKind.extension: Action.request_extension, RequestKind.return_: Action.request_return,
                   RequestKind.suspension: Action.request_suspension}


def request(session: Session, user: User, ticket_id: uuid.UUID, body: RequestIn) -> TicketDetail:
    """A unit's request (延期 / 回退 / 挂账): three actions behind one endpoint."""
    return act(session, user, ticket_id, REQUEST_ACTIONS[body.kind], body)


def decide(session: Session, user: User, ticket_id: uuid.UUID, request_id: uuid.UUID, body: DecisionIn
           ) -> TicketDetail:
    """The office's decision on a request: the request's kind and the body pick one of seven actions."""
    ticket = access.get_visible(session, user, ticket_id)
    req = session.get(TicketRequest, request_id)
    if req is None or req.ticket_id != ticket.id:
        raise NotFound("申请不存在 Request not found")
    kind = RequestKind(req.kind)
    if kind == RequestKind.extension:
        action = Action.approve_extension if body.approve else Action.reject_extension
    elif kind == RequestKind.suspension:
        action = Action.approve_suspension if body.approve else Action.reject_suspension
    elif not body.approve:
        action = Action.reject_return
    else:
        action = Action.reassign if body.unit_id is not None else Action.approve_return
    body._request_id = request_id
    return act(session, user, ticket_id, action, body, request_id=str(request_id))


def resume(session: Session, user: User, ticket_id: uuid.UUID, body: ResumeIn) -> TicketDetail:
    return act(session, user, ticket_id, Action.resume, body)


def void(session: Session, user: User, ticket_id: uuid.UUID, body: VoidIn) -> TicketDetail:
    return act(session, user, ticket_id, Action.void, body)


def urge(session: Session, user: User, ticket_id: uuid.UUID, body: UrgeIn) -> TicketDetail:
    return act(session, user, ticket_id, Action.urge, body)


def supervise(session: Session, user: User, ticket_id: uuid.UUID, body: SuperviseIn) -> TicketDetail:
    return act(session, user, ticket_id, Action.supervise, body)


def rectify(session: Session, user: User, ticket_id: uuid.UUID, body: RectifyIn) -> TicketDetail:
    return act(session, user, ticket_id, Action.rectify, body)


def verify(session: Session, user: User, ticket_id: uuid.UUID, body: VerifyIn) -> TicketDetail:
    """Pass closes the ticket, fail sends it back to the unit (返工): two actions behind one endpoint."""
    return act(session, user, ticket_id, Action.verify_pass if body.passed else Action.verify_fail, body)


def cancel(session: Session, user: User, ticket_id: uuid.UUID, body: CancelIn) -> TicketDetail:
    return act(session, user, ticket_id, Action.cancel, body)


# ---- the review date of a suspension --------------------------------------------------------------

@jobs.handler(RESUME_IF_DUE)
def resume_if_due(session: Session, payload: dict) -> None:
    """A suspended ticket at its review date goes back to its unit, with a deadline by category from then.

    Only if it is still suspended with that review date (resumed by hand, voided or suspended anew: nothing
    to do). The event's actor is who approved the suspension. Idempotent: the action id is derived from the
    ticket and the review date, so a second run is a replay.
    """
    ticket = session.get(Ticket, uuid.UUID(payload["ticket_id"]))
    review_at = datetime.fromisoformat(payload["review_at"])
    if ticket is None or ticket.status != Status.suspended.value or ticket.review_at != review_at:
        return
    actor = session.get(User, payload["actor_id"])
    now = utcnow()
    deadline = default_deadline(session.get(Category, ticket.category_code), review_at, session)
    if deadline <= now:  # the worker ran long after the review date
        deadline = default_deadline(session.get(Category, ticket.category_code), now, session)
    action_id = uuid.uuid5(uuid.NAMESPACE_URL, f"xuncha:resume:{ticket.id}:{review_at.isoformat()}")
    try:
        act(session, actor, ticket.id, Action.resume,
            ResumeIn(action_id=action_id, deadline=deadline, note="到期自动恢复 resumed at review date"))
    except (workflow.WrongState, workflow.NotAllowed):
        return  # resumed or voided meanwhile
