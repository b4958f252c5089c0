"""A hand-built city for the statistics tests: every ticket is made through the real services at chosen times.

Week W = Mon 2026-10-05 … Sun 2026-10-11 (Asia/Shanghai), i.e. [2026-10-04 16:00Z, 2026-10-11 16:00Z).
Week P = the week before (09-28 … 10-04), week N = the week after (10-12 … 10-18).
Deadlines in 2030 are "not yet due" whenever the tests run; deadlines in October 2026 are long past.

| ticket | story (local times)                                                                  | unit now |
|--------|--------------------------------------------------------------------------------------|----------|
| t1  | rep 10-05 09:00, disp A 10:00 (dl 10-07 10:00), rect 10-06 10:00, pass 10-06 16:00      | A  |
| t2  | rep 10-05 08:00, disp A 12:00 (dl 10-06 12:00), rect 10-07 12:00 LATE, pass 10-08 12:00 | A  |
| t3  | rep 10-06 09:00, disp A 11:00 (dl 10-08 11:00), rect 10-07 11:00, FAIL 10-07 15:00      | A  |
|     |   (dl 10-09 15:00), rect 10-08 15:00, pass 10-09 09:00                                 |    |
| t4  | rep 10-06 10:00, disp B 10:30 (dl 10-08 10:30) — never rectified: OVERDUE now          | B  |
| t5  | rep 10-07 09:00, disp B 10:00 (dl 2030), rect 10-08 10:00, FAIL 10-08 12:00 (dl 2030)  | B  |
| t6  | rep 10-07 09:00, disp B 09:30, B asks RETURN 11:30, approved 12:00 (back to reported),   | C  |
|     |   disp C 10-12 09:00 (dl 10-13 09:00),                                                 |    |
|     |   rect 10-13 08:00, pass 10-13 10:00                                                   |    |
| t7  | rep 10-08 09:00, CANCEL 10:00                                                          | —  |
| t8  | rep 10-11 22:00 (Sunday), disp A 10-12 09:00 (dl 2030)                                 | A  |
| t9  | rep 10-04 20:00, disp A1 10-05 00:30 (dl 10-06 00:30), rect 10-05 20:00, pass 10-06 09:00 | A1 |
| t10 | rep 10-04 08:00, disp B 10-04 23:30 (dl 10-06 23:30), rect 10-05 10:00, pass 10-05 12:00 | B  |
| t11 | rep 10-05 09:00, never dispatched                                                      | —  |
| t12 | rep 10-09 09:00, disp C 10:00 (dl 10-10 10:00), rect 10-10 09:00 (awaiting verification) | C  |
| t13 | rep 09-29 09:00, disp A 10:00 (dl 09-30 10:00) — never rectified: OVERDUE now          | A  |
| t14 | rep 09-30 09:00, disp C 10:00 (dl 10-02 10:00), rect 10-01 10:00, pass 10-01 12:00      | C  |
| t17 | rep 10-09 08:00, disp C 09:00 (dl 10-10 09:00), rect 10-09 12:00, FAIL 10-09 14:00      | C  |
|     |   (dl 10-10 14:00), rect 10-10 10:00 (after the office deadline), FAIL 10-10 12:00       |    |
|     |   (dl 10-11 12:00), rect 10-11 10:00, pass 10-11 11:00: failed twice; on time against   |    |
|     |   its last deadline, late against the office's (10-10 09:00)                          |    |

Deadline exceptions (through the real exception actions):

| t4  | B asks EXTENSION 10-07 09:00 (to 10-10 10:30), REJECTED 11:00 — still overdue;            | B  |
|     |   URGED 10-08 12:00 and 10-09 09:00; SUPERVISED (督办) 10-09 10:00 and again 10-10 10:00   |    |
| t5  | B asks EXTENSION 10-08 20:00 (to 2030+60 d), APPROVED 10-09 09:00 with 2030+30 d         | B  |
| t13 | A asks SUSPENSION 10-06 09:00, APPROVED 10:00 (review 2030) — suspended: not overdue     | A  |
| t15 | rep 10-08 09:00, disp C 10:00 (dl 2030), VOIDED 10-09 11:00 (duplicate found late)       | C  |
| t16 | rep 10-02 09:00, disp B 10:00 (dl 2030); B asks RETURN 10-05 09:00, REASSIGNED to A      | A  |
|     |   10-05 10:00 (dl 2030) — a return approved and re-dispatched in one step               |    |

A1 is a street office under A.

Week X = Mon 2026-11-02 … Sun 11-08, far from the others (October's figures stay as they were), for the figures
the tickets above never get wrong (a late dispatch in W exists, a late verification does not) and a second
category class (07, 宣传广告类):

| t21 | rep 11-03 09:00, disp B 12:00 (3 h: LATE dispatch; dl 11-05 12:00), rect 11-04 10:00,          | B  |
|     |   pass 11-06 10:00 (48 h after the rectification: LATE verification)                          |    |
| t22 | code 07001; rep 11-04 09:00, disp A1 09:30 (0.5 h; dl 2030), rect 11-04 15:00,                | A1 |
|     |   FAIL 11-05 16:00 (25 h: late by an hour; dl 2030), rect 11-06 09:00, pass 11-06 10:00 (1 h)  |    |

The office's deadline (按期, 应结案, 超期结案/超期未结案 are judged against it) is the dispatch's, moved only by
an approved extension (t5: 2030 + 30 d) or a new dispatch after a return (t6: 10-13 09:00); a 返工's new
deadline does not move it (t3: 10-08 11:00, t17: 10-10 09:00).
"""

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from app.core.types import clock_at
from app.photos.models import Photo
from app.tickets import actions as tickets_actions
from app.tickets.models import TicketRequest
from app.tickets.schemas import (
    CancelIn,
    DecisionIn,
    DispatchIn,
    RectifyIn,
    RequestIn,
    SuperviseIn,
    TicketCreate,
    UrgeIn,
    VerifyIn,
    VoidIn,
)
from app.units.models import Unit
from app.users.models import User
from app.users.roles import Role
from tests.conftest import make_unit, make_user

