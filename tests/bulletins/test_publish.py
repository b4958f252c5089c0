"""Published bulletins (发布通报) of the hand-built city (tests/stats/cases.py): stored as published and
served byte for byte however the tickets move on; the next period's ↑↓ and the black-list streak read
from them.

Rankings, per kind of unit (职能部门: B, C; 属地: A, A1), by 结案率 then 按期结案率 then fewer 超期未结案, as of
now with the default rules (red: 结案率 ≥ 90 % and rank ≤ 5; black: not red and 结案率 < 85 % or in the bottom 3),
counted in tests/stats/test_metrics.py and test_ranking.py:
  week P (09-28 … 10-04): departments B and C 1/1, 1/1, tied rank 1, red; A and A1 have nothing due: unranked.
  week W (10-05 … 10-11): 属地 A1 1/1 rank 1 red, A 3/3 (1/3 on time) rank 2 red; departments C 2/3 rank 1
                          black, B 0/1 rank 2 black.
  week N (10-12 … 10-18): only t8 (A, due 2030) first dispatched: nothing due, nobody ranked — unless a test
                          adds t18 (_due_in_n).
"""

import hashlib
import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlmodel import func, select

from app.bulletins.models import Bulletin
from app.core.types import utcnow
from app.stats.periods import resolve_period
from tests.conftest import login
from tests.stats.cases import FAR, WEEK_ON, _Builder, at, build_city

WEEK_P, WEEK_N = "2026-09-30", "2026-10-14"
# Every ranked unit black (nobody red, the "bottom N" covers all): makes a black-list streak of three weeks.
ALL_BLACK = {"red_top": 0, "black_bottom": 100}


def _publish(client, h, on: str, **extra):
    return client.post("/api/bulletins", json={"period": "week", "on": on, **extra}, headers=h)


def _files(client, h, bid: int) -> dict:
    got = {}
    for ext in ("xlsx", "html"):
        r = client.get(f"/api/bulletins/{bid}.{ext}", headers=h)
        assert r.status_code == 200, r.text
        got[ext] = r
    got["detail"] = client.get(f"/api/bulletins/{bid}", headers=h).json()
    return got


def _move_on(db, city) -> None:
    """After publishing, later: t12 (C, awaiting verification) passes; t4 (B, overdue) is rectified and passes
    late; t5 (B) gets another extension approved. All through the real services."""
    later = utcnow() + timedelta(hours=1)
    b = _Builder(db, city)
    b.verify("t12", later, True)
    b.rectify("t4", later + timedelta(minutes=5), "B").verify("t4", later + timedelta(minutes=10), True)
    b.ask("t5", later + timedelta(minutes=15), "B", "extension", FAR + timedelta(days=90)) \
        .decide("t5", later + timedelta(minutes=20), True, deadline=FAR + timedelta(days=60))


def _due_in_n(db, city) -> None:
    """t18: reported 10-13 09:00, dispatched to B 10:00, due 10-14 10:00, never rectified: in week N, B has one
    ticket due and none closed (0/1)."""
    _Builder(db, city).report("t18", at(10, 13, 9)).dispatch("t18", at(10, 13, 10), "B", at(10, 14, 10))


def _rows(ranking: dict) -> list[dict]:
    return [x for g in ranking["groups"] for x in g["rows"]]


def _total(content: bytes) -> dict[str, object]:
    """The 合计 row of the workbook's unit sheet, by column header."""
    ws = load_workbook(io.BytesIO(content))["单位指标"]
    header = [c.value for c in ws[2]]
    return next(dict(zip(header, row, strict=True)) for row in ws.iter_rows(min_row=3, values_only=True)
                if row[0] == "合计")


