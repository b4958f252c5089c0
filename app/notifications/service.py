"""Who is told what when a ticket moves (the events of issue 13), and the inbox's reads.

Recipients follow visibility (四不两直): a unit's staff are told only of tickets given to their unit (the
event's unit, which from then on may see the ticket), never who reported them; the office is told of what
waits for it (a unit's request; a rectification waiting for the reporter's verification).
"""

import uuid
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from app import jobs
from app.categories.models import Category
from app.core import pagination
from app.core.errors import NotFound
from app.core.types import utcnow
from app.notifications import delivery, people, reminders, settings
from app.notifications.models import Channel, Notification
from app.notifications.schemas import NotificationOut, NotificationPage
from app.notifications.texts import render
from app.tickets.models import Ticket, TicketEvent
from app.tickets.workflow import Action
from app.units.models import Unit
from app.users.models import User
from app.users.roles import Role

# Told to the staff of the event's unit: action → kind.
_TO_UNIT = {
    Action.dispatch: "dispatched", Action.reassign: "dispatched", Action.resume: "resumed",
    Action.verify_fail: "rework", Action.urge: "urged", Action.supervise: "supervised", Action.void: "voided",
    Action.approve_extension: "request_decided", Action.reject_extension: "request_decided",
    Action.approve_return: "request_decided", Action.reject_return: "request_decided",
    Action.approve_suspension: "request_decided", Action.reject_suspension: "request_decided",
}
# A unit's request waits for the office: who decides it.
_TO_OFFICE = {
    Action.request_extension: (Role.dispatcher,), Action.request_return: (Role.dispatcher,),
    Action.return_: (Role.dispatcher,), Action.request_suspension: (Role.dispatcher, Role.leader),
}

_DECISIONS = {
    Action.approve_extension: "延期申请已批准", Action.reject_extension: "延期申请未批准",
    Action.approve_return: "回退申请已批准", Action.reject_return: "回退申请未批准",
    Action.approve_suspension: "挂账申请已批准", Action.reject_suspension: "挂账申请未批准",
    Action.reassign: "回退申请已批准并改派",
}
_REQUESTS = {Action.request_extension: "延期", Action.request_return: "回退", Action.return_: "回退",
             Action.request_suspension: "挂账"}

# The to-dos an event answers: whoever was told of them no longer finds them unread (the 待审批 of a request
# another dispatcher decided, the 待核查 of a ticket another inspector closed), read as of the event.
_DECIDED = frozenset({Action.approve_extension, Action.reject_extension, Action.approve_return, Action.reject_return,
                      Action.reassign, Action.approve_suspension, Action.reject_suspension})
_SETTLES = {a: ("request_waiting",) for a in _DECIDED} | {
    Action.verify_pass: ("verification_waiting",), Action.verify_fail: ("verification_waiting",),
    Action.void: ("request_waiting", "verification_waiting"),
}


def _settle(session: Session, event: TicketEvent, kinds: tuple[str, ...]) -> None:
    session.execute(update(Notification).where(
        Notification.ticket_id == event.ticket_id, col(Notification.kind).in_(kinds),
        col(Notification.read_at).is_(None), col(Notification.event_id) < event.id).values(read_at=event.at))


