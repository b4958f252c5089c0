"""Supervision statistics (督查统计): figures, red/black list, trend, drill-down and closure timelines.

Every figure is computed by the database with aggregates; Python only adds up per-unit rows and divides.

Definitions (also in `schemas.FORMULAS`, the API response, the Excel bulletin and the UI):

* A period is [start, end) in local time (settings.timezone): a week starts on Monday 00:00, a month on
  the 1st; a custom period runs from its first date 00:00 to the day after its last date.
* **Cohort**: the tickets *first dispatched* in the period (`first_dispatched_at` in [start, end)).
  Their figures count the cohort's tickets in a state **as of the query time** ("now"), so a late-week
  dispatch is not punished at the week's end and a bulletin states the moment it was taken (`as_of`).
* 发现数 = tickets reported in the period; 不予立案数 = tickets cancelled in the period (they never belong
  to a unit).
* Deadline exceptions are counted from the timeline events of the period, for the unit concerned (the unit
  that asked, for a decision on a request): 延期数 = approved extensions, 回退数 = approved returns (back to
  `reported`, or re-dispatched in the same step; the direct returns of earlier versions count too),
  挂账数 = approved suspensions, 作废数 = voids, 催办数 = urges, 督办数 = tickets supervised (one per ticket).
  延期率 = 延期数 ÷ 应结案数 (as published practice divides it); 回退率, 挂账率, 作废率 are each ÷ 派遣数.
* 交办数 = every ticket of the cohort, whatever became of it; 其中作废 = those of them voided by now.
  派遣数 = the cohort without its voided and suspended tickets (the **base**): a voided ticket should never
  have been dispatched, and a suspended one (挂账/缓办) is out of every deadline until it is resumed, as
  published practice takes 缓办 out (按期结案率 = 按期结案数 ÷ (应结案数 − 缓办数)). Every figure below is
  within the base (整改率's denominator excepted). A suspended ticket is not `dispatched`, so it is not
  overdue while suspended.
* The **office's deadline** (`tickets.office_deadline_at`): the deadline set at dispatch (and at a
  re-dispatch after a return, or a resume), moved by an approved extension (延期), never by 返工.
* 应结案数 = base tickets closed, or whose office deadline passed by now; so 应结案数 = 结案数 + 超期未结案数.
  超期结案数 = closed, the accepted rectification after the office deadline; 超期未结案数 = not closed (being
  rectified, awaiting verification, or back for rework), office deadline passed. A ticket returned and
  waiting for re-dispatch has no office deadline (the return clears it): it is not due until re-dispatched.
* 结案率 = 结案数 ÷ 应结案数; 按期结案率 = 按期结案数 ÷ 应结案数, where 按期结案 = closed with the accepted
  rectification on or before the office deadline (`tickets.closed_on_time`); 整改率 = 结案数 ÷ (交办数 −
  其中作废数) (the 创城 headline: suspended tickets stay in its base, as problems handed over and not yet
  rectified); 返工率 = 返工次数 ÷ 应结案数, 返工次数 = failed verifications of the base tickets (a ticket
  failed twice counts 2); 返工案件数 = base tickets that failed verification at least once.
* 超期 = status dispatched and the deadline in force (after a 返工, its own) passed: not yet rectified.
  `overdue` is within the cohort; `overdue_now` counts every overdue ticket in scope whatever its dispatch
  date (the headline figure, and exactly what the ticket list answers for `overdue=true&unit_id=…`).
* Per unit: the ticket's **current** unit (`tickets.unit_id`); for a closed ticket that is the unit at
  close. Tickets at no unit (reports not yet dispatched or not accepted, a returned ticket waiting for
  re-dispatch) count in a row of their own (`unassigned`, 暂无责任单位), so the rows add up to the total.
* Hours: median (p50) and 90th percentile with linear interpolation (PostgreSQL `percentile_cont`; on
  SQLite the same formula with ROW_NUMBER/COUNT windows), over the cohort: report → first dispatch,
  first dispatch → first rectification, report → close; and over the period's verifications: rectification →
  its verification.
* The office's own work (issue 11 part 3; shown per unit for reference, never read by the ranking):
  按时派遣数 = base tickets of the cohort first dispatched within `dispatch_within_hours` clock hours (inclusive)
  of their report, 按时派遣率 = ÷ 派遣数; 核查次数 = verifications (pass → closed, fail → 返工) done in the
  period, by their own time, over every ticket in scope whatever its cohort (per unit: the ticket's current
  unit); 按时核查数 = those within `verify_within_hours` clock hours (inclusive) of the rectification they judged
  (the ticket's latest 整改 at or before the verification), 按时核查率 = ÷ 核查次数. The set times are stats
  settings (XUNCHA_STATS_DISPATCH_WITHIN_HOURS = 2, XUNCHA_STATS_VERIFY_WITHIN_HOURS = 24).
* 环比: every row (the total, each unit, each breakdown row) carries the previous period's figures
  (`previous`: the period of the same kind and length just before). When that period's city-wide bulletin was
  published under the same definitions, they are the published figures (`previous_source: "published"`: what
  the office printed last time, read from the snapshot), else computed live as of the same now ("live"); the
  client shows the change (counts as differences, rates in percentage points). 本月累计 / 本年累计: the total
  from the 1st of the month, and from 1 January, of the period's last day to the period's end.
* Breakdowns (asked for): by category class (the code's first two characters), by district (a street office
  counts in its district parent; departments, companies and tickets without a unit under "other"), by grid
  (`tickets.grid_id`: the grid the ticket was reported in, kept when grids are redrawn; outside every grid
  apart) and by evaluation site type (a finding of an evaluation round under its site's type; patrol findings
  apart); each row with every figure and its 环比, rows adding up to the total. A grid scope means the same
  tickets (reported in that grid).
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func
from sqlmodel import Session, col, select

from app.bulletins import history as bulletins_history
from app.categories.models import Category
from app.core import pagination
from app.core.errors import Forbidden, Invalid, NotFound
from app.core.types import utcnow
from app.evaluation import defaults as evaluation_defaults
from app.stats import passes, queries
from app.stats.periods import local_midnight, previous_period, resolve_period
from app.stats.queries import COUNTS, scope_where, within
from app.stats.ranking import rank_by_kind, ratio, unit_metrics
from app.stats.schemas import (
    DEFINITIONS_VERSION,
    Breakdown,
    BreakdownRow,
    Milestone,
    OpenPoint,
    Period,
    Ranking,
    RankRules,
    Scope,
    Stage,
    Summary,
    TicketTimeline,
    Timeliness,
    ToDate,
    Trend,
    TrendPoint,
    UnitBar,
    UnitMetrics,
    UnitTimeline,
    formulas_for,
)
from app.stats.settings import StatsSettings, get_stats_settings
from app.tickets import access as tickets_access
from app.tickets import read as tickets_read
from app.tickets.models import Ticket, TicketEvent, TicketVerification
from app.tickets.schemas import TicketPage
from app.tickets.workflow import OPEN_STATUSES, Status
from app.units import service as units_service
from app.units.models import Grid, Unit
from app.users.models import User
from app.users.roles import SEES_ALL_TICKETS, Role

DRILL_METRICS = tuple(c for c in COUNTS if c not in queries.OCCURRENCES)
# The date a drill-down list is ordered by (newest first): the one its figure's period is about.
DRILL_ORDER = {"reported": "reported_at", "cancelled": "cancelled_at"} | {
    metric: "reported_at" for metric in queries.EVENT_FIGURES}
# Overdue lists are a clerk's work list: the most overdue first, by the deadline the figure judges (the one in
# force for 超期; the office's for 超期未结案), never NULL in those rows.
DRILL_OVERDUE_ORDER = {"overdue": "deadline_at", "overdue_now": "deadline_at", "overdue_unclosed": "office_deadline_at"}


# ---- scope --------------------------------------------------------------------------------------

def resolve_scope(session: Session, user: User, *, unit_id: int | None = None, category_code: str | None = None,
                  grid_id: int | None = None, include_children: bool = True) -> Scope:
    """Whole city, or a unit (and its children), a category class or code, a grid.

    Unit staff see their own unit's figures only (another unit answers 403).
    """
    if user.role == Role.unit_staff:
        if user.unit_id is None:
            raise Forbidden("未绑定责任单位 Your account has no unit")
        if unit_id is not None and unit_id != user.unit_id:
            raise Forbidden("只能查看本单位的统计 Units see their own figures only")
        unit_id, include_children = user.unit_id, False
    elif user.role not in SEES_ALL_TICKETS:
        raise Forbidden("无权查看统计 Your role may not see statistics")
    scope = Scope(category_code=category_code or None, grid_id=grid_id)
    if unit_id is not None:
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise NotFound("责任单位不存在 Unit not found")
        scope.unit_id, scope.unit_name = unit.id, unit.name
        scope.unit_ids = sorted(units_service.descendant_ids(session, unit_id)) if include_children else [unit_id]
    if category_code and session.get(Category, category_code) is None:
        raise Invalid(f"未知的问题类别：{category_code} Unknown category: {category_code}", code="unknown_category")
    if grid_id is not None and session.get(Grid, grid_id) is None:
        raise NotFound("网格不存在 Grid not found")
    return scope


# ---- figures --------------------------------------------------------------------------------------

def _pass(session: Session, periods: list[Period], scope: Scope, now: datetime, *, settings: StatsSettings,
          keys: tuple[passes.Key, ...] = (passes.UNIT,), hours_for: list[Period] = (),
          levels: tuple[passes.Level, ...] = (passes.BY_UNIT,)) -> passes.Pass:
    """The figures of `periods` in a scope grouped by `keys`: one grouped pass per figure kind."""
    return passes.run(session, periods, keys, levels=levels, where=scope_where(session, scope, period_bound=True),
                      ev_where=scope_where(session, scope, unit_column=queries.EVENT_UNIT),
                      overdue_where=scope_where(session, scope),
                      fact_where=queries.verification_scope_where(scope), now=now,
                      dispatch_within_hours=settings.dispatch_within_hours,
                      verify_within_hours=settings.verify_within_hours, hours_for=hours_for)




def to_date_periods(period: Period) -> tuple[Period, Period]:
    """本月累计 and 本年累计: from the 1st of the month, and from 1 January, of the period's last day, to the
    period's end (a week running over a month's turn counts in the month it ends in)."""
    last = period.end_date
    return (resolve_period("custom", start=last.replace(day=1), end=last),
            resolve_period("custom", start=last.replace(month=1, day=1), end=last))


def district_mapping(session: Session) -> tuple[dict[int, int], dict[int, str]]:
    """Each territorial unit's district (a district itself; a street office its district parent, or itself when
    it has none), and the districts' names. Departments and companies are in no district."""
    units = {u.id: u for u in session.exec(select(Unit)).all()}
    mapping: dict[int, int] = {}
    for u in units.values():
        if u.kind == "district":
            mapping[u.id] = u.id
        elif u.kind == "street":
            parent = units.get(u.parent_id) if u.parent_id else None
            mapping[u.id] = parent.id if parent is not None and parent.kind == "district" else u.id
    return mapping, {d: units[d].name for d in set(mapping.values())}