def test_a_published_bulletin_stays_byte_identical_after_its_tickets_move_on(client, db):
    city = build_city(db)
    h = login(client, city.users["leader"])
    r = _publish(client, h, WEEK_ON)
    assert r.status_code == 201, r.text
    meta = r.json()
    assert (meta["kind"], meta["start_date"], meta["end_date"]) == ("week", "2026-10-05", "2026-10-11")
    assert meta["published_by_name"] == city.users["leader"].display_name and meta["definitions_version"] >= 1
    first = _files(client, h, meta["id"])
    for ext in ("xlsx", "html"):
        assert hashlib.sha256(first[ext].content).hexdigest() == meta[f"{ext}_sha256"]
        assert first[ext].headers["etag"] == f'"{meta[f"{ext}_sha256"]}"'
    assert first["html"].headers["cache-control"] == "private, no-store"
    assert "content-security-policy" in first["html"].headers
    snap = first["detail"]["snapshot"]
    # Published: W's total 结案数 6 (t1 t2 t3 t9 t6 t17, test_metrics), the 9 of the cohort dispatched.
    assert (snap["summary"]["total"]["dispatched"], snap["summary"]["total"]["closed"]) == (9, 6)
    # The overdue list then: t4 (B, due 10-08) and nothing else (t13 is suspended).
    assert [t["id"] for t in snap["overdue"]] == [str(city.tickets["t4"])]
    live_before = client.get("/api/stats/bulletin.xlsx", params={"on": WEEK_ON}, headers=h).content

    _move_on(db, city)

    again = _files(client, h, meta["id"])
    assert again["xlsx"].content == first["xlsx"].content
    assert again["html"].content == first["html"].content
    assert again["detail"] == first["detail"]
    # The draft is live: t12 (C) and t4 (B) closed since, so W's 结案数 is 6 + 2 = 8 now; 当前超期 0 (t4 was
    # the only overdue ticket; t12 was rectified, so not 超期).
    live = client.get("/api/stats/bulletin.xlsx", params={"on": WEEK_ON}, headers=h).content
    assert _total(live_before)["结案数"] == 6 and _total(live)["结案数"] == 8
    assert _total(first["xlsx"].content)["结案数"] == 6
    assert _total(live)["当前超期"] == 0 and _total(first["xlsx"].content)["当前超期"] == 1
    # A cached copy is confirmed without a body.
    r = client.get(f"/api/bulletins/{meta['id']}.xlsx", headers={**h, "If-None-Match": f'"{meta["xlsx_sha256"]}"'})
    assert r.status_code == 304 and r.content == b""


def test_next_week_ranks_against_the_published_ranks(client, db):
    city = build_city(db)
    h = login(client, city.users["dispatcher"])
    u = {k: v.id for k, v in city.units.items()}
    _due_in_n(db, city)
    before = client.get("/api/stats/ranking", params={"on": WEEK_N}, headers=h).json()
    assert before["previous_source"] == "live"
    assert _publish(client, h, WEEK_ON).status_code == 201
    # Later, B's overdue t4 is rectified and passes (late): B's 结案率 in W goes from 0/1 to 1/1.
    later = utcnow() + timedelta(hours=1)
    _Builder(db, city).rectify("t4", later, "B").verify("t4", later + timedelta(minutes=5), True)
    # Re-ranked today, W's departments would be B 1/1 (0/1 on time) rank 1 before C 2/3 (t12 due and still
    # unclosed) rank 2; as published, C was 1st and B 2nd. The territorial units did not move (A1 1, A 2).
    rerank = client.get("/api/stats/ranking", params={"on": WEEK_ON}, headers=h).json()
    assert {g["kind"]: [(x["unit_id"], x["rank"]) for x in g["rows"]] for g in rerank["groups"]} == {
        "department": [(u["B"], 1), (u["C"], 2)], "territorial": [(u["A1"], 1), (u["A"], 2)]}
    r = client.get("/api/stats/ranking", params={"on": WEEK_N}, headers=h).json()
    assert r["previous_source"] == "published"
    # N: among departments B alone (t18 due, 0/1), rank 1; as published B was 2nd in W (re-ranked it would be
    # 1st): up 1, not level. 属地: A's t8 is not due, so nobody is ranked.
    groups = {g["kind"]: g for g in r["groups"]}
    assert [(x["unit_id"], x["rank"], x["prev_rank"], x["movement"]) for x in groups["department"]["rows"]] == [
        (u["B"], 1, 2, 1)]
    assert (groups["territorial"]["rows"], groups["territorial"]["unranked"]) == ([], [u["A"]])
    # The draft bulletins of N use the same published ranks.
    page = client.get("/api/stats/bulletin.xlsx", params={"on": WEEK_N}, headers=h).content
    ws = load_workbook(io.BytesIO(page))["职能部门红黑榜"]
    assert [(row[1], row[8], row[9]) for row in ws.iter_rows(min_row=3, values_only=True)] == [("B 局", 2, 1)]
    # A ranking of one category is not what was published: it re-ranks as before (every ticket is 06010, so
    # W re-ranked puts B 1st).
    one = client.get("/api/stats/ranking", params={"on": WEEK_N, "category_code": "06"}, headers=h).json()
    assert one["previous_source"] == "live" and _rows(one)[0]["prev_rank"] == 1


