"""The SQL pieces of the statistics: what each figure counts, scope clauses, key columns, hours; percentiles."""

from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlmodel import Session, col

from app.evaluation.models import EvalAnswer, EvalResult, EvalRoundSite, EvalSite
from app.stats.schemas import Percentiles, Scope
from app.tickets.models import Ticket, TicketEvent, TicketRequest, TicketVerification
from app.tickets.workflow import Action, Status
from app.units.models import Unit

COUNTS = ("reported", "dispatched", "closed", "closed_on_time", "rectified", "reworked", "overdue", "overdue_now",
          "returned", "cancelled", "extended", "suspended", "voided", "urged", "supervised",
          "handed_over", "handed_over_voided", "due", "closed_late", "overdue_unclosed", "rework_times",
          "dispatched_on_time", "verified", "verified_on_time")
# Counts of occurrences, not of tickets: no drill-down lists them one to one (返工次数: a ticket failed twice
# counts 2; its tickets are the drill-down of 返工案件数 `reworked`; 核查次数 counts verifications, and a ticket
# verified three times counts 3).
OCCURRENCES = frozenset({"rework_times", "verified", "verified_on_time"})
# The exception figures counted from timeline events in the period: figure → the actions it counts.
EVENT_FIGURES: dict[str, tuple[str, ...]] = {
    "extended": (Action.approve_extension.value,),
    # The direct `return` of earlier versions was a return nobody had to approve: it counts as one.
    "returned": (Action.return_.value, Action.approve_return.value, Action.reassign.value),
    "suspended": (Action.approve_suspension.value,),
    "voided": (Action.void.value,),
    "urged": (Action.urge.value,),
    "supervised": (Action.supervise.value,),
}
# Figures that count tickets, not events (a second 督办 of one ticket is still one ticket under 督办).
DISTINCT_TICKETS = frozenset({"supervised"})
# The unit an exception event counts for: the unit that asked (a decision's request), else the unit the event
# names, else the ticket's current unit.
EVENT_UNIT = func.coalesce(TicketRequest.unit_id, TicketEvent.unit_id, Ticket.unit_id)


def in_cohort_base() -> ColumnElement[bool]:
    """The base of the cohort's figures (派遣数, 应结案数 and every rate but 整改率): voided and suspended tickets
    leave it. A voided one should never have been dispatched; a suspended one (挂账/缓办) is out of every
    deadline while suspended, as published practice takes 缓办 out of the base (按期结案率 = 按期结案数 ÷
    (应结案数 − 缓办数)). Resumed, it is back. 交办数 and 整改率 count from the whole cohort instead."""
    return col(Ticket.status).not_in([Status.voided.value, Status.suspended.value])


def office_overdue_at(now: datetime) -> ColumnElement[bool]:
    """The office's deadline passed by `now` (a rework's later deadline does not count)."""
    return and_(col(Ticket.office_deadline_at).is_not(None), Ticket.office_deadline_at < now)


def due_at(now: datetime) -> ColumnElement[bool]:
    """应结案 at `now` (within the cohort base): closed, or the office's deadline passed."""
    return or_(Ticket.status == Status.closed.value, office_overdue_at(now))


def closed_late() -> ColumnElement[bool]:
    """超期结案: closed, the accepted rectification after the office's deadline (not 按期结案)."""
    return and_(Ticket.status == Status.closed.value, col(Ticket.closed_on_time).is_not(True))


def overdue_unclosed_at(now: datetime) -> ColumnElement[bool]:
    """超期未结案 at `now` (within the cohort base): not closed, the office's deadline passed."""
    return and_(Ticket.status != Status.closed.value, office_overdue_at(now))


def events_of(actions: tuple[str, ...]):
    """Exception events joined to their ticket and (for a decision) the request decided, for EVENT_UNIT."""
    return (select(TicketEvent.ticket_id).select_from(TicketEvent)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .outerjoin(TicketRequest, TicketRequest.decision_event_id == TicketEvent.id)
            .where(col(TicketEvent.action).in_(actions)))
DURATIONS = ("hours_report_dispatch", "hours_dispatch_rectify", "hours_report_close")
VERIFY_DURATIONS = ("hours_rectify_verify",)


# The key columns the figures are grouped by (app/stats/passes.py), over a ticket and over an exception event.
# 大类: the first two characters of the GB/T-style code (06010 → 06).
def category_class(code_column) -> ColumnElement:
    return func.substr(code_column, 1, 2)


CATEGORY_CLASS = category_class(Ticket.category_code)


def site_type(table) -> ColumnElement:
    """测评点位类型 of the ticket of a row of `table` (tickets: its id; a table with ticket_id: that): a finding
    of an evaluation round counts under its site's type (answer → result → round site → site); a ticket found
    on patrol has none. One index probe per row (eval_answers.ticket_id)."""
    ticket_id = table.id if table is Ticket else table.ticket_id
    return (select(EvalSite.site_type).select_from(EvalAnswer)
            .join(EvalResult, EvalResult.id == EvalAnswer.result_id)
            .join(EvalRoundSite, EvalRoundSite.id == EvalResult.round_site_id)
            .join(EvalSite, EvalSite.id == EvalRoundSite.site_id)
            .where(EvalAnswer.ticket_id == ticket_id).correlate(table).limit(1).scalar_subquery())


