"""Published bulletins (发布通报) of the hand-built city (tests/stats/cases.py): stored as published and
served byte for byte however the tickets move on; the next period's ↑↓ and the black-list streak read
from them.

Rankings of the city, as of now with the default rules (red: 整改率 ≥ 90 % and rank ≤ 5; black: not red and
整改率 < 85 % or in the bottom 3), counted in tests/stats/test_metrics.py:
  week P (09-28 … 10-04): B and C 1.0 / 1.0 / 0 overdue, tied rank 1, red; A 0/1 (t16, not due) rank 3, black.
  week W (10-05 … 10-11): A1 1.0 / 1.0 rank 1 red; A 1.0 / 0.67 rank 2 red; C 1/2 rank 3 black; B 0/2 rank 4
                          black.
  week N (10-12 … 10-18): only t8 (A, due 2030) first dispatched: A 0/1 rank 1, black.
"""

import hashlib
import io
from datetime import timedelta

from openpyxl import load_workbook
from sqlmodel import func, select

from app.bulletins.models import Bulletin
from app.core.types import utcnow
from tests.conftest import login
from tests.stats.cases import FAR, WEEK_ON, _Builder, build_city

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
    # Published: W's total 结案数 5 (t1 t2 t3 t9 t6, test_metrics), the 8 of the cohort dispatched.
    assert (snap["summary"]["total"]["dispatched"], snap["summary"]["total"]["closed"]) == (8, 5)
    # The overdue list then: t4 (B, due 10-08) and nothing else (t13 is suspended).
    assert [t["id"] for t in snap["overdue"]] == [str(city.tickets["t4"])]
    live_before = client.get("/api/stats/bulletin.xlsx", params={"on": WEEK_ON}, headers=h).content

    _move_on(db, city)

    again = _files(client, h, meta["id"])
    assert again["xlsx"].content == first["xlsx"].content
    assert again["html"].content == first["html"].content
    assert again["detail"] == first["detail"]
    # The draft is live: t12 (C) and t4 (B) closed since, so W's 结案数 is 5 + 2 = 7 now; 当前超期 0 (t4 was
    # the only overdue ticket).
    live = client.get("/api/stats/bulletin.xlsx", params={"on": WEEK_ON}, headers=h).content
    assert _total(live_before)["结案数"] == 5 and _total(live)["结案数"] == 7
    assert _total(first["xlsx"].content)["结案数"] == 5
    assert _total(live)["当前超期"] == 0 and _total(first["xlsx"].content)["当前超期"] == 1
    # A cached copy is confirmed without a body.
    r = client.get(f"/api/bulletins/{meta['id']}.xlsx", headers={**h, "If-None-Match": f'"{meta["xlsx_sha256"]}"'})
    assert r.status_code == 304 and r.content == b""


def test_next_week_ranks_against_the_published_ranks(client, db):
    city = build_city(db)
    h = login(client, city.users["dispatcher"])
    u = {k: v.id for k, v in city.units.items()}
    before = client.get("/api/stats/ranking", params={"on": WEEK_N}, headers=h).json()
    assert before["previous_source"] == "live"
    assert _publish(client, h, WEEK_ON).status_code == 201
    _move_on(db, city)
    # Re-ranked today, W would now be: C 2/2 on time (t6, t12) ties A1 at 1.0 / 1.0 / 0 overdue (rank 1), A
    # 1.0 / 0.67 rank 3, B 1/2 (t4 closed late) rank 4. That is what ↑↓ used before publishing.
    rerank = client.get("/api/stats/ranking", params={"on": WEEK_ON}, headers=h).json()
    assert [(x["unit_id"], x["rank"]) for x in rerank["rows"]] == [(u["A1"], 1), (u["C"], 1), (u["A"], 3),
                                                                   (u["B"], 4)]
    r = client.get("/api/stats/ranking", params={"on": WEEK_N}, headers=h).json()
    assert r["previous_source"] == "published"
    # N: A alone (t8), rank 1; as published A was 2nd in W (re-ranked it would be 3rd): up 1, not 2.
    assert [(x["unit_id"], x["rank"], x["prev_rank"], x["movement"]) for x in r["rows"]] == [(u["A"], 1, 2, 1)]
    # The draft bulletins of N use the same published ranks.
    page = client.get("/api/stats/bulletin.xlsx", params={"on": WEEK_N}, headers=h).content
    ws = load_workbook(io.BytesIO(page))["红黑榜"]
    assert [(row[1], row[8], row[9]) for row in ws.iter_rows(min_row=2, values_only=True)] == [("A 区", 2, 1)]
    # A ranking of one category is not what was published: it re-ranks as before.
    one = client.get("/api/stats/ranking", params={"on": WEEK_N, "category_code": "06"}, headers=h).json()
    assert one["previous_source"] == "live" and one["rows"][0]["prev_rank"] == 3


def test_black_list_streak_counts_back_through_published_weeks(client, db):
    city = build_city(db)
    h = login(client, city.users["leader"])
    u = {k: v.id for k, v in city.units.items()}
    # Published with every ranked unit black: P {A, B, C}, W {A1, A, B, C}, N {A}.
    ids = [_publish(client, h, on, rules=ALL_BLACK).json()["id"] for on in (WEEK_P, WEEK_ON, WEEK_N)]

    def streaks(ranking: dict) -> dict[int, int]:
        return {x["unit_id"]: x["black_streak"] for x in ranking["rows"]}

    stored = [client.get(f"/api/bulletins/{i}", headers=h).json()["snapshot"]["ranking"] for i in ids]
    # P: the week before it was not published, so each run starts there: 1.
    assert streaks(stored[0]) == {u["B"]: 1, u["C"]: 1, u["A"]: 1}
    # W: A, B, C black in P too: 2; A1 had nothing dispatched in P (not ranked): 1.
    assert streaks(stored[1]) == {u["A1"]: 1, u["A"]: 2, u["C"]: 2, u["B"]: 2}
    # N: A black in N, W and P: 3.
    assert streaks(stored[2]) == {u["A"]: 3}
    # The live ranking under the default rules: in N, A is black (0/1 < 85 %) after black W and P: 3.
    assert streaks(client.get("/api/stats/ranking", params={"on": WEEK_N}, headers=h).json()) == {u["A"]: 3}
    # In W under the default rules A1 and A are red (0), C and B black now and in the published P: 2.
    live_w = client.get("/api/stats/ranking", params={"on": WEEK_ON}, headers=h).json()
    assert streaks(live_w) == {u["A1"]: 0, u["A"]: 0, u["C"]: 2, u["B"]: 2}


def _count(db) -> int:
    return db.exec(select(func.count()).select_from(Bulletin)).one()


def test_publishing_refuses_a_second_time_an_unended_period_and_bad_input(client, db):
    city = build_city(db)
    h = login(client, city.users["dispatcher"])
    today = utcnow().date().isoformat()
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
    assert stored["rules"]["red_top"] == 1 and stored["ranking"]["red"] == [city.units["A1"].id]
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
