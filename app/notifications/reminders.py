"""Reminders: 预超期 and overdue, once per threshold per ticket and deadline; and each unit's daily digest.

When a unit gets a deadline (a dispatch, 改派, 恢复, 返工, an approved extension) two jobs are queued for the
moments the ticket turns 预超期 and overdue (XUNCHA_NEAR_DEADLINE_*, as the lists define it). A job that finds
the ticket rectified, or with another deadline since, does nothing; a reminder's dedupe key (per person and
per channel delivery) makes it one message however many jobs ask. An admin may set 预超期 thresholds of their
own (hours before the deadline, settings.py): then a job per threshold, each checked against the settings when
it runs. The digest is a job that runs at the digest hour (settings.py; default XUNCHA_DIGEST_HOUR, city time)
and queues the next day's; each unit with open tasks gets one message a day
(its key holds the date).
"""

import uuid
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import Integer, func
from sqlmodel import Session, col, select

from app import jobs
from app.categories.models import Category
from app.core.config import get_settings
from app.core.db import new_session
from app.core.types import utcnow
from app.jobs.models import QUEUED, Job
from app.notifications import delivery, people, settings
from app.notifications.texts import render
from app.tickets.models import Ticket, TicketEvent
from app.tickets.workflow import Action, Status
from app.users.models import User
from app.users.roles import Role

REMIND_JOB = "notifications.remind"
DIGEST_JOB = "notifications.digest"
_SCHEDULING = {Action.dispatch, Action.reassign, Action.resume, Action.verify_fail, Action.approve_extension}


def near_moment(deadline: datetime, dispatched_at: datetime) -> datetime:
    """When a ticket given `deadline` at `dispatched_at` turns 预超期 (Ticket.is_near_deadline_at)."""
    settings = get_settings()
    given = deadline - dispatched_at
    return deadline - max(given * settings.near_deadline_fraction,
                          min(timedelta(hours=settings.near_deadline_hours), given / 2))


def schedule(session: Session, ticket: Ticket, event: TicketEvent, conf: settings.Current | None = None) -> None:
    """Queue this deadline's reminders (in the event's transaction). `ticket` holds its values from before."""
    action = Action(event.action)
    if action not in _SCHEDULING or event.deadline_at is None or event.unit_id is None:
        return
    dispatched_at = ticket.dispatched_at if action == Action.approve_extension and ticket.dispatched_at else event.at
    _enqueue(session, ticket.id, event.deadline_at, dispatched_at, event.at, conf or settings.current(session))
    jobs.enqueue(session, REMIND_JOB, {"ticket_id": str(ticket.id), "deadline_at": event.deadline_at.isoformat(),
                                       "threshold": "overdue"}, run_after=event.deadline_at)


def _enqueue(session: Session, ticket_id: uuid.UUID, deadline: datetime, dispatched_at: datetime, now: datetime,
             conf: settings.Current, only: set[int] | None = None) -> None:
    """The 预超期 jobs of one deadline still ahead (`only`: of these configured hours)."""
    payload = {"ticket_id": str(ticket_id), "deadline_at": deadline.isoformat(), "threshold": "near_deadline"}
    if conf.near_deadline_hours is None:
        moments = {None: near_moment(deadline, dispatched_at)}
    else:
        moments = {h: deadline - timedelta(hours=h) for h in conf.near_deadline_hours if only is None or h in only}
    for hours, at in moments.items():
        if at > now:  # a ticket near its deadline from the start is told so by its new task
            jobs.enqueue(session, REMIND_JOB, payload | ({} if hours is None else {"hours": hours}), run_after=at)


def reschedule(session: Session, before: settings.Current, after: settings.Current) -> int:
    """After an admin changed the 预超期 hours: queue the new thresholds of every open task (the old ones' jobs
    find their hours gone and do nothing). Answers how many tasks."""
    if before.near_deadline_hours == after.near_deadline_hours:
        return 0
    only = None if after.near_deadline_hours is None else (
        set(after.near_deadline_hours) - set(before.near_deadline_hours or ()))
    if only is not None and not only and before.near_deadline_hours is not None:
        return 0  # thresholds removed only
    now = utcnow()
    rows = session.exec(select(Ticket.id, Ticket.deadline_at, Ticket.dispatched_at).where(
        Ticket.status == Status.dispatched, col(Ticket.deadline_at).is_not(None), col(Ticket.unit_id).is_not(None),
        col(Ticket.deadline_at) > now)).all()
    for ticket_id, deadline, dispatched_at in rows:
        _enqueue(session, ticket_id, deadline, dispatched_at or now, now, after, only)
    return len(rows)


