"""The figures of several periods and groupings from one grouped pass per figure kind.

A summary needs the same figures for the period and the one before (环比), per unit and in total, and a
bulletin also by four breakdowns and month- and year-to-date. Computed one period and one grouping at a time
that was ~70 queries over the same rows. Here the periods are cut at their bounds into elementary intervals
(buckets); each query reads their union once, grouped by (bucket, key columns), and a period's figures are the
sum of its buckets', a grouping's rows the sum over the keys that fall in the same row. Counts add up; hours do
not, so their values come per ticket (per verification) and their percentiles are computed per row in Python
with percentile_cont's formula (`queries.percentiles_of`).
"""

import functools
from collections.abc import Callable, Hashable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Connection,
    RowMapping,
    Select,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.types import NullType
from sqlmodel import Session, col, select

from app.core import db
from app.stats import queries
from app.stats.queries import COUNTS, DISTINCT_TICKETS, EVENT_FIGURES, EVENT_UNIT, within
from app.stats.schemas import Percentiles, Period
from app.tickets.models import Ticket, TicketEvent, TicketRequest, TicketVerification
from app.tickets.workflow import Status


@dataclass(frozen=True)
class Key:
    """A key column of the grouped passes: its SQL over a ticket, over an exception event (joined to its
    ticket and the request it decided), and over a verification's fact row (ticket_verifications)."""
    name: str
    ticket: ColumnElement
    event: ColumnElement
    fact: ColumnElement


UNIT = Key("unit", col(Ticket.unit_id), EVENT_UNIT, col(TicketVerification.unit_id))
CATEGORY_CLASS = Key("category_class", queries.CATEGORY_CLASS, queries.CATEGORY_CLASS,
                     queries.category_class(TicketVerification.category_code))
# The grid the ticket was reported in (tickets.grid_id), None outside every grid.
GRID = Key("grid", col(Ticket.grid_id), col(Ticket.grid_id), col(TicketVerification.grid_id))
SITE_TYPE = Key("site_type", queries.SITE_TYPE, queries.SITE_TYPE, queries.site_type(TicketVerification))


@dataclass(frozen=True)
class Level:
    """A kind of row of the figures: which row a key tuple belongs to (`of`) and, for the percentiles PostgreSQL
    computes itself, the key column (`key`, its index) or SQL expression that row is grouped by, over a ticket
    (`sql`) and over a verification's fact row (`fact_sql`); the total has neither."""
    name: str
    of: Callable[[tuple], Hashable]
    key: int | None = None
    sql: ColumnElement | None = None
    fact_sql: ColumnElement | None = None


TOTAL = Level("total", lambda k: None)
BY_UNIT = Level("unit", lambda k: k[0], key=0)


class Buckets:
    """The elementary intervals between the sorted bounds of some periods."""

    def __init__(self, periods: Iterable[Period]):
        periods = list(periods)
        self.edges: list[datetime] = sorted({p.start for p in periods} | {p.end for p in periods})

    @property
    def start(self) -> datetime:
        return self.edges[0]

    @property
    def end(self) -> datetime:
        return self.edges[-1]

    def covers(self, period: Period) -> bool:
        """Whether a period is a union of these buckets."""
        return period.start in self.edges and period.end in self.edges

    @property
    def split(self) -> bool:
        return len(self.edges) > 2

    def index(self, column) -> ColumnElement:
        """SQL: the bucket a time in [start, end) falls in."""
        inner = self.edges[1:-1] or self.edges[-1:]
        return case(*[(column < e, i) for i, e in enumerate(inner)], else_=len(self.edges) - 2)

    def of(self, period: Period) -> frozenset[int]:
        """The buckets a period is made of."""
        return frozenset(i for i in range(len(self.edges) - 1)
                         if self.edges[i] >= period.start and self.edges[i + 1] <= period.end)


def _gcols(buckets: Buckets, column, keys: tuple[Key, ...], *, over: str = "ticket") -> list:
    """The group-by columns: the bucket of `column` (when there are several), then each key's SQL over a ticket,
    an exception event or a verification's fact row (`over`)."""
    cols = [buckets.index(column).label("b")] if buckets.split else []
    return cols + [getattr(k, over).label(f"k{i}") for i, k in enumerate(keys)]


