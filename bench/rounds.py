"""Scoring an evaluation round: in memory (app.evaluation.scoring on a generated round), and through the database
(the round stored, then its report read and its Excel file built as the API does).

    .venv/bin/python bench/rounds.py [--sites 1000] [--items 30] [--runs 30] [--seed 7]   # in memory only
    .venv/bin/python bench/rounds.py --db both [--db-runs 5]                                # + SQLite and PostgreSQL

The round has --sites sites of 9 site types (each checklist --items items totalling 100 points, half of them
per occurrence, some with caps that bite), 56 responsible units in 6 districts; 2 % of the sites are 无法调查,
the others answer every item (about 80 % 达标, 12 % 不达标 with 1–6 occurrences, 8 % 不适用). A 回头看 round
re-checks 90 % of the sites with a third of the failures fixed and a few new ones.

Timed, each over --runs runs after a warm-up: building the input objects from plain rows (what a service does
after its query); score_round (every site score, roll-up, lost points by dimension and item, the ranking);
compare_rounds (the 回头看 comparison, validating and scoring both rounds again); compare_reports (the same on
two reports already scored); and the whole path from rows to both reports and their comparison.

--db sqlite|postgresql|both stores the same round (and its 回头看) in a fresh, migrated database (SQLite under
bench/output/, PostgreSQL in its own database xuncha_bench_rounds, dropped and created here): the checklists, the
sites, the results, the 30,000 answers and a ticket for every 不达标; then times, --db-runs times each, the report
of the 回头看 round as the office reads it (app.evaluation.reports.build: every query and the scoring of both
rounds), and that report with its Excel workbook (app.evaluation.exports.report_xlsx). The aim: < 1 s p95 on
PostgreSQL and < 2 s on SQLite.
"""

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.evaluation.scoring import (  # noqa: E402
    Item,
    RoundInput,
    Rule,
    SiteInput,
    SiteStatus,
    answer,
    compare_reports,
    compare_rounds,
    score_round,
)

SITE_TYPES = ["farmers_market", "back_alley", "residential_compound", "main_road_commercial_street", "bus_stop",
              "school_surroundings", "public_square_park", "construction_site_hoarding",
              "public_toilet_refuse_station"]
DIMENSIONS = ["基础设施", "环境卫生", "公共秩序", "宣传氛围", "服务管理"]


def checklist(rng: random.Random, prefix: str, n: int) -> list[Item]:
    """n items whose points (in tenths) total exactly 1000."""
    cuts = sorted(rng.sample(range(1, 1000), n - 1))
    pts = [b - a for a, b in zip([0, *cuts], [*cuts, 1000], strict=True)]
    items = []
    for i, p in enumerate(pts):
        rule = Rule.all_or_nothing if rng.random() < 0.5 else Rule.per_occurrence
        ded = p if rule == Rule.all_or_nothing else rng.randint(1, p)
        items.append(Item(f"{prefix}-{i + 1:02d}", rng.choice(DIMENSIONS), p, rule, ded, "env_litter"))
    return items


def answer_rows(rng: random.Random, items: list[Item]) -> list[tuple[str, str, int | None]]:
    rows = []
    for it in items:
        r = rng.random()
        if r < 0.12:
            rows.append((it.code, "fail", rng.randint(1, 6)))
        elif r < 0.20:
            rows.append((it.code, "na", None))
        else:
            rows.append((it.code, "pass", None))
    return rows


def generate(sites: int, items: int, seed: int):
    """Plain rows, as a query would return them: checklists, site rows, answer rows; and the review's."""
    rng = random.Random(seed)
    checklists = {t: checklist(rng, f"T{i}", items) for i, t in enumerate(SITE_TYPES)}
    units = [(u, f"单位{u}", 100 + u % 6, f"区{u % 6 + 1}") for u in range(1, 57)]
    site_rows, answers = [], {}
    for sid in range(1, sites + 1):
        t = rng.choice(SITE_TYPES)
        unit = rng.choice(units)
        unable = rng.random() < 0.02
        site_rows.append((sid, t, *unit, "unable" if unable else "evaluated", "关闭" if unable else None))
        if not unable:
            answers[sid] = answer_rows(rng, checklists[t])
    review_rows, review_answers = [], {}
    for row in site_rows:
        if rng.random() < 0.9:
            sid = row[0]
            before = answers.get(sid) or answer_rows(rng, checklists[row[1]])
            after = []
            for code, verdict, n in before:
                if verdict == "fail" and rng.random() < 0.33:
                    after.append((code, "pass", None))
                elif verdict == "pass" and rng.random() < 0.04:
                    after.append((code, "fail", rng.randint(1, 3)))
                else:
                    after.append((code, verdict, n))
            review_rows.append((*row[:6], "evaluated", None))
            review_answers[sid] = after
    return checklists, (site_rows, answers), (review_rows, review_answers)


