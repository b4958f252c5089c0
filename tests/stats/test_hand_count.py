"""An auditor's hand count: a small city built through the real HTTP API at chosen times, every figure counted by
hand from the story below and written down as a literal, then compared with what Xuncha publishes.

Independent of tests/stats/cases.py: other units, other weeks, other paths. Times are Asia/Shanghai.

Week P = Mon 2026-03-16 … Sun 03-22; week W = Mon 03-23 … Sun 03-29; week N = Mon 03-30 … Sun 04-05 (April 1
falls in it); month M = March 2026. Every statistic is read "as of" NOW = Wed 2026-04-08 12:00 (clock_at), so a
deadline of 04-20 (LATER) is not yet due and every deadline up to 04-08 12:00 is past.

Units: D1 东区 (district) with S1 东一街道 (street, parent D1); D2 西区 (district); B 城管局 and C 住建局
(departments). One grid 东一网格 holds the reports of w1 w5 w10 w19; every other report is outside every grid.
Categories: 06010 (class 06), 07001 (class 07), 09001 (class 09).

| t   | cat | story (local times)                                                                      | unit now |
|-----|-----|------------------------------------------------------------------------------------------|----------|
| p1  | 06  | rep 03-16 09:00, disp D1 10:00 (dl 03-18 10:00), rect 03-17 10:00, pass 03-17 14:00: on time | D1   |
| p2  | 06  | rep 03-17 09:00, disp B 10:00 (dl 03-18 10:00), never rectified: OVERDUE now              | B        |
| p3  | 09  | rep 03-20 09:00, disp C 10:00 (dl 03-22 10:00), rect 03-23 09:00 late, pass 03-24 10:00    | C        |
|     |     |   (25 h after the rectification: a late verification, in W)                              |          |
| w1  | 06  | rep 03-23 09:00, disp D1 10:00 (dl 03-25 10:00), rect 03-24 10:00, pass 03-24 15:00        | D1       |
| w2  | 06  | rep 03-23 08:00, disp D1 11:00 (dl 03-24 11:00), rect 03-25 09:00 LATE, pass 03-25 14:00   | D1       |
| w3  | 07  | rep 03-24 09:00, disp D1 10:00 (dl 03-26 10:00), rect 03-25 10:00, FAIL 03-25 16:00        | D1       |
|     |     |   (dl 03-27 16:00), rect 03-26 10:00 = the office deadline exactly (on time), pass 15:00   |          |
| w4  | 06  | rep 03-24 10:00, disp B 11:00 (dl 03-26 11:00), rect 03-25 11:00, FAIL 15:00 (dl 03-27     | B        |
|     |     |   15:00), rect 03-27 10:00, FAIL 14:00 (dl 03-28 14:00), rect 03-28 10:00, pass 12:00: twice, late |  |
| w5  | 09  | rep 03-25 09:00, disp B 10:00 (dl 03-27 10:00), never rectified: OVERDUE; urged 03-27 12:00 | B       |
|     |     |   and 03-28 09:00; 督办 03-28 10:00 (W) and 03-31 10:00 (N)                                |          |
| w6  | 06  | rep 03-25 09:00, disp C 09:30 (dl LATER): not yet due                                     | C        |
| w7  | 07  | rep 03-25 10:00, disp C 10:30 (dl 03-27 10:30); extension asked 03-26 09:00, APPROVED 11:00 | C       |
|     |     |   to 04-02 10:30; rect 04-01 09:00, pass 04-01 10:00: on time against the extended deadline |         |
| w8  | 06  | rep 03-26 09:00, disp C 10:00 (dl 03-27 10:00); extension asked 15:00, REJECTED 16:00;      | C        |
|     |     |   rect 03-28 09:00 late, pass 11:00                                                      |          |
| w9  | 06  | rep 03-26 08:00, disp B 09:00 (dl 03-28 09:00), urged 09:30 (at B); return asked 10:00,    | D2       |
|     |     |   REASSIGNED to D2 11:00 (dl 03-29 11:00); rect 03-29 10:00, pass 15:00: on time           |          |
| w10 | 09  | rep 03-27 09:00, disp C 10:00 (dl 03-29 10:00); return asked 11:00, APPROVED 12:00 (back to | D2       |
|     |     |   reported); disp D2 03-31 09:00 (dl 04-02 09:00); rect 04-03 09:00 late, pass 10:00        |          |
| w11 | 06  | rep 03-27 10:00, disp D2 11:00 (dl LATER); suspension asked 03-28 09:00, APPROVED 10:00     | D2       |
|     |     |   (review 04-30): SUSPENDED now                                                          |          |
| w12 | 06  | rep 03-27 11:00, disp D2 12:00 (dl 03-28 12:00); suspension asked 15:00, APPROVED 16:00;    | D2       |
|     |     |   RESUMED 03-30 09:00 (dl 04-01 09:00); never rectified: OVERDUE                          |          |
| w13 | 07  | rep 03-27 14:00, disp D2 15:00 (dl LATER); VOIDED 03-28 09:00 (dispatched → voided)        | D2       |
| w14 | 06  | rep 03-28 09:00, disp C 10:00 (dl 03-29 10:00); rect 03-29 09:00; VOIDED 03-30 10:00 (N)   | C        |
| w15 | 06  | rep 03-29 20:59, disp S1 03-29 23:59 (last minute of W; dl 03-31 23:59), rect 03-31 11:59,  | S1       |
|     |     |   pass 04-01 08:59                                                                       |          |
| w16 | 07  | rep 03-29 22:00 (in W), disp S1 03-30 00:00 exactly (first minute of N; dl 04-01 00:00),    | S1       |
|     |     |   rect 03-31 09:00, pass 12:00                                                           |          |
| w17 | 06  | rep 03-22 23:30 (in P), disp D1 03-23 00:00 exactly (in W; dl 03-24 00:00), rect 03-30     | D1       |
|     |     |   09:00: awaiting verification, past the office deadline                                 |          |
| w18 | 06  | rep 03-25 12:00, disp B 13:00 (dl 03-26 13:00), rect 03-26 10:00, FAIL 15:00 (dl LATER):    | B        |
|     |     |   back with the unit, its own deadline not passed, the office's passed                   |          |
| w19 | 09  | rep 03-24 09:00, CANCELLED 10:00 (不予立案)                                                 | —        |
| w20 | 06  | rep 03-26 09:00, never dispatched                                                        | —        |
| w21 | 09  | rep 03-28 09:00, disp D1 10:00 (dl 03-30 10:00), rect 03-29 10:00, FAIL 15:00 (dl 03-31     | D1       |
|     |     |   15:00), never rectified again: OVERDUE; 督办 03-30 10:00 (N)                             |          |
| w22 | 07  | rep 03-24 14:00, disp B 15:00 (dl 03-25 15:00); extension asked 03-26 09:00 (already        | B        |
|     |     |   overdue), APPROVED 10:00 to 04-15 15:00: not yet due                                   |          |
| n2  | 06  | rep 03-31 22:00, disp D1 03-31 23:59 (March, week N; dl 04-02 23:59), rect 04-01 10:00,     | D1       |
|     |     |   pass 11:00                                                                             |          |
| n3  | 07  | rep 04-01 00:00 exactly (April), disp C 00:30 (dl 04-03 00:30), never rectified: OVERDUE    | C        |
| n4  | 06  | rep 04-02 09:00, CANCELLED 10:00                                                         | —        |

Week W's cohort (first dispatched in [03-23 00:00, 03-30 00:00)): w1–w15, w17, w18, w21, w22 = 19 tickets (交办数).
Not in it: p3 (dispatched 03-20), w16 (dispatched 03-30 00:00), w19/w20 (never dispatched). Of them voided: w13,
w14 (w14 voided in N, but it is voided now); suspended now: w11 (w12 was resumed). So 派遣数 (the base) = 19 − 2 − 1
= 16: w1–w10, w12, w15, w17, w18, w21, w22.
"""