def _key(row, buckets: Buckets | None, n: int) -> tuple:
    keys = tuple(row[f"k{i}"] for i in range(n))
    if buckets is None:
        return keys
    return (row["b"] if buckets.split else 0, *keys)


_SLOT = {name: i for i, name in enumerate(COUNTS)}


@dataclass
class Pass:
    """Figures per (bucket, *keys): counts, ticket ids behind the distinct-ticket figures, hours' values."""
    buckets: Buckets
    keys: tuple[Key, ...]
    # bucket → keys → the COUNTS in their order (lists: a breakdown sums ~5,000 of these rows per level).
    counts: dict[int, dict[tuple, list[int]]] = field(default_factory=dict)
    overdue_now: dict[tuple, int] = field(default_factory=dict)  # keys → n (not bound to a period)
    distinct: dict[tuple, dict[str, set]] = field(default_factory=dict)
    hours: dict[tuple, dict[str, list]] = field(default_factory=dict)
    with_hours: frozenset[int] = frozenset()  # the buckets whose hours were read
    # PostgreSQL computes the percentiles itself per (level name, bucket, row): no values come to Python.
    percentiles: dict[tuple, dict[str, Percentiles]] | None = None

    def add(self, key: tuple, **vals) -> None:
        by_keys = self.counts.setdefault(key[0], {})
        row = by_keys.get(key[1:])
        if row is None:
            row = by_keys[key[1:]] = [0] * len(COUNTS)
        for k, v in vals.items():
            row[_SLOT[k]] += int(v or 0)

    def figures(self, period: Period, by: Level = BY_UNIT, *, with_hours: bool = True) -> tuple[dict, dict]:
        """(counts per row, hours' percentiles per row: empty without them) of a period, by unit or another
        level; `figures_total` is the total."""
        level = by.of
        parts = self.buckets.of(period)
        sums: dict = {}
        ids: dict = {}
        values: dict = {}
        for b in parts:
            for keys, counts in self.counts.get(b, {}).items():
                r = level(keys)
                before = sums.get(r)
                sums[r] = counts.copy() if before is None else [x + y for x, y in zip(before, counts, strict=True)]
        out: dict = {r: dict(zip(COUNTS, t, strict=True)) for r, t in sums.items()}

        def row(r):
            return out.setdefault(r, dict.fromkeys(COUNTS, 0))

        for keys, n in self.overdue_now.items():
            row(level(keys))["overdue_now"] += n
        for (b, *keys), figs in self.distinct.items():
            if b in parts:
                r = level(tuple(keys))
                for fig, s in figs.items():
                    ids.setdefault(r, {}).setdefault(fig, set()).update(s)
        for r, figs in ids.items():
            for fig, s in figs.items():
                row(r)[fig] += len(s)
        hours: dict = {}
        if with_hours and parts <= self.with_hours and self.percentiles is not None:
            (b,) = parts  # a period with hours is one bucket
            hours = {r: dict(p) for (name, bb, r), p in self.percentiles.items() if name == by.name and bb == b}
            for r in out:
                hours.setdefault(r, {})
                for name in HOURS:
                    hours[r].setdefault(name, Percentiles())
        elif with_hours and parts <= self.with_hours:
            for (b, *keys), by_name in self.hours.items():
                if b in parts:
                    target = values.setdefault(level(tuple(keys)), {})
                    for name, v in by_name.items():
                        target.setdefault(name, []).extend(v)
            hours = {r: {name: queries.percentiles_of(v) for name, v in by_name.items()}
                     for r, by_name in values.items()}
            for r in out:
                hours.setdefault(r, {})
                for name in HOURS:
                    hours[r].setdefault(name, Percentiles())
        return out, hours

    def figures_total(self, period: Period) -> tuple[dict[str, int], dict[str, Percentiles]]:
        counts, hours = self.figures(period, TOTAL)
        return counts.get(None, dict.fromkeys(COUNTS, 0)), hours.get(None, {n: Percentiles() for n in HOURS})


HOURS = (*queries.DURATIONS, *queries.VERIFY_DURATIONS)
COHORT = ("handed_over", "handed_over_voided", "dispatched", "closed", "closed_on_time", "closed_late", "rectified",
          "reworked", "rework_times", "overdue", "due", "overdue_unclosed", "dispatched_on_time")