def on_event(session: Session, ticket: Ticket, event: TicketEvent, *, previous_unit_id: int | None) -> None:
    """Write the notifications an event causes, in its transaction. `ticket` holds the values from before
    the action (the event holds the new unit and deadline); `previous_unit_id` is the unit it had."""
    action = Action(event.action)
    if action in _SETTLES:
        _settle(session, event, _SETTLES[action])
    conf = settings.current(session)
    reminders.schedule(session, ticket, event, conf)
    base = _fields(session, ticket, event)
    if action == Action.reassign and previous_unit_id is not None:
        # The unit that asked to give the ticket back hears the decision, not the new unit's deadline (its time
        # is no longer this unit's, as its timeline hides it); the new unit gets a new task.
        _tell(session, conf, _active_users(session, unit_id=previous_unit_id), previous_unit_id, "request_decided",
              event, base | {"decision": _DECISIONS[action], "deadline_at": None})
    if action in _TO_UNIT and event.unit_id is not None:
        kind = _TO_UNIT[action]
        extra = {"decision": _DECISIONS[action]} if kind == "request_decided" else {}
        _tell(session, conf, _active_users(session, unit_id=event.unit_id), event.unit_id, kind, event, base | extra)
    elif action in _TO_OFFICE:
        unit = session.get(Unit, event.unit_id) if event.unit_id else None
        fields = base | {"request": _REQUESTS[action], "unit_name": unit.name if unit else None}
        _tell(session, conf, _active_users(session, roles=_TO_OFFICE[action]), None, "request_waiting", event, fields)
    elif action == Action.rectify:
        reporter = session.get(User, ticket.reporter_id)
        told = [reporter.id] if reporter is not None and reporter.is_active and reporter.role in (
            Role.inspector, Role.dispatcher) else []
        _tell(session, conf, told, None, "verification_waiting", event, base)


def on_dispatches(session: Session, dispatched: list[tuple[Ticket, TicketEvent]]) -> None:
    """on_event for many first dispatches at once (a round's findings on its publication): the same reminders and
    messages, with the settings read once and each unit's staff in one query for all units."""
    if not dispatched:
        return
    conf = settings.current(session)
    unit_ids = {e.unit_id for _, e in dispatched if e.unit_id is not None}
    staff: dict[int, list[int]] = {u: [] for u in unit_ids}
    for user_id, unit_id in session.exec(select(User.id, User.unit_id).where(
            col(User.is_active).is_(True), User.role == Role.unit_staff, col(User.unit_id).in_(unit_ids))
            .order_by(User.id)).all():
        staff[unit_id].append(user_id)
    kind = _TO_UNIT[Action.dispatch]
    subscribed = people.subscriptions(session, [u for us in staff.values() for u in us], kind)
    channels: dict[int, list[Channel]] = {u: [] for u in unit_ids}
    for channel in session.exec(select(Channel).where(col(Channel.unit_id).in_(unit_ids),
                                                      col(Channel.enabled).is_(True))).all():
        channels[channel.unit_id].append(channel)
    with jobs.batched(session):
        for ticket, event in dispatched:
            reminders.schedule(session, ticket, event, conf)
            if event.unit_id is not None:
                _tell(session, conf, staff[event.unit_id], event.unit_id, kind, event,
                      _fields(session, ticket, event), subscribed=subscribed, channels=channels[event.unit_id])


def _fields(session: Session, ticket: Ticket, event: TicketEvent) -> dict[str, Any]:
    category = session.get(Category, ticket.category_code)
    # `category` and the Chinese words are for channels; `category_code` and `action` let the app say them in
    # the reader's language.
    return {"case_number": ticket.case_number, "category": category.name_zh if category else ticket.category_code,
            "category_code": ticket.category_code, "action": event.action, "address": ticket.address,
            "deadline_at": event.deadline_at.isoformat() if event.deadline_at else None,
            "note": event.note}


def _tell(session: Session, conf: settings.Current, user_ids: list[int], unit_id: int | None, kind: str,
          event: TicketEvent, fields: dict[str, Any], *, subscribed: dict | None = None,
          channels: list | None = None) -> None:
    """The people's messages (inbox, their own SMS) and the unit's channels (None: the office's)."""
    key, text = f"{event.id}-{kind}", render(kind, fields, conf.templates.get(kind), event.ticket_id)
    people.tell(session, user_ids, kind, fields, text=text, key=key, ticket_id=event.ticket_id, at=event.at,
                event_id=event.id, subscribed=subscribed)
    delivery.queue(session, unit_id=unit_id, kind=kind, key=key, ticket_id=event.ticket_id, at=event.at,
                   text=text, fields=fields, conf=conf, channels=channels)