import html
import io
import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from app.core.types import clock_at
from app.units.service import grid_from_geojson
from app.users.roles import Role
from tests.conftest import action, login, make_unit, make_user, report_body, upload_photo
from tests.fixtures.images import make_jpeg
from tests.stats.cases import assert_rows_add_up

TZ = ZoneInfo("Asia/Shanghai")
PHOTO = make_jpeg(160, 120)  # small: ~50 photos per city, and the pictures are not what is counted here


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


NOW = at(4, 8, 12)
LATER = at(4, 20, 10)  # a deadline not yet due at NOW
WEEK_W = "2026-03-25"
WEEK_N = "2026-04-01"
MONTH_M = "2026-03-15"
# One grid (网格), around a point away from the other reports: w1 w5 w10 w19 are reported in it.
G_LAT, G_LNG = 30.30, 120.20
IN_GRID = ("w1", "w5", "w10", "w19")


class Story:
    """The city through the real API: every call under clock_at(its time)."""

    def __init__(self, client, db):
        self.client = client
        self.units = {"D1": make_unit(db, "东区", kind="district")}
        self.units |= {"S1": make_unit(db, "东一街道", kind="street", parent_id=self.units["D1"].id),
                       "D2": make_unit(db, "西区", kind="district"), "B": make_unit(db, "城管局", kind="department"),
                       "C": make_unit(db, "住建局", kind="department")}
        users = {"ins": make_user(db, Role.inspector), "disp": make_user(db, Role.dispatcher),
                 "lead": make_user(db, Role.leader)}
        users |= {k: make_user(db, Role.unit_staff, u) for k, u in self.units.items()}
        self.h = {k: login(client, u) for k, u in users.items()}
        self.t: dict[str, str] = {}
        self.unit_of: dict[str, str] = {}
        d = 0.001
        self.grid = grid_from_geojson("东一网格", self.units["S1"].id, {"type": "Polygon", "coordinates": [[
            [G_LNG - d, G_LAT - d], [G_LNG + d, G_LAT - d], [G_LNG + d, G_LAT + d], [G_LNG - d, G_LAT + d],
            [G_LNG - d, G_LAT - d]]]})
        db.add(self.grid)
        db.commit()

    def id(self, unit: str) -> int:
        return self.units[unit].id

    def ids(self, *names: str) -> set[str]:
        return {self.t[n] for n in names}

    def _act(self, name: str, when: datetime, who: str, path: str, **body) -> dict:
        with clock_at(when):
            r = action(self.client, self.h[who], self.t[name], path, **body)
        assert r.status_code == 200, (name, path, r.text)
        return r.json()

    def report(self, name: str, when: datetime, code: str):
        where = {"lat": G_LAT, "lng": G_LNG} if name in IN_GRID else {}
        with clock_at(when):
            photo = upload_photo(self.client, self.h["ins"], PHOTO)["id"]
            r = self.client.post("/api/tickets", headers=self.h["ins"],
                                 json=report_body([photo], category_code=code, description=f"{name} 问题", **where))
        assert r.status_code == 201, r.text
        self.t[name] = r.json()["id"]
        return self

    def dispatch(self, name: str, when: datetime, unit: str, deadline: datetime):
        self._act(name, when, "disp", "dispatch", unit_id=self.id(unit), deadline=deadline.isoformat())
        self.unit_of[name] = unit
        return self

    def rectify(self, name: str, when: datetime):
        staff = self.unit_of[name]
        with clock_at(when):
            photo = upload_photo(self.client, self.h[staff], PHOTO)["id"]
        self._act(name, when, staff, "rectify", note="已整改", photo_ids=[photo])
        return self

    def verify(self, name: str, when: datetime, passed: bool, deadline: datetime | None = None):
        body = {"passed": passed} | ({} if passed else {"note": "仍有残留", "deadline": deadline.isoformat()})
        self._act(name, when, "ins", "verify", **body)
        return self

    def ask(self, name: str, when: datetime, kind: str, deadline: datetime | None = None):
        extra = {"deadline": deadline.isoformat()} if deadline else {}
        self._act(name, when, self.unit_of[name], "requests", kind=kind, reason="申请", **extra)
        return self

    def decide(self, name: str, when: datetime, approve: bool, **extra):
        with clock_at(when):
            detail = self.client.get(f"/api/tickets/{self.t[name]}", headers=self.h["disp"]).json()
        [req] = [q for q in detail["requests"] if q["state"] == "pending"]
        body = {"approve": approve} | ({} if approve else {"note": "理由不充分"})
        for k, v in extra.items():
            body[k] = v.isoformat() if isinstance(v, datetime) else self.id(v) if k == "unit_id" else v
        self._act(name, when, "disp", f"requests/{req['id']}/decision", **body)
        if approve and "unit_id" in extra:
            self.unit_of[name] = extra["unit_id"]
        return self

    def simple(self, name: str, when: datetime, path: str, who: str = "disp", **body):
        self._act(name, when, who, path, **body)
        return self


