"""The SQL of the statistics: scope clauses, grouped counts, hours and percentiles per unit."""

from datetime import datetime

from sqlalchemy import ColumnElement, Float, Integer, and_, case, cast, func, literal, or_, select
from sqlmodel import Session, col

from app.evaluation.models import EvalAnswer, EvalResult, EvalRoundSite, EvalSite
from app.stats.schemas import Percentiles, Period, Scope
from app.tickets.models import Ticket, TicketEvent, TicketRequest
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
VERIFY_ACTIONS = (Action.verify_pass.value, Action.verify_fail.value)


class Grouping:
    """What the figures are grouped by: a SQL expression over the ticket (joined to its events for the
    exception figures) for the cohort figures, and one for the event figures. The default is the unit (the
    ticket's current unit; an exception's unit concerned)."""

    def __init__(self, ticket, event):
        self.ticket, self.event = ticket, event


BY_UNIT = Grouping(col(Ticket.unit_id), EVENT_UNIT)
# 大类: the first two characters of the GB/T-style code (06010 → 06).
_CLASS = func.substr(Ticket.category_code, 1, 2)
BY_CATEGORY_CLASS = Grouping(_CLASS, _CLASS)


# 网格: the grid the ticket was reported in (tickets.grid_id), None outside every grid.
BY_GRID = Grouping(col(Ticket.grid_id), col(Ticket.grid_id))
# 测评点位类型: a finding of an evaluation round counts under its site's type (answer → result → round site →
# site); a ticket found on patrol has none. One index probe per ticket (eval_answers.ticket_id).
_SITE_TYPE = (select(EvalSite.site_type).select_from(EvalAnswer)
              .join(EvalResult, EvalResult.id == EvalAnswer.result_id)
              .join(EvalRoundSite, EvalRoundSite.id == EvalResult.round_site_id)
              .join(EvalSite, EvalSite.id == EvalRoundSite.site_id)
              .where(EvalAnswer.ticket_id == Ticket.id).correlate(Ticket).limit(1).scalar_subquery())
BY_SITE_TYPE = Grouping(_SITE_TYPE, _SITE_TYPE)


def by_mapped_unit(mapping: dict[int, int | str]) -> Grouping:
    """Units mapped onto groups (a street office onto its district): one CASE over the unit id, so the figures
    stay one grouped pass; an unmapped unit (and no unit) falls in the group None."""
    if not mapping:
        return Grouping(literal(None), literal(None))
    return Grouping(case(mapping, value=col(Ticket.unit_id), else_=None),
                    case(mapping, value=EVENT_UNIT, else_=None))
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


def within(column, start: datetime, end: datetime) -> ColumnElement[bool]:
    """start ≤ column < end (a period is half-open)."""
    return and_(column >= start, column < end)


# ---- hours and percentiles in SQL ---------------------------------------------------------------

def _epoch(session: Session, column):
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", column)
    # UTCDateTime is stored as naive UTC text on SQLite; strftime('%s') reads it as UTC seconds.
    return cast(func.strftime("%s", column), Integer)


def _hours(session: Session, later, earlier):
    return cast(_epoch(session, later) - _epoch(session, earlier), Float) / 3600.0


def percentiles(session: Session, rows, names: tuple[str, ...], grouped: bool
                 ) -> dict[int | None, dict[str, Percentiles]]:
    """p50/p90 (linear interpolation, like percentile_cont) of each value column of `rows` per group `g`."""
    if session.get_bind().dialect.name == "postgresql":
        cols = [func.percentile_cont(p).within_group(rows.c[n]).label(f"{n}_{k}")
                for n in names for k, p in PERCENTILES]
        stmt = select(rows.c.g if grouped else literal(None).label("g"), *cols).select_from(rows)
        if grouped:
            stmt = stmt.group_by(rows.c.g)
    else:
        # SQLite has no percentile_cont: number each value within its group (NULLs last), count the
        # non-NULL values, and interpolate between the rows at floor/ceil of 1 + p·(n − 1).
        part = [rows.c.g] if grouped else None
        windows = [rows.c.g.label("g") if grouped else literal(None).label("g")]
        for n in names:
            v = rows.c[n]
            windows += [v.label(n),
                        func.row_number().over(partition_by=part, order_by=[v.is_(None), v]).label(f"{n}_rn"),
                        func.count(v).over(partition_by=part).label(f"{n}_n")]
        w = select(*windows).select_from(rows).subquery("w")
        cols = []
        for n in names:
            v, rn, cnt = w.c[n], w.c[f"{n}_rn"], w.c[f"{n}_n"]
            for k, p in PERCENTILES:
                pos = 1.0 + p * (cnt - 1)
                lo = cast(pos, Integer)
                frac = pos - lo
                cols.append(func.sum(case(
                    (and_(v.is_not(None), rn == lo), v * (1.0 - frac)),
                    (and_(v.is_not(None), rn == lo + 1), v * frac),
                    else_=None,
                )).label(f"{n}_{k}"))
        stmt = select(w.c.g, *cols).select_from(w)
        if grouped:
            stmt = stmt.group_by(w.c.g)
    out: dict[int | None, dict[str, Percentiles]] = {}
    for row in session.execute(stmt).mappings():
        key = row["g"] if grouped else None
        out[key] = {
            n: Percentiles(**{k: None if row[f"{n}_{k}"] is None else round(float(row[f"{n}_{k}"]), 3)
                              for k, _ in PERCENTILES})
            for n in names
        }
    return out


