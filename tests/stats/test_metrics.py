"""Every figure of the hand-built city (tests/stats/cases.py), computed by hand, against the API.

Week W cohort (first dispatched 10-05 … 10-11): t1 t2 t3 (A), t9 (A1, 00:30 on Monday), t4 t5 (B),
t6 (C now; first dispatched to B on 10-07, returned, re-dispatched to C next week), t12 t17 (C), and t15 (C,
first dispatched 10-08, then voided: handed over, but out of the base of every other figure).
Not in it: t8 (reported Sunday night, dispatched Monday after), t10 (dispatched Sunday 23:30 before),
t16 (dispatched in P).
Exceptions in W: t13 (A) suspended, so A has no overdue ticket now; t5 (B) extended; t6 (B) and t16 (B,
reassigned to A) returned; t4 (B) urged twice and supervised twice; t15 (C) voided.

The office's deadlines of W's cohort and the accepted rectification (as of now: 2030 deadlines not due,
October ones long past):
  t1  10-07 10:00, rect 10-06 10:00 → closed on time       t2 10-06 12:00, rect 10-07 12:00 → closed late
  t3  10-08 11:00 (返工 gave 10-09 15:00), accepted rect 10-08 15:00 → closed LATE (on time before: the
      返工's deadline was judged)
  t9  10-06 00:30, rect 10-05 20:00 → on time              t4 10-08 10:30, never rectified → due, overdue unclosed
  t5  2030 + 30 d (extension) → not due                    t6 10-13 09:00 (C's dispatch), rect 10-13 08:00 → on time
  t12 10-10 10:00, rectified, awaiting verification → due, overdue unclosed
  t17 10-10 09:00 (返工 gave 10-10 14:00, then 10-11 12:00), accepted rect 10-11 10:00 → closed LATE, 返工 twice
"""

import uuid

import pytest

from tests.conftest import login
from tests.stats.cases import WEEK_ON, assert_rows_add_up, build_city

# Hand-computed figures for week W (as of now: 2030 deadlines not due, October deadlines long past).
EXPECTED_COUNTS = {
    #        reported dispatched closed on_time rectified reworked overdue overdue_now returned cancelled
    "A":    (4, 3, 3, 1, 3, 1, 0, 0, 0, 0),   # reported t1 t2 t3 t8; on time t1 only (t2, t3 late against the
                                              # office deadline); t13 (overdue, P) is suspended: overdue_now 0
    "A1":   (0, 1, 1, 1, 1, 0, 0, 0, 0, 0),   # t9 was reported in P
    "B":    (2, 2, 0, 0, 1, 1, 1, 1, 2, 0),   # t4 overdue; t5 reworked; returned t6 and t16 (reassigned to A)
    "C":    (4, 3, 2, 1, 3, 1, 0, 0, 0, 0),   # reported t6 t12 t15 t17; dispatched t6 t12 t17 (t15 voided: not
                                              # in it); closed t6 (on time) t17 (late); rectified t6 t12 t17;
                                              # reworked t17; t12 is rectified, so not 超期 (still dispatched)
    "total": (12, 9, 6, 3, 8, 3, 1, 1, 2, 1),  # + t7 (cancelled) and t11 (never dispatched): no unit
}
# The office's figures of week W.
NEW_FIELDS = ("handed_over", "handed_over_voided", "due", "closed_late", "overdue_unclosed", "rework_times")
EXPECTED_NEW = {
    #        handed_over of_them_voided due closed_late overdue_unclosed rework_times
    "A":    (3, 0, 3, 2, 0, 1),   # t1 t2 t3 all closed, so all due; late t2 t3; t3 failed once
    "A1":   (1, 0, 1, 0, 0, 0),   # t9 closed on time
    "B":    (2, 0, 1, 0, 1, 1),   # due t4 only (office deadline 10-08 passed; t5's is 2030 + 30 d); t5 failed once
    "C":    (4, 1, 3, 1, 1, 2),   # handed over t6 t12 t15 t17, t15 voided; due t6 t17 (closed) + t12 (10-10
                                  # passed, awaiting verification: overdue unclosed); late t17; t17 failed twice
    "total": (10, 1, 8, 3, 2, 4),  # due = closed 6 + overdue unclosed 2 (t4 t12); late t2 t3 t17;
                                   # 返工次数 t3 1 + t5 1 + t17 2 = 4 (返工案件数 3)
}
# Exceptions in week W, counted by hand from the table in cases.py.
#        extended suspended voided urged supervised
EXPECTED_EXCEPTIONS = {
    "A":    (0, 1, 0, 0, 0),  # t13 suspension approved 10-06 10:00 (asked by A)
    "A1":   (0, 0, 0, 0, 0),
    "B":    (1, 0, 0, 2, 1),  # t5 extension approved (t4's rejected: not counted); t4 urged twice, supervised
                              # twice = one ticket
    "C":    (0, 0, 1, 0, 0),  # t15 voided 10-09 11:00
    "total": (1, 1, 1, 2, 1),
}
EXCEPTION_FIELDS = ("extended", "suspended", "voided", "urged", "supervised")
# 延期率 ÷ 应结案数 (A 3, A1 1, B 1, C 3, total 8); 回退率, 挂账率, 作废率 ÷ 派遣数 (A 3, A1 1, B 2, C 3, total 9):
# extension_rate, return_rate, suspension_rate, void_rate
EXPECTED_SHARES = {
    "A": (0 / 3, 0 / 3, 1 / 3, 0 / 3), "A1": (0.0, 0.0, 0.0, 0.0), "B": (1 / 1, 2 / 2, 0 / 2, 0 / 2),
    "C": (0 / 3, 0 / 3, 0 / 3, 1 / 3), "total": (1 / 8, 2 / 9, 1 / 9, 1 / 9),
}
FIELDS = ("reported", "dispatched", "closed", "closed_on_time", "rectified", "reworked", "overdue", "overdue_now",
          "returned", "cancelled")