def build(checklists, rows) -> RoundInput:
    """Rows → the module's input objects (answers shared through scoring.answer)."""
    site_rows, answers = rows
    sites = [SiteInput(sid, t, uid, uname, did, dname, SiteStatus(status),
                       {code: answer(v, n) for code, v, n in answers.get(sid, ())}, reason)
             for sid, t, uid, uname, did, dname, status, reason in site_rows]
    return RoundInput(checklists, sites)


def measure(fn: Callable[[], object], runs: int, db_cpu: Callable[[], float] | None = None
            ) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU ms per run, after one warm-up run. CPU: this process's (time.process_time; SQLite's work
    is in it), plus `db_cpu`'s difference: the database server's share (PostgreSQL's backends serving us)."""
    fn()
    wall, cpu = [], []
    for _ in range(runs):
        db_started = db_cpu() if db_cpu else 0.0
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu + (db_cpu() - db_started if db_cpu else 0.0)) * 1000)
    return wall, cpu


def _backend_cpu(engine) -> Callable[[], float]:
    """CPU seconds used so far by the PostgreSQL backends of this engine's connections (from /proc: the bench runs
    on the database's machine), so that the busy box's other databases do not count."""
    from sqlalchemy import event, text

    pids: set[int] = set()

    @event.listens_for(engine, "connect")
    def remember(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute("SELECT pg_backend_pid()")
        pids.add(cur.fetchone()[0])
        cur.close()

    engine.dispose()  # connections made from now on are remembered
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))

    def used() -> float:
        total = 0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / os.sysconf("SC_CLK_TCK")
    return used


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


# ---- through the database ---------------------------------------------------------------------------

