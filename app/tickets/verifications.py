"""The verifications' fact rows (`ticket_verifications`, app/tickets/models.py), written in the transaction of
the action that makes or changes them, so the statistics read a period's verifications from one narrow table."""

import uuid
from collections.abc import Iterable

from sqlalchemy import case, func, insert, literal, select, update
from sqlmodel import Session, col

from app.tickets.models import Ticket, TicketEvent, TicketVerification
from app.tickets.workflow import Action

VERIFY_ACTIONS = (Action.verify_pass.value, Action.verify_fail.value)


def _rows(events):
    """SELECT of the fact rows of the verification events `events` (a selectable of ticket_events), joined to
    their ticket: the rectification judged is, for a pass, the ticket's latest (a pass closes it for good), for a
    failure its latest 整改 at or before the verification."""
    rect = TicketEvent.__table__.alias("rect")
    judged = (select(func.max(rect.c.at))
              .where(rect.c.ticket_id == events.c.ticket_id, rect.c.action == Action.rectify.value,
                     rect.c.at <= events.c.at)
              .correlate(events).scalar_subquery())
    return (select(events.c.id, events.c.ticket_id, events.c.at, events.c.action == Action.verify_pass.value,
                   case((events.c.action == Action.verify_pass.value, Ticket.rectified_at), else_=judged),
                   Ticket.unit_id, Ticket.category_code, Ticket.grid_id)
            .select_from(events).join(Ticket, Ticket.id == events.c.ticket_id))


_COLUMNS = ("event_id", "ticket_id", "at", "passed", "rectified_at", "unit_id", "category_code", "grid_id")


def record(session: Session, event: TicketEvent) -> None:
    """The fact row of a verification event just added (its ticket already updated)."""
    events = TicketEvent.__table__
    session.execute(insert(TicketVerification).from_select(
        _COLUMNS, _rows(events).where(events.c.id == event.id)))


def backfill(session: Session) -> None:
    """The fact rows of every verification event that has none (bench/stats.py's bulk load; the migration
    a7d2c4e9b1f3 has the same in plain SQL)."""
    events = TicketEvent.__table__
    done = select(literal(1)).where(TicketVerification.event_id == events.c.id).exists()
    session.execute(insert(TicketVerification).from_select(
        _COLUMNS, _rows(events).where(events.c.action.in_(VERIFY_ACTIONS), ~done)))


def follow_unit(session: Session, ticket_ids: Iterable[uuid.UUID], unit_id: int | None) -> None:
    """A ticket given to another unit (or none: returned): its verifications count for that unit from now on,
    as the figures count a verification for the ticket's current unit."""
    ids = list(ticket_ids)
    for i in range(0, len(ids), 1000):
        session.execute(update(TicketVerification).where(col(TicketVerification.ticket_id).in_(ids[i:i + 1000]))
                        .values(unit_id=unit_id).execution_options(synchronize_session=False))