def build(client, db) -> Story:
    s = Story(client, db)
    # Week P.
    s.report("p1", at(3, 16, 9), "06010").dispatch("p1", at(3, 16, 10), "D1", at(3, 18, 10)) \
        .rectify("p1", at(3, 17, 10)).verify("p1", at(3, 17, 14), True)
    s.report("p2", at(3, 17, 9), "06010").dispatch("p2", at(3, 17, 10), "B", at(3, 18, 10))
    s.report("p3", at(3, 20, 9), "09001").dispatch("p3", at(3, 20, 10), "C", at(3, 22, 10)) \
        .rectify("p3", at(3, 23, 9)).verify("p3", at(3, 24, 10), True)
    s.report("w17", at(3, 22, 23, 30), "06010").dispatch("w17", at(3, 23, 0), "D1", at(3, 24, 0)) \
        .rectify("w17", at(3, 30, 9))
    # Week W.
    s.report("w1", at(3, 23, 9), "06010").dispatch("w1", at(3, 23, 10), "D1", at(3, 25, 10)) \
        .rectify("w1", at(3, 24, 10)).verify("w1", at(3, 24, 15), True)
    s.report("w2", at(3, 23, 8), "06010").dispatch("w2", at(3, 23, 11), "D1", at(3, 24, 11)) \
        .rectify("w2", at(3, 25, 9)).verify("w2", at(3, 25, 14), True)
    s.report("w3", at(3, 24, 9), "07001").dispatch("w3", at(3, 24, 10), "D1", at(3, 26, 10)) \
        .rectify("w3", at(3, 25, 10)).verify("w3", at(3, 25, 16), False, at(3, 27, 16)) \
        .rectify("w3", at(3, 26, 10)).verify("w3", at(3, 26, 15), True)
    s.report("w4", at(3, 24, 10), "06010").dispatch("w4", at(3, 24, 11), "B", at(3, 26, 11)) \
        .rectify("w4", at(3, 25, 11)).verify("w4", at(3, 25, 15), False, at(3, 27, 15)) \
        .rectify("w4", at(3, 27, 10)).verify("w4", at(3, 27, 14), False, at(3, 28, 14)) \
        .rectify("w4", at(3, 28, 10)).verify("w4", at(3, 28, 12), True)
    s.report("w5", at(3, 25, 9), "09001").dispatch("w5", at(3, 25, 10), "B", at(3, 27, 10)) \
        .simple("w5", at(3, 27, 12), "urge", note="请尽快").simple("w5", at(3, 28, 9), "urge", note="再催") \
        .simple("w5", at(3, 28, 10), "supervise", who="lead", note="限期整改") \
        .simple("w5", at(3, 31, 10), "supervise", who="lead", note="再次督办")
    s.report("w6", at(3, 25, 9), "06010").dispatch("w6", at(3, 25, 9, 30), "C", LATER)
    s.report("w7", at(3, 25, 10), "07001").dispatch("w7", at(3, 25, 10, 30), "C", at(3, 27, 10, 30)) \
        .ask("w7", at(3, 26, 9), "extension", at(4, 2, 10, 30)).decide("w7", at(3, 26, 11), True) \
        .rectify("w7", at(4, 1, 9)).verify("w7", at(4, 1, 10), True)
    s.report("w8", at(3, 26, 9), "06010").dispatch("w8", at(3, 26, 10), "C", at(3, 27, 10)) \
        .ask("w8", at(3, 26, 15), "extension", at(4, 3, 10)).decide("w8", at(3, 26, 16), False) \
        .rectify("w8", at(3, 28, 9)).verify("w8", at(3, 28, 11), True)
    s.report("w9", at(3, 26, 8), "06010").dispatch("w9", at(3, 26, 9), "B", at(3, 28, 9)) \
        .simple("w9", at(3, 26, 9, 30), "urge", note="请尽快") \
        .ask("w9", at(3, 26, 10), "return").decide("w9", at(3, 26, 11), True, unit_id="D2", deadline=at(3, 29, 11)) \
        .rectify("w9", at(3, 29, 10)).verify("w9", at(3, 29, 15), True)
    s.report("w10", at(3, 27, 9), "09001").dispatch("w10", at(3, 27, 10), "C", at(3, 29, 10)) \
        .ask("w10", at(3, 27, 11), "return").decide("w10", at(3, 27, 12), True) \
        .dispatch("w10", at(3, 31, 9), "D2", at(4, 2, 9)).rectify("w10", at(4, 3, 9)).verify("w10", at(4, 3, 10), True)
    s.report("w11", at(3, 27, 10), "06010").dispatch("w11", at(3, 27, 11), "D2", LATER) \
        .ask("w11", at(3, 28, 9), "suspension").decide("w11", at(3, 28, 10), True, review_at=at(4, 30, 9))
    s.report("w12", at(3, 27, 11), "06010").dispatch("w12", at(3, 27, 12), "D2", at(3, 28, 12)) \
        .ask("w12", at(3, 27, 15), "suspension").decide("w12", at(3, 27, 16), True, review_at=at(4, 30, 9)) \
        .simple("w12", at(3, 30, 9), "resume", deadline=at(4, 1, 9).isoformat())
    s.report("w13", at(3, 27, 14), "07001").dispatch("w13", at(3, 27, 15), "D2", LATER) \
        .simple("w13", at(3, 28, 9), "void", reason="重复案件")
    s.report("w14", at(3, 28, 9), "06010").dispatch("w14", at(3, 28, 10), "C", at(3, 29, 10)) \
        .rectify("w14", at(3, 29, 9)).simple("w14", at(3, 30, 10), "void", reason="不属实")
    s.report("w15", at(3, 29, 20, 59), "06010").dispatch("w15", at(3, 29, 23, 59), "S1", at(3, 31, 23, 59)) \
        .rectify("w15", at(3, 31, 11, 59)).verify("w15", at(4, 1, 8, 59), True)
    s.report("w16", at(3, 29, 22), "07001").dispatch("w16", at(3, 30, 0), "S1", at(4, 1, 0)) \
        .rectify("w16", at(3, 31, 9)).verify("w16", at(3, 31, 12), True)
    s.report("w18", at(3, 25, 12), "06010").dispatch("w18", at(3, 25, 13), "B", at(3, 26, 13)) \
        .rectify("w18", at(3, 26, 10)).verify("w18", at(3, 26, 15), False, LATER)
    s.report("w19", at(3, 24, 9), "09001").simple("w19", at(3, 24, 10), "cancel", reason="不属于受理范围")
    s.report("w20", at(3, 26, 9), "06010")
    s.report("w21", at(3, 28, 9), "09001").dispatch("w21", at(3, 28, 10), "D1", at(3, 30, 10)) \
        .rectify("w21", at(3, 29, 10)).verify("w21", at(3, 29, 15), False, at(3, 31, 15)) \
        .simple("w21", at(3, 30, 10), "supervise", who="lead", note="限期整改")
    s.report("w22", at(3, 24, 14), "07001").dispatch("w22", at(3, 24, 15), "B", at(3, 25, 15)) \
        .ask("w22", at(3, 26, 9), "extension", at(4, 15, 15)).decide("w22", at(3, 26, 10), True)
    # Week N.
    s.report("n2", at(3, 31, 22), "06010").dispatch("n2", at(3, 31, 23, 59), "D1", at(4, 2, 23, 59)) \
        .rectify("n2", at(4, 1, 10)).verify("n2", at(4, 1, 11), True)
    s.report("n3", at(4, 1, 0), "07001").dispatch("n3", at(4, 1, 0, 30), "C", at(4, 3, 0, 30))
    s.report("n4", at(4, 2, 9), "06010").simple("n4", at(4, 2, 10), "cancel", reason="重复")
    return s


@pytest.fixture
def city(client, db) -> Story:
    return build(client, db)


def get(s: Story, path: str, when: datetime = NOW, **params) -> dict:
    with clock_at(when):
        r = s.client.get(path, headers=s.h["lead"], params=params)
    assert r.status_code == 200, r.text
    return r.json()


# ---- the figures, counted by hand -------------------------------------------------------------------

FIG = ("reported", "handed_over", "handed_over_voided", "dispatched", "due", "closed", "closed_on_time",
       "closed_late", "overdue_unclosed", "rectified", "reworked", "rework_times", "overdue", "overdue_now",
       "cancelled")
EXC = ("extended", "returned", "suspended", "voided", "urged", "supervised")
OFFICE = ("dispatched_on_time", "verified", "verified_on_time")
RATES = ("closure_rate", "on_time_rate", "rectification_rate", "rework_rate")