BREAKDOWN_KINDS = ("category_class", "district", "grid", "site_type")
OTHER_DISTRICT = "其他（职能部门、企业及待派遣）"
UNASSIGNED = "暂无责任单位（待派遣、待改派、不予立案）"
OUTSIDE_GRIDS = "不在网格内"
NOT_EVALUATION = "日常巡查发现（非实地测评）"


BREAKDOWN_KEYS = (passes.UNIT, passes.CATEGORY_CLASS, passes.GRID, passes.SITE_TYPE)


@dataclass(frozen=True)
class BreakdownSetup:
    """What the breakdowns need besides the figures, read once per summary: each breakdown's rows over a pass
    grouped by BREAKDOWN_KEYS (a street office counts in its district), and the rows' names."""
    levels: dict[str, passes.Level]
    categories: dict[str, str]
    districts: dict[int, str]
    grids: dict[int, str]


def breakdown_setup(session: Session) -> BreakdownSetup:
    mapping, districts = district_mapping(session)

    def district_of(unit):
        return case(mapping or {-1: -1}, value=unit, else_=None)

    levels = {
        "category_class": passes.Level("category_class", lambda k: k[1], key=1),
        "district": passes.Level("district", lambda k: mapping.get(k[0]), sql=district_of(col(Ticket.unit_id)),
                                 fact_sql=district_of(col(TicketVerification.unit_id))),
        "grid": passes.Level("grid", lambda k: k[2], key=2),
        "site_type": passes.Level("site_type", lambda k: k[3], key=3),
    }
    categories = {c.code: c.name_zh for c in session.exec(select(Category).where(col(Category.parent_code).is_(None)))}
    return BreakdownSetup(levels=levels, categories=categories, districts=districts,
                          grids={g.id: g.name for g in session.exec(select(Grid)).all()})