# 结案率 closed/due, 按期结案率 on_time/due, 整改率 closed/(handed_over − of them voided), 返工率 rework_times/due
RATES = ("closure_rate", "on_time_rate", "rectification_rate", "rework_rate")
EXPECTED_RATES = {
    "A": (3 / 3, 1 / 3, 3 / 3, 1 / 3), "A1": (1 / 1, 1 / 1, 1 / 1, 0 / 1),
    "B": (0 / 1, 0 / 1, 0 / 2, 1 / 1),  # t4 due and open; 整改率 over t4 t5
    "C": (2 / 3, 1 / 3, 2 / (4 - 1), 2 / 3),
    "total": (6 / 8, 3 / 8, 6 / (10 - 1), 4 / 8),
}
# Hours (p50, p90), percentile_cont: position 1 + p·(n−1), linear interpolation.
EXPECTED_HOURS = {
    # report→first dispatch: 0.5 0.5 1 1 1 1 2 4 4.5 → p50 5th = 1; p90 pos 8.2 → 4 + .2·.5 = 4.1
    # first dispatch→first rectify: 3 19.5 23 24 24 24 48 142.5 → p50 24; p90 pos 7.3 → 48 + .3·94.5 = 76.35
    # report→close: 31 37 51 72 76 145 → p50 (51+72)/2 = 61.5; p90 pos 5.5 → 76 + .5·69 = 110.5
    "total": ((1.0, 4.1), (24.0, 76.35), (61.5, 110.5)),
    # A: 1 2 4 | 24 24 48 | 31 72 76 (pos 2.8)
    "A": ((2.0, 3.6), (24.0, 43.2), (72.0, 75.2)),
    "A1": ((4.5, 4.5), (19.5, 19.5), (37.0, 37.0)),
    # B: 0.5 1 | 24 | none
    "B": ((0.75, 0.95), (24.0, 24.0), (None, None)),
    # C: 0.5 1 1 | 3 23 142.5 (pos 2.8 → 23 + .8·119.5) | 51 145 (pos 1.9 → 51 + .9·94)
    #    (t6: 10-07 09:30 → 10-13 08:00 = 142.5 h; t17: 09:00 → 12:00 = 3 h, 10-09 08:00 → 10-11 11:00 = 51 h)
    "C": ((1.0, 1.0), (23.0, 118.6), (98.0, 135.6)),
}
DURATIONS = ("hours_report_dispatch", "hours_dispatch_rectify", "hours_report_close")


def _check(m: dict, key: str) -> None:
    assert tuple(m[f] for f in FIELDS) == EXPECTED_COUNTS[key], key
    assert tuple(m[f] for f in EXCEPTION_FIELDS) == EXPECTED_EXCEPTIONS[key], key
    assert (m["extension_rate"], m["return_rate"], m["suspension_rate"], m["void_rate"]) == EXPECTED_SHARES[key], key
    assert tuple(m[f] for f in NEW_FIELDS) == EXPECTED_NEW[key], key
    assert tuple(m[f] for f in RATES) == pytest.approx(EXPECTED_RATES[key]), key
    # The identities the definitions promise.
    assert m["due"] == m["closed"] + m["overdue_unclosed"] and m["closed"] == m["closed_on_time"] + m["closed_late"]
    got = tuple((m[d]["p50"], m[d]["p90"]) for d in DURATIONS)
    assert got == EXPECTED_HOURS[key], key


@pytest.fixture
def city(db):
    return build_city(db)