def test_black_list_streak_counts_back_through_published_weeks(client, db):
    city = build_city(db)
    h = login(client, city.users["leader"])
    u = {k: v.id for k, v in city.units.items()}
    _due_in_n(db, city)
    # Published with every ranked unit black: P {B, C}, W {A1, A, C, B}, N {B}.
    ids = [_publish(client, h, on, rules=ALL_BLACK).json()["id"] for on in (WEEK_P, WEEK_ON, WEEK_N)]

    def streaks(ranking: dict) -> dict[int, int]:
        return {x["unit_id"]: x["black_streak"] for x in _rows(ranking)}

    stored = [client.get(f"/api/bulletins/{i}", headers=h).json()["snapshot"]["ranking"] for i in ids]
    # P: the week before it was not published, so each run starts there: 1. A and A1 had nothing due: unranked.
    assert streaks(stored[0]) == {u["B"]: 1, u["C"]: 1}
    # W: B and C black in P too: 2; A1 and A were not ranked in P: 1.
    assert streaks(stored[1]) == {u["A1"]: 1, u["A"]: 1, u["C"]: 2, u["B"]: 2}
    # N: B (t18) black in N, W and P: 3.
    assert streaks(stored[2]) == {u["B"]: 3}
    # The live ranking under the default rules: in N, B is black (0/1 < 85 %) after black W and P: 3.
    assert streaks(client.get("/api/stats/ranking", params={"on": WEEK_N}, headers=h).json()) == {u["B"]: 3}
    # In W under the default rules A1 and A are red (0), C and B black now and in the published P: 2.
    live_w = client.get("/api/stats/ranking", params={"on": WEEK_ON}, headers=h).json()
    assert streaks(live_w) == {u["A1"]: 0, u["A"]: 0, u["C"]: 2, u["B"]: 2}


def _count(db) -> int:
    return db.exec(select(func.count()).select_from(Bulletin)).one()


