"""Statistics at scale: generate N tickets with realistic timelines, then time the real service functions.

    .venv/bin/python bench/stats.py --tickets 1000000            # SQLite (bench/output/) and PostgreSQL
    .venv/bin/python bench/stats.py --tickets 50000 --db sqlite  # quick run
    .venv/bin/python bench/stats.py --reuse --db postgresql      # time again without regenerating

PostgreSQL goes to its own database (default xuncha_bench, dropped and created here); SQLite to a file under
bench/output/ (git-ignored). Tickets are spread over two years (more in recent weeks: ≈ 9,600 a week on average
at 1 M); at the end about 94 % are closed (10 % of them after rework), 4 % cancelled, 1.5 % stuck in rectification
and overdue, the newest still waiting or awaiting verification; 3 % were returned and re-dispatched. Every ticket gets its timeline events and
assignments, bulk-loaded (COPY on PostgreSQL, executemany on SQLite).
"""

import argparse
import math
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from app.bulletins import service as bulletins  # noqa: E402
from app.bulletins.schemas import BulletinIn  # noqa: E402
from app.categories import service as categories_service  # noqa: E402
from app.categories.models import Category  # noqa: E402
from app.core.config import get_settings  # noqa: E402
from app.core.db import get_engine, make_engine, normalize_url  # noqa: E402
from app.stats import service as stats  # noqa: E402
from app.stats.schemas import RankRules, Scope  # noqa: E402
from app.tickets import listing as tickets_listing  # noqa: E402
from app.tickets import verifications as tickets_verifications  # noqa: E402
from app.tickets.workflow import Status  # noqa: E402
from app.units.models import Unit  # noqa: E402
from app.users.models import User  # noqa: E402
from app.users.roles import Role  # noqa: E402
from tests.dbutil import migrate  # noqa: E402

OUTPUT = ROOT / "bench" / "output"
TICKET_COLS = ["id", "case_number", "status", "category_code", "description", "address", "lat", "lng",
               "accuracy_m", "reporter_id", "unit_id", "suggested_unit_id", "deadline_at", "office_deadline_at", "rework_count",
               "return_count", "reported_at", "first_dispatched_at", "dispatched_at", "first_rectified_at",
               "rectified_at", "closed_at", "cancelled_at", "closed_on_time", "updated_at", "request_hash"]
EVENT_COLS = ["ticket_id", "action", "from_status", "to_status", "actor_id", "at", "unit_id", "deadline_at"]
ASSIGN_COLS = ["ticket_id", "unit_id", "first_dispatched_at"]
DESCRIPTIONS = ["路边垃圾桶满溢", "人行道油污烟头", "电线杆小广告", "占道经营", "电动车乱停放", "沿街晾晒",
                "施工材料占道", "店外经营", "绿化带垃圾", "线缆脱落", "机动车占用人行道", "垃圾箱破损"]


# ---- data ---------------------------------------------------------------------------------------

def seed_reference(session: Session) -> tuple[list[int], dict[str, int], list[str]]:
    """Taxonomy, 56 units (6 districts with 5 streets each, 20 departments) and a few users."""
    categories_service.sync_taxonomy(session)
    units: list[Unit] = []
    for d in range(6):
        district = Unit(name=f"区{d + 1}", kind="district")
        session.add(district)
        session.flush()
        units.append(district)
        for s in range(5):
            units.append(Unit(name=f"区{d + 1}街道{s + 1}", kind="street", parent_id=district.id))
    units += [Unit(name=f"部门{i + 1}", kind="department") for i in range(20)]
    session.add_all(units)
    session.flush()
    users = {}
    for role in (Role.inspector, Role.dispatcher, Role.leader):
        users[role.value] = User(username=f"bench-{role.value}", display_name=role.value, role=role,
                                 password_hash="x")
    session.add_all(users.values())
    leaf = [u.id for u in units if u.kind != "district"]
    session.add(User(username="bench-unit", display_name="unit", role=Role.unit_staff, unit_id=leaf[0],
                     password_hash="x"))
    session.commit()
    codes = [c.code for c in session.exec(select(Category).where(Category.parent_code.is_not(None))).all()]
    return leaf, {k: u.id for k, u in users.items()}, codes