def breakdowns(figures: passes.Pass, period: Period, setup: BreakdownSetup, *, with_hours: bool = True
               ) -> list[Breakdown]:
    """The same figures by 问题大类 (category class), by 区（属地）, by 网格 (the grid a ticket was reported in)
    and by 测评点位类型 (the site type of an evaluation round's finding), summed from a pass grouped by
    BREAKDOWN_KEYS."""
    levels = setup.levels

    def rows_of(kind, name_of) -> list[BreakdownRow]:
        counts, per = figures.figures(period, levels[kind], with_hours=with_hours)
        return [_row(None if k is None else str(k), unit_metrics(k if isinstance(k, int) else None, name_of(k), c,
                                                                  per.get(k)))
                for k, c in counts.items()]

    out = []
    names = setup.categories
    rows = rows_of("category_class", lambda k: names.get(k, k or "未分类"))
    for r in rows:
        r.unit_id = None
    out.append(Breakdown(kind="category_class", name="按问题大类", rows=_in_order("category_class", rows)))
    dnames = setup.districts
    out.append(Breakdown(kind="district", name="按区（属地）", rows=_in_order(
        "district", rows_of("district", lambda k: dnames.get(k, OTHER_DISTRICT)))))
    grids = setup.grids
    rows = rows_of("grid", lambda k: OUTSIDE_GRIDS if k is None else grids.get(k, f"已撤销网格 {k}"))
    for r in rows:
        r.unit_id = None
    out.append(Breakdown(kind="grid", name="按网格", rows=_in_order("grid", rows)))
    types = {t["code"]: t["zh"] for t in evaluation_defaults.site_types()}
    rows = rows_of("site_type", lambda k: NOT_EVALUATION if k is None else types.get(k, k))
    out.append(Breakdown(kind="site_type", name="按测评点位类型", rows=_in_order("site_type", rows)))
    return out