TZ = ZoneInfo("Asia/Shanghai")
FAR = datetime(2030, 1, 1, tzinfo=TZ)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


@dataclass
class City:
    units: dict[str, Unit]
    users: dict[str, User]
    tickets: dict[str, uuid.UUID] = field(default_factory=dict)

    def ids(self, *names: str) -> set[str]:
        return {str(self.tickets[n]) for n in names}


class _Builder:
    def __init__(self, db: Session, city: City):
        self.db, self.city = db, city

    def _photo(self, user: User) -> uuid.UUID:
        pid = uuid.uuid4()
        self.db.add(Photo(id=pid, sha256=hashlib.sha256(pid.bytes).hexdigest(), content_type="image/jpeg",
                          size_bytes=1, width=1, height=1, uploader_id=user.id))
        self.db.commit()
        return pid

    def report(self, name: str, when: datetime, code: str = "06010", lat: float = 30.27, lng: float = 120.15):
        u = self.city.users["inspector"]
        with clock_at(when):
            body = TicketCreate(id=uuid.uuid4(), category_code=code, description=f"{name} 暴露垃圾", lat=lat,
                                lng=lng, photo_ids=[self._photo(u)])
            t, _ = tickets_actions.report(self.db, u, body)
        self.db.commit()  # services only flush: the caller commits
        self.city.tickets[name] = t.id
        return self

    def dispatch(self, name: str, when: datetime, unit: str, deadline: datetime):
        with clock_at(when):
            tickets_actions.dispatch(self.db, self.city.users["dispatcher"], self.city.tickets[name], DispatchIn(
                action_id=uuid.uuid4(), unit_id=self.city.units[unit].id, deadline=deadline))
        self.db.commit()
        return self

    def rectify(self, name: str, when: datetime, unit: str):
        staff = self.city.users[f"staff_{unit}"]
        with clock_at(when):
            tickets_actions.rectify(self.db, staff, self.city.tickets[name], RectifyIn(
                action_id=uuid.uuid4(), note="已整改", photo_ids=[self._photo(staff)]))
        self.db.commit()
        return self

    def verify(self, name: str, when: datetime, passed: bool, deadline: datetime | None = None):
        with clock_at(when):
            tickets_actions.verify(self.db, self.city.users["inspector"], self.city.tickets[name], VerifyIn(
                action_id=uuid.uuid4(), passed=passed, note=None if passed else "仍有残留 redo", deadline=deadline))
        self.db.commit()
        return self

    # ---- deadline exceptions, through the real exception actions --------------------------------------

    def ask(self, name: str, when: datetime, unit: str, kind: str, deadline: datetime | None = None):
        """Unit staff ask for an extension / return / suspension: the ticket stays dispatched, one request waits."""
        reason = {"extension": "需采购材料", "return": "不属于本单位", "suspension": "需列入工程计划"}[kind]
        with clock_at(when):
            tickets_actions.request(self.db, self.city.users[f"staff_{unit}"], self.city.tickets[name], RequestIn(
                action_id=uuid.uuid4(), kind=kind, reason=reason, deadline=deadline))
        self.db.commit()
        return self

    def decide(self, name: str, when: datetime, approve: bool, *, deadline: datetime | None = None,
               to_unit: str | None = None, by: str = "dispatcher"):
        """The office decides the pending request (suspension: `deadline` is the review date)."""
        tid = self.city.tickets[name]
        r = self.db.exec(select(TicketRequest).where(TicketRequest.ticket_id == tid,
                                                     TicketRequest.state == "pending")).one()
        body = DecisionIn(action_id=uuid.uuid4(), approve=approve, note=None if approve else "理由不充分",
                          unit_id=self.city.units[to_unit].id if to_unit else None,
                          **({"review_at": deadline} if r.kind == "suspension" else {"deadline": deadline}))
        with clock_at(when):
            tickets_actions.decide(self.db, self.city.users[by], tid, r.id, body)
        self.db.commit()
        return self

    def void(self, name: str, when: datetime):
        with clock_at(when):
            tickets_actions.void(self.db, self.city.users["dispatcher"], self.city.tickets[name],
                                 VoidIn(action_id=uuid.uuid4(), reason="重复案件，派遣后发现"))
        self.db.commit()
        return self

    def urge(self, name: str, when: datetime):
        with clock_at(when):
            tickets_actions.urge(self.db, self.city.users["dispatcher"], self.city.tickets[name],
                                 UrgeIn(action_id=uuid.uuid4(), note="请尽快整改"))
        self.db.commit()
        return self

    def supervise(self, name: str, when: datetime, note: str = "限期整改到位"):
        with clock_at(when):
            tickets_actions.supervise(self.db, self.city.users["leader"], self.city.tickets[name],
                                      SuperviseIn(action_id=uuid.uuid4(), note=note))
        self.db.commit()
        return self

    def cancel(self, name: str, when: datetime):
        with clock_at(when):
            tickets_actions.cancel(self.db, self.city.users["dispatcher"], self.city.tickets[name],
                                   CancelIn(action_id=uuid.uuid4(), reason="重复"))
        self.db.commit()
        return self