def generate(n: int, units: list[int], users: dict[str, int], codes: list[str], now: datetime, seed: int = 7):
    """Yield (ticket row, [event rows], [assignment rows]) with realistic timelines."""
    rng = random.Random(seed)
    span = 730 * 86400
    weights = [1 / (i + 1) ** 0.6 for i in range(len(units))]  # some units get far more tickets
    insp, disp = users["inspector"], users["dispatcher"]
    h = timedelta(hours=1)
    for i in range(n):
        tid = uuid.UUID(int=rng.getrandbits(128), version=4)
        age = span * (rng.random() ** 0.8)  # a bit more recent than uniform: the campaign grows
        reported = now - timedelta(seconds=age)
        reported = reported.replace(hour=rng.randint(0, 11), microsecond=0)  # 08:00–19:00 local
        if reported > now:
            reported -= timedelta(days=1)
        code = rng.choice(codes)
        unit = rng.choices(units, weights)[0]
        ev = [("report", None, "reported", insp, reported, None, None)]
        asg = []
        t = dict(id=tid, case_number=f"XC-B-{i:09d}", status="reported", category_code=code,
                 description=rng.choice(DESCRIPTIONS), address=f"示例路{rng.randint(1, 999)}号",
                 lat=30.2 + rng.random() * 0.15, lng=120.1 + rng.random() * 0.15, accuracy_m=10.0,
                 reporter_id=insp, unit_id=None, suggested_unit_id=unit, deadline_at=None, office_deadline_at=None,
                 rework_count=0,
                 return_count=0, reported_at=reported, first_dispatched_at=None, dispatched_at=None,
                 first_rectified_at=None, rectified_at=None, closed_at=None, cancelled_at=None,
                 closed_on_time=None, updated_at=reported, request_hash="bench")
        r = rng.random()
        clock = reported + h * rng.lognormvariate(1.0, 0.8)
        if r < 0.04:  # 不予立案
            if clock <= now:
                t.update(status="cancelled", cancelled_at=clock, updated_at=clock)
                ev.append(("cancel", "reported", "cancelled", disp, clock, None, None))
            yield t, ev, asg
            continue
        if clock > now:  # not dispatched yet
            yield t, ev, asg
            continue
        allowed = 24 * rng.choice([1, 2, 2, 3])
        deadline = clock + h * allowed
        t.update(status="dispatched", unit_id=unit, first_dispatched_at=clock, dispatched_at=clock,
                 deadline_at=deadline, office_deadline_at=deadline, updated_at=clock)
        ev.append(("dispatch", "reported", "dispatched", disp, clock, unit, deadline))
        asg.append((tid, unit, clock))
        if r < 0.07:  # returned once, re-dispatched to another unit
            back = clock + h * rng.uniform(1, 24)
            if back > now:
                yield t, ev, asg
                continue
            ev.append(("return", "dispatched", "reported", disp, back, unit, None))
            unit2 = rng.choice([u for u in units[:10] if u != unit])
            clock = back + h * rng.uniform(1, 12)
            if clock > now:
                t.update(status="reported", unit_id=None, deadline_at=None, office_deadline_at=None, return_count=1,
                         updated_at=back)
                yield t, ev, asg
                continue
            deadline = clock + h * allowed
            t.update(unit_id=unit2, dispatched_at=clock, deadline_at=deadline, office_deadline_at=deadline,
                     return_count=1, updated_at=clock)
            ev.append(("dispatch", "reported", "dispatched", disp, clock, unit2, deadline))
            asg.append((tid, unit2, clock))
            unit = unit2
        if rng.random() < 0.015:  # stuck: never rectified
            yield t, ev, asg
            continue
        rounds = 2 if rng.random() < 0.10 else 1
        for k in range(rounds):
            clock = clock + h * rng.lognormvariate(math.log(allowed * 0.45), 0.7)
            if clock > now:
                break
            t.update(status="rectified", rectified_at=clock, updated_at=clock)
            if t["first_rectified_at"] is None:
                t["first_rectified_at"] = clock
            ev.append(("rectify", "dispatched", "rectified", disp, clock, unit, None))
            clock = clock + h * rng.uniform(2, 48)
            if clock > now:
                break
            if k < rounds - 1:
                deadline = clock + h * 48
                t.update(status="dispatched", dispatched_at=clock, deadline_at=deadline, updated_at=clock,
                         rework_count=t["rework_count"] + 1)
                ev.append(("verify_fail", "rectified", "dispatched", insp, clock, unit, deadline))
            else:
                t.update(status="closed", closed_at=clock, updated_at=clock,
                         closed_on_time=t["rectified_at"] <= t["office_deadline_at"])
                ev.append(("verify_pass", "rectified", "closed", insp, clock, None, None))
        yield t, ev, asg