# Week W, as of NOW. One tuple per row, in FIG's order.
W_FIG = {
    # reported (reported_at in W, by current unit): w1–w16 and w18–w22 = 21 (w17 was reported in P; w19, w20 have
    #   no unit). handed over 19 (the cohort), of them voided w13 w14. base 16.
    # due: closed w1 w2 w3 w4 w7 w8 w9 w10 w15 (9) + office deadline passed, not closed: w5 w12 w17 w18 w21 (5) = 14
    #   (not due: w6 and w22, whose deadlines are LATER and 04-15 after its extension).
    # on time w1, w3 (rect = deadline exactly), w7 (extended), w9 (the reassigned unit's deadline), w15 = 5;
    #   late w2 w4 w8 w10 (w10 against its re-dispatch's deadline 04-02 09:00) = 4.
    # rectified: base tickets rectified at least once: the 9 closed + w17 w18 w21 = 12.
    # reworked w3 (1) w4 (2) w18 (1) w21 (1): 4 tickets, 5 times.
    # overdue (cohort, dispatched, deadline in force passed): w5, w12 (resumed, 04-01 09:00), w21 (返工 deadline
    #   03-31 15:00) = 3; w18's 返工 deadline is LATER, w17 is awaiting verification.
    # overdue now (any cohort): w5 w12 w21 + p2 + n3 = 5. cancelled: w19.
    "total": (21, 19, 2, 16, 14, 9, 5, 4, 5, 12, 4, 5, 3, 5, 1),
    # D1: reported w1 w2 w3 w21; cohort w1 w2 w3 w17 w21; closed w1 w2 w3 (on time w1 w3); unclosed w17 w21;
    #   reworked w3 w21; overdue w21.
    "D1": (4, 5, 0, 5, 5, 3, 2, 1, 2, 5, 2, 2, 1, 1, 0),
    # S1: reported w15 w16 (w16 dispatched in N); cohort w15, closed on time.
    "S1": (2, 1, 0, 1, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0),
    # D2 (unit now): reported w9–w13; cohort w9 w10 w11 w12 w13, voided w13, suspended w11: base w9 w10 w12;
    #   closed w9 (on time) w10 (late); w12 overdue.
    "D2": (5, 5, 1, 3, 3, 2, 1, 1, 1, 2, 0, 0, 1, 1, 0),
    # B: reported w4 w5 w18 w22; cohort the same; closed w4 (late); due w4 w5 w18; unclosed w5 w18; rectified
    #   w4 w18; reworked w4 (2) w18 (1); overdue w5; overdue now w5 p2.
    "B": (4, 4, 0, 4, 3, 1, 0, 1, 2, 2, 2, 3, 1, 2, 0),
    # C: reported w6 w7 w8 w14; cohort the same, voided w14; closed w7 (on time) w8 (late); due w7 w8 (w6 not);
    #   overdue now n3.
    "C": (4, 4, 1, 3, 2, 2, 1, 1, 0, 2, 0, 0, 0, 1, 0),
    # no unit: reported w19 (cancelled) and w20 (never dispatched).
    "none": (2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1),
}
W_EXC = {
    # extensions approved w7 (C) w22 (B), w8's rejected; returns approved w9 (B asked, reassigned) w10 (C asked);
    # suspensions approved w11 w12 (D2); voided w13 (D2; w14's void is in N); urges w5 ×2 and w9 ×1 while at B;
    # 督办 tickets w5 (its second 督办 is in N).
    "total": (2, 2, 2, 1, 3, 1),
    "D1": (0, 0, 0, 0, 0, 0), "S1": (0, 0, 0, 0, 0, 0), "D2": (0, 0, 2, 1, 0, 0),
    "B": (1, 1, 0, 0, 3, 1), "C": (1, 1, 0, 0, 0, 0), "none": (0, 0, 0, 0, 0, 0),
}
W_OFFICE = {
    # 按时派遣 (≤ 2 h after the report): the base but w2 and w15 (3 h each) = 14.
    # 核查 in W (by the ticket's unit at verification): w1 w2 w3×2 w21 (D1), w4×3 w18 (B), w8 p3 (C), w9 (D2) = 12;
    # 按时 (≤ 24 h after the rectification judged) all but p3 (25 h).
    "total": (14, 12, 11),
    "D1": (4, 5, 5), "S1": (0, 0, 0), "D2": (3, 1, 1), "B": (4, 4, 4), "C": (3, 2, 1), "none": (0, 0, 0),
}
W_RATES = {
    # 结案率 closed/due, 按期结案率 on_time/due, 整改率 closed/(handed over − voided), 返工率 rework times/due
    "total": (9 / 14, 5 / 14, 9 / 17, 5 / 14),
    "D1": (3 / 5, 2 / 5, 3 / 5, 2 / 5), "S1": (1.0, 1.0, 1.0, 0.0), "D2": (2 / 3, 1 / 3, 2 / 4, 0 / 3),
    "B": (1 / 3, 0 / 3, 1 / 4, 3 / 3), "C": (2 / 2, 1 / 2, 2 / 3, 0 / 2),
}
# 延期率 ÷ 应结案数; 回退率, 挂账率, 作废率 ÷ 派遣数.
W_SHARES = {"total": (2 / 14, 2 / 16, 2 / 16, 1 / 16), "B": (1 / 3, 1 / 4, 0.0, 0.0), "C": (1 / 2, 1 / 3, 0.0, 0.0),
            "D2": (0.0, 0.0, 2 / 3, 1 / 3)}
W_HOURS = {
    # report → first dispatch over the base (16): .5 (w6 w7 w17), 1 ×11, 3 (w2 w15): p50 pos 8.5 → 1;
    #   p90 pos 14.5 → 1 + .5·2 = 2.
    # first dispatch → first rectification (12): 21 24 24 24 24 36 46 47 73 166.5 167 177 (w9 from its first
    #   dispatch at B): p50 (36 + 46)/2 = 41; p90 pos 10.9 → 166.5 + .9·.5 = 166.95.
    # report → close (9): 30 50 54 54 60 79 98 168 169: p50 60; p90 pos 8.2 → 168.2.
    # rectification → verification, W's 12 verifications: 2 2 4 4 5 5 5 5 5 5 6 25: p50 5; p90 pos 10.9 → 5.9.
    "total": ((1.0, 2.0), (41.0, 166.95), (60.0, 168.2), (5.0, 5.9)),
    # D1: .5 1 1 1 3 | 24 24 24 46 177 | 30 54 54 | 5 5 5 5 6
    "D1": ((1.0, 2.2), (24.0, 124.6), (54.0, 54.0), (5.0, 5.6)),
}
HOURS = ("hours_report_dispatch", "hours_dispatch_rectify", "hours_report_close", "hours_rectify_verify")


def _named(names: tuple[str, ...], values) -> dict:
    return dict(zip(names, values, strict=True))  # strict: a hand-written tuple of the wrong length fails


def _check(m: dict, exp_fig, exp_exc=None, exp_rates=None, exp_office=None, where=""):
    assert _named(FIG, (m[f] for f in FIG)) == _named(FIG, exp_fig), where
    if exp_exc is not None:
        assert _named(EXC, (m[f] for f in EXC)) == _named(EXC, exp_exc), where
    if exp_rates is not None:
        assert tuple(m[f] for f in RATES) == pytest.approx(exp_rates), where
    if exp_office is not None:
        assert _named(OFFICE, (m[f] for f in OFFICE)) == _named(OFFICE, exp_office), where


def test_week_city_and_units_by_hand(city):
    s = city
    _story_sanity(s)
    body = get(s, "/api/stats/summary", period="week", on=WEEK_W)
    assert body["period"]["start"].startswith("2026-03-22T16:00:00")  # Monday 00:00 city time
    assert body["period"]["end"].startswith("2026-03-29T16:00:00")
    t = body["total"]
    _check(t, W_FIG["total"], W_EXC["total"], W_RATES["total"], W_OFFICE["total"], "total")
    assert (t["extension_rate"], t["return_rate"], t["suspension_rate"], t["void_rate"]) == \
        pytest.approx(W_SHARES["total"])
    assert [(t[h]["p50"], t[h]["p90"]) for h in HOURS] == [pytest.approx(p) for p in W_HOURS["total"]]
    by_id = {u["unit_id"]: u for u in body["units"]}
    assert set(by_id) == {s.id(k) for k in ("D1", "S1", "D2", "B", "C")}
    for k in ("D1", "S1", "D2", "B", "C"):
        m = by_id[s.id(k)]
        _check(m, W_FIG[k], W_EXC[k], W_RATES[k], W_OFFICE[k], k)
        if k in W_SHARES:
            assert (m["extension_rate"], m["return_rate"], m["suspension_rate"], m["void_rate"]) == \
                pytest.approx(W_SHARES[k]), k
    d1 = by_id[s.id("D1")]
    assert [(d1[h]["p50"], d1[h]["p90"]) for h in HOURS] == [pytest.approx(p) for p in W_HOURS["D1"]]
    # w19 (不予立案) and w20 (never dispatched) are at no unit: the row that makes the units add up to the total.
    _check(body["unassigned"], W_FIG["none"], W_EXC["none"], exp_office=W_OFFICE["none"], where="none")
    assert_rows_add_up(body)


# The tickets behind each figure of week W, city-wide (drill-down), by hand from the table above.
W_DRILL = {
    "reported": "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16 w18 w19 w20 w21 w22",
    "handed_over": "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w17 w18 w21 w22",
    "handed_over_voided": "w13 w14",
    "dispatched": "w1 w2 w3 w4 w5 w6 w7 w8 w9 w10 w12 w15 w17 w18 w21 w22",
    "dispatched_on_time": "w1 w3 w4 w5 w6 w7 w8 w9 w10 w12 w17 w18 w21 w22",
    "due": "w1 w2 w3 w4 w7 w8 w9 w10 w15 w5 w12 w17 w18 w21",
    "closed": "w1 w2 w3 w4 w7 w8 w9 w10 w15",
    "closed_on_time": "w1 w3 w7 w9 w15",
    "closed_late": "w2 w4 w8 w10",
    "overdue_unclosed": "w5 w12 w17 w18 w21",
    "rectified": "w1 w2 w3 w4 w7 w8 w9 w10 w15 w17 w18 w21",
    "reworked": "w3 w4 w18 w21",
    "overdue": "w5 w12 w21",
    "overdue_now": "w5 w12 w21 p2 n3",
    "cancelled": "w19",
    "extended": "w7 w22",
    "returned": "w9 w10",
    "suspended": "w11 w12",
    "voided": "w13",
    "urged": "w5 w9",  # 3 urges on these two tickets
    "supervised": "w5",
}
# Per unit row (the unit alone, as the dashboard drills a row: include_children=false): the exception figures
# count for the unit concerned then (w9 urged and returned while at B).
W_DRILL_UNIT = {
    ("B", "urged"): "w5 w9", ("B", "returned"): "w9", ("B", "overdue_now"): "w5 p2", ("B", "due"): "w4 w5 w18",
    ("D2", "returned"): "", ("D2", "dispatched"): "w9 w10 w12", ("D2", "handed_over"): "w9 w10 w11 w12 w13",
    ("D2", "suspended"): "w11 w12", ("C", "returned"): "w10", ("C", "handed_over_voided"): "w14",
    ("D1", "overdue_unclosed"): "w17 w21", ("D1", "reported"): "w1 w2 w3 w21",
}


