"""A published week reproduced: Zhengzhou's weekly report, scaled down, through the real services.

The published week: 应结案数 52,434; 结案率 43,523 / 52,434 = 83.0 %; 按期结案率 40,394 / 52,434 = 77.0 %;
返工率 = 返工数 276 / 52,434 = 0.53 %; 延期率 = 104 / 52,434 = 0.20 %.

The smallest 应结案数 that gives all four percentages at their printed precision is 1,496 (found by trying
every base from 100 up): 结案 1,241 (82.955 % → 83.0 %), 按期 1,152 (77.005 % → 77.0 %), 返工 8 times
(0.535 % → 0.53 %), 延期 3 (0.2005 % → 0.20 %). The city:

| kind | how many | story (week of Mon 2026-11-02, local; each dispatched 11-02 09:00, deadline 11-03 09:00) |
|------|---------:|--------------------------------------------------------------------------------------------|
| on time   | 1,149 | rect 11-02 15:00, pass 16:00                                                               |
| extended  |     3 | extension asked 11-02 10:00, approved 11:00 to 11-05 09:00; rect 11-04 15:00 (after the     |
|           |       | first deadline, before the extended one), pass 16:00 → on time: an extension moves it        |
| late      |    85 | rect 11-03 15:00, pass 16:00                                                               |
| reworked  |     4 | rect 11-02 12:00, FAIL 14:00 (dl 11-03 14:00), rect 11-03 10:00, FAIL 11:00 (dl 11-04      |
|           |       | 11:00), rect 11-04 10:00, pass 11:00 → late (a 返工 does not move the office's deadline),   |
|           |       | two 返工 each                                                                              |
| open      |   255 | never rectified: past the deadline, not closed                                             |

As of Mon 11-09 12:00 every deadline has passed: 应结案 = 派遣 = 1,149 + 3 + 85 + 4 + 255 = 1,496;
结案 = 1,149 + 3 + 85 + 4 = 1,241; 按期 = 1,149 + 3 = 1,152; 超期结案 = 85 + 4 = 89; 超期未结案 = 255;
返工次数 = 4 × 2 = 8 (返工案件数 4); 延期 3 (÷ 派遣数, which is 应结案数 here).

The few tickets that carry a rule (extended, reworked) and one of each other kind are built through the
services, with the clock frozen at each step; the other copies of "on time", "late" and "open" are cloned
from their first ticket in bulk (ticket row, timeline and assignment), since 1,500 tickets through the
services would take minutes on PostgreSQL.
"""

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from app.stats import service
from app.stats.periods import resolve_period
from app.stats.schemas import Scope
from app.tickets.models import Ticket, TicketAssignment, TicketEvent
from app.users.roles import Role
from tests.conftest import make_unit, make_user
from tests.stats.cases import City, _Builder

TZ = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=TZ)


def _clone(db, ticket_id: uuid.UUID, copies: int, tag: str) -> None:
    """`copies` more tickets exactly like this one (same unit, times, timeline), with new ids and numbers."""
    def rows(model, *where):
        return [dict(r) for r in db.execute(select(model.__table__).where(*where)).mappings()]

    (row,) = rows(Ticket, Ticket.id == ticket_id)
    events = rows(TicketEvent, TicketEvent.ticket_id == ticket_id)
    (assignment,) = rows(TicketAssignment, TicketAssignment.ticket_id == ticket_id)
    tickets, timeline, assignments = [], [], []
    for i in range(copies):
        new_id = uuid.uuid4()
        tickets.append(row | {"id": new_id, "case_number": f"ZZ-{tag}-{i:05d}"})
        timeline += [{k: v for k, v in e.items() if k != "id"} | {"ticket_id": new_id, "action_id": None}
                     for e in events]
        assignments.append(assignment | {"ticket_id": new_id})
    db.execute(insert(Ticket), tickets)
    db.execute(insert(TicketEvent), timeline)
    db.execute(insert(TicketAssignment), assignments)
    db.commit()


def test_zhengzhou_week_scaled_down(db):
    unit = make_unit(db, "郑州某区")
    users = {"inspector": make_user(db, Role.inspector), "dispatcher": make_user(db, Role.dispatcher),
             "leader": make_user(db, Role.leader), "staff_Z": make_user(db, Role.unit_staff, unit)}
    city = City(units={"Z": unit}, users=users)
    b = _Builder(db, city)
    deadline = at(3, 9)

    def dispatched(name: str) -> _Builder:
        return b.report(name, at(2, 8)).dispatch(name, at(2, 9), "Z", deadline)

    dispatched("on_time").rectify("on_time", at(2, 15), "Z").verify("on_time", at(2, 16), True)
    dispatched("late").rectify("late", at(3, 15), "Z").verify("late", at(3, 16), True)
    dispatched("open")
    for i in range(3):
        name = f"extended{i}"
        dispatched(name).ask(name, at(2, 10), "Z", "extension", at(5, 9)) \
            .decide(name, at(2, 11), True, deadline=at(5, 9)) \
            .rectify(name, at(4, 15), "Z").verify(name, at(4, 16), True)
    for i in range(4):
        name = f"reworked{i}"
        dispatched(name).rectify(name, at(2, 12), "Z").verify(name, at(2, 14), False, at(3, 14)) \
            .rectify(name, at(3, 10), "Z").verify(name, at(3, 11), False, at(4, 11)) \
            .rectify(name, at(4, 10), "Z").verify(name, at(4, 11), True)
    _clone(db, city.tickets["on_time"], 1149 - 1, "ON")
    _clone(db, city.tickets["late"], 85 - 1, "LATE")
    _clone(db, city.tickets["open"], 255 - 1, "OPEN")

    period = resolve_period("week", at(4, 12).date())
    s = service.summary(db, users["leader"], period, Scope(), now=at(9, 12), with_durations=False)
    t = s.total
    assert (t.dispatched, t.due, t.closed, t.closed_on_time, t.closed_late, t.overdue_unclosed) == \
        (1496, 1496, 1241, 1152, 89, 255)
    assert (t.rework_times, t.reworked, t.extended) == (8, 4, 3)
    # The published percentages, at their printed precision.
    assert f"{t.closure_rate:.1%}" == "83.0%"
    assert f"{t.on_time_rate:.1%}" == "77.0%"
    assert f"{t.rework_rate:.2%}" == "0.53%"
    assert f"{t.extension_rate:.2%}" == "0.20%"
    # Against the deadline in force after the last 返工, the four reworked tickets were "on time" (1,156).
    assert t.closed_on_time == 1149 + 3