def test_week_figures_by_hand(client, city):
    h = login(client, city.users["leader"])
    r = client.get("/api/stats/summary", params={"period": "week", "on": WEEK_ON}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["period"]["start"].startswith("2026-10-04T16:00:00") and body["period"]["end"].startswith(
        "2026-10-11T16:00:00")
    _check(body["total"], "total")
    by_id = {u["unit_id"]: u for u in body["units"]}
    for key in ("A", "A1", "B", "C"):
        _check(by_id[city.units[key].id], key)
    # t7 (cancelled) and t11 (never dispatched) are at no unit: a row of their own, so the rows add up.
    nobody = body["unassigned"]
    assert (nobody["unit_id"], nobody["unit_name"]) == (None, "暂无责任单位（待派遣、待改派、不予立案）")
    assert tuple(nobody[f] for f in FIELDS) == (2, 0, 0, 0, 0, 0, 0, 0, 0, 1)
    assert_rows_add_up(body)
    assert "结案率 = 结案数 ÷ 应结案数" in body["formulas"]["closure_rate"]["zh"]
    assert "按期结案率 = 按期结案数 ÷ 应结案数" in body["formulas"]["on_time_rate"]["zh"]
    assert "整改率 = 结案数 ÷ (交办数 − 其中作废数)" in body["formulas"]["rectification_rate"]["zh"]
    assert "返工率 = 返工次数 ÷ 应结案数" in body["formulas"]["rework_rate"]["zh"]


def test_scope_unit_with_children_and_category(client, city):
    h = login(client, city.users["leader"])
    r = client.get("/api/stats/summary", params={"on": WEEK_ON, "unit_id": city.units["A"].id}, headers=h).json()
    assert {u["unit_id"] for u in r["units"]} == {city.units["A"].id, city.units["A1"].id}
    assert r["unassigned"] is None  # a unit's figures hold its own tickets only
    t = r["total"]
    # on time t1 t9 (t2 late; t3 late against its office deadline 10-08 11:00)
    assert (t["reported"], t["dispatched"], t["closed"], t["closed_on_time"], t["overdue_now"]) == (4, 4, 4, 2, 0)
    assert (t["due"], t["closed_late"], t["closure_rate"], t["on_time_rate"]) == (4, 2, 1.0, 0.5)
    assert (t["suspended"], t["returned"]) == (1, 0)  # t13 by A; t16's return was B's, though A has it now
    # report→close for A + A1: 31 37 72 76 → p50 (37+72)/2 = 54.5; p90 pos 3.7 → 72 + .7·4 = 74.8
    assert (t["hours_report_close"]["p50"], t["hours_report_close"]["p90"]) == (54.5, 74.8)
    only = client.get("/api/stats/summary", params={"on": WEEK_ON, "unit_id": city.units["A"].id,
                                                    "include_children": "false"}, headers=h).json()
    assert only["total"]["dispatched"] == 3
    other = client.get("/api/stats/summary", params={"on": WEEK_ON, "category_code": "07"}, headers=h).json()
    assert other["total"]["reported"] == 0 and other["total"]["dispatched"] == 0


def test_a_unit_with_figures_last_week_and_none_this_week_keeps_its_row_for_the_change(client, city):
    """Week N (10-12 … 10-18) against W: B and A1 had tickets in W and none dispatched in N. Their fall is the 环比 a
    bulletin exists to show: each keeps a row of zeros beside last week's figures, in the units and in the
    breakdowns, so that every previous column adds up to the previous total (they were simply missing)."""
    h = login(client, city.users["leader"])
    week_n = client.get("/api/stats/summary", params={"on": "2026-10-14", "breakdowns": "true"}, headers=h).json()
    by_id = {u["unit_id"]: u for u in week_n["units"]}
    for key in ("B", "A1"):
        row = by_id[city.units[key].id]
        assert (row["dispatched"], row["closed"]) == (0, 0), key
        assert row["previous"]["dispatched"] > 0, key
    b_in_w = next(u for u in client.get("/api/stats/summary", params={"on": WEEK_ON}, headers=h).json()["units"]
                  if u["unit_id"] == city.units["B"].id)
    assert {k: v for k, v in by_id[city.units["B"].id]["previous"].items() if not k.startswith("hours_") and k != "previous"} == \
        {k: v for k, v in b_in_w.items() if not k.startswith("hours_") and k != "previous"}
    assert_rows_add_up(week_n)
    # The same once W's bulletin is published (the previous figures then come from it).
    assert client.post("/api/bulletins", json={"period": "week", "on": WEEK_ON}, headers=h).status_code == 201
    published = client.get("/api/stats/summary", params={"on": "2026-10-14", "breakdowns": "true"}, headers=h).json()
    assert published["previous_source"] == "published"
    assert {u["unit_id"] for u in published["units"]} == set(by_id)
    assert_rows_add_up(published)


def test_a_row_of_zeros_is_not_carried_on_into_the_week_after(client, city):
    """B and A1 keep a row of zeros in week N beside W's figures; N's published bulletin holds those rows. Week
    N+1 compares with N's bulletin: a row of zeros beside zeros is no news, and it was carried on week after
    week (a grid with nothing for weeks stood in the bulletin's JSON as a row of zeros)."""
    h = login(client, city.users["leader"])
    for on in (WEEK_ON, "2026-10-14"):
        assert client.post("/api/bulletins", json={"period": "week", "on": on}, headers=h).status_code == 201
    week_n = client.get("/api/stats/summary", params={"on": "2026-10-14", "breakdowns": "true"}, headers=h).json()
    carried = {city.units[key].id for key in ("B", "A1")}
    assert carried <= {u["unit_id"] for u in week_n["units"]}
    after = client.get("/api/stats/summary", params={"on": "2026-10-21", "breakdowns": "true"}, headers=h).json()
    assert after["previous_source"] == "published"

    def counts(m: dict) -> list[int]:
        return [v for v in m.values() if type(v) is int and v] if m else []

    rows = [*after["units"], *(r for b in after["breakdowns"] for r in b["rows"])]
    assert rows, "week N had figures, so N+1 has rows beside them"
    for row in rows:
        assert counts(row) or counts(row["previous"]), row
    for uid in carried:
        unit = next((u for u in after["units"] if u["unit_id"] == uid), None)
        assert unit is None or counts(unit) or counts(unit["previous"]), unit
    assert_rows_add_up(after)


def test_previous_week_and_month(client, city):
    h = login(client, city.users["leader"])
    prev = client.get("/api/stats/summary", params={"on": "2026-09-30"}, headers=h).json()["total"]
    # P cohort: t10 (B, Sunday 23:30, closed on time), t14 (C, closed on time), t16 (reported 10-02, B,
    # reassigned to A in W; 2030 deadline); not t13 (A, overdue, but suspended now: out of the base)
    assert (prev["reported"], prev["dispatched"], prev["closed"], prev["closed_on_time"], prev["overdue"]) == \
        (5, 3, 2, 2, 0)
    assert (prev["returned"], prev["suspended"]) == (0, 0)  # both decided in W
    whole_month = client.get("/api/stats/summary", params={"period": "month", "on": WEEK_ON}, headers=h).json()
    assert_rows_add_up(whole_month)
    month = whole_month["total"]
    # October: all but t13 t14 (September): reported 15, first dispatched 12 (not t7 t11, not t15: voided),
    # closed t1 t2 t3 t6 t9 t10 t17
    assert (month["reported"], month["dispatched"], month["closed"], month["cancelled"]) == (15, 12, 7, 1)
    # 交办: first dispatched in October t1 t2 t3 t4 t5 t6 t8 t9 t10 t12 t16 t17 (12) + t15 (voided) = 13;
    # due: closed 7 + t4 t12 (office deadlines passed); t5 t8 t16 (2030) not
    assert (month["handed_over"], month["handed_over_voided"], month["due"], month["overdue_unclosed"]) == \
        (13, 1, 9, 2)
    assert (month["extended"], month["returned"], month["suspended"], month["voided"], month["urged"],
            month["supervised"]) == (1, 2, 1, 1, 2, 1)
    custom = client.get("/api/stats/summary", params={"period": "custom", "from": "2026-10-05", "to": "2026-10-11"},
                        headers=h).json()["total"]
    assert custom["dispatched"] == 9


def test_trend(db, city):
    from app.stats import service
    from app.users.roles import Role  # noqa: F401
    from tests.stats.cases import NOW_AFTER
    t = service.trend(db, service.Scope(), weeks=3, now=NOW_AFTER)
    got = [(str(w.week_start), w.reported, w.closed, w.due, w.cohort_closed, w.closure_rate)
           for w in t.weeks]
    # (week, reported, closed that week, cohort due as of 10-14 12:00, cohort closed, 结案率)
    assert got == [("2026-09-28", 5, 1, 2, 2, 1.0),   # closed t14; cohort t10 t14 t16 (t13 suspended: out),
                                                     # due t10 t14 (closed); t16 not (2030)
                   ("2026-10-05", 12, 6, 8, 6, 6 / 8),  # closed t1 t2 t3 t9 t10 t17; cohort due: closed t1 t2 t3
                                                        # t6 t9 t17 + t4 t12 (passed); t5 not; t15 voided
                   ("2026-10-12", 0, 1, 0, 0, None)]   # closed t6; dispatched t8, due 2030


@pytest.mark.parametrize("metric,names", [
    ("reported", {"t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t11", "t12", "t15", "t17"}),
    ("handed_over", {"t1", "t2", "t3", "t4", "t5", "t6", "t9", "t12", "t15", "t17"}),
    ("handed_over_voided", {"t15"}),
    ("dispatched", {"t1", "t2", "t3", "t4", "t5", "t6", "t9", "t12", "t17"}),
    ("due", {"t1", "t2", "t3", "t4", "t6", "t9", "t12", "t17"}),
    ("closed", {"t1", "t2", "t3", "t6", "t9", "t17"}),
    ("closed_on_time", {"t1", "t6", "t9"}),
    ("closed_late", {"t2", "t3", "t17"}),
    ("overdue_unclosed", {"t4", "t12"}),
    ("rectified", {"t1", "t2", "t3", "t5", "t6", "t9", "t12", "t17"}),
    ("reworked", {"t3", "t5", "t17"}),
    ("overdue", {"t4"}),
    ("overdue_now", {"t4"}),  # t13 is suspended
    ("returned", {"t6", "t16"}),
    ("cancelled", {"t7"}),
    ("extended", {"t5"}),
    ("suspended", {"t13"}),
    ("voided", {"t15"}),
    ("urged", {"t4"}),
    ("supervised", {"t4"}),
])
def test_drill_down_lists_exactly_the_counted_tickets(client, city, metric, names):
    h = login(client, city.users["dispatcher"])
    r = client.get("/api/stats/tickets", params={"metric": metric, "on": WEEK_ON, "limit": 5}, headers=h)
    assert r.status_code == 200, r.text
    got = {t["id"] for t in r.json()["items"]}
    cursor = r.json()["next_cursor"]
    while cursor:
        r = client.get("/api/stats/tickets", params={"metric": metric, "on": WEEK_ON, "limit": 5, "cursor": cursor},
                       headers=h).json()
        got |= {t["id"] for t in r["items"]}
        cursor = r["next_cursor"]
    assert got == city.ids(*names)
    if metric not in ("returned", "extended", "suspended", "voided", "urged", "supervised"):  # events, not tickets
        total = client.get("/api/stats/summary", params={"on": WEEK_ON}, headers=h).json()["total"]
        assert total[metric] == len(got), metric


def test_rework_times_count_occurrences_and_have_no_drill_down(client, city):
    h = login(client, city.users["dispatcher"])
    total = client.get("/api/stats/summary", params={"on": WEEK_ON}, headers=h).json()["total"]
    assert (total["rework_times"], total["reworked"]) == (4, 3)  # t3 once, t5 once, t17 twice
    r = client.get("/api/stats/tickets", params={"metric": "rework_times", "on": WEEK_ON}, headers=h)
    assert r.status_code == 422


def test_unit_drill_and_overdue_match_ticket_list(client, city):
    h = login(client, city.users["leader"])
    b = city.units["B"].id
    returned = client.get("/api/stats/tickets", params={"metric": "returned", "on": WEEK_ON, "unit_id": b},
                          headers=h).json()
    assert {t["id"] for t in returned["items"]} == city.ids("t6", "t16")  # B returned them; C and A have them now
    s = client.get("/api/stats/summary", params={"on": WEEK_ON, "unit_id": b}, headers=h).json()
    listed = client.get("/api/tickets", params={"overdue": "true", "unit_id": b}, headers=h).json()["items"]
    assert s["total"]["overdue_now"] == len(listed) == 1 and {t["id"] for t in listed} == city.ids("t4")


def test_unit_staff_see_their_own_unit_only(client, city):
    h = login(client, city.users["staff_C"])
    own = client.get("/api/stats/summary", params={"on": WEEK_ON}, headers=h)
    assert own.status_code == 200
    body = own.json()
    assert body["scope"]["unit_ids"] == [city.units["C"].id]
    assert (body["total"]["dispatched"], body["total"]["closed"], body["total"]["reported"]) == (3, 2, 4)
    assert body["total"]["voided"] == 1  # t15
    assert client.get("/api/stats/summary", params={"unit_id": city.units["A"].id}, headers=h).status_code == 403
    drill = client.get("/api/stats/tickets", params={"metric": "dispatched", "on": WEEK_ON}, headers=h).json()
    assert {t["id"] for t in drill["items"]} == city.ids("t6", "t12", "t17")
    # Another unit's ticket: 404, as everywhere.
    r = client.get(f"/api/stats/tickets/{city.tickets['t1']}/timeline", headers=h)
    assert r.status_code == 404
    # The bulletin lists every unit's overdue tickets: the office's, not a unit's.
    assert client.get("/api/stats/bulletin.xlsx", headers=h).status_code == 403


def test_ticket_timeline_with_rework(client, city):
    h = login(client, city.users["leader"])
    r = client.get(f"/api/stats/tickets/{city.tickets['t3']}/timeline", headers=h)
    assert r.status_code == 200, r.text
    stages = [(s["kind"], s["round"], s["late"]) for s in r.json()["stages"]]
    assert stages == [("waiting_dispatch", 0, False), ("rectifying", 0, False), ("verifying", 0, False),
                      ("rectifying", 1, False), ("verifying", 1, False)]
    late = client.get(f"/api/stats/tickets/{city.tickets['t2']}/timeline", headers=h).json()["stages"]
    assert [s["late"] for s in late if s["kind"] == "rectifying"] == [True]
    still = client.get(f"/api/stats/tickets/{city.tickets['t4']}/timeline", headers=h).json()["stages"]
    assert still[-1]["kind"] == "rectifying" and still[-1]["end"] is None and still[-1]["late"] is True


def test_unit_staff_timeline_hides_what_came_before_dispatch(client, city):
    h = login(client, city.users["staff_B"])
    r = client.get(f"/api/stats/tickets/{city.tickets['t6']}/timeline", headers=h)
    assert r.status_code == 200  # B was assigned once: it may see the ticket
    assert r.json()["milestones"][0]["action"] == "dispatch"


def test_unit_timeline_bars(client, city):
    h = login(client, city.users["leader"])
    r = client.get("/api/stats/timeline", params={"on": WEEK_ON, "unit_id": city.units["B"].id}, headers=h).json()
    assert r["total"] == 2
    assert [(b["case_number"] is not None, b["overdue"]) for b in r["bars"]] == [(True, True), (True, False)]


def test_open_points_and_bad_input(client, city):
    h = login(client, city.users["leader"])
    pts = client.get("/api/stats/open-points", headers=h).json()
    # open: t4 t5 t8 t16 (dispatched), t11 (reported), t12 (rectified), t13 (suspended); not t15 (voided)
    assert {p["id"] for p in pts} == city.ids("t4", "t5", "t8", "t11", "t12", "t13", "t16")
    assert {p["id"] for p in pts if p["overdue"]} == city.ids("t4")  # t13 is suspended
    assert not [p for p in pts if p["near_deadline"]]  # the others' deadlines are in 2030
    bad = client.get("/api/stats/tickets", params={"metric": "nope"}, headers=h)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"
    assert client.get("/api/stats/summary", params={"period": "custom", "from": "2026-10-10", "to": "2026-10-01"},
                      headers=h).json()["error"]["code"] == "invalid_period"
    assert client.get("/api/stats/summary", params={"unit_id": 999999}, headers=h).status_code == 404
    assert client.get("/api/stats/summary").status_code == 401


def test_open_points_say_which_are_near_their_deadline(client, city, db):
    """预超期 on the map: t8's deadline (2030) moved to an hour from now: near (≤ XUNCHA_NEAR_DEADLINE_HOURS left),
    not overdue; the big screen colours its marker by it, the same rule as the ticket lists' filter."""
    from datetime import timedelta

    from app.core.types import utcnow
    from app.tickets.models import Ticket

    t8 = db.get(Ticket, city.tickets["t8"])
    t8.deadline_at = utcnow() + timedelta(hours=1)
    db.add(t8)
    db.commit()
    h = login(client, city.users["leader"])
    pts = {p["id"]: p for p in client.get("/api/stats/open-points", headers=h).json()}
    assert {i for i, p in pts.items() if p["near_deadline"]} == city.ids("t8")
    assert not pts[str(city.tickets["t8"])]["overdue"] and pts[str(city.tickets["t4"])]["overdue"]
    listed = client.get("/api/tickets", params={"near_deadline": True}, headers=h).json()["items"]
    assert {t["id"] for t in listed} == city.ids("t8")


def test_trend_api_and_unit_staff_map(client, city):
    h = login(client, city.users["leader"])
    r = client.get("/api/stats/trend", params={"weeks": 4}, headers=h)
    assert r.status_code == 200 and len(r.json()["weeks"]) == 4
    assert "结案率（结案数 ÷ 应结案数" in r.json()["formula"]["zh"]
    staff = login(client, city.users["staff_B"])
    pts = client.get("/api/stats/open-points", headers=staff).json()
    assert {p["id"] for p in pts} == city.ids("t4", "t5")  # B's own open tickets only (t16 is A's now)
    t = client.get("/api/stats/trend", params={"unit_id": city.units["A"].id}, headers=staff)
    assert t.status_code == 403


def test_absurd_parameters_are_4xx_not_500(client, db):
    """Found by schemathesis: year-1 dates and ids beyond a 64-bit integer used to raise."""
    from app.users.roles import Role
    from tests.conftest import login, make_user

    h = login(client, make_user(db, Role.dispatcher))
    for path, params in [
        ("/api/stats/summary", {"on": "0001-01-01"}),
        ("/api/stats/summary", {"period": "custom", "from": "0195-12-01", "to": "0204-01-02"}),
        ("/api/stats/bulletin.html", {"on": "9999-12-31"}),
        ("/api/stats/summary", {"unit_id": "-23852361099709472086949888"}),
        ("/api/stats/summary", {"grid_id": str(2**63)}),
        ("/api/stats/ranking", {"min_dispatched": str(10**30)}),
        ("/api/tickets", {"unit_id": str(2**70)}),
    ]:
        r = client.get(path, headers=h, params=params)
        assert r.status_code == 422, (path, params, r.status_code, r.text[:200])
        assert r.json()["error"]["code"] in ("validation_error", "invalid_period")
    r = client.post(f"/api/tickets/{uuid.uuid4()}/dispatch", headers=h,
                    json={"action_id": str(uuid.uuid4()), "unit_id": 2**70})
    assert r.status_code == 422


def test_timelines_with_exceptions(client, city):
    h = login(client, city.users["leader"])
    t13 = client.get(f"/api/stats/tickets/{city.tickets['t13']}/timeline", headers=h).json()
    # Late when suspended (deadline 09-30, suspended 10-06); the suspension runs on, not late.
    assert [(s["kind"], s["late"], s["end"] is None) for s in t13["stages"]] == [
        ("waiting_dispatch", False, False), ("rectifying", True, False), ("suspended", False, True)]
    assert [m["action"] for m in t13["milestones"]] == ["report", "dispatch", "request_suspension",
                                                        "approve_suspension"]
    t5 = client.get(f"/api/stats/tickets/{city.tickets['t5']}/timeline", headers=h).json()
    # The extension moved the running stage's deadline (2030 + 30 days); asking alone changed nothing.
    last = t5["stages"][-1]
    assert (last["kind"], last["round"], last["end"]) == ("rectifying", 1, None)
    assert last["deadline_at"].startswith("2030-01-30")
    assert len(t5["stages"]) == 4  # waiting, rectifying, verifying, rectifying again
    t16 = client.get(f"/api/stats/tickets/{city.tickets['t16']}/timeline", headers=h).json()
    assert [(s["kind"], s["unit_name"]) for s in t16["stages"]] == [
        ("waiting_dispatch", None), ("rectifying", "B 局"), ("rectifying", "A 区")]
    t15 = client.get(f"/api/stats/tickets/{city.tickets['t15']}/timeline", headers=h).json()
    assert t15["stages"][-1]["end"] is not None  # voided: nothing runs on


# ---- issue 11 part 3: 按时派遣, 按时核查, 环比, 本月/本年累计, breakdowns -----------------------------------

# 按时派遣 (≤ 2 clock hours from report to first dispatch), week W's base cohort, counted by hand:
#   A: t1 1 h ✓, t2 4 h ✗, t3 2 h ✓ (exactly the limit counts) → 2 of 3;  A1: t9 4.5 h ✗ → 0 of 1
#   B: t4 0.5 h ✓, t5 1 h ✓ → 2 of 2;  C: t6 0.5 h ✓, t12 1 h ✓, t17 1 h ✓ → 3 of 3 (t15 voided: not in it)
# 按时核查 (≤ 24 h from the rectification judged), verifications done in W, by their own time:
#   A: t1 6 h, t2 24 h (exactly the limit), t3 fail 4 h, t3 pass 18 h → 4 of 4
#   A1: t9 13 h → 1 of 1;  B: t5 fail 2 h, t10 pass 2 h (t10 is P's cohort, verified in W) → 2 of 2
#   C: t17 fail 2 h, fail 2 h, pass 1 h → 3 of 3 (t6 is verified in N, t12 awaits verification)
#        dispatched_on_time dispatched verified verified_on_time
TIMELY = {
    "A": (2, 3, 4, 4), "A1": (0, 1, 1, 1), "B": (2, 2, 2, 2), "C": (3, 3, 3, 3),
    "total": (7, 9, 10, 10),
}
# hours_rectify_verify (p50, p90):
#   total 1 2 2 2 2 4 6 13 18 24 → p50 pos 5.5 = (2+4)/2 = 3; p90 pos 9.1 → 18 + .1·6 = 18.6
#   A 4 6 18 24 → p50 pos 2.5 = 12; p90 pos 3.7 → 18 + .7·6 = 22.2;  A1 13;  B 2 2;  C 1 2 2 → 2, pos 2.8 → 2
VERIFY_HOURS = {"total": (3.0, 18.6), "A": (12.0, 22.2), "A1": (13.0, 13.0), "B": (2.0, 2.0), "C": (2.0, 2.0)}


def _timely(m: dict) -> tuple:
    return m["dispatched_on_time"], m["dispatched"], m["verified"], m["verified_on_time"]


def test_dispatch_and_verification_on_time_by_hand(client, city):
    h = login(client, city.users["leader"])
    body = client.get("/api/stats/summary", params={"on": WEEK_ON}, headers=h).json()
    assert body["timeliness"] == {"dispatch_within_hours": 2.0, "verify_within_hours": 24.0}
    rows = {"total": body["total"]} | {k: next(u for u in body["units"] if u["unit_id"] == city.units[k].id)
                                       for k in ("A", "A1", "B", "C")}
    for key, m in rows.items():
        assert _timely(m) == TIMELY[key], key
        on_time, dispatched, verified, verified_on_time = TIMELY[key]
        assert m["dispatch_on_time_rate"] == pytest.approx(on_time / dispatched), key
        assert m["verify_on_time_rate"] == pytest.approx(verified_on_time / verified), key
        assert (m["hours_rectify_verify"]["p50"], m["hours_rectify_verify"]["p90"]) == VERIFY_HOURS[key], key
    assert "2小时" in body["formulas"]["dispatched_on_time"]["zh"] and "24小时" in \
        body["formulas"]["verified_on_time"]["zh"]
    # The drill-down of 按时派遣 lists exactly the seven.
    r = client.get("/api/stats/tickets", params={"metric": "dispatched_on_time", "on": WEEK_ON, "limit": 50},
                   headers=h).json()
    assert {t["id"] for t in r["items"]} == city.ids("t1", "t3", "t4", "t5", "t6", "t12", "t17")


def test_late_dispatch_and_late_verification_in_week_x(client, db, city):
    """Week X: t21 dispatched 3 h after its report (late) and verified 48 h after its rectification (late);
    t22 dispatched after 0.5 h, failed 25 h after its first rectification (late by an hour), passed 1 h after
    its second."""
    h = login(client, city.users["leader"])
    body = client.get("/api/stats/summary", params={"on": "2026-11-04"}, headers=h).json()
    t = body["total"]
    assert _timely(t) == (1, 2, 3, 1)  # on time: dispatch t22; verification t22's pass only
    assert (t["dispatch_on_time_rate"], t["verify_on_time_rate"]) == pytest.approx((1 / 2, 1 / 3))
    # 1 25 48 → p50 25; p90 pos 2.8 → 25 + .8·23 = 43.4
    assert (t["hours_rectify_verify"]["p50"], t["hours_rectify_verify"]["p90"]) == (25.0, 43.4)
    by = {u["unit_id"]: u for u in body["units"]}
    assert _timely(by[city.units["B"].id]) == (0, 1, 1, 0)
    assert _timely(by[city.units["A1"].id]) == (1, 1, 2, 1)
    # A tighter setting moves the figures (the setting is read, not a constant): 0.25 h dispatch, 0.5 h verify.
    from datetime import date

    from app.stats import service
    from app.stats.periods import resolve_period
    from app.stats.settings import StatsSettings
    s = service.summary(db, city.users["leader"],
                        resolve_period("week", date(2026, 11, 4)), service.Scope(), compare=False, to_date=False,
                        settings=StatsSettings(dispatch_within_hours=0.25, verify_within_hours=0.5))
    assert _timely(s.total.model_dump()) == (0, 2, 3, 0)


def test_ranking_ignores_the_office_figures(db, city):
    """按时派遣/按时核查 are the office's work: a unit's rank must not move with them."""
    from datetime import date

    from app.stats import service
    from app.stats.periods import resolve_period
    from app.stats.schemas import RankRules
    from app.stats.settings import StatsSettings
    period = resolve_period("week", date(2026, 10, 7))
    a = service.ranking(db, period, RankRules())
    s = service.summary(db, city.users["leader"], period, service.Scope(),
                        settings=StatsSettings(dispatch_within_hours=0.1, verify_within_hours=0.1))
    assert s.total.dispatched_on_time == 0 and s.total.verified_on_time == 0
    b = service.ranking(db, period, RankRules())
    assert [(r.unit_id, r.rank, r.list) for g in a.groups for r in g.rows] == \
        [(r.unit_id, r.rank, r.list) for g in b.groups for r in g.rows]
    assert "dispatched_on_time" not in a.groups[0].rows[0].model_dump()


def test_previous_period_beside_every_figure(client, city):
    h = login(client, city.users["leader"])
    body = client.get("/api/stats/summary", params={"on": WEEK_ON}, headers=h).json()
    prev = body["total"]["previous"]
    # Week P, as test_previous_week_and_month counts it: reported 5, dispatched 3 (t10 t14 t16), closed 2, on time 2;
    # 按时派遣: t10 15.5 h ✗, t14 1 h ✓, t16 1 h ✓ → 2; verified in P: t14 (2 h) → 1 of 1
    assert (prev["reported"], prev["dispatched"], prev["closed"], prev["closed_on_time"]) == (5, 3, 2, 2)
    assert _timely(prev) == (2, 3, 1, 1)
    assert prev["previous"] is None  # one level only
    # What the client shows as 环比: 12 − 5 = ↑7 reported; 结案率 6/8 − 2/2 = −25 percentage points
    assert body["total"]["reported"] - prev["reported"] == 7
    assert round((body["total"]["closure_rate"] - prev["closure_rate"]) * 100, 1) == -25.0
    by = {u["unit_id"]: u["previous"] for u in body["units"]}
    # Per unit, P's cohort by current unit: A t16 (reassigned to A; t13 suspended: out), B t10, C t14, A1 nothing
    assert (by[city.units["A"].id]["dispatched"], by[city.units["A"].id]["closed"]) == (1, 0)
    assert (by[city.units["B"].id]["dispatched"], by[city.units["B"].id]["closed"]) == (1, 1)
    assert (by[city.units["C"].id]["dispatched"], by[city.units["C"].id]["verified"]) == (1, 1)
    assert (by[city.units["A1"].id]["dispatched"], by[city.units["A1"].id]["closure_rate"]) == (0, None)


def test_month_and_year_to_date(client, city):
    h = login(client, city.users["leader"])
    assert client.get("/api/stats/summary", params={"on": WEEK_ON}, headers=h).json()["year_to_date"] is None
    body = client.get("/api/stats/summary", params={"on": WEEK_ON, "to_date": "true"}, headers=h).json()
    mtd, ytd = body["month_to_date"], body["year_to_date"]
    assert mtd["total"]["hours_report_close"] == {"p50": None, "p90": None}  # counts and rates only
    assert (mtd["period"]["start_date"], mtd["period"]["end_date"]) == ("2026-10-01", "2026-10-11")
    assert (ytd["period"]["start_date"], ytd["period"]["end_date"]) == ("2026-01-01", "2026-10-11")
    m, y = mtd["total"], ytd["total"]
    # 10-01 … 10-11: reported every October ticket but none after 10-11 (t8 10-11 22:00 is in): t1–t12 but t13
    # t14 … = t1 t2 t3 t4 t5 t6 t7 t8 t9 t10 t11 t12 t15 t16 t17 = 15; dispatched (base) t1 t2 t3 t4 t5 t6 t9
    # t10 t12 t16 t17 = 11 (t8 on 10-12, t15 voided); 按时派遣 W's 7 + t16 (1 h) = 8 (t10 15.5 h);
    # verified W's 10 + t14 (10-01, 2 h) = 11, all on time; closed t1 t2 t3 t9 t10 t17 + t6 (cohort, closed 10-13)
    assert (m["reported"], m["dispatched"], m["dispatched_on_time"], m["verified"], m["verified_on_time"],
            m["closed"]) == (15, 11, 8, 11, 11, 7)
    # + September: reported t13 t14 → 17; dispatched + t14 → 12 (t13 suspended); 按时派遣 + t14 → 9
    assert (y["reported"], y["dispatched"], y["dispatched_on_time"], y["verified"], y["closed"]) == (17, 12, 9, 11, 8)
    # Week X ends in November: the month starts 11-01 (t21 t22), the year takes everything (17 + 2 = 19 reported)
    x = client.get("/api/stats/summary", params={"on": "2026-11-04", "to_date": "true"}, headers=h).json()
    assert (x["month_to_date"]["total"]["reported"], x["month_to_date"]["total"]["verified"]) == (2, 3)
    assert (x["year_to_date"]["total"]["reported"], x["year_to_date"]["total"]["dispatched"]) == (19, 15)


def test_breakdowns_by_category_class_and_district(client, city):
    h = login(client, city.users["leader"])
    plain = client.get("/api/stats/summary", params={"on": WEEK_ON}, headers=h).json()
    assert plain["breakdowns"] is None  # only when asked for
    body = client.get("/api/stats/summary", params={"on": WEEK_ON, "breakdowns": "true"}, headers=h).json()
    cat, dist, grid, site = body["breakdowns"]
    assert [b["kind"] for b in body["breakdowns"]] == ["category_class", "district", "grid", "site_type"]
    # No grid and no evaluation round in this city: every ticket in the "other" row of each.
    assert [(r["key"], r["unit_name"], r["reported"], r["dispatched"]) for r in grid["rows"]] == \
        [(None, "不在网格内", 12, 9)]
    assert [(r["key"], r["unit_name"], r["reported"], r["dispatched"]) for r in site["rows"]] == \
        [(None, "日常巡查发现（非实地测评）", 12, 9)]
    # Week W: every ticket is 06 (市容环境类): one row equal to the total.
    assert [(r["key"], r["unit_name"], r["reported"], r["dispatched"], r["closed"]) for r in cat["rows"]] == \
        [("06", "市容环境类", 12, 9, 6)]
    # District A = A (reported 4, dispatched 3, closed 3, verified 4) + its street office A1 (0, 1, 1, 1);
    # other = B (2, 2, 0, 2) + C (4, 3, 2, 3) + no unit (t7 t11 reported: 2)
    rows = [(r["key"], r["unit_name"], r["reported"], r["dispatched"], r["closed"], r["verified"],
             r["dispatched_on_time"]) for r in dist["rows"]]
    assert rows == [(str(city.units["A"].id), "A 区", 4, 4, 4, 5, 2),
                    (None, "其他（职能部门、企业及待派遣）", 8, 5, 2, 5, 5)]
    # Hours per row: district A's report→close 31 37 72 76 → p50 54.5 (as the unit scope A with children)
    assert dist["rows"][0]["hours_report_close"]["p50"] == 54.5
    # 环比 per row, week P by current unit: reported A t9 (A1) t13 t16 = 3, other t10 (B) t14 (C) = 2;
    # dispatched (base) A t16 = 1 (t13 suspended), other t10 t14 = 2; closed A 0, other t10 t14 = 2
    assert body["previous_source"] == "live"
    assert [(r["previous"]["reported"], r["previous"]["dispatched"], r["previous"]["closed"]) for r in dist["rows"]] \
        == [(3, 1, 0), (2, 2, 2)]
    assert (cat["rows"][0]["previous"]["reported"], cat["rows"][0]["previous"]["dispatched"]) == (5, 3)
    assert grid["rows"][0]["previous"]["reported"] == 5 and grid["rows"][0]["previous"]["previous"] is None
    # Week X: t21 06 (B), t22 07 (A1)
    x = client.get("/api/stats/summary", params={"on": "2026-11-04", "breakdowns": "true"}, headers=h).json()
    cat, dist, _, _ = x["breakdowns"]
    assert [(r["key"], r["dispatched"], r["dispatched_on_time"], r["verified"], r["verified_on_time"])
            for r in cat["rows"]] == [("06", 1, 0, 1, 0), ("07", 1, 1, 2, 1)]
    # The week before X has nothing: every row's 环比 is against zeros, not missing.
    assert [(r["previous"]["reported"], r["previous"]["closure_rate"]) for r in cat["rows"]] == [(0, None), (0, None)]
    assert cat["rows"][1]["unit_name"] == "宣传广告类"
    assert [(r["unit_name"], r["dispatched"], r["verified"]) for r in dist["rows"]] == \
        [("A 区", 1, 2), ("其他（职能部门、企业及待派遣）", 1, 1)]


def test_hours_count_fractions_of_a_second_on_either_database(db):
    """按时核查's 24 h: a verification 24 h 0.5 s after its rectification is late on SQLite as on PostgreSQL (SQLite
    counted whole seconds: on time there), and exactly 24 h is exactly 24."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import literal, select

    from app.core.types import UTCDateTime
    from app.stats.queries import hours_between

    rectified = datetime(2026, 11, 2, 1, 0, 0, 250_000, tzinfo=UTC)

    def hours(later: datetime) -> float:
        return db.exec(select(hours_between(db, literal(later, UTCDateTime), literal(rectified, UTCDateTime)))).one()[0]

    assert hours(rectified + timedelta(hours=24)) == 24.0
    late = hours(rectified + timedelta(hours=24, milliseconds=500))
    assert late > 24 and late == pytest.approx(24 + 0.5 / 3600, abs=1e-9)
    assert hours(rectified + timedelta(hours=-3, milliseconds=-250)) == pytest.approx(-(3 + 0.25 / 3600), abs=1e-9)