def run(session: Session, periods: list[Period], keys: tuple[Key, ...], *, where: list, ev_where: list,
        overdue_where: list, fact_where: list, now: datetime, dispatch_within_hours: float, verify_within_hours: float,
        hours_for: list[Period] = (), with_verifications: bool = True, levels: tuple[Level, ...] = (BY_UNIT,)
        ) -> Pass:
    """Every count figure of `periods` grouped by `keys`, and the hours of the periods in `hours_for` for the
    total and each of `levels` (each of those periods must be one bucket). The scope's clauses: `where` over
    tickets, `ev_where` over exception events, `overdue_where` over tickets without a period, `fact_where` over
    the verifications' fact rows."""
    buckets = Buckets(periods)
    out = Pass(buckets=buckets, keys=keys)
    hour_buckets = frozenset().union(*(buckets.of(p) for p in hours_for)) if hours_for else frozenset()
    out.with_hours = hour_buckets
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        _sort_memory(session.connection())
    if postgres and hours_for:
        out.percentiles = {}
        reads = _sql_hours(session, out, levels, where, fact_where, verify_within_hours, hour_buckets,
                           frozenset(buckets.of(hours_for[0])), with_verifications=with_verifications)
    else:
        reads = [*([_durations(session, out, hour_buckets, where)] if hours_for else []),
                 *(_verifications(session, out, fact_where, verify_within_hours, hour_buckets)
                   if with_verifications else [])]
    # The hours' reads do not depend on the counts: each runs at the same time as the counts, on a connection of
    # its own when one is free. At 1 M tickets a month and the one before took ~160 ms of counts, then ~150 ms
    # (the cohort's percentiles) and ~90 ms (the verifications') one after another on PostgreSQL: 440 → 250 ms.
    with ExitStack() as stack:
        pending = [stack.enter_context(db.aside(session, read.on_its_own)) if read.aside else None for read in reads]
        _counts(session, out, where=where, ev_where=ev_where, overdue_where=overdue_where, now=now,
                dispatch_within_hours=dispatch_within_hours)
        rows = [result() if result is not None else read(session.connection())
                for result, read in zip(pending, reads, strict=True)]
    for read, part in zip(reads, rows, strict=True):
        read.decode(part)
    return out


@dataclass(frozen=True)
class _Read:
    """A statement of a pass whose rows `decode` takes into the pass once the counts are done; `aside`: worth a
    connection of its own meanwhile (db.aside). `plain`: its columns need no conversion (numbers, codes), so its
    rows are taken as the DBAPI cursor returns them: for a month's ~150,000 hours SQLAlchemy's Row objects cost
    half as much again as SQLite reading them."""
    stmt: Select
    decode: Callable[[list], None]
    aside: bool = True
    plain: bool = False

    def on_its_own(self, connection: Connection) -> list:
        if connection.dialect.name == "postgresql":
            _sort_memory(connection)
        return self(connection)

    def __call__(self, connection: Connection) -> list:
        result = connection.execute(self.stmt)
        try:
            return result.cursor.fetchall() if self.plain else result.mappings().all()
        finally:
            result.close()


def _sort_memory(connection: Connection) -> None:
    """PostgreSQL: the passes sort a month or a year of tickets (grouping, percentiles): with the default 4 MB
    they spilled to disk. For this transaction only."""
    connection.execute(text("SET LOCAL work_mem = '64MB'"))