def _in_order(kind: str, rows: list[BreakdownRow]) -> list[BreakdownRow]:
    """Category classes by code; the others most handed over first, their "other" row last."""
    if kind == "category_class":
        return sorted(rows, key=lambda r: r.key or "")
    return sorted(rows, key=lambda r: (r.key is None, -r.handed_over, -r.reported, r.unit_name or ""))


_COUNTS = tuple(name for name, field in UnitMetrics.model_fields.items() if field.annotation is int)


def has_figures(m: UnitMetrics) -> bool:
    """Whether any count of `m` is not zero: a row of zeros kept beside last period's figures has none, and is
    not kept again beside it in the period after (a published bulletin's rows carried it on week after week)."""
    return any(getattr(m, name) for name in _COUNTS)


def _with_previous(current: list[Breakdown], before: list[Breakdown]) -> list[Breakdown]:
    """Each breakdown row with the same row of the previous period beside it (环比; zero when it had none), and a
    row of zeros for what had figures only in the previous period (its fall is news, and the rows' previous
    figures add up to the previous total)."""
    prev = {(b.kind, r.key): r for b in before for r in b.rows if has_figures(r)}
    for b in current:
        keys = {r.key for r in b.rows}
        b.rows += [BreakdownRow(unit_id=p.unit_id, unit_name=p.unit_name, key=key) for (kind, key), p in prev.items()
                   if kind == b.kind and key not in keys]
        for r in b.rows:
            p = prev.get((b.kind, r.key))
            r.previous = UnitMetrics(**p.model_dump(exclude={"previous", "key"})) if p is not None else \
                UnitMetrics(unit_id=r.unit_id, unit_name=r.unit_name)
        b.rows = _in_order(b.kind, b.rows)
    return current


def _row(key: str | None, m: UnitMetrics) -> BreakdownRow:
    return BreakdownRow(**dict(m), key=key)


def _published_previous(session: Session, period: Period, scope: Scope) -> Summary | None:
    """The previous period's figures as its bulletin published them (city-wide only, same definitions), so a
    环比 compares with the numbers the office printed last time; None: compute them live."""
    if scope.unit_ids is not None or scope.category_code or scope.grid_id is not None:
        return None
    stored = bulletins_history.published_summary(session, previous_period(period), DEFINITIONS_VERSION)
    return Summary.model_validate(stored) if stored is not None else None