def _prepare(kind: str, pg_url: str) -> str:
    from sqlalchemy import create_engine, text

    from app.core.db import normalize_url
    if kind == "postgresql":
        base = normalize_url(pg_url)
        name = base.rsplit("/", 1)[1]
        assert name not in ("test", "postgres"), "use a separate bench database"
        admin = create_engine(base.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return base
    out = ROOT / "bench" / "output"
    out.mkdir(parents=True, exist_ok=True)
    path = out / "rounds.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def store(engine, checklists, rows, review_rows) -> tuple[int, int]:
    """The round (closed, dispatching on publish) and its 回头看 (published) as the app would have stored them;
    answers and tickets bulk-inserted; a staff user per unit. Answers the office user's id and both rounds' ids."""
    import hashlib
    import uuid
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import insert
    from sqlmodel import Session

    from app.categories import service as categories_service
    from app.evaluation.models import (
        EvalAnswer,
        EvalChecklist,
        EvalChecklistItem,
        EvalResult,
        EvalRound,
        EvalRoundSite,
        EvalSite,
    )
    from app.tickets.models import Ticket
    from app.units.models import Unit
    from app.users.models import User
    from app.users.roles import Role

    now = datetime.now(UTC)
    with Session(engine) as s:
        categories_service.sync_taxonomy(s)
        inspector = User(username="bench-inspector", display_name="督查员", role=Role.inspector, password_hash="x")
        office = User(username="bench-dispatcher", display_name="派遣员", role=Role.dispatcher, password_hash="x")
        s.add_all([inspector, office])
        districts = {}
        units = {}
        for site_row in rows[0]:
            _, _, uid, uname, did, dname, *_ = site_row
            if did not in districts:
                districts[did] = Unit(name=dname, kind="district")
                s.add(districts[did])
                s.flush()
            if uid not in units:
                units[uid] = Unit(name=uname, kind="street", parent_id=districts[did].id)
                s.add(units[uid])
        s.flush()
        s.add_all(User(username=f"bench-unit-{u.id}", display_name=f"{u.name}联络员", role=Role.unit_staff,
                       unit_id=u.id, password_hash="x") for u in units.values())
        item_ids: dict[str, dict[str, int]] = {}
        checklist_ids = {}
        for site_type, items in checklists.items():
            c = EvalChecklist(site_type=site_type, version=1)
            s.add(c)
            s.flush()
            checklist_ids[site_type] = c.id
            objs = [EvalChecklistItem(checklist_id=c.id, code=it.code, position=i, text_zh=f"测评标准{it.code}",
                                      dimension=it.dimension, points_tenths=it.points_tenths, rule=it.rule.value,
                                      deduction_tenths=it.deduction_tenths, category_code="06012")
                    for i, it in enumerate(items)]
            s.add_all(objs)
            s.flush()
            item_ids[site_type] = {o.code: o.id for o in objs}
        site_ids = {}
        for sid, site_type, uid, *_ in rows[0]:
            site = EvalSite(name=f"点位{sid}", site_type=site_type, lat=30.2 + sid / 1e5, lng=120.1, unit_id=units[uid].id)
            s.add(site)
            site_ids[sid] = site
        s.flush()
        s.commit()
        counter = 0
        round_ids = []
        previous = None
        for name, (site_rows, answers) in (("模拟测评", rows), ("模拟测评（回头看）", review_rows)):
            # The first round waits, closed, to be published with its findings dispatched (timed, rolled back).
            first = previous is None
            r = EvalRound(name=name, starts_at=now - timedelta(days=7), ends_at=now,
                          state="closed" if first else "published", draw={}, followup_of=previous,
                          created_by=office.id, published_at=None if first else now, dispatch_on_publish=first)
            s.add(r)
            s.flush()
            previous = r.id
            round_ids.append(r.id)
            results, answer_rows_, tickets = [], [], []
            for sid, site_type, _, _, _, _, status, reason in site_rows:
                rs = EvalRoundSite(round_id=r.id, site_id=site_ids[sid].id, checklist_id=checklist_ids[site_type])
                s.add(rs)
                s.flush()
                rid = uuid.uuid4()
                results.append({"id": rid, "round_site_id": rs.id, "inspector_id": inspector.id, "status": status,
                                "unable_reason": reason, "request_hash": "x", "submitted_at": now})
                for code, verdict, n in answers.get(sid, ()) if status == "evaluated" else ():
                    ticket_id = None
                    if verdict == "fail":
                        counter += 1
                        ticket_id = uuid.uuid4()
                        tickets.append({"id": ticket_id, "case_number": f"XC-B-{counter:07d}", "status": "reported",
                                        "category_code": "06012", "description": f"【实地测评】点位{sid}",
                                        "lat": 30.2, "lng": 120.1, "reporter_id": inspector.id,
                                        "suggested_unit_id": units[rows[0][sid - 1][2]].id, "reported_at": now,
                                        "updated_at": now, "request_hash": hashlib.sha256(str(ticket_id).encode()
                                                                                          ).hexdigest()})
                    answer_rows_.append({"result_id": rid, "item_id": item_ids[site_type][code], "verdict": verdict,
                                         "occurrences": n, "ticket_id": ticket_id})
            if tickets:
                s.execute(insert(Ticket), tickets)
            s.execute(insert(EvalResult), results)
            s.execute(insert(EvalAnswer), answer_rows_)
            s.commit()
        return office.id, round_ids[0], round_ids[-1]


def db_bench(kind: str, args, checklists, rows, review_rows) -> list[tuple[str, float, float]]:
    from sqlalchemy import func, select
    from sqlmodel import Session

    from app.core.db import make_engine
    from app.evaluation import exports, reports, rounds
    from app.evaluation.models import EvalAnswer, EvalRound
    from app.evaluation.schemas import RoundState
    from app.tickets.models import Ticket
    from app.users.models import User
    from tests.dbutil import migrate

    url = _prepare(kind, args.pg_url)
    migrate(url)
    engine = make_engine(url)
    started = time.perf_counter()
    office_id, first_id, round_id = store(engine, checklists, rows, review_rows)
    with Session(engine) as s:
        answers = s.execute(select(func.count()).select_from(EvalAnswer)).scalar_one()
    print(f"  stored 2 rounds, {answers:,} answers in {time.perf_counter() - started:.1f} s", flush=True)

    def report():
        with Session(engine) as s:
            user = s.get(User, office_id)
            return reports.build(s, user, s.get(EvalRound, round_id))

    def with_excel():
        return exports.report_xlsx(report())

    dispatched = []

    def publish():
        with Session(engine) as s:
            user = s.get(User, office_id)
            rounds.transition(s, user, s.get(EvalRound, first_id), RoundState.published)
            s.flush()
            dispatched.append(s.execute(select(func.count()).select_from(Ticket)
                                        .where(Ticket.status == "dispatched")).scalar_one())
            s.rollback()

    db_cpu = _backend_cpu(engine) if kind == "postgresql" else None
    out = []
    for name, fn in (("publish, dispatching every finding (rolled back)", publish),
                     ("report (API: both rounds read and scored)", report),
                     ("report + Excel workbook", with_excel)):
        wall, cpu = measure(fn, args.db_runs, db_cpu)
        out.append((name, statistics.median(wall), p95(wall)))
        out.append((f"{name}, CPU (process + database)", statistics.median(cpu), p95(cpu)))
    print(f"  publish dispatched {dispatched[-1]:,} findings", flush=True)
    r = report()
    print(f"  回头看 report: {len(r.sites):,} sites, {len(r.findings):,} findings, 得分率 {r.total.rate:.1%}, "
          f"fixed {r.review.counts['fixed']:,}; Excel {len(with_excel()[0]) / 1e6:.1f} MB", flush=True)
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", choices=["none", "sqlite", "postgresql", "both"], default="none")
    parser.add_argument("--db-runs", type=int, default=5)
    parser.add_argument("--pg-url", default=os.environ.get("XUNCHA_BENCH_PG_URL",
                                                           "postgresql://postgres@127.0.0.1:5432/xuncha_bench_rounds"))
    args = parser.parse_args()

    checklists, rows, review_rows = generate(args.sites, args.items, args.seed)
    if args.db != "none":
        results = {}
        for kind in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
            print(f"== {kind}", flush=True)
            results[kind] = db_bench(kind, args, checklists, rows, review_rows)
        print(f"\nruns={args.db_runs} after a warm-up, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print("| step | " + " | ".join(f"{k} p50 / p95 (ms)" for k in results) + " |")
        print("|---|" + "---|" * len(results))
        for i, (name, *_) in enumerate(next(iter(results.values()))):
            print(f"| {name} | " + " | ".join(f"{results[k][i][1]:.0f} / {results[k][i][2]:.0f}" for k in results)
                  + " |")
        return
    rnd, review = build(checklists, rows), build(checklists, review_rows)
    answers = sum(len(s.answers) for s in rnd.sites)
    report = score_round(rnd)
    review_report = score_round(review)
    cmp = compare_reports(report, review_report)
    print(f"round: {len(rnd.sites):,} sites ({report.total.sites_unable} 无法调查), {answers:,} answers, "
          f"{len(report.by_unit)} units, {len(report.by_district)} districts, {len(report.items)} items; "
          f"回头看 {len(review.sites):,} sites")
    print(f"得分率 {report.total.rate:.1%} (mean of sites {report.total.mean_site_rate:.1%}); top dimension "
          f"{report.dimensions[0].dimension} {report.dimensions[0].share:.1%} of points lost; "
          f"回头看 fixed {cmp.counts['fixed']:,}, still failing {cmp.counts['still_failing']:,}, newly failing "
          f"{cmp.counts['newly_failing']:,}")
    print(f"runs={args.runs}, one thread, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")

    steps = [("build input objects from rows", lambda: build(checklists, rows)),
             ("score_round (all figures)", lambda: score_round(rnd)),
             ("compare_rounds (scores both again)", lambda: compare_rounds(rnd, review)),
             ("compare_reports (both scored)", lambda: compare_reports(report, review_report)),
             ("rows → both reports + review", lambda: compare_reports(score_round(build(checklists, rows)),
                                                                     score_round(build(checklists, review_rows))))]
    print(f"{'step':<36}{'wall p50':>10}{'p95':>9}{'CPU p50':>10}{'p95':>9}")
    for name, fn in steps:
        wall, cpu = measure(fn, args.runs)
        print(f"{name:<36}{statistics.median(wall):>8.1f}ms{p95(wall):>7.1f}ms{statistics.median(cpu):>8.1f}ms"
              f"{p95(cpu):>7.1f}ms")


if __name__ == "__main__":
    main()