def test_publishing_refuses_a_second_time_an_unended_period_and_bad_input(client, db):
    city = build_city(db)
    h = login(client, city.users["dispatcher"])
    today = resolve_period("week").start_date.isoformat()  # this week in the office's time zone, not UTC's
    bad = [
        ({"period": "week", "on": today}, 422, "period_not_over"),
        ({"period": "month"}, 422, "period_not_over"),  # this month
        ({"period": "custom", "from": "2026-10-05"}, 422, "invalid_period"),
        ({"period": "custom", "from": "2026-10-09", "to": "2026-10-05"}, 422, "invalid_period"),
        ({"period": "week", "on": "1999-12-31"}, 422, "invalid_period"),
        ({"period": "fortnight", "on": WEEK_ON}, 422, "validation_error"),
        ({"period": "week", "on": WEEK_ON, "rules": {"red_min_rate": 2}}, 422, "validation_error"),
        ({"period": "week", "on": WEEK_ON, "rules": {"black_bottom": -1}}, 422, "validation_error"),
        ({"period": "week", "on": WEEK_ON, "rules": {"red_list": 3}}, 422, "validation_error"),
        ({"period": "week", "on": WEEK_ON, "as_of": "2026-10-12T00:00:00Z"}, 422, "validation_error"),
    ]
    for body, status, code in bad:
        r = client.post("/api/bulletins", json=body, headers=h)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (body, r.text)
    assert _count(db) == 0
    first = _publish(client, h, WEEK_ON, rules={"red_top": 1})
    assert first.status_code == 201
    assert first.json()["label"].startswith("2026年第41周")
    for again in (WEEK_ON, "2026-10-11"):  # the same week, by another of its days, under other rules
        r = _publish(client, h, again)
        assert r.status_code == 409 and r.json()["error"]["code"] == "already_published", r.text
        assert r.json()["error"]["details"]["id"] == first.json()["id"]
    assert _count(db) == 1
    stored = client.get(f"/api/bulletins/{first.json()['id']}", headers=h).json()["snapshot"]
    # Top 1 per group: 属地 A1 (100 %); the departments' first, C, is under 90 %: no red there.
    red = [unit for g in stored["ranking"]["groups"] for unit in g["red"]]
    assert stored["rules"]["red_top"] == 1 and red == [city.units["A1"].id]
    # The month and a custom run of the same days are other bulletins.
    assert client.post("/api/bulletins", json={"period": "month", "on": WEEK_ON}, headers=h).status_code == 201
    custom = {"period": "custom", "from": "2026-10-05", "to": "2026-10-11"}
    assert client.post("/api/bulletins", json=custom, headers=h).status_code == 201
    assert client.get("/api/bulletins/999999", headers=h).status_code == 404
    assert client.get("/api/bulletins/999999.xlsx", headers=h).status_code == 404


def test_the_list_is_newest_first_and_paginated(client, db):
    city = build_city(db)
    h = login(client, city.users["leader"])
    for on in (WEEK_P, WEEK_ON, WEEK_N):
        assert _publish(client, h, on).status_code == 201
    page = client.get("/api/bulletins", params={"limit": 2}, headers=h).json()
    assert [x["start_date"] for x in page["items"]] == ["2026-10-12", "2026-10-05"]
    rest = client.get("/api/bulletins", params={"limit": 2, "cursor": page["next_cursor"]}, headers=h).json()
    assert [x["start_date"] for x in rest["items"]] == ["2026-09-28"] and rest["next_cursor"] is None
    assert "snapshot" not in page["items"][0]
    assert client.get("/api/bulletins", params={"cursor": "nonsense"}, headers=h).status_code == 422


def test_the_snapshot_carries_the_new_tables_and_publishing_computes_once(client, db, monkeypatch):
    from app.stats import service as stats_service

    calls = {"summary": 0, "ranking": 0}
    for name in calls:
        real = getattr(stats_service, name)

        def counting(*a, _real=real, _name=name, **k):
            calls[_name] += 1
            return _real(*a, **k)
        monkeypatch.setattr(stats_service, name, counting)
    city = build_city(db)
    h = login(client, city.users["leader"])
    meta = _publish(client, h, WEEK_ON).json()
    assert calls == {"summary": 1, "ranking": 1}  # was 3 and 3: the files are rendered from the figures
    assert meta["definitions_version"] == 3
    snap = client.get(f"/api/bulletins/{meta['id']}", headers=h).json()["snapshot"]
    s = snap["summary"]
    # The hand counts of tests/stats/test_metrics.py: 按时派遣 7 of 9, 按时核查 10 of 10; week P beside it
    # (reported 5); 10-01 … 10-11 reported 15; by district A 区 4 reported, the rest 8.
    assert (s["total"]["dispatched_on_time"], s["total"]["verified_on_time"]) == (7, 10)
    assert s["total"]["previous"]["reported"] == 5 and s["month_to_date"]["total"]["reported"] == 15
    assert s["year_to_date"]["total"]["reported"] == 17
    assert [(r["unit_name"], r["reported"]) for r in s["breakdowns"][1]["rows"]] == \
        [("A 区", 4), ("其他（职能部门、企业及待派遣）", 8)]
    assert s["timeliness"] == {"dispatch_within_hours": 2.0, "verify_within_hours": 24.0}
    files = _files(client, h, meta["id"])
    wb = load_workbook(io.BytesIO(files["xlsx"].content))
    assert {"合计及环比", "单位环比", "按问题大类", "按区"} <= set(wb.sheetnames)
    assert "六、分类统计" in files["html"].text