def _active_users(session: Session, *, unit_id: int | None = None, roles: tuple[Role, ...] = ()) -> list[int]:
    stmt = select(User.id).where(col(User.is_active).is_(True))
    if unit_id is not None:
        stmt = stmt.where(User.unit_id == unit_id, User.role == Role.unit_staff)
    else:
        stmt = stmt.where(col(User.role).in_(roles))
    return list(session.exec(stmt.order_by(User.id)).all())


# ---- the inbox ----------------------------------------------------------------------------------

def inbox(session: Session, user: User, *, unread: bool | None = None, limit: int = 50,
          cursor: str | None = None) -> NotificationPage:
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread is not None:
        stmt = stmt.where(col(Notification.read_at).is_(None) if unread else col(Notification.read_at).is_not(None))
    rows, next_cursor = pagination.page(session, stmt, col(Notification.created_at), col(Notification.id), desc=True,
                                        limit=limit, cursor=cursor, id_type=int)
    now = _ticket_states(session, {n.ticket_id for n in rows if n.kind in _ASKS and n.ticket_id is not None})
    return NotificationPage(items=[NotificationOut.model_validate(n, from_attributes=True).model_copy(
        update={"settled": _settled(n, now.get(n.ticket_id), user)}) for n in rows],
        next_cursor=next_cursor, unread=unread_count(session, user))


# Messages that ask something of their reader, by who must act: a unit's task on a dispatched ticket; the office's
# decision on a unit's request; an inspector's verification of a rectification.
_UNIT_TASKS = frozenset({"dispatched", "resumed", "rework", "urged", "supervised", "near_deadline", "overdue"})
_ASKS = _UNIT_TASKS | {"request_waiting", "verification_waiting"}


def _ticket_states(session: Session, ids: set[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str | None, int | None]]:
    if not ids:
        return {}
    return {tid: (status, pending, unit_id) for tid, status, pending, unit_id in session.execute(
        select(Ticket.id, Ticket.status, Ticket.pending_request, Ticket.unit_id).where(col(Ticket.id).in_(ids))).all()}


def _settled(n: Notification, state: tuple[str, str | None, int | None] | None, user: User) -> bool | None:
    """Whether what the message asked of the reader is done, or no longer theirs (an inbox kept saying 待审批 of a
    request decided long ago)."""
    if n.kind not in _ASKS:
        return None
    if state is None:  # the ticket is gone from the reader's sight
        return True
    status, pending, unit_id = state
    if n.kind == "request_waiting":
        return pending is None
    if n.kind == "verification_waiting":
        return status != "rectified"
    return status != "dispatched" or (user.role == Role.unit_staff and unit_id != user.unit_id)


def unread_count(session: Session, user: User) -> int:
    return session.exec(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, col(Notification.read_at).is_(None))).one()


def mark_read(session: Session, user: User, notification_id: int) -> NotificationOut:
    """Read on one device, read on all: the server keeps it. Marking twice keeps the first time."""
    n = session.get(Notification, notification_id)
    if n is None or n.user_id != user.id:
        raise NotFound("消息不存在 Notification not found")
    if n.read_at is None:
        n.read_at = utcnow()
        session.add(n)
        session.flush()
    return NotificationOut.model_validate(n, from_attributes=True)


def mark_all_read(session: Session, user: User, *, ticket_id: uuid.UUID | None = None) -> int:
    """Mark every unread message (of one ticket, when given) read; answers how many."""
    stmt = update(Notification).where(col(Notification.user_id) == user.id, col(Notification.read_at).is_(None))
    if ticket_id is not None:
        stmt = stmt.where(col(Notification.ticket_id) == ticket_id)
    return session.exec(stmt.values(read_at=utcnow())).rowcount  # type: ignore[call-overload]