def _drill(s: Story, metric: str, **params) -> set[str]:
    got, cursor = [], None
    while True:
        page = get(s, "/api/stats/tickets", metric=metric, limit=7, **params, **({"cursor": cursor} if cursor else {}))
        got += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(got) == len(set(got)), metric  # paging lists no ticket twice
    return set(got)


def test_week_drill_downs_list_exactly_the_tickets_counted(city):
    s = city
    _unit_timeline_is_the_base_cohort(s)
    total = get(s, "/api/stats/summary", period="week", on=WEEK_W)["total"]
    for metric, names in W_DRILL.items():
        assert _drill(s, metric, period="week", on=WEEK_W) == s.ids(*names.split()), metric
        if metric != "urged":  # urges count occurrences (3 on two tickets)
            assert total[metric] == len(names.split()), metric
    for (unit, metric), names in W_DRILL_UNIT.items():
        assert _drill(s, metric, period="week", on=WEEK_W, unit_id=s.id(unit), include_children="false") == \
            s.ids(*names.split()), (unit, metric)
    # The overdue list is a work list, the most overdue first by the deadline in force (see the bulletin's below).
    page = get(s, "/api/stats/tickets", metric="overdue_now", period="week", on=WEEK_W)
    assert [i["id"] for i in page["items"]] == [s.t[n] for n in ("p2", "w5", "w21", "w12", "n3")]
    # D1 with its children (the default): S1's w15 w16 too.
    assert _drill(s, "reported", period="week", on=WEEK_W, unit_id=s.id("D1")) == s.ids(*"w1 w2 w3 w21 w15 w16".split())


def test_unit_with_children_category_and_district_breakdowns(city):
    s = city
    _grid_row_and_grid_scope_by_hand(s)
    # D1 with its street office S1: the sum of the two rows.
    t = get(s, "/api/stats/summary", period="week", on=WEEK_W, unit_id=s.id("D1"))["total"]
    _check(t, (6, 6, 0, 6, 6, 4, 3, 1, 2, 6, 2, 2, 1, 1, 0), (0, 0, 0, 0, 0, 0), (4 / 6, 3 / 6, 4 / 6, 2 / 6))
    # Category 07 alone (w3 w7 w13 w22 in the cohort; reported also w16): see the class row below.
    t = get(s, "/api/stats/summary", period="week", on=WEEK_W, category_code="07")["total"]
    _check(t, (5, 4, 1, 3, 2, 2, 2, 0, 0, 2, 1, 1, 0, 1, 0), (2, 0, 0, 1, 0, 0), (1.0, 1.0, 2 / 3, 1 / 2))
    body = get(s, "/api/stats/summary", period="week", on=WEEK_W, breakdowns="true")
    parts = {b["kind"]: {r["key"]: r for r in b["rows"]} for b in body["breakdowns"]}
    short = ("reported", "handed_over", "handed_over_voided", "dispatched", "due", "closed", "closed_on_time",
             "closed_late", "overdue_unclosed")
    exp_class = {
        # 06: reported w1 w2 w4 w6 w8 w9 w11 w12 w14 w15 w18 w20; cohort w1 w2 w4 w6 w8 w9 w11 w12 w14 w15 w17 w18,
        #     voided w14, suspended w11; closed w1 w2 w4 w8 w9 w15 (on time w1 w9 w15); unclosed w12 w17 w18.
        "06": (12, 12, 1, 10, 9, 6, 3, 3, 3),
        # 07: reported w3 w7 w13 w16 w22; cohort w3 w7 w13 w22, voided w13; closed w3 w7 on time; w22 not due.
        "07": (5, 4, 1, 3, 2, 2, 2, 0, 0),
        # 09: reported w5 w10 w19 w21; cohort w5 w10 w21; closed w10 late; unclosed w5 w21.
        "09": (4, 3, 0, 3, 3, 1, 0, 1, 2),
    }
    assert {k: tuple(r[f] for f in short) for k, r in parts["category_class"].items()} == exp_class
    exp_district = {
        # 东区 = D1 + S1; 西区 = D2; other = B + C + the two tickets without a unit (w19 w20, reported only).
        str(s.id("D1")): (6, 6, 0, 6, 6, 4, 3, 1, 2),
        str(s.id("D2")): (5, 5, 1, 3, 3, 2, 1, 1, 1),
        None: (10, 8, 1, 7, 5, 3, 1, 2, 2),
    }
    assert {k: tuple(r[f] for f in short) for k, r in parts["district"].items()} == exp_district


def test_month_and_next_week_by_hand(city):
    s = city
    # A custom period of W's seven days is week W.
    custom = get(s, "/api/stats/summary", period="custom", **{"from": "2026-03-23", "to": "2026-03-29"})
    _check(custom["total"], W_FIG["total"], W_EXC["total"], W_RATES["total"], W_OFFICE["total"])
    m = get(s, "/api/stats/summary", period="month", on=MONTH_M)
    assert m["period"]["start"].startswith("2026-02-28T16:00:00") and m["period"]["end"].startswith(
        "2026-03-31T16:00:00")
    # March: cohort = P's p1 p2 p3 + W's 19 + w16 (03-30 00:00) + n2 (03-31 23:59) = 24 (n3 was dispatched on
    # April 1); voided w13 w14; suspended w11: base 21. Reported: p1 p2 p3 w17 + W's 21 + n2 = 26 (n3 was reported
    # at 04-01 00:00: April). Closed: W's 9 + p1 p3 w16 n2 = 13; on time W's 5 + p1 w16 n2 = 8; late W's 4 + p3 = 5;
    # unclosed W's 5 + p2 = 6; due 19. Rectified W's 12 + p1 p3 w16 n2 = 16. Overdue W's 3 + p2 = 4.
    _check(m["total"], (26, 24, 2, 21, 19, 13, 8, 5, 6, 16, 4, 5, 4, 5, 1),
           # extensions w7 w22; returns w9 w10; suspensions w11 w12; voids w13 w14 (03-30); urges 3; 督办 w5 w21
           (2, 2, 2, 2, 3, 2), (13 / 19, 8 / 19, 13 / 22, 5 / 19))
    n = get(s, "/api/stats/summary", period="week", on=WEEK_N)["total"]
    # Week N: reported n2 n3 n4; cohort w16 n2 n3, all due (n3's 04-03 passed), closed w16 n2 on time; n3 overdue;
    # cancelled n4. Voided w14 (C); 督办 w5 (its second) and w21.
    _check(n, (3, 3, 0, 3, 3, 2, 2, 0, 1, 2, 0, 0, 1, 5, 1), (0, 0, 0, 1, 0, 2), (2 / 3, 2 / 3, 2 / 3, 0.0))
    # March's bulletin stores the month's figures as counted above.
    with clock_at(NOW):
        r = s.client.post("/api/bulletins", headers=s.h["lead"], json={"period": "month", "on": MONTH_M})
    assert r.status_code == 201, r.text
    stored = get(s, f"/api/bulletins/{r.json()['id']}")["snapshot"]["summary"]
    assert stored["total"] == m["total"]