SITE_TYPE = site_type(Ticket)
PERCENTILES = (("p50", 0.5), ("p90", 0.9))


def scope_where(session: Session, scope: Scope, *, unit_column=None, period_bound: bool = False
                 ) -> list[ColumnElement[bool]]:
    """WHERE clauses on tickets for a scope. A grid: the tickets reported in it (tickets.grid_id).

    period_bound: the query also has a date range. Then the unit is compared as `unit_id + 0`, so the
    planner scans the date range of a covering index instead of every ticket a unit ever had
    (1.7 s → 8 ms for a district's month at 1 M tickets on SQLite).
    """
    where: list[ColumnElement[bool]] = []
    unit_column = col(Ticket.unit_id) if unit_column is None else unit_column
    if period_bound:
        unit_column = unit_column + 0
    if scope.unit_ids is not None:
        where.append(unit_column.in_(scope.unit_ids) if len(scope.unit_ids) > 1
                     else unit_column == scope.unit_ids[0])
    if scope.category_code:
        where.append(Ticket.category_code.startswith(scope.category_code, autoescape=True))
    if scope.grid_id is not None:
        where.append(Ticket.grid_id == scope.grid_id)
    return where


def verification_scope_where(scope: Scope) -> list[ColumnElement[bool]]:
    """`scope_where` over the verifications' fact rows (ticket_verifications: the ticket's unit, category and
    grid, kept as the ticket's)."""
    where: list[ColumnElement[bool]] = []
    if scope.unit_ids is not None:
        unit = col(TicketVerification.unit_id)
        where.append(unit.in_(scope.unit_ids) if len(scope.unit_ids) > 1 else unit == scope.unit_ids[0])
    if scope.category_code:
        where.append(col(TicketVerification.category_code).startswith(scope.category_code, autoescape=True))
    if scope.grid_id is not None:
        where.append(TicketVerification.grid_id == scope.grid_id)
    return where


def within(column, start: datetime, end: datetime) -> ColumnElement[bool]:
    """start ≤ column < end (a period is half-open)."""
    return and_(column >= start, column < end)


# ---- hours and percentiles in SQL ---------------------------------------------------------------

def hours_between(session: Session, later, earlier):
    """SQL: the hours from `earlier` to `later` (NULL when either is)."""
    if session.get_bind().dialect.name == "postgresql":
        # date_part of the interval is a float; EXTRACT is numeric since PostgreSQL 14, and its arithmetic cost a
        # third of a month's cohort pass (65,000 tickets: 84 → 55 ms).
        return func.date_part("epoch", later - earlier) / 3600.0
    # UTCDateTime is stored as naive UTC text on SQLite. julianday() reads it to the millisecond, rounded here to
    # whole milliseconds so that an exact boundary (24 h) compares exactly; unixepoch() (before SQLite 3.42's
    # 'subsec') read whole seconds, so a verification 24 h 0.5 s after its rectification was on time here and
    # late on PostgreSQL.
    return func.round((func.julianday(later) - func.julianday(earlier)) * 86_400_000.0) / 3_600_000.0



# ---- figures --------------------------------------------------------------------------------------

def unit_names(session: Session) -> dict[int, str]:
    """Every unit's name by id."""
    return {uid: name for uid, name in session.execute(select(Unit.id, Unit.name)).all()}


def dispatched_within(session: Session, hours: float) -> ColumnElement[bool]:
    """按时派遣: first dispatched at most `hours` clock hours after the report."""
    return hours_between(session, Ticket.first_dispatched_at, Ticket.reported_at) <= hours


def cohort_hours(session: Session) -> list[tuple[str, ColumnElement]]:
    """Each of DURATIONS over a cohort ticket: report → first dispatch → first rectification; report → close."""
    return list(zip(DURATIONS, (
        hours_between(session, Ticket.first_dispatched_at, Ticket.reported_at),
        hours_between(session, Ticket.first_rectified_at, Ticket.first_dispatched_at),
        hours_between(session, Ticket.closed_at, Ticket.reported_at),
    ), strict=True))


def verify_hours(session: Session):
    """Hours from the rectification a verification judged to the verification, over its fact row
    (ticket_verifications.rectified_at: the ticket's latest 整改 at or before the verification)."""
    return hours_between(session, TicketVerification.at, TicketVerification.rectified_at)


def percentiles_of(values: list) -> Percentiles:
    """p50/p90 of the values like percentile_cont (NULLs ignored; None for none), rounded to 3 decimals."""
    v = [x for x in values if x is not None]
    v.sort()
    if not v:
        return Percentiles(p50=None, p90=None)
    out = {}
    for k, p in PERCENTILES:
        pos = 1.0 + p * (len(v) - 1)
        lo = int(pos)
        frac = pos - lo
        value = float(v[lo - 1]) * (1.0 - frac) + (float(v[lo]) * frac if lo < len(v) else 0.0)
        out[k] = round(value, 3)
    return Percentiles(**out)