def test_a_bulletin_published_before_version_2_still_serves_and_ranks_as_stored(client, db):
    """A 通报 of definitions version 1 (no 按时派遣, 环比, 累计 or breakdowns in its snapshot, files without their
    sheets): its files download byte for byte, its detail is its snapshot as stored, and the next week ranks
    against its ranks."""
    city = build_city(db)
    h = login(client, city.users["leader"])
    meta = _publish(client, h, WEEK_ON).json()
    b = db.get(Bulletin, meta["id"])
    v1_fields = ("dispatched_on_time", "verified", "verified_on_time", "dispatch_on_time_rate",
                 "verify_on_time_rate", "hours_rectify_verify", "previous")
    summary = {k: v for k, v in b.summary.items() if k not in ("month_to_date", "year_to_date", "breakdowns",
                                                                "timeliness")}
    summary["total"] = {k: v for k, v in summary["total"].items() if k not in v1_fields}
    summary["units"] = [{k: v for k, v in u.items() if k not in v1_fields} for u in summary["units"]]
    old_xlsx, old_html = b"PK\x03\x04 a version-1 workbook", "<!doctype html><p>2026年第41周 旧版通报</p>".encode()
    b.summary, b.definitions_version = summary, 1
    b.xlsx, b.xlsx_sha256 = old_xlsx, hashlib.sha256(old_xlsx).hexdigest()
    b.html, b.html_sha256 = old_html, hashlib.sha256(old_html).hexdigest()
    db.add(b)
    db.commit()
    got = _files(client, h, meta["id"])
    assert got["xlsx"].content == old_xlsx and got["html"].content == old_html
    assert got["detail"]["definitions_version"] == 1
    assert "previous" not in got["detail"]["snapshot"]["summary"]["total"]
    assert got["detail"]["snapshot"]["summary"]["total"]["closed"] == 6
    # Week N ranks against W's published ranks, as before.
    _due_in_n(db, city)
    ranking = client.get("/api/stats/ranking", params={"on": WEEK_N}, headers=h).json()
    assert ranking["previous_source"] == "published"


def test_the_row_of_tickets_at_no_unit_compares_with_the_published_one(client, db):
    """The next week's row of tickets at no unit (never dispatched, not accepted, returned and waiting) has the
    published week's beside it: W published t7 (不予立案) and t11 (never dispatched) there. A bulletin published
    before the row existed has no such figures: no 环比 rather than a made-up zero."""
    city = build_city(db)
    h = login(client, city.users["leader"])
    bid = _publish(client, h, WEEK_ON).json()["id"]
    assert client.get(f"/api/bulletins/{bid}", headers=h).json()["snapshot"]["summary"]["unassigned"]["reported"] == 2
    _Builder(db, city).report("t19", at(10, 13, 9))  # in N, never dispatched
    n = client.get("/api/stats/summary", params={"on": WEEK_N}, headers=h).json()
    assert n["previous_source"] == "published"
    nobody = n["unassigned"]
    assert (nobody["reported"], nobody["cancelled"]) == (1, 0)
    assert (nobody["previous"]["reported"], nobody["previous"]["cancelled"]) == (2, 1)

    b = db.get(Bulletin, bid)
    b.summary = {k: v for k, v in b.summary.items() if k != "unassigned"}
    db.add(b)
    db.commit()
    n = client.get("/api/stats/summary", params={"on": WEEK_N}, headers=h).json()
    assert n["previous_source"] == "published" and n["unassigned"]["previous"] is None
    assert n["unassigned"]["reported"] == 1