def test_ranking_red_and_black_lists_by_hand(city):
    s = city
    r = get(s, "/api/stats/ranking", period="week", on=WEEK_W)
    assert r["previous_source"] == "live" and {g["previous_source"] for g in r["groups"]} == {"live"}
    groups = {g["kind"]: g for g in r["groups"]}
    rows = {k: [(row["unit_id"], row["rank"], row["list"], row["prev_rank"], row["movement"]) for row in g["rows"]]
            for k, g in groups.items()}
    # Departments: C 结案率 2/2 (red: ≥ 90 %, top 5); B 1/3 (< 85 %: black). Last week (P, live): C p3 closed 1/1,
    # B p2 open 0/1: the same ranks.
    assert rows["department"] == [(s.id("C"), 1, "red", 1, 0), (s.id("B"), 2, "black", 2, 0)]
    # Territorial: S1 1/1 red; D2 2/3 and D1 3/5 both under 85 %: black. In P only D1 had tickets (rank 1).
    assert rows["territorial"] == [(s.id("S1"), 1, "red", None, None), (s.id("D2"), 2, "black", None, None),
                                   (s.id("D1"), 3, "black", 1, -2)]
    assert set(groups) == {"department", "territorial"}
    # Other rules: black below 50 % or the bottom 1: D2 (66.7 %, second of three) leaves the black list.
    r = get(s, "/api/stats/ranking", period="week", on=WEEK_W, black_max_rate=0.5, black_bottom=1)
    lists = {row["unit_id"]: row["list"] for g in r["groups"] for row in g["rows"]}
    assert lists == {s.id("C"): "red", s.id("B"): "black", s.id("S1"): "red", s.id("D2"): None, s.id("D1"): "black"}
    # At least 3 due to be ranked: C (2 due) and S1 (1) are left out; B alone (1/3: black), D2 before D1.
    r = get(s, "/api/stats/ranking", period="week", on=WEEK_W, min_dispatched=3)
    got = {g["kind"]: ([(x["unit_id"], x["rank"], x["list"]) for x in g["rows"]], g["unranked"]) for g in r["groups"]}
    assert got == {"department": ([(s.id("B"), 1, "black")], [s.id("C")]),
                   "territorial": ([(s.id("D2"), 1, "black"), (s.id("D1"), 2, "black")], [s.id("S1")])}
    # P's bulletin published: W's previous ranks are the printed ones, and B, black in P (0/1) and in W, is on
    # its second black week; D1 (red in P) and D2 (nothing in P) on their first.
    with clock_at(NOW):
        assert s.client.post("/api/bulletins", headers=s.h["lead"], json={"period": "week", "on": "2026-03-18"}
                             ).status_code == 201
    r = get(s, "/api/stats/ranking", period="week", on=WEEK_W)
    assert r["previous_source"] == "published"
    assert [g["previous_source"] for g in r["groups"]] == ["published"] * 2  # each group says so too
    got = {x["unit_id"]: (x["prev_rank"], x["black_streak"]) for g in r["groups"] for x in g["rows"]}
    assert got == {s.id("C"): (1, 0), s.id("B"): (2, 2), s.id("S1"): (None, 0), s.id("D2"): (None, 1),
                   s.id("D1"): (1, 1)}
    # The printout says the same: 上期 with the move as the other 环比 say it (an unchanged rank read "1 —", as if
    # there were none), and the black streak the API and the Excel file give.
    with clock_at(NOW):
        page = s.client.get("/api/stats/bulletin.html", params={"period": "week", "on": WEEK_W},
                            headers=s.h["lead"]).text
    printed = {}
    for row in (x for g in r["groups"] for x in g["rows"]):
        cells = re.search(rf"<tr><td>{row['rank']}</td><td class='l'>{re.escape(html.escape(row['unit_name']))}</td>"
                          r"((?:<td>.*?</td>)+)</tr>", page).group(1)
        cells = re.findall(r"<td>(.*?)</td>", cells)
        printed[row["unit_id"]] = (cells[-3], cells[-1])
    # C first again, B second again, D1 from first to third of its group (D2 and S1 unranked in P).
    assert printed == {s.id("C"): ("1 持平", ""), s.id("B"): ("2 持平", "2 期"), s.id("S1"): ("—", ""),
                       s.id("D2"): ("—", "1 期"), s.id("D1"): ("1 ↓2", "1 期")}
    with clock_at(NOW):
        xlsx = s.client.get("/api/stats/bulletin.xlsx", params={"period": "week", "on": WEEK_W}, headers=s.h["lead"])
    streaks = {row[1]: row[10] for ws in openpyxl.load_workbook(io.BytesIO(xlsx.content)).worksheets
               if ws.title.endswith("红黑榜") for row in ws.iter_rows(min_row=3, values_only=True)}
    assert streaks == {x["unit_name"]: x["black_streak"] for g in r["groups"] for x in g["rows"]}  # 0, not blank


def test_published_bulletin_is_the_live_figures_and_stays(city):
    s = city
    _live_excel_bulletin_shows_the_same_numbers(s)
    live = get(s, "/api/stats/summary", period="week", on=WEEK_W, breakdowns="true", to_date="true")
    live_rank = get(s, "/api/stats/ranking", period="week", on=WEEK_W)
    with clock_at(NOW):
        r = s.client.post("/api/bulletins", headers=s.h["lead"], json={"period": "week", "on": WEEK_W})
    assert r.status_code == 201, r.text
    bid = r.json()["id"]
    snap = get(s, f"/api/bulletins/{bid}")["snapshot"]
    stored = snap["summary"]
    assert stored["total"] == live["total"]
    assert stored["units"] == live["units"]
    assert stored["breakdowns"] == live["breakdowns"]
    _check(stored["total"], W_FIG["total"], W_EXC["total"], W_RATES["total"], W_OFFICE["total"])
    assert [g["rows"] for g in snap["ranking"]["groups"]] == [g["rows"] for g in live_rank["groups"]]
    # Its overdue list: every ticket overdue now, the most overdue first (deadline in force): p2 03-18 10:00,
    # w5 03-27 10:00, w21 03-31 15:00 (its 返工's), w12 04-01 09:00 (its resume's), n3 04-03 00:30.
    order = ["p2", "w5", "w21", "w12", "n3"]
    assert [t["id"] for t in snap["overdue"]] == [s.t[n] for n in order]
    xlsx = s.client.get(f"/api/bulletins/{bid}.xlsx", headers=s.h["lead"]).content
    sheet = _sheet_rows(openpyxl.load_workbook(io.BytesIO(xlsx))["超期案件"])
    numbers = {t["id"]: t["case_number"] for t in snap["overdue"]}
    assert [r[0] for r in sheet[1:]] == [numbers[s.t[n]] for n in order]
    # 超期天数 of p2: 04-08 12:00 − 03-18 10:00 = 21 d 2 h = 21.08 days.
    assert sheet[1][8] == 21.08
    # A later action on one of its tickets: w5 is rectified. The live figures move, the bulletin does not.
    later = NOW + timedelta(hours=1)
    s.rectify("w5", later)
    moved = get(s, "/api/stats/summary", later, period="week", on=WEEK_W)["total"]
    assert (moved["rectified"], moved["overdue"], moved["overdue_now"]) == (13, 2, 4)
    again = get(s, f"/api/bulletins/{bid}", later)["snapshot"]
    assert again == snap
    assert s.client.get(f"/api/bulletins/{bid}.xlsx", headers=s.h["lead"]).content == xlsx
    _check_xlsx(xlsx, s)


def _sheet_rows(ws) -> list[list]:
    return [[c.value for c in row] for row in ws.iter_rows()]