# ---- figures --------------------------------------------------------------------------------------

def unit_names(session: Session) -> dict[int, str]:
    """Every unit's name by id."""
    return {uid: name for uid, name in session.execute(select(Unit.id, Unit.name)).all()}


def dispatched_within(session: Session, hours: float) -> ColumnElement[bool]:
    """按时派遣: first dispatched at most `hours` clock hours after the report."""
    return _hours(session, Ticket.first_dispatched_at, Ticket.reported_at) <= hours


def counts_by_unit(session: Session, period: Period, where: list, ev_where: list, now: datetime, *,
                   overdue_where: list | None = None, group: Grouping = BY_UNIT, dispatch_within_hours: float = 2.0,
                   verify_within_hours: float = 24.0, with_verifications: bool = True) -> dict:
    """The count figures per unit (None = no unit), or per another grouping; six grouped aggregate queries
    (five without the verifications, which the ranking does not read)."""
    overdue_where = where if overdue_where is None else overdue_where
    g, ge = group.ticket.label("g"), group.event.label("g")
    start, end = period.start, period.end
    rows: dict[int | None, dict[str, int]] = {}

    def put(key, **vals):
        r = rows.setdefault(key, dict.fromkeys(COUNTS, 0))
        for k, v in vals.items():
            r[k] += int(v or 0)

    closed = Ticket.status == Status.closed.value
    base = in_cohort_base()
    # 交办数 counts every ticket first dispatched in the period (voided and suspended ones too); every other
    # cohort figure counts within the base (voided and suspended ones out).
    cohort = select(
        g, func.count().label("handed_over"),
        func.count().filter(Ticket.status == Status.voided.value).label("handed_over_voided"),
        func.count().filter(base).label("dispatched"),
        func.count().filter(closed).label("closed"),
        func.count().filter(and_(closed, col(Ticket.closed_on_time).is_(True))).label("closed_on_time"),
        func.count().filter(closed_late()).label("closed_late"),
        func.count().filter(base, col(Ticket.first_rectified_at).is_not(None)).label("rectified"),
        func.count().filter(base, Ticket.rework_count > 0).label("reworked"),
        func.sum(Ticket.rework_count).filter(base).label("rework_times"),
        func.count().filter(Ticket.is_overdue_at(now)).label("overdue"),
        func.count().filter(base, due_at(now)).label("due"),
        func.count().filter(base, overdue_unclosed_at(now)).label("overdue_unclosed"),
        func.count().filter(base, dispatched_within(session, dispatch_within_hours)).label("dispatched_on_time"),
    ).where(within(Ticket.first_dispatched_at, start, end), *where).group_by(g)
    for r in session.execute(cohort).mappings():
        put(r["g"], **{k: r[k] for k in ("handed_over", "handed_over_voided", "dispatched", "closed",
                                         "closed_on_time", "closed_late", "rectified", "reworked",
                                         "rework_times", "overdue", "due", "overdue_unclosed", "dispatched_on_time")})
    for uid, n in session.execute(select(g, func.count()).where(
            within(Ticket.reported_at, start, end), *where).group_by(g)).all():
        put(uid, reported=n)
    for uid, n in session.execute(select(g, func.count()).where(
            Ticket.is_overdue_at(now), *overdue_where).group_by(g)).all():
        put(uid, overdue_now=n)
    for uid, n in session.execute(select(g, func.count()).where(
            within(Ticket.cancelled_at, start, end), *where).group_by(g)).all():
        put(uid, cancelled=n)
    if with_verifications:
        v = verifications(session, period, where, group.ticket).subquery("v")
        for r in session.execute(select(v.c.g, func.count().label("n"),
                                        func.count().filter(v.c.hours_rectify_verify <= verify_within_hours)
                                        .label("ok")).group_by(v.c.g)).mappings():
            put(r["g"], verified=r["n"], verified_on_time=r["ok"])
    by_action = {a: fig for fig, actions in EVENT_FIGURES.items() for a in actions}
    unit = ge
    exceptions = (select(unit, TicketEvent.action, func.count().label("n"),
                         func.count(func.distinct(TicketEvent.ticket_id)).label("tickets"))
                  .select_from(TicketEvent)
                  .join(Ticket, Ticket.id == TicketEvent.ticket_id)
                  .outerjoin(TicketRequest, TicketRequest.decision_event_id == TicketEvent.id)
                  .where(col(TicketEvent.action).in_(list(by_action)), within(TicketEvent.at, start, end), *ev_where)
                  .group_by(unit, TicketEvent.action))
    for r in session.execute(exceptions).mappings():
        fig = by_action[r["action"]]
        put(r["g"], **{fig: r["tickets"] if fig in DISTINCT_TICKETS else r["n"]})
    return rows


