"""The exceptions ledger (台账): extension, return and suspension requests with their outcome, voids, urges and
督办, newest first. Read-only: every row is a ticket's timeline event (and, for a request, its request row).

Who sees it: dispatchers, leaders and admins all of it; unit staff the rows of their own unit only;
inspectors none (403). The unit of a row is the unit its event names: every exception action names the unit
concerned (a request's event the unit that asks; a void, urge or 督办 the ticket's unit then), so filters read
`ticket_events.unit_id` and the partial indexes ix_ticket_events_ledger_* serve every page.
"""

from datetime import date

from sqlmodel import Session, col, select

from app.categories.models import Category
from app.core import pagination
from app.core.errors import Forbidden, NotFound
from app.exceptions.schemas import KIND_ACTIONS, ExceptionKind, ExceptionPage, ExceptionRow, LedgerTicket, Outcome
from app.stats.periods import date_bounds
from app.tickets import access as tickets_access
from app.tickets.models import Ticket, TicketEvent, TicketRequest
from app.units import service as units_service
from app.units.models import Unit
from app.users.models import User
from app.users.roles import Role

LEDGER_ROLES = frozenset({Role.dispatcher, Role.leader, Role.admin})
KIND_OF_ACTION = {a.value: k for k, a in KIND_ACTIONS.items()}


def ledger_unit(session: Session, user: User, unit_id: int | None) -> int | None:
    """The unit the ledger is filtered to: unit staff get their own (another unit: 403); inspectors 403."""
    if user.role == Role.unit_staff:
        if user.unit_id is None:
            raise Forbidden("未绑定责任单位 Your account has no unit")
        if unit_id is not None and unit_id != user.unit_id:
            raise Forbidden("只能查看本单位的台账 Units see their own ledger only")
        return user.unit_id
    if user.role not in LEDGER_ROLES:
        raise Forbidden("无权查看台账 Your role may not see the exceptions ledger")
    if unit_id is not None and session.get(Unit, unit_id) is None:
        raise NotFound("责任单位不存在 Unit not found")
    return unit_id


def _statement(session: Session, user: User, kind: ExceptionKind | None, unit_id: int | None,
               start: date | None, end: date | None):
    unit_id = ledger_unit(session, user, unit_id)
    since, until = date_bounds(start, end)
    actions = [KIND_ACTIONS[kind].value] if kind else [a.value for a in KIND_ACTIONS.values()]
    stmt = (select(TicketEvent).join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(col(TicketEvent.action).in_(actions)))
    if unit_id is not None and user.role == Role.unit_staff:
        stmt = stmt.where(TicketEvent.unit_id == unit_id)
    elif unit_id is not None:  # a district with its street offices, as the dashboard's scope of a unit is
        stmt = stmt.where(col(TicketEvent.unit_id).in_(sorted(units_service.descendant_ids(session, unit_id))))
    if user.role != Role.unit_staff:
        # A unit's own rows are about tickets dispatched to it, which it may see: for unit staff the visibility
        # rule (an EXISTS over assignments) adds nothing but a scan of every ticket.
        stmt = stmt.where(tickets_access.visible_clause(user))
    if since is not None:
        stmt = stmt.where(TicketEvent.at >= since)
    if until is not None:
        stmt = stmt.where(TicketEvent.at < until)
    return stmt


def rows(session: Session, events: list[TicketEvent]) -> list[ExceptionRow]:
    """The ledger rows of these events, with a fixed number of batch look-ups (no query per row)."""
    if not events:
        return []
    event_ids = [e.id for e in events]
    requests = {r.request_event_id: r for r in session.exec(
        select(TicketRequest).where(col(TicketRequest.request_event_id).in_(event_ids))).all()}
    tickets = {t.id: t for t in session.exec(
        select(Ticket).where(col(Ticket.id).in_({e.ticket_id for e in events}))).all()}
    codes = {t.category_code for t in tickets.values()}
    categories = {c.code: c for c in session.exec(select(Category).where(col(Category.code).in_(codes))).all()}
    user_ids = {e.actor_id for e in events} | {r.decided_by for r in requests.values() if r.decided_by}
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(user_ids))).all()}
    unit_ids = ({e.unit_id for e in events} | {t.unit_id for t in tickets.values()}
                | {r.unit_id for r in requests.values()} | {r.reassigned_unit_id for r in requests.values()})
    unit_ids.discard(None)
    units = dict(session.execute(select(Unit.id, Unit.name).where(col(Unit.id).in_(unit_ids))).all())
    out = []
    for e in events:
        t, r = tickets[e.ticket_id], requests.get(e.id)
        cat = categories.get(t.category_code)
        actor = users.get(e.actor_id)
        unit_id = e.unit_id if e.unit_id is not None else r.unit_id if r else t.unit_id
        row = ExceptionRow(
            id=e.id, kind=KIND_OF_ACTION[e.action], at=e.at,
            ticket=LedgerTicket(id=t.id, case_number=t.case_number, status=t.status, category_code=t.category_code,
                                category_name_zh=cat.name_zh if cat else t.category_code,
                                category_name_en=cat.name_en if cat else "", address=t.address,
                                description=t.description),
            unit_id=unit_id, unit_name=units.get(unit_id), actor_name=actor.display_name if actor else None,
            actor_role=actor.role if actor else Role.dispatcher, reason=r.reason if r else e.note,
        )
        if r is not None:
            decider = users.get(r.decided_by) if r.decided_by else None
            outcome = Outcome(r.state)
            if outcome == Outcome.approved and r.reassigned_unit_id is not None:
                outcome = Outcome.reassigned
            row = row.model_copy(update=dict(
                request_id=r.id, outcome=outcome, deadline_before=r.deadline_before,
                requested_deadline=r.requested_deadline, decided_by_name=decider.display_name if decider else None,
                decided_at=r.decided_at, decision_note=r.decision_note, decided_deadline=r.decided_deadline,
                reassigned_unit_id=r.reassigned_unit_id, reassigned_unit_name=units.get(r.reassigned_unit_id)))
        out.append(row)
    return out


def ledger(session: Session, user: User, *, kind: ExceptionKind | None = None, unit_id: int | None = None,
           start: date | None = None, end: date | None = None, limit: int = 50,
           cursor: str | None = None) -> ExceptionPage:
    """One page of the ledger, newest first."""
    stmt = _statement(session, user, kind, unit_id, start, end)
    events, next_cursor = pagination.page(session, stmt, col(TicketEvent.at), col(TicketEvent.id), desc=True,
                                          limit=limit, cursor=cursor, id_type=int)
    return ExceptionPage(items=rows(session, events), next_cursor=next_cursor)


def all_rows(session: Session, user: User, *, kind: ExceptionKind | None = None, unit_id: int | None = None,
             start: date | None = None, end: date | None = None, limit: int) -> tuple[list[ExceptionRow], bool]:
    """Up to `limit` rows of the ledger, newest first, and whether there were more."""
    stmt = _statement(session, user, kind, unit_id, start, end)
    events = list(session.scalars(stmt.order_by(col(TicketEvent.at).desc(), col(TicketEvent.id).desc())
                                  .limit(limit + 1)))
    return rows(session, events[:limit]), len(events) > limit