def _counts(session: Session, out: Pass, *, where: list, ev_where: list, overdue_where: list, now: datetime,
            dispatch_within_hours: float) -> None:
    """The count figures of the tickets, the overdue ones now and the exception events."""
    buckets, keys = out.buckets, out.keys
    n = len(keys)
    start, end = buckets.start, buckets.end

    def grouped(column, *aggregates):
        g = _gcols(buckets, column, keys)
        return select(*g, *aggregates), g

    closed = Ticket.status == Status.closed.value
    base = queries.in_cohort_base()
    stmt, g = grouped(
        Ticket.first_dispatched_at,
        func.count().label("handed_over"),
        func.count().filter(Ticket.status == Status.voided.value).label("handed_over_voided"),
        func.count().filter(base).label("dispatched"),
        func.count().filter(closed).label("closed"),
        func.count().filter(and_(closed, col(Ticket.closed_on_time).is_(True))).label("closed_on_time"),
        func.count().filter(queries.closed_late()).label("closed_late"),
        func.count().filter(base, col(Ticket.first_rectified_at).is_not(None)).label("rectified"),
        func.count().filter(base, Ticket.rework_count > 0).label("reworked"),
        func.sum(Ticket.rework_count).filter(base).label("rework_times"),
        func.count().filter(Ticket.is_overdue_at(now)).label("overdue"),
        func.count().filter(base, queries.due_at(now)).label("due"),
        func.count().filter(base, queries.overdue_unclosed_at(now)).label("overdue_unclosed"),
        func.count().filter(base, queries.dispatched_within(session, dispatch_within_hours))
        .label("dispatched_on_time"))
    for r in session.connection().execute(stmt.where(within(Ticket.first_dispatched_at, start, end), *where)
                             .group_by(*g)).mappings():
        out.add(_key(r, buckets, n), **{k: r[k] for k in COHORT})
    for column, fig in ((Ticket.reported_at, "reported"), (Ticket.cancelled_at, "cancelled")):
        stmt, g = grouped(column, func.count().label("n"))
        for r in session.connection().execute(stmt.where(within(column, start, end), *where).group_by(*g)).mappings():
            out.add(_key(r, buckets, n), **{fig: r["n"]})
    g = [k.ticket.label(f"k{i}") for i, k in enumerate(keys)]
    overdue = select(*g, func.count().label("n")).where(Ticket.is_overdue_at(now), *overdue_where).group_by(*g)
    for r in session.connection().execute(overdue).mappings():
        out.overdue_now[_key(r, None, n)] = r["n"]
    _exceptions(session, out, ev_where)


def _exceptions(session: Session, out: Pass, ev_where: list) -> None:
    """The exception figures from the timeline events of the buckets, for the unit concerned."""
    buckets, n = out.buckets, len(out.keys)
    by_action = {a: fig for fig, actions in EVENT_FIGURES.items() for a in actions}
    counted = [a for a, fig in by_action.items() if fig not in DISTINCT_TICKETS]
    distinct = [a for a, fig in by_action.items() if fig in DISTINCT_TICKETS]
    g = _gcols(buckets, TicketEvent.at, out.keys, over="event")

    def events(*cols):
        return (select(*cols).select_from(TicketEvent).join(Ticket, Ticket.id == TicketEvent.ticket_id)
                .outerjoin(TicketRequest, TicketRequest.decision_event_id == TicketEvent.id)
                .where(within(TicketEvent.at, buckets.start, buckets.end), *ev_where))

    stmt = events(*g, TicketEvent.action, func.count().label("n")).where(col(TicketEvent.action).in_(counted))
    for r in session.connection().execute(stmt.group_by(*g, TicketEvent.action)).mappings():
        out.add(_key(r, buckets, n), **{by_action[r["action"]]: r["n"]})
    if distinct:
        # One ticket counts once however often: the ticket ids go up with the rows, so a row that sums several
        # keys still counts a ticket once.
        stmt = events(*g, TicketEvent.action, TicketEvent.ticket_id).where(col(TicketEvent.action).in_(distinct))
        for r in session.connection().execute(stmt.distinct()).mappings():
            key = _key(r, buckets, n)
            out.add(key)
            out.distinct.setdefault(key, {}).setdefault(by_action[r["action"]], set()).add(r["ticket_id"])


def _durations(session: Session, out: Pass, hour_buckets: frozenset[int], where: list) -> _Read:
    """Each cohort ticket's hours per stage (report → dispatch → rectification; report → close)."""
    buckets = out.buckets
    edges = buckets.edges
    lo = min(edges[b] for b in hour_buckets)
    hi = max(edges[b + 1] for b in hour_buckets)
    g = _gcols(buckets, Ticket.first_dispatched_at, out.keys)
    stmt = (select(*g, *[hours.label(name) for name, hours in queries.cohort_hours(session)])
            .where(within(Ticket.first_dispatched_at, lo, hi), queries.in_cohort_base(), *where))
    return _Read(stmt, _hour_values(out, hour_buckets, len(g), queries.DURATIONS), plain=True)


def _hour_values(out: Pass, hour_buckets: frozenset[int], width: int, names: tuple[str, ...]
                 ) -> Callable[[list[tuple]], None]:
    """What takes rows of (the key columns, one hour value per name) into `out.hours`, for the buckets with
    hours: ~65,000 rows for a month and the one before, appended through local lists."""
    split = out.buckets.split

    def decode(rows: list[tuple]) -> None:
        appends: dict[tuple, tuple] = {}
        for r in rows:
            key = r[:width] if split else (0, *r[:width])
            append = appends.get(key)
            if append is None:
                if key[0] not in hour_buckets:
                    continue
                lists = out.hours.setdefault(key, {})
                append = appends[key] = tuple(lists.setdefault(name, []).append for name in names)
            for i, add in enumerate(append, width):
                add(r[i])
    return decode