@jobs.handler(REMIND_JOB)
def remind(session: Session, payload: dict) -> None:
    ticket = session.get(Ticket, uuid.UUID(payload["ticket_id"]))
    deadline = datetime.fromisoformat(payload["deadline_at"])
    if ticket is None or ticket.status != Status.dispatched or ticket.deadline_at != deadline or not ticket.unit_id:
        return  # rectified, returned, suspended, or given another deadline since
    kind, hours = payload["threshold"], payload.get("hours")
    if kind == "near_deadline" and utcnow() >= deadline:
        return  # run late (the server was down): past the deadline, the overdue reminder says it
    conf = settings.current(session)
    configured = conf.near_deadline_hours
    if kind == "near_deadline" and ((hours is None) != (configured is None) or (
            configured is not None and hours not in configured)):
        return  # a threshold the admin has since changed
    category = session.get(Category, ticket.category_code)
    fields = {"case_number": ticket.case_number, "category": category.name_zh if category else ticket.category_code,
              "category_code": ticket.category_code, "address": ticket.address, "deadline_at": deadline.isoformat()}
    threshold = kind if hours is None else f"{kind}-{hours}h"
    send(session, ticket.unit_id, kind, f"{threshold}-{ticket.id}-{int(deadline.timestamp())}", ticket.id, fields,
         conf)


def send(session: Session, unit_id: int | None, kind: str, key: str, ticket_id: uuid.UUID | None,
         fields: dict[str, Any], conf: settings.Current) -> None:
    """One message to every active staff member of the unit (None: every dispatcher) and its channels (the
    office's), at most once per key."""
    now, text = utcnow(), render(kind, fields, conf.templates.get(kind), ticket_id)
    people_ = select(User.id).where(col(User.is_active).is_(True))
    people_ = people_.where(User.role == Role.dispatcher) if unit_id is None else people_.where(
        User.unit_id == unit_id, User.role == Role.unit_staff)
    people.tell(session, list(session.exec(people_.order_by(User.id)).all()), kind, fields, text=text, key=key,
                ticket_id=ticket_id, at=now, dedupe=True)
    delivery.queue(session, unit_id=unit_id, kind=kind, key=key, ticket_id=ticket_id, at=now, text=text,
                   fields=fields, conf=conf)


# ---- the daily digest ----------------------------------------------------------------------------------

def next_digest_at(now: datetime, hour: int) -> datetime:
    tz = get_settings().tz
    local = now.astimezone(tz)
    at = datetime.combine(local.date(), time(hour), tzinfo=tz)
    return at if at > local else at + timedelta(days=1)


def ensure_digest_scheduled(session: Session, *, reschedule: bool = False) -> None:
    """Queue the next digest unless one is queued (called at start-up and by the digest itself); with
    `reschedule` (the admin changed the hour) move the queued one to the hour now configured. Workers claim
    from the table, so every process sees the move at once."""
    at = next_digest_at(utcnow(), settings.current(session).digest_hour)
    queued = session.exec(select(Job).where(Job.kind == DIGEST_JOB, Job.state == QUEUED)).all()
    if not queued:
        jobs.enqueue(session, DIGEST_JOB, {}, run_after=at)
    elif reschedule:
        for job in queued:
            job.run_after = at
            session.add(job)
        session.flush()


def start_digest() -> None:
    """At a worker's start: make sure the digest runs (its own session, committed)."""
    with new_session(write=True) as session:
        ensure_digest_scheduled(session)
        session.commit()


@jobs.handler(DIGEST_JOB)
def digest(session: Session, payload: dict) -> None:
    now = utcnow()
    conf = settings.current(session)
    tz = get_settings().tz
    day = now.astimezone(tz).date()
    end_of_day = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    rows = session.exec(select(
        Ticket.unit_id, func.count(),
        func.sum(func.cast(col(Ticket.deadline_at) < now, Integer())),
        func.sum(func.cast((col(Ticket.deadline_at) >= now) & (col(Ticket.deadline_at) < end_of_day), Integer())),
    ).where(Ticket.status == Status.dispatched, col(Ticket.unit_id).is_not(None)).group_by(Ticket.unit_id)).all()
    for unit_id, open_tasks, overdue, due_today in rows:
        fields = {"date": day.isoformat(), "open": open_tasks, "due_today": int(due_today or 0),
                  "overdue": int(overdue or 0)}
        send(session, unit_id, "digest", f"digest-{unit_id}-{day.isoformat()}", None, fields, conf)
    # The dispatchers' morning: what waits for the office (reports to triage, requests to decide,
    # rectifications to verify); a message per report would drown them on a busy day.
    waiting = dict(session.exec(select(Ticket.status, func.count()).where(
        col(Ticket.status).in_([Status.reported, Status.rectified])).group_by(Ticket.status)).all())
    requests = session.exec(select(func.count()).select_from(Ticket).where(
        col(Ticket.pending_request).is_not(None))).one()
    fields = {"date": day.isoformat(), "reported": waiting.get(Status.reported, 0),
              "requests": requests, "rectified": waiting.get(Status.rectified, 0)}
    send(session, None, "office_digest", f"digest-office-{day.isoformat()}", None, fields, conf)
    ensure_digest_scheduled(session)