def _check_xlsx(data: bytes, s: Story) -> None:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    rows = _sheet_rows(wb["单位指标"])
    head = rows[1]
    col = {h: i for i, h in enumerate(head)}
    by_name = {r[0]: r for r in rows[2:]}
    names = {"东区": "D1", "东一街道": "S1", "西区": "D2", "城管局": "B", "住建局": "C",
             "暂无责任单位（待派遣、待改派、不予立案）": "none", "合计": "total"}
    zh = {"reported": "发现数", "handed_over": "交办数", "handed_over_voided": "其中作废", "dispatched": "派遣数",
          "due": "应结案数", "closed": "结案数", "closed_on_time": "按期结案数", "closed_late": "超期结案数",
          "overdue_unclosed": "超期未结案数", "rectified": "整改数", "reworked": "返工案件数", "rework_times": "返工次数",
          "overdue": "本期超期数", "overdue_now": "当前超期", "cancelled": "不予立案"}
    assert set(by_name) == set(names)
    for name, key in names.items():
        got = tuple(by_name[name][col[zh[f]]] for f in FIG)
        assert got == W_FIG[key], name
        if key in W_RATES:
            rates = tuple(by_name[name][col[h]] for h in ("结案率", "按期结案率", "整改率", "返工率"))
            assert rates == pytest.approx(W_RATES[key]), name
    # The definitions sheet states the formulas.
    text = "\n".join(str(r[1]) for r in _sheet_rows(wb["说明"]))
    for formula in ("结案率 = 结案数 ÷ 应结案数", "按期结案率 = 按期结案数 ÷ 应结案数",
                    "整改率 = 结案数 ÷ (交办数 − 其中作废数)", "返工率 = 返工次数 ÷ 应结案数", "应结案数 = "):
        assert formula in text, formula
    # 不予立案 (cancel, before dispatch) is not 作废 (void, after dispatch): the sheet must not define one by the other.
    [cancelled] = [r[1] for r in _sheet_rows(wb["说明"]) if r[0] == "不予立案数"]
    assert "不予立案" in cancelled.split("=", 1)[1] and "作废" not in cancelled, cancelled


def _live_excel_bulletin_shows_the_same_numbers(s: Story):
    with clock_at(NOW):
        r = s.client.get("/api/stats/bulletin.xlsx", headers=s.h["lead"], params={"period": "week", "on": WEEK_W})
    assert r.status_code == 200, r.text
    _check_xlsx(r.content, s)


def _story_sanity(s: Story):
    """The story's states as of NOW, so a count above never rests on a step that silently did something else."""
    with clock_at(NOW):
        got = {n: s.client.get(f"/api/tickets/{tid}", headers=s.h["disp"]).json() for n, tid in s.t.items()}
    status = {n: t["status"] for n, t in got.items()}
    assert {n for n, st in status.items() if st == "closed"} == set(
        "p1 p3 w1 w2 w3 w4 w7 w8 w9 w10 w15 w16 n2".split())
    assert {n for n, st in status.items() if st == "dispatched"} == set("p2 w5 w6 w12 w18 w21 w22 n3".split())
    assert status["w11"] == "suspended" and status["w13"] == status["w14"] == "voided"
    assert status["w17"] == "rectified" and status["w19"] == status["n4"] == "cancelled" and status["w20"] == "reported"
    assert got["w9"]["unit_id"] == s.id("D2") and got["w10"]["unit_id"] == s.id("D2")
    assert uuid.UUID(s.t["w1"])  # ids are the client's UUIDs


def _unit_timeline_is_the_base_cohort(s: Story):
    tl = get(s, "/api/stats/timeline", period="week", on=WEEK_W)
    assert tl["total"] == 16
    assert {b["id"] for b in tl["bars"]} == s.ids(*W_DRILL["dispatched"].split())
    assert {b["id"] for b in tl["bars"] if b["overdue"]} == s.ids("w5", "w12", "w21")


def test_previous_period_to_date_and_trend_by_hand(city):
    s = city
    body = get(s, "/api/stats/summary", period="week", on=WEEK_W, to_date="true")
    assert body["previous_source"] == "live"
    # 环比: week P as of NOW. Reported p1 p2 p3 w17 (03-22 23:30); cohort p1 p2 p3, all due (deadlines 03-18 …
    # 03-22); closed p1 (on time) p3 (late); p2 overdue and unclosed; overdue now is not bound to a period (5).
    _check(body["total"]["previous"], (4, 3, 0, 3, 3, 2, 1, 1, 1, 2, 0, 0, 1, 5, 0), (0, 0, 0, 0, 0, 0),
           (2 / 3, 1 / 3, 2 / 3, 0.0))
    # 本月累计 = 03-01 … 03-29 (the week's last day): P + W. Reported 4 + 21; cohort 3 + 19, voided 2, suspended 1;
    # due 3 + 14; closed 2 + 9 (on time 1 + 5, late 1 + 4); unclosed 1 + 5; rectified 2 + 12; overdue 1 + 3.
    # Nothing before March, so 本年累计 is the same.
    mtd = (25, 22, 2, 19, 17, 11, 6, 5, 6, 14, 4, 5, 4, 5, 1)
    assert body["month_to_date"]["period"]["start"].startswith("2026-02-28T16:00:00")
    assert body["year_to_date"]["period"]["start"].startswith("2025-12-31T16:00:00")
    _check(body["month_to_date"]["total"], mtd, (2, 2, 2, 1, 3, 1), (11 / 17, 6 / 17, 11 / 20, 5 / 17))
    _check(body["year_to_date"]["total"], mtd)
    # The trend as of NOW (week of 04-06 last): reported per week; closed per week (by closed_at, any cohort:
    # P p1 | W p3 w1 w2 w3 w4 w8 w9 | N w16 w7 w15 n2 w10); the line: each week's cohort closed ÷ due.
    weeks = get(s, "/api/stats/trend", weeks=4)["weeks"]
    assert [(w["week_start"], w["reported"], w["closed"], w["due"], w["cohort_closed"]) for w in weeks] == [
        ("2026-03-16", 4, 1, 3, 2), ("2026-03-23", 21, 7, 14, 9), ("2026-03-30", 3, 5, 3, 2), ("2026-04-06", 0, 0, 0, 0)]
    assert [w["closure_rate"] for w in weeks] == [pytest.approx(2 / 3), pytest.approx(9 / 14), pytest.approx(2 / 3),
                                                  None]


def test_next_week_compares_with_the_published_bulletin(city):
    s = city
    with clock_at(NOW):
        r = s.client.post("/api/bulletins", headers=s.h["lead"], json={"period": "week", "on": WEEK_W})
    assert r.status_code == 201, r.text
    s.rectify("w5", NOW + timedelta(hours=1))  # W's live figures move on: rectified 13, overdue 2
    n = get(s, "/api/stats/summary", NOW + timedelta(hours=2), period="week", on=WEEK_N)
    assert n["previous_source"] == "published"
    prev = n["total"]["previous"]
    # The numbers printed for W, not today's.
    _check(prev, W_FIG["total"], W_EXC["total"], W_RATES["total"], W_OFFICE["total"])
    r = get(s, "/api/stats/ranking", NOW + timedelta(hours=2), period="week", on=WEEK_N)
    assert r["previous_source"] == "published"
    # Week N's ranking: departments only C (n3 due, open: 0/1); territorial D1 (n2 1/1) and S1 (w16 1/1, tie on
    # 结案率 and 按期结案率 and 0 unclosed: by name 东一街道 < 东区 — both rank 1); W's published ranks beside.
    rows = {g["kind"]: [(x["unit_id"], x["rank"], x["prev_rank"]) for x in g["rows"]] for g in r["groups"]}
    assert rows["department"] == [(s.id("C"), 1, 1)]
    assert sorted(rows["territorial"]) == sorted([(s.id("S1"), 1, 1), (s.id("D1"), 1, 3)])