def load(engine, n: int, now: datetime, batch: int = 20000) -> None:
    with Session(engine) as session:
        units, users, codes = seed_reference(session)
    pg = engine.dialect.name == "postgresql"
    started = time.perf_counter()
    tickets, events, assigns = [], [], []
    done = 0

    def fmt(v):
        if isinstance(v, datetime):
            return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(v, uuid.UUID):
            return v.hex
        if isinstance(v, bool):
            return int(v)
        return v

    def flush():
        nonlocal tickets, events, assigns
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            if pg:
                with cur.copy(f"COPY tickets ({', '.join(TICKET_COLS)}) FROM STDIN") as cp:
                    for row in tickets:
                        cp.write_row(row)
                with cur.copy(f"COPY ticket_events ({', '.join(EVENT_COLS)}) FROM STDIN") as cp:
                    for row in events:
                        cp.write_row(row)
                with cur.copy(f"COPY ticket_assignments ({', '.join(ASSIGN_COLS)}) FROM STDIN") as cp:
                    for row in assigns:
                        cp.write_row(row)
            else:
                cur.execute("PRAGMA synchronous=OFF")
                cur.execute("BEGIN")
                for table, cols, rows in (("tickets", TICKET_COLS, tickets), ("ticket_events", EVENT_COLS, events),
                                          ("ticket_assignments", ASSIGN_COLS, assigns)):
                    cur.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                                    [tuple(fmt(v) for v in row) for row in rows])
                cur.execute("COMMIT")
            raw.commit()
        finally:
            raw.close()
        tickets, events, assigns = [], [], []

    for t, ev, asg in generate(n, units, users, codes, now):
        tickets.append(tuple(t[c] for c in TICKET_COLS))
        events += [(t["id"], *e) for e in ev]
        assigns += asg
        done += 1
        if len(tickets) >= batch:
            flush()
            if done % 200000 == 0:
                print(f"  {done:,} tickets ({time.perf_counter() - started:.0f} s)", flush=True)
    if tickets:
        flush()
    # The verifications' fact rows, as the app writes one with each verification (app/tickets/verifications.py).
    with Session(engine) as session:
        tickets_verifications.backfill(session)
        session.commit()
        n_verified = session.execute(text("SELECT count(*) FROM ticket_verifications")).scalar_one()
    print(f"  {n_verified:,} verification rows ({time.perf_counter() - started:.0f} s)", flush=True)
    if engine.dialect.name == "postgresql":
        # Autovacuum would get there eventually; without a visibility map right after COPY, index-only
        # scans read the heap and the figures time 2-4x slower than on a database in steady state.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    print(f"  loaded {n:,} tickets in {time.perf_counter() - started:.0f} s", flush=True)


# ---- timing -------------------------------------------------------------------------------------