def _verifications(session: Session, out: Pass, fact_where: list, verify_within_hours: float,
                   hour_buckets: frozenset[int]) -> list[_Read]:
    """核查次数 and 按时核查数 per bucket and key, counted by the database from the verifications' fact rows, and
    (for the buckets with hours) each one's hours."""
    buckets, n = out.buckets, len(out.keys)
    at = col(TicketVerification.at)
    g = _gcols(buckets, at, out.keys, over="fact")
    hours = queries.verify_hours(session)
    stmt = (select(*g, func.count().label("n"), func.count().filter(hours <= verify_within_hours).label("ok"))
            .where(within(at, buckets.start, buckets.end), *fact_where).group_by(*g))

    def counted(rows: list[RowMapping]) -> None:
        for r in rows:
            out.add(_key(r, buckets, n), verified=r["n"], verified_on_time=r["ok"])
    reads = [_Read(stmt, counted, aside=False)]  # a few hundred index entries a week: not worth a connection
    if not hour_buckets:
        return reads
    edges = buckets.edges
    lo = min(edges[b] for b in hour_buckets)
    hi = max(edges[b + 1] for b in hour_buckets)
    return [*reads, _Read(select(*g, hours).where(within(at, lo, hi), *fact_where),
                          _hour_values(out, hour_buckets, len(g), queries.VERIFY_DURATIONS), plain=True)]