def summary(session: Session, user: User, period: Period, scope: Scope, *, now: datetime | None = None,
            with_durations: bool = True, compare: bool = True, to_date: bool = False,
            with_breakdowns: bool = False, settings: StatsSettings | None = None,
            figures_out: list[passes.Pass] | None = None) -> Summary:
    """All figures of a period and scope: per unit and in total; with the previous period's figures beside
    each (环比), the total month- and year-to-date, and (asked for) the breakdowns by category class and
    district. `figures_out`: the pass the figures came from is appended to it (a bulletin's ranking reads
    its per-unit counts again)."""
    now = now or utcnow()
    settings = settings or get_stats_settings()
    names = queries.unit_names(session)
    prev = previous_period(period)
    published = _published_previous(session, period, scope) if compare else None
    published_parts = published.breakdowns if published is not None and published.breakdowns is not None and \
        {b.kind for b in published.breakdowns} == set(BREAKDOWN_KINDS) else None
    live_prev = compare and published is None
    live_prev_parts = with_breakdowns and compare and published_parts is None
    # The period and (unless read from its published bulletin) the one before: one pass over both. Computed
    # live, the previous period's breakdown rows carry counts and rates only.
    setup = breakdown_setup(session) if with_breakdowns else None
    levels = setup.levels if setup is not None else {}
    figures = _pass(session, [period, prev] if live_prev or live_prev_parts else [period], scope, now,
                    settings=settings, keys=BREAKDOWN_KEYS if with_breakdowns else (passes.UNIT,),
                    hours_for=([period, prev] if live_prev else [period]) if with_durations else [],
                    levels=(passes.BY_UNIT, *levels.values()))

    def of(p: Period) -> tuple[UnitMetrics, dict[int, UnitMetrics], UnitMetrics | None]:
        counts, per_unit = figures.figures(p)
        units = {uid: unit_metrics(uid, names.get(uid), c, per_unit.get(uid)) for uid, c in counts.items()
                 if uid is not None}
        # Tickets at no unit (never dispatched, not accepted, or returned and waiting for a new unit): a row of
        # their own, so that the units' rows add up to the total.
        nobody = unit_metrics(None, UNASSIGNED, counts[None], per_unit.get(None)) \
            if scope.unit_ids is None and any(counts.get(None, {}).values()) else None
        total_counts, total_hours = figures.figures_total(p)
        return unit_metrics(scope.unit_id, scope.unit_name, total_counts, total_hours), units, nobody

    total, by_unit, unassigned = of(period)
    if published is not None:
        prev_total = published.total.model_copy(update={"previous": None, "unit_id": total.unit_id,
                                                        "unit_name": total.unit_name})
        prev_units = {m.unit_id: m.model_copy(update={"previous": None, "unit_name": names.get(m.unit_id, m.unit_name)})
                      for m in published.units}
        if published.unassigned is not None:
            prev_unassigned = published.unassigned.model_copy(update={"previous": None})
            if unassigned is None and scope.unit_ids is None and has_figures(prev_unassigned):  # as for a unit below
                unassigned = UnitMetrics(unit_id=None, unit_name=UNASSIGNED)
        elif "unassigned" in published.model_fields_set:
            prev_unassigned = UnitMetrics(unit_id=None, unit_name=UNASSIGNED)
        else:  # published before this row existed: no 环比 for it rather than a made-up zero
            prev_unassigned = None
    elif compare:
        prev_total, prev_units, prev_unassigned = of(prev)
        if prev_unassigned is not None and unassigned is None:  # as for a unit below
            unassigned = UnitMetrics(unit_id=None, unit_name=UNASSIGNED)
        prev_unassigned = prev_unassigned or UnitMetrics(unit_id=None, unit_name=UNASSIGNED)
    if compare:
        total.previous = prev_total
        # A unit with figures last period and none now: a row of zeros beside them (its fall is news, and the
        # units' previous figures add up to the previous total).
        for uid, p in prev_units.items():
            if uid is not None and uid not in by_unit and has_figures(p):
                by_unit[uid] = UnitMetrics(unit_id=uid, unit_name=p.unit_name)
        for uid, m in by_unit.items():
            m.previous = prev_units.get(uid) or UnitMetrics(unit_id=uid, unit_name=m.unit_name)
        if unassigned is not None:
            unassigned.previous = prev_unassigned
    units = sorted(by_unit.values(), key=lambda m: (-m.dispatched, m.unit_name or ""))
    mtd = ytd = None
    if to_date:
        # Counts and rates only: percentiles over up to a year of tickets would cost more than all the rest.
        mtd_p, ytd_p = to_date_periods(period)
        so_far = _pass(session, [mtd_p, ytd_p], scope, now, settings=settings, keys=())
        mtd = ToDate(period=mtd_p, total=unit_metrics(scope.unit_id, scope.unit_name,
                                                      so_far.figures_total(mtd_p)[0], None))
        ytd = ToDate(period=ytd_p, total=unit_metrics(scope.unit_id, scope.unit_name,
                                                      so_far.figures_total(ytd_p)[0], None))
    parts = None
    if with_breakdowns:
        parts = breakdowns(figures, period, setup, with_hours=with_durations)
        if compare:
            parts = _with_previous(parts, published_parts if published_parts is not None else
                                   breakdowns(figures, prev, setup, with_hours=False))
    if figures_out is not None:
        figures_out.append(figures)
    return Summary(period=period, scope=scope, as_of=now, total=total, units=units, unassigned=unassigned,
                   previous_source=None if not compare else "published" if published is not None else "live",
                   month_to_date=mtd, year_to_date=ytd, breakdowns=parts,
                   timeliness=Timeliness(dispatch_within_hours=settings.dispatch_within_hours,
                                         verify_within_hours=settings.verify_within_hours),
                   formulas=formulas_for(settings.dispatch_within_hours, settings.verify_within_hours))


# ---- red/black list -----------------------------------------------------------------------------