def _grid_row_and_grid_scope_by_hand(s: Story):
    body = get(s, "/api/stats/summary", period="week", on=WEEK_W, breakdowns="true")
    rows = {r["key"]: r for b in body["breakdowns"] if b["kind"] == "grid" for r in b["rows"]}
    # The grid: reported w1 w5 w10 w19; cohort w1 (closed on time) w5 (overdue, unclosed) w10 (closed late); w19
    # cancelled. Outside: the rest of the week.
    assert {k: tuple(r[f] for f in FIG) for k, r in rows.items()} == {
        str(s.grid.id): (4, 3, 0, 3, 3, 2, 1, 1, 1, 2, 0, 0, 1, 1, 1),
        None: (17, 16, 2, 13, 11, 7, 4, 3, 4, 10, 4, 5, 2, 4, 0),
    }
    # The grid as a scope: the same tickets, and the exceptions on them (w5 urged twice and under 督办, w10
    # returned).
    t = get(s, "/api/stats/summary", period="week", on=WEEK_W, grid_id=s.grid.id)["total"]
    _check(t, (4, 3, 0, 3, 3, 2, 1, 1, 1, 2, 0, 0, 1, 1, 1), (0, 1, 0, 0, 2, 1), (2 / 3, 1 / 3, 2 / 3, 0.0))
    assert _drill(s, "due", period="week", on=WEEK_W, grid_id=s.grid.id) == s.ids("w1", "w5", "w10")


def test_a_unit_sees_its_own_figures_and_tickets(city):
    s = city
    with clock_at(NOW):
        r = s.client.get("/api/stats/summary", headers=s.h["B"], params={"period": "week", "on": WEEK_W})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [u["unit_id"] for u in body["units"]] == [s.id("B")]
    _check(body["total"], W_FIG["B"], W_EXC["B"], W_RATES["B"])
    # B's urges: w5, and w9 (urged while B had it: B still sees it, it was dispatched to B).
    with clock_at(NOW):
        r = s.client.get("/api/stats/tickets", headers=s.h["B"],
                         params={"period": "week", "on": WEEK_W, "metric": "urged"})
    assert {i["id"] for i in r.json()["items"]} == s.ids("w5", "w9")


def test_returned_waiting_voided_while_suspended_reworked_then_reassigned(city):
    """Week Y = Mon 2026-05-04 … Sun 05-10, read as of NOW2 = 05-20 12:00 (March's tickets as they are):

    | y1 | rep 05-04 09:00, disp B 10:00 (dl 05-06 10:00); return asked 11:00, APPROVED 12:00: waiting for re-dispatch |
    | y2 | rep 05-05 09:00, disp B 10:00 (dl 05-30); suspension asked 11:00, APPROVED 12:00; VOIDED 05-06 09:00     |
    | y3 | rep 05-05 09:00, disp B 10:00 (dl 05-06 10:00), rect 15:00, FAIL 16:00 (dl 05-07 16:00); return asked   |
    |    |   05-06 09:00, REASSIGNED to C 10:00 (dl 05-08 10:00); rect 05-07 10:00, pass 12:00                     |
    | y4 | rep 05-06 09:00, disp C 10:00 (dl 05-07 10:00); extension asked 12:00, never decided: OVERDUE             |
    """
    s = city
    now2 = datetime(2026, 5, 20, 12, tzinfo=TZ)
    s.report("y1", datetime(2026, 5, 4, 9, tzinfo=TZ), "06010") \
        .dispatch("y1", datetime(2026, 5, 4, 10, tzinfo=TZ), "B", datetime(2026, 5, 6, 10, tzinfo=TZ)) \
        .ask("y1", datetime(2026, 5, 4, 11, tzinfo=TZ), "return").decide("y1", datetime(2026, 5, 4, 12, tzinfo=TZ), True)
    s.report("y2", datetime(2026, 5, 5, 9, tzinfo=TZ), "06010") \
        .dispatch("y2", datetime(2026, 5, 5, 10, tzinfo=TZ), "B", datetime(2026, 5, 30, 10, tzinfo=TZ)) \
        .ask("y2", datetime(2026, 5, 5, 11, tzinfo=TZ), "suspension") \
        .decide("y2", datetime(2026, 5, 5, 12, tzinfo=TZ), True, review_at=datetime(2026, 6, 30, 9, tzinfo=TZ)) \
        .simple("y2", datetime(2026, 5, 6, 9, tzinfo=TZ), "void", reason="重复案件")
    s.report("y3", datetime(2026, 5, 5, 9, tzinfo=TZ), "06010") \
        .dispatch("y3", datetime(2026, 5, 5, 10, tzinfo=TZ), "B", datetime(2026, 5, 6, 10, tzinfo=TZ)) \
        .rectify("y3", datetime(2026, 5, 5, 15, tzinfo=TZ)) \
        .verify("y3", datetime(2026, 5, 5, 16, tzinfo=TZ), False, datetime(2026, 5, 7, 16, tzinfo=TZ)) \
        .ask("y3", datetime(2026, 5, 6, 9, tzinfo=TZ), "return") \
        .decide("y3", datetime(2026, 5, 6, 10, tzinfo=TZ), True, unit_id="C", deadline=datetime(2026, 5, 8, 10, tzinfo=TZ)) \
        .rectify("y3", datetime(2026, 5, 7, 10, tzinfo=TZ)).verify("y3", datetime(2026, 5, 7, 12, tzinfo=TZ), True)
    s.report("y4", datetime(2026, 5, 6, 9, tzinfo=TZ), "06010") \
        .dispatch("y4", datetime(2026, 5, 6, 10, tzinfo=TZ), "C", datetime(2026, 5, 7, 10, tzinfo=TZ)) \
        .ask("y4", datetime(2026, 5, 6, 12, tzinfo=TZ), "extension", datetime(2026, 5, 9, 10, tzinfo=TZ))
    body = get(s, "/api/stats/summary", now2, period="week", on="2026-05-06")
    # Cohort y1–y4 (交办 4), voided y2 (suspended first, voided since): base y1 y3 y4. y1 waits for re-dispatch: in
    # the base, no office deadline, so not due, and no unit (total only). Due y3 (closed on time against C's
    # deadline) and y4 (overdue while its extension waits). y3's 返工 at B counts for C, its unit at close.
    # Overdue now at NOW2, any period: y4, and from March p2 w5 w12 w21 n3 plus w6 w18 (LATER = 04-20) and w22
    # (04-15), now past too = 9.
    _check(body["total"], (4, 4, 1, 3, 2, 1, 1, 0, 1, 1, 1, 1, 1, 9, 0),
           # returns approved y1 y3 (both B's requests); suspension y2 (B); void y2 (B)
           (0, 2, 1, 1, 0, 0), (1 / 2, 1 / 2, 1 / 3, 1 / 2))
    by_id = {u["unit_id"]: u for u in body["units"]}
    # y1, returned and waiting for a new unit, is in no unit's row but in the row of tickets at no unit: reported,
    # handed over, in the base and dispatched within 2 h, not due (no office deadline).
    _check(body["unassigned"], (1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0),
           (None, None, 0.0, None), (1, 0, 0))
    assert_rows_add_up(body)
    # B: y2 only (voided, still B's): reported 1, handed over 1, of them voided 1, nothing in the base (every rate
    # over nothing: 整改率 0 ÷ (1 − 1) too); overdue now p2 w5 w18 w22.
    _check(by_id[s.id("B")], (1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0), (0, 2, 1, 1, 0, 0),
           (None, None, None, None))
    # C: y3 y4; overdue now n3 w6 y4.
    _check(by_id[s.id("C")], (2, 2, 0, 2, 2, 1, 1, 0, 1, 1, 1, 1, 1, 3, 0), (0, 0, 0, 0, 0, 0),
           (1 / 2, 1 / 2, 1 / 2, 1 / 2))
    for metric, names in {"dispatched": "y1 y3 y4", "due": "y3 y4", "handed_over_voided": "y2", "returned": "y1 y3",
                          "overdue": "y4", "reworked": "y3", "suspended": "y2", "voided": "y2"}.items():
        with clock_at(now2):
            items = s.client.get("/api/stats/tickets", headers=s.h["lead"], params={
                "metric": metric, "period": "week", "on": "2026-05-06", "limit": 200}).json()["items"]
        assert {i["id"] for i in items} == s.ids(*names.split()), metric