def verifications(session: Session, period: Period, where: list, group):
    """核查: every verification (结案 or 返工, after a rectification) done in the period, with the hours since
    the rectification it judged (the latest 整改 of the ticket at or before it), grouped by `group` (`g`).

    Counted by the time of the verification (the office's work of the period), over every ticket in scope,
    whatever its cohort; per unit, the ticket's current unit. For a failed verification a correlated lookup on
    ix_ticket_events_ticket_at finds the rectification (one index probe each); no per-unit query."""
    rect = TicketEvent.__table__.alias("rect")
    judged = (select(func.max(rect.c.at))
              .where(rect.c.ticket_id == TicketEvent.ticket_id, rect.c.action == Action.rectify.value,
                     rect.c.at <= TicketEvent.at)
              .correlate(TicketEvent.__table__).scalar_subquery())
    # A pass closes the ticket for good, so the ticket's latest rectification is the one it judged: only a
    # failed verification (≈ 1 in 10) needs the probe. Both databases evaluate CASE branches lazily.
    hours = case((TicketEvent.action == Action.verify_pass.value, _hours(session, TicketEvent.at, Ticket.rectified_at)),
                 else_=_hours(session, TicketEvent.at, judged))
    return (select(group.label("g"), hours.label("hours_rectify_verify"))
            .select_from(TicketEvent).join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(col(TicketEvent.action).in_(VERIFY_ACTIONS), within(TicketEvent.at, period.start, period.end),
                   *where))


def verification_figures(session: Session, period: Period, where: list, group: Grouping, verify_within_hours: float
                         ) -> tuple[dict, dict, dict]:
    """核查次数, 按时核查数 and 整改→核查 p50/p90, per group and in total, from ONE pass over the period's
    verifications: (counts per group, hours per group, the total's hours). At 1 M tickets a month holds ~30,000
    verifications, each a row look-up; reading them once instead of three times (counts, grouped and total
    percentiles) is most of a summary's cost. The percentiles are percentile_cont's formula (linear
    interpolation at 1 + p·(n − 1), NULLs ignored), as `percentiles` computes it in SQL."""
    values: dict = {}
    for g, hours in session.execute(verifications(session, period, where, group.ticket)).all():
        values.setdefault(g, []).append(hours)
    counts = {g: {"verified": len(v),
                  "verified_on_time": sum(1 for h in v if h is not None and h <= verify_within_hours)}
              for g, v in values.items()}
    per_group = {g: {VERIFY_DURATIONS[0]: percentiles_of(v)} for g, v in values.items()}
    total = {VERIFY_DURATIONS[0]: percentiles_of([h for v in values.values() for h in v])}
    return counts, per_group, total


def percentiles_of(values: list) -> Percentiles:
    """p50/p90 of the values like percentile_cont (NULLs ignored; None for none), rounded as `percentiles`."""
    v = sorted(float(x) for x in values if x is not None)
    if not v:
        return Percentiles(p50=None, p90=None)
    out = {}
    for k, p in PERCENTILES:
        pos = 1.0 + p * (len(v) - 1)
        lo = int(pos)
        frac = pos - lo
        value = v[lo - 1] * (1.0 - frac) + (v[lo] * frac if lo < len(v) else 0.0)
        out[k] = round(value, 3)
    return Percentiles(**out)


def durations(session: Session, period: Period, where: list, grouped: bool, group: Grouping = BY_UNIT
              ) -> dict[int | None, dict[str, Percentiles]]:
    """p50/p90 hours of each stage over the period's cohort, per unit (grouped) or in total (key None)."""
    rows = select(
        group.ticket.label("g"),
        _hours(session, Ticket.first_dispatched_at, Ticket.reported_at).label("hours_report_dispatch"),
        _hours(session, Ticket.first_rectified_at, Ticket.first_dispatched_at).label("hours_dispatch_rectify"),
        _hours(session, Ticket.closed_at, Ticket.reported_at).label("hours_report_close"),
    ).where(within(Ticket.first_dispatched_at, period.start, period.end), in_cohort_base(), *where).subquery("d")
    return percentiles(session, rows, DURATIONS, grouped)