def _unit_figures(session: Session, periods: list[Period], category_code: str | None, now: datetime,
                  city: passes.Pass | None = None) -> list[list[UnitMetrics]]:
    """Each period's figures per unit (one pass over all of them). `city`: a city-wide pass already made as of
    the same now (a bulletin's summary): its per-unit counts are the same, so they are read from it when it
    covers every period."""
    names = queries.unit_names(session)
    if city is not None and category_code is None and all(city.buckets.covers(p) for p in periods):
        return [[unit_metrics(uid, names.get(uid), c, None)
                 for uid, c in city.figures(p, with_hours=False)[0].items() if uid is not None] for p in periods]
    scope = Scope(category_code=category_code)
    where = scope_where(session, scope, period_bound=True)
    # The office's own figures (按时派遣, 按时核查) never count in a ranking: the verifications are not even read.
    figures = passes.run(session, periods, (passes.UNIT,), where=where, ev_where=where,
                         overdue_where=scope_where(session, scope), fact_where=[], now=now, dispatch_within_hours=0,
                         verify_within_hours=0, with_verifications=False)
    return [[unit_metrics(uid, names.get(uid), c, None) for uid, c in figures.figures(p)[0].items()
             if uid is not None] for p in periods]


def ranking(session: Session, period: Period, rules: RankRules, *, category_code: str | None = None,
            now: datetime | None = None, city: passes.Pass | None = None) -> Ranking:
    """The city-wide red/black lists for a period, one per group of unit kinds, with each unit's rank in the
    previous period within its group: as published (app/bulletins) when that period's bulletin was published,
    else re-ranked as of now. A unit's black-list streak counts back through published bulletins. Published
    bulletins are city-wide: a ranking of one category uses neither."""
    now = now or utcnow()
    prev = previous_period(period)
    kinds = {uid: kind for uid, kind in session.execute(select(Unit.id, Unit.kind)).all()}
    published = None if category_code else bulletins_history.previous_ranks(session, period)
    figures = _unit_figures(session, [period] if published is not None else [period, prev], category_code, now,
                            city)
    groups = rank_by_kind(figures[0], kinds, rules)
    if published is not None:
        before = {(g.kind, r.unit_id): published.get(r.unit_id) for g in groups for r in g.rows}
    else:
        prev_groups = rank_by_kind(figures[1], kinds, rules)
        before = {(g.kind, r.unit_id): r.rank for g in prev_groups for r in g.rows}
    black_now = [u for g in groups for u in g.black]
    streaks = dict.fromkeys(black_now, 1) if category_code else \
        bulletins_history.black_streaks(session, period, black_now)
    source = "published" if published is not None else "live"
    for g in groups:
        g.previous_source = source
        for r in g.rows:
            r.prev_rank = before.get((g.kind, r.unit_id))
            r.movement = None if r.prev_rank is None else r.prev_rank - r.rank
            r.black_streak = streaks.get(r.unit_id, 0)
    return Ranking(period=period, previous=prev, previous_source=source, as_of=now, rules=rules, groups=groups)


# ---- trend --------------------------------------------------------------------------------------

TREND_FORMULA = {
    "zh": "柱：每周上报数与每周结案数（结案时间在该周）；线：该周首次派遣案件的结案率（结案数 ÷ 应结案数，截至当前）",
    "en": "Bars: tickets reported and tickets closed during each week; line: closure rate of the tickets first "
          "dispatched that week (closed ÷ due, as of now)",
}