def build_city(db: Session) -> City:
    a = make_unit(db, "A 区", kind="district")
    units = {"A": a, "A1": make_unit(db, "A1 街道", kind="street", parent_id=a.id),
             "B": make_unit(db, "B 局"), "C": make_unit(db, "C 局")}
    users = {"inspector": make_user(db, Role.inspector), "dispatcher": make_user(db, Role.dispatcher),
             "leader": make_user(db, Role.leader)}
    for key, unit in units.items():
        users[f"staff_{key}"] = make_user(db, Role.unit_staff, unit)
    city = City(units=units, users=users)
    b = _Builder(db, city)
    b.report("t1", at(10, 5, 9)).dispatch("t1", at(10, 5, 10), "A", at(10, 7, 10)) \
        .rectify("t1", at(10, 6, 10), "A").verify("t1", at(10, 6, 16), True)
    b.report("t2", at(10, 5, 8)).dispatch("t2", at(10, 5, 12), "A", at(10, 6, 12)) \
        .rectify("t2", at(10, 7, 12), "A").verify("t2", at(10, 8, 12), True)
    b.report("t3", at(10, 6, 9)).dispatch("t3", at(10, 6, 11), "A", at(10, 8, 11)) \
        .rectify("t3", at(10, 7, 11), "A").verify("t3", at(10, 7, 15), False, at(10, 9, 15)) \
        .rectify("t3", at(10, 8, 15), "A").verify("t3", at(10, 9, 9), True)
    b.report("t4", at(10, 6, 10)).dispatch("t4", at(10, 6, 10, 30), "B", at(10, 8, 10, 30))
    b.report("t5", at(10, 7, 9)).dispatch("t5", at(10, 7, 10), "B", FAR) \
        .rectify("t5", at(10, 8, 10), "B").verify("t5", at(10, 8, 12), False, FAR)
    b.report("t6", at(10, 7, 9)).dispatch("t6", at(10, 7, 9, 30), "B", FAR).ask("t6", at(10, 7, 11, 30), "B", "return") \
        .decide("t6", at(10, 7, 12), True).dispatch("t6", at(10, 12, 9), "C", at(10, 13, 9)).rectify("t6", at(10, 13, 8), "C") \
        .verify("t6", at(10, 13, 10), True)
    b.report("t7", at(10, 8, 9)).cancel("t7", at(10, 8, 10))
    b.report("t8", at(10, 11, 22)).dispatch("t8", at(10, 12, 9), "A", FAR)
    b.report("t9", at(10, 4, 20)).dispatch("t9", at(10, 5, 0, 30), "A1", at(10, 6, 0, 30)) \
        .rectify("t9", at(10, 5, 20), "A1").verify("t9", at(10, 6, 9), True)
    b.report("t10", at(10, 4, 8)).dispatch("t10", at(10, 4, 23, 30), "B", at(10, 6, 23, 30)) \
        .rectify("t10", at(10, 5, 10), "B").verify("t10", at(10, 5, 12), True)
    b.report("t11", at(10, 5, 9))
    b.report("t12", at(10, 9, 9)).dispatch("t12", at(10, 9, 10), "C", at(10, 10, 10)) \
        .rectify("t12", at(10, 10, 9), "C")
    b.report("t13", at(9, 29, 9)).dispatch("t13", at(9, 29, 10), "A", at(9, 30, 10))
    b.report("t14", at(9, 30, 9)).dispatch("t14", at(9, 30, 10), "C", at(10, 2, 10)) \
        .rectify("t14", at(10, 1, 10), "C").verify("t14", at(10, 1, 12), True)
    b.report("t17", at(10, 9, 8)).dispatch("t17", at(10, 9, 9), "C", at(10, 10, 9)) \
        .rectify("t17", at(10, 9, 12), "C").verify("t17", at(10, 9, 14), False, at(10, 10, 14)) \
        .rectify("t17", at(10, 10, 10), "C").verify("t17", at(10, 10, 12), False, at(10, 11, 12)) \
        .rectify("t17", at(10, 11, 10), "C").verify("t17", at(10, 11, 11), True)
    # Deadline exceptions.
    b.ask("t4", at(10, 7, 9), "B", "extension", at(10, 10, 10, 30)).decide("t4", at(10, 7, 11), False) \
        .urge("t4", at(10, 8, 12)).urge("t4", at(10, 9, 9)) \
        .supervise("t4", at(10, 9, 10)).supervise("t4", at(10, 10, 10), "再次督办<b>")
    b.ask("t5", at(10, 8, 20), "B", "extension", FAR + timedelta(days=60)) \
        .decide("t5", at(10, 9, 9), True, deadline=FAR + timedelta(days=30))
    b.ask("t13", at(10, 6, 9), "A", "suspension").decide("t13", at(10, 6, 10), True, deadline=FAR)
    b.report("t15", at(10, 8, 9)).dispatch("t15", at(10, 8, 10), "C", FAR).void("t15", at(10, 9, 11))
    b.report("t16", at(10, 2, 9)).dispatch("t16", at(10, 2, 10), "B", FAR).ask("t16", at(10, 5, 9), "B", "return") \
        .decide("t16", at(10, 5, 10), True, deadline=FAR, to_unit="A")
    # Week X.
    b.report("t21", datetime(2026, 11, 3, 9, tzinfo=TZ)) \
        .dispatch("t21", datetime(2026, 11, 3, 12, tzinfo=TZ), "B", datetime(2026, 11, 5, 12, tzinfo=TZ)) \
        .rectify("t21", datetime(2026, 11, 4, 10, tzinfo=TZ), "B") \
        .verify("t21", datetime(2026, 11, 6, 10, tzinfo=TZ), True)
    b.report("t22", datetime(2026, 11, 4, 9, tzinfo=TZ), code="07001") \
        .dispatch("t22", datetime(2026, 11, 4, 9, 30, tzinfo=TZ), "A1", FAR) \
        .rectify("t22", datetime(2026, 11, 4, 15, tzinfo=TZ), "A1") \
        .verify("t22", datetime(2026, 11, 5, 16, tzinfo=TZ), False, FAR) \
        .rectify("t22", datetime(2026, 11, 6, 9, tzinfo=TZ), "A1") \
        .verify("t22", datetime(2026, 11, 6, 10, tzinfo=TZ), True)
    return city