def _sql_hours(session: Session, out: Pass, levels: tuple[Level, ...], where: list, fact_where: list,
               verify_within_hours: float, hour_buckets: frozenset[int], level_buckets: frozenset[int], *,
               with_verifications: bool) -> list[_Read]:
    """PostgreSQL: the hours' percentiles per bucket for the total and each level in one GROUPING SETS query per
    kind (percentile_cont), and the verifications' counts per (bucket, keys) from the same pass. Only a few
    hundred rows come back, where the values themselves are ~150,000 rows for a month and the month before.

    Each query reads a materialised CTE of its rows (time, keys, the levels' own expressions, the hours): written
    into the aggregates, PostgreSQL evaluated an hour's expression (and a site type's probe) once per aggregate
    and grouping set, which was a third of the cohort's query.

    The total and the units have hours in every bucket of `hour_buckets` (the period and, for 环比, the one before);
    the other levels (the breakdowns) only in `level_buckets` (the period: a previous period's breakdown rows carry
    counts and rates only), so their grouping sets read those rows alone, in a second query over the same CTE."""
    edges = out.buckets.edges
    lo = min(edges[b] for b in hour_buckets)
    hi = max(edges[b + 1] for b in hour_buckets)
    own_levels = [lv for lv in levels if lv.key is None and lv.sql is not None]

    def materialised(name: str, at, key_sql: list, extra_sql: list, values: list[tuple[str, ColumnElement]],
                     *where_clauses):
        """The rows as a CTE, and the levels over its columns."""
        cte = (select(at.label("at"), *[k.label(f"k{i}") for i, k in enumerate(key_sql)],
                      *[x.label(f"x{j}") for j, x in enumerate(extra_sql)], *[v.label(n) for n, v in values])
               .where(*where_clauses).cte(name).prefix_with("MATERIALIZED"))
        own = iter(cte.c[f"x{j}"] for j in range(len(extra_sql)))
        over = tuple(Level(lv.name, lv.of, key=lv.key, sql=next(own) if lv in own_levels else None) for lv in levels)
        return cte, [cte.c[f"k{i}"] for i in range(len(key_sql))], [cte.c[f"x{j}"] for j in range(len(extra_sql))], over

    def grouped(cte, keys, extra, over, names, *counts):
        b = out.buckets.index(cte.c.at)
        exprs = keys + extra
        column_of = {lv.name: keys[lv.key] if lv.key is not None else lv.sql for lv in over}
        every = [(b, *keys)] if counts else []  # grouping sets over every hour bucket, then the levels' own
        own = []
        for lv in over:
            sets = every if lv.name == BY_UNIT.name or level_buckets == hour_buckets else own
            if column_of[lv.name] is not None:
                sets.append((b, column_of[lv.name]))
        every.append((b,))

        pcts = [func.percentile_cont(q).within_group(cte.c[name]).label(f"{name}_{k}")
                for name in names for k, q in queries.PERCENTILES]
        m = len(exprs)

        def query(sets, *where_clauses):
            """One GROUPING SETS query over the CTE. An expression none of its sets groups by is selected as NULL
            and counts as aggregated in `gm` (GROUPING's bit mask over every expression, as `decode` reads it)."""
            distinct = []
            for st in sets:
                if not any(len(st) == len(u) and all(x is y for x, y in zip(st, u, strict=True)) for u in distinct):
                    distinct.append(st)
            grouped_by = [i for i, e in enumerate(exprs) if any(x is e for st in distinct for x in st)]
            gm = sum((func.grouping(exprs[i]) * (1 << (m - 1 - i)) for i in grouped_by),
                     literal(sum(1 << (m - 1 - i) for i in range(m) if i not in grouped_by)))
            cols = [e if i in grouped_by else null() if isinstance(e.type, NullType) else cast(null(), e.type)
                    for i, e in enumerate(exprs)]
            return (select(b.label("b"), *[c.label(f"e{i}") for i, c in enumerate(cols)],
                           gm.label("gm") if exprs else func.count().label("gm"), *counts, *pcts)
                    .select_from(cte).where(*where_clauses)
                    .group_by(func.grouping_sets(*[tuple_(*st) if len(st) > 1 else st[0] for st in distinct])))

        if not own:
            return query(every), exprs, column_of
        return union_all(query(every), query(own, b.in_(sorted(level_buckets)))), exprs, column_of

    def decode(r, exprs, column_of, over, names) -> set[int]:
        m = len(exprs)
        grouped_cols = {i for i in range(m) if not (r["gm"] >> (m - 1 - i)) & 1} if exprs else set()
        b = r["b"]
        pct = {name: Percentiles(**{k: None if r[f"{name}_{k}"] is None else round(float(r[f"{name}_{k}"]), 3)
                                    for k, _ in queries.PERCENTILES}) for name in names}
        if not grouped_cols:
            if b in hour_buckets:
                out.percentiles.setdefault(("total", b, None), {}).update(pct)
        for lv in over:
            c = column_of[lv.name]
            if c is None:
                continue
            i = next(i for i, e in enumerate(exprs) if e is c)
            if grouped_cols == {i} and b in hour_buckets:
                out.percentiles.setdefault((lv.name, b, r[f"e{i}"]), {}).update(pct)
        return grouped_cols

    cte, keys, extra, over = materialised(
        "c", col(Ticket.first_dispatched_at), [k.ticket for k in out.keys], [lv.sql for lv in own_levels],
        queries.cohort_hours(session), within(Ticket.first_dispatched_at, lo, hi), queries.in_cohort_base(), *where)
    stmt, exprs, column_of = grouped(cte, keys, extra, over, queries.DURATIONS)
    cohort = _Read(stmt, functools.partial(_each, decode, exprs=exprs, column_of=column_of, over=over,
                                           names=queries.DURATIONS))
    if not with_verifications:
        return [cohort]
    name = queries.VERIFY_DURATIONS[0]
    at = col(TicketVerification.at)
    cte, keys, extra, over = materialised(
        "v", at, [k.fact for k in out.keys], [lv.fact_sql for lv in own_levels],
        [(name, queries.verify_hours(session))], within(at, out.buckets.start, out.buckets.end), *fact_where)
    h = cte.c[name]
    stmt, exprs, column_of = grouped(cte, keys, extra, over, (name,), func.count().label("n"),
                                     func.count().filter(h <= verify_within_hours).label("ok"))
    n = len(keys)

    def verified(rows: list[RowMapping]) -> None:
        for r in rows:
            if decode(r, exprs, column_of, over, (name,)) == set(range(n)):
                out.add((r["b"], *(r[f"e{i}"] for i in range(n))), verified=r["n"], verified_on_time=r["ok"])
    return [cohort, _Read(stmt, verified)]


def _each(decode: Callable, rows: list, **kw) -> None:
    """`decode` each row (bound by functools.partial: a closure would see the names the verifications' query
    rebinds)."""
    for r in rows:
        decode(r, **kw)