def trend(session: Session, scope: Scope, *, weeks: int = 8, now: datetime | None = None) -> Trend:
    """The last `weeks` weeks (this one included): reported vs closed, and the weekly cohort's 结案率.

    结案率, not 整改率: a young week's tickets not yet due would lower 整改率 and make every week look
    better than the last."""
    now = now or utcnow()
    this_week = resolve_period("week", now=now)
    starts = [this_week.start_date - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
    edges = [local_midnight(d) for d in starts] + [this_week.end]
    where = scope_where(session, scope, period_bound=True)

    def per_week(column, *extra):
        cols = [func.count().filter(within(column, edges[i], edges[i + 1]), *extra).label(f"w{i}")
                for i in range(weeks)]
        row = session.execute(select(*cols).where(column >= edges[0], column < edges[-1], *where)).one()
        return [int(v or 0) for v in row]

    reported = per_week(Ticket.reported_at)
    closed = per_week(Ticket.closed_at)
    due = per_week(Ticket.first_dispatched_at, queries.in_cohort_base(), queries.due_at(now))
    cohort_closed = per_week(Ticket.first_dispatched_at, Ticket.status == Status.closed.value)
    return Trend(weeks=[TrendPoint(week_start=starts[i], reported=reported[i], closed=closed[i],
                                   due=due[i], cohort_closed=cohort_closed[i],
                                   closure_rate=ratio(cohort_closed[i], due[i]))
                        for i in range(weeks)], formula=TREND_FORMULA)


# ---- drill-down: the tickets behind a figure ------------------------------------------------------

def drill_where(session: Session, metric: str, period: Period, scope: Scope, now: datetime) -> list:
    """WHERE clauses selecting exactly the tickets a figure counts."""
    if metric in queries.EVENT_FIGURES:
        # The unit of an exception is the one concerned then (the unit that asked), not the ticket's current one.
        where = scope_where(session, scope.model_copy(update={"unit_ids": None}))
        events = queries.events_of(queries.EVENT_FIGURES[metric]).where(
            within(TicketEvent.at, period.start, period.end))
        if scope.unit_ids is not None:
            events = events.where(queries.EVENT_UNIT.in_(scope.unit_ids))
        return [*where, col(Ticket.id).in_(events)]
    where = scope_where(session, scope, period_bound=metric != "overdue_now")
    handed_over = within(Ticket.first_dispatched_at, period.start, period.end)
    cohort = and_(handed_over, queries.in_cohort_base())
    closed = Ticket.status == Status.closed.value
    match metric:
        case "reported":
            where.append(within(Ticket.reported_at, period.start, period.end))
        case "handed_over":
            where.append(handed_over)
        case "handed_over_voided":
            where += [handed_over, Ticket.status == Status.voided.value]
        case "dispatched":
            where.append(cohort)
        case "due":
            where += [cohort, queries.due_at(now)]
        case "closed":
            where += [cohort, closed]
        case "closed_on_time":
            where += [cohort, closed, col(Ticket.closed_on_time).is_(True)]
        case "closed_late":
            where += [cohort, queries.closed_late()]
        case "dispatched_on_time":
            where += [cohort, queries.dispatched_within(session, get_stats_settings().dispatch_within_hours)]
        case "overdue_unclosed":
            where += [cohort, queries.overdue_unclosed_at(now)]
        case "rectified":
            where += [cohort, col(Ticket.first_rectified_at).is_not(None)]
        case "reworked":
            where += [cohort, Ticket.rework_count > 0]
        case "overdue":
            where += [cohort, Ticket.is_overdue_at(now)]
        case "overdue_now":
            where.append(Ticket.is_overdue_at(now))
        case "cancelled":
            where.append(within(Ticket.cancelled_at, period.start, period.end))
        case _:
            raise Invalid(f"未知指标：{metric} Unknown metric: {metric}", code="unknown_metric")
    return where


def drill(session: Session, user: User, metric: str, period: Period, scope: Scope, *, limit: int = 50,
          cursor: str | None = None, now: datetime | None = None) -> TicketPage:
    """The tickets behind one figure, visible ones only, one page at a time: newest first, an overdue figure's most
    overdue first."""
    now = now or utcnow()
    where = [tickets_access.visible_clause(user), *drill_where(session, metric, period, scope, now)]
    # Newest first by the figure's own date, so the scan starts in the period's index range instead of
    # walking every newer ticket (PostgreSQL, an old week at 1 M tickets: 0.9 s → a few ms). An overdue list,
    # oldest deadline first, is a range of the (status, deadline) index or a sort of one period's cohort.
    overdue = DRILL_OVERDUE_ORDER.get(metric)
    key = getattr(Ticket, overdue or DRILL_ORDER.get(metric, "first_dispatched_at"))
    rows, next_cursor = pagination.page(session, tickets_read.named_tickets(*where), key,
                                        col(Ticket.id), desc=overdue is None, limit=limit, cursor=cursor)
    return TicketPage(items=tickets_read.summaries(session, user, rows, now), next_cursor=next_cursor)


def open_points(session: Session, user: User, scope: Scope, *, limit: int = 5000,
                now: datetime | None = None) -> list[OpenPoint]:
    """Where the open problems are (reported, dispatched, rectified), for the dashboard map."""
    now = now or utcnow()
    stmt = (select(Ticket.id, Ticket.lat, Ticket.lng, Ticket.status, Ticket.is_overdue_at(now).label("overdue"),
                   Ticket.is_near_deadline_at(now).label("near"))
            .where(tickets_access.visible_clause(user), col(Ticket.status).in_([s.value for s in OPEN_STATUSES]),
                   *scope_where(session, scope))
            .order_by(col(Ticket.reported_at).desc()).limit(limit))
    return [OpenPoint(id=r.id, lat=r.lat, lng=r.lng, status=r.status, overdue=bool(r.overdue),
                      near_deadline=bool(r.near)) for r in session.execute(stmt)]


# ---- closure timelines ----------------------------------------------------------------------------

# The actions that end a stage of a closure timeline (and may start the next).
STAGE_ACTIONS = frozenset({"report", "dispatch", "return", "approve_return", "reassign", "resume", "rectify",
                           "verify_pass", "verify_fail", "cancel", "approve_suspension", "void"})

def ticket_timeline(session: Session, user: User, ticket_id: uuid.UUID, *, now: datetime | None = None
                    ) -> TicketTimeline:
    """One ticket's stages against its deadlines: waiting → rectifying (per round) → verifying → closed."""
    now = now or utcnow()
    ticket = tickets_access.get_visible(session, user, ticket_id)
    # 四不两直: a unit's timeline starts at the first dispatch and leaves out another unit's time with the
    # ticket, the same rule as the ticket detail.
    events = tickets_access.visible_events(user, session.execute(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.at, TicketEvent.id)).scalars().all())
    names = queries.unit_names(session)
    stages: list[Stage] = []
    milestones: list[Milestone] = []
    unit_id: int | None = None
    deadline: datetime | None = None
    rework_round = 0

    def elsewhere(unit: int | None) -> bool:
        return not tickets_access.office_view(user) and unit != user.unit_id

    def close_last(at: datetime):
        if stages and stages[-1].end is None:
            stages[-1].end = at
            s = stages[-1]
            if s.kind == "rectifying" and s.deadline_at is not None:
                s.late = at > s.deadline_at

    for e in events:
        milestones.append(Milestone(action=e.action, at=e.at, note=e.note))
        if e.action in ("dispatch", "reassign") and elsewhere(e.unit_id):
            close_last(e.at)  # handed to another unit: its stages are that unit's business
            continue
        if e.action == "approve_extension":
            # The rectifying stage goes on, against the deadline granted.
            deadline = e.deadline_at or deadline
            if stages and stages[-1].end is None and stages[-1].kind == "rectifying":
                stages[-1].deadline_at = deadline
            continue
        if e.action not in STAGE_ACTIONS:
            continue  # requests, rejections, urges, 督办: milestones only, the stage goes on
        close_last(e.at)
        match e.action:
            case "report":
                stages.append(Stage(kind="waiting_dispatch", start=e.at, end=None))
            case "return" | "approve_return":
                stages.append(Stage(kind="returned", start=e.at, end=None, unit_id=e.unit_id,
                                    unit_name=names.get(e.unit_id)))
            case "dispatch" | "reassign" | "resume":
                unit_id, deadline = e.unit_id or unit_id, e.deadline_at
                stages.append(Stage(kind="rectifying", start=e.at, end=None, unit_id=unit_id,
                                    unit_name=names.get(unit_id), deadline_at=deadline, round=rework_round))
            case "approve_suspension":
                stages.append(Stage(kind="suspended", start=e.at, end=None, unit_id=unit_id,
                                    unit_name=names.get(unit_id)))
            case "rectify":
                stages.append(Stage(kind="verifying", start=e.at, end=None, unit_id=unit_id,
                                    unit_name=names.get(unit_id), deadline_at=deadline, round=rework_round))
            case "verify_fail":
                rework_round += 1
                deadline = e.deadline_at
                stages.append(Stage(kind="rectifying", start=e.at, end=None, unit_id=unit_id,
                                    unit_name=names.get(unit_id), deadline_at=deadline, round=rework_round))
            case _:  # verify_pass, cancel, void: terminal
                pass
    if stages and stages[-1].end is None and stages[-1].kind == "rectifying" and stages[-1].deadline_at:
        stages[-1].late = now > stages[-1].deadline_at
    return TicketTimeline(ticket=tickets_read.summary(session, user, ticket, now), stages=stages,
                          milestones=milestones, now=now)