WEEK_X_ON = "2026-11-04"  # any day of week X
WEEK_ON = "2026-10-07"  # any day of week W
NOW_AFTER = at(10, 14, 12) + timedelta(0)  # a "now" in week N for the trend


def assert_rows_add_up(summary: dict) -> None:
    """Every count of the total is the units' rows plus the row of tickets at no unit."""
    rows = [*summary["units"], *([summary["unassigned"]] if summary["unassigned"] else [])]
    counts = [k for k, v in summary["total"].items() if isinstance(v, int) and k != "unit_id"]
    assert counts and {k: sum(r[k] for r in rows) for k in counts} == {k: summary["total"][k] for k in counts}
    if summary["total"].get("previous"):  # and so do the previous period's (环比), row by row
        assert {k: sum(r["previous"][k] for r in rows) for k in counts} == \
            {k: summary["total"]["previous"][k] for k in counts}
    for b in summary.get("breakdowns") or []:
        assert {k: sum(r[k] for r in b["rows"]) for k in counts} == {k: summary["total"][k] for k in counts}, b["kind"]
        if summary["total"].get("previous"):
            assert {k: sum(r["previous"][k] for r in b["rows"]) for k in counts} == \
                {k: summary["total"]["previous"][k] for k in counts}, b["kind"]
