"""Scoring an evaluation round in memory: app.evaluation.scoring on a generated round, no database.

    .venv/bin/python bench/rounds.py [--sites 1000] [--items 30] [--runs 30] [--seed 7]

The round has --sites sites of 9 site types (each checklist --items items totalling 100 points, half of them
per occurrence, some with caps that bite), 56 responsible units in 6 districts; 2 % of the sites are 无法调查,
the others answer every item (about 80 % 达标, 12 % 不达标 with 1–6 occurrences, 8 % 不适用). A 回头看 round
re-checks 90 % of the sites with a third of the failures fixed and a few new ones.

Timed, each over --runs runs after a warm-up: building the input objects from plain rows (what a service does
after its query); score_round (every site score, roll-up, lost points by dimension and item, the ranking);
compare_rounds (the 回头看 comparison, validating and scoring both rounds again); compare_reports (the same on
two reports already scored); and the whole path from rows to both reports and their comparison. The whole
round report's aim is < 1 s p95 on PostgreSQL and < 2 s on SQLite; this is the pure part of it.
"""

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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


def measure(fn: Callable[[], object], runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU (this thread) ms per run, after one warm-up run."""
    fn()
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.thread_time()
        fn()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - started_cpu) * 1000)
    return wall, cpu


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    checklists, rows, review_rows = generate(args.sites, args.items, args.seed)
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