def unit_timeline(session: Session, user: User, period: Period, scope: Scope, *, limit: int = 300,
                  now: datetime | None = None) -> UnitTimeline:
    """The cohort's tickets of a unit (or the city) as bars on one time axis, overdue ones marked."""
    now = now or utcnow()
    where = [tickets_access.visible_clause(user), within(Ticket.first_dispatched_at, period.start, period.end),
             queries.in_cohort_base(), *scope_where(session, scope, period_bound=True)]
    total = session.execute(select(func.count()).select_from(Ticket).where(*where)).scalar_one()
    rows = session.execute(select(Ticket).where(*where).order_by(col(Ticket.first_dispatched_at), col(Ticket.id))
                        .limit(limit)).scalars().all()
    bars = [UnitBar(id=t.id, case_number=t.case_number, status=t.status, category_code=t.category_code,
                    description=t.description, reported_at=t.reported_at, first_dispatched_at=t.first_dispatched_at,
                    deadline_at=t.deadline_at, rectified_at=t.rectified_at, closed_at=t.closed_at,
                    rework_count=t.rework_count, overdue=t.is_overdue_at(now)) for t in rows]
    return UnitTimeline(period=period, unit_id=scope.unit_id, unit_name=scope.unit_name, bars=bars, total=total,
                        now=now)