def timed(fn, runs: int) -> tuple[float, float]:
    samples = []
    fn()  # warm-up
    for i in range(runs):
        t0 = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, math.ceil(0.95 * len(samples)) - 1)]
    return statistics.median(samples), p95


def measure(engine, runs: int, now: datetime, only: list[str] | None = None) -> list[tuple[str, float, float]]:
    with Session(engine, expire_on_commit=False) as s:
        leader = s.exec(select(User).where(User.role == Role.leader)).first()
        staff = s.exec(select(User).where(User.role == Role.unit_staff)).first()
        busiest = s.execute(text("SELECT unit_id FROM tickets WHERE unit_id IS NOT NULL GROUP BY unit_id "
                                 "ORDER BY count(*) DESC LIMIT 1")).scalar_one()
    rng = random.Random(1)
    weeks = [stats.resolve_period("week", on=(now - timedelta(weeks=rng.randint(0, 51))).date())
             for _ in range(runs + 1)]
    months = [stats.resolve_period("month", on=(now - timedelta(days=rng.randint(0, 360))).date())
              for _ in range(runs + 1)]
    ended_months = [stats.resolve_period("month", on=(now - timedelta(days=rng.randint(35, 360))).date())
                    for _ in range(runs + 1)]
    rules = RankRules()
    out = []

    def run(name, fn, n=runs):
        if only and not any(o in name for o in only):
            return

        def call(i=0):
            with Session(engine, expire_on_commit=False) as s:
                fn(s, i)  # never committed: a publish is rolled back, so the same month can be published again
        p50, p95 = timed(call, n)
        out.append((name, p50, p95))
        print(f"  {name:<46} p50 {p50:8.1f} ms   p95 {p95:8.1f} ms", flush=True)

    def scope(s, unit=None, **kw):
        return stats.resolve_scope(s, leader, unit_id=unit, **kw)

    run("summary: city, one week", lambda s, i: stats.summary(s, leader, weeks[i], Scope(), now=now))
    run("summary: city, one week, figures only (no 环比/累计)",
        lambda s, i: stats.summary(s, leader, weeks[i], Scope(), now=now, compare=False, to_date=False))
    run("summary: city, one week + breakdowns",
        lambda s, i: stats.summary(s, leader, weeks[i], Scope(), now=now, with_breakdowns=True))
    run("summary: city, one month", lambda s, i: stats.summary(s, leader, months[i], Scope(), now=now))
    run("summary: city, one month, figures only (no 环比/累计)",
        lambda s, i: stats.summary(s, leader, months[i], Scope(), now=now, compare=False, to_date=False))
    run("summary: busiest unit, one week",
        lambda s, i: stats.summary(s, leader, weeks[i], scope(s, busiest), now=now))
    run("summary: district + streets, one month",
        lambda s, i: stats.summary(s, leader, months[i], scope(s, 1), now=now))
    run("summary: category class 06, one week",
        lambda s, i: stats.summary(s, leader, weeks[i], scope(s, category_code="06"), now=now))
    run("summary: unit staff (own unit), one week",
        lambda s, i: stats.summary(s, staff, weeks[i], stats.resolve_scope(s, staff), now=now))
    run("ranking: week (+ previous week)", lambda s, i: stats.ranking(s, weeks[i], rules, now=now))
    run("ranking: month (+ previous month)", lambda s, i: stats.ranking(s, months[i], rules, now=now))
    run("publish: a month's bulletin (figures, ranking, xlsx, html)",
        lambda s, i: bulletins.publish(s, leader, BulletinIn(period="month", on=ended_months[i].start_date)),
        n=max(3, runs // 4))
    run("trend: 8 weeks, city", lambda s, i: stats.trend(s, Scope(), weeks=8, now=now))
    run("drill-down: closed, one week, page 1",
        lambda s, i: stats.drill(s, leader, "closed", weeks[i], Scope(), now=now))
    run("drill-down: overdue now, page 1",
        lambda s, i: stats.drill(s, leader, "overdue_now", weeks[i], Scope(), now=now))
    run("unit timeline: busiest unit, one week",
        lambda s, i: stats.unit_timeline(s, leader, weeks[i], scope(s, busiest), now=now))
    run("list: newest first, page 1", lambda s, i: tickets_listing.list_tickets(s, leader, limit=50))
    run("list: status=dispatched, unit, page 1",
        lambda s, i: tickets_listing.list_tickets(s, leader, status=[Status.dispatched], unit_id=busiest, limit=50))
    run("list: overdue, by deadline, page 1",
        lambda s, i: tickets_listing.list_tickets(s, leader, overdue=True, sort="deadline_at", limit=50))
    run("list: category 06, page 1",
        lambda s, i: tickets_listing.list_tickets(s, leader, category_code="06", limit=50))
    run("list: unit staff (visibility), page 1", lambda s, i: tickets_listing.list_tickets(s, staff, limit=50))

    def deep(s, i):
        page = tickets_listing.list_tickets(s, leader, limit=50)
        tickets_listing.list_tickets(s, leader, limit=50, cursor=page.next_cursor)
    run("list: pages 1+2 (cursor)", deep)
    run("list: search q='XC-B-0000123' (case-number prefix)",
        lambda s, i: tickets_listing.list_tickets(s, leader, q="XC-B-0000123", limit=50))
    run("list: search q='垃圾桶满溢' (text, 1 in 12 tickets)",
        lambda s, i: tickets_listing.list_tickets(s, leader, q="垃圾桶满溢", limit=50))
    run("list: search q='示例路123号' (text, 1 in 1,000)",
        lambda s, i: tickets_listing.list_tickets(s, leader, q="示例路123号", limit=50))
    run("list: search q='示例路123号' + status=dispatched (text, rare)",
        lambda s, i: tickets_listing.list_tickets(s, leader, q="示例路123号", status=[Status.dispatched], limit=50))
    return out


def prepare(kind: str, args) -> str:
    if kind == "postgresql":
        base = normalize_url(args.pg_url)
        admin_url = base.rsplit("/", 1)[0] + "/postgres"
        name = base.rsplit("/", 1)[1]
        assert name not in ("test", "postgres"), "use a separate bench database"
        if not args.reuse:
            admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
        return base
    OUTPUT.mkdir(parents=True, exist_ok=True)
    path = OUTPUT / "stats.db"
    if not args.reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    ap.add_argument("--pg-url", default=os.environ.get("XUNCHA_BENCH_PG_URL",
                                                       "postgresql://postgres@127.0.0.1:5432/xuncha_bench"))
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--reuse", action="store_true", help="time the existing bench database again")
    ap.add_argument("--only", action="append", help="time only queries whose name contains this (repeatable)")
    args = ap.parse_args()
    now = datetime.now(UTC)
    results = {}
    for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
        print(f"== {kind}: {args.tickets:,} tickets", flush=True)
        url = prepare(kind, args)
        # What the service reads through the app's own engine (the office's settings) comes from this database too.
        os.environ["XUNCHA_DATABASE_URL"] = url
        get_settings.cache_clear()
        get_engine.cache_clear()
        if not args.reuse:
            migrate(url)
        engine = make_engine(url)
        if not args.reuse:
            load(engine, args.tickets, now)
        with engine.connect() as conn:
            count = conn.execute(text("SELECT count(*) FROM tickets")).scalar_one()
        print(f"  {count:,} tickets in the database; timing {args.runs} runs each", flush=True)
        results[kind] = measure(engine, args.runs, now, args.only)
        engine.dispose()
    print("\n| query | " + " | ".join(f"{k} p50 / p95 (ms)" for k in results) + " |")
    print("|---|" + "---|" * len(results))
    names = [r[0] for r in next(iter(results.values()))]
    for i, name in enumerate(names):
        cells = [f"{results[k][i][1]:.1f} / {results[k][i][2]:.1f}" for k in results]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
