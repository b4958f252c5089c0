"""Reminders: 预超期 and overdue once per threshold per ticket and deadline, nothing for a ticket that moved on,
and each unit's daily digest once a day."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from app.core.types import utcnow
from app.jobs.models import Job
from app.jobs.worker import Worker
from app.notifications import reminders
from app.notifications.models import Delivery, Notification
from app.tickets.models import Ticket
from app.users.roles import Role
from tests.conftest import action, login, make_unit, make_user, report, upload_photo

pytestmark = pytest.mark.commits


@pytest.fixture
def w(client, db):
    unit = make_unit(db, "市容环卫处")
    h = {"inspector": login(client, make_user(db, Role.inspector)),
         "dispatcher": login(client, make_user(db, Role.dispatcher)),
         "admin": login(client, make_user(db, Role.admin)),
         "staff": login(client, make_user(db, Role.unit_staff, unit)),
         "staff2": login(client, make_user(db, Role.unit_staff, unit))}
    return {"unit": unit, "h": h}


def dispatch(client, w, hours: float) -> dict:
    t = report(client, w["h"]["inspector"])
    deadline = (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0)
    r = action(client, w["h"]["dispatcher"], t["id"], "dispatch", unit_id=w["unit"].id, deadline=deadline.isoformat())
    assert r.status_code == 200, r.text
    return r.json()


def reminder_jobs(db, ticket_id=None) -> list[Job]:
    db.rollback()
    db.expire_all()
    rows = db.exec(select(Job).where(Job.kind == reminders.REMIND_JOB).order_by(Job.id)).all()
    return [j for j in rows if ticket_id is None or j.payload["ticket_id"] == ticket_id]


def run_due(db, *jobs_: Job) -> None:
    db.exec(update(Job).where(Job.id.in_([j.id for j in jobs_])).values(run_after=utcnow() - timedelta(seconds=1)))
    db.commit()
    Worker().run_until_idle()


def inbox_kinds(client, headers) -> list[str]:
    return [n["kind"] for n in client.get("/api/notifications", headers=headers).json()["items"]]


def test_near_and_overdue_are_scheduled_at_the_moments_the_lists_use_and_sent_once(client, w, db):
    t = dispatch(client, w, hours=30)
    near, overdue = reminder_jobs(db, t["id"])
    deadline = datetime.fromisoformat(t["deadline_at"])
    assert (near.payload["threshold"], overdue.payload["threshold"]) == ("near_deadline", "overdue")
    # 预超期: a quarter of the 30 h given (7.5 h) is more than the 4 h floor.
    assert abs((deadline - near.run_after) - timedelta(hours=7.5)) < timedelta(seconds=5)
    assert overdue.run_after == deadline
    run_due(db, near)
    for who in ("staff", "staff2"):
        assert inbox_kinds(client, w["h"][who]) == ["near_deadline", "dispatched"]
    text = client.get("/api/notifications", headers=w["h"]["staff"]).json()["items"][0]["text"]
    assert text.startswith(f"【预超期】{t['case_number']}") and "整改时限" in text
    # The same reminder asked twice (a duplicate job) is one message.
    db.add(Job(kind=reminders.REMIND_JOB, payload=dict(near.payload)))
    db.commit()
    Worker().run_until_idle()
    assert inbox_kinds(client, w["h"]["staff"]) == ["near_deadline", "dispatched"]
    run_due(db, overdue)
    assert inbox_kinds(client, w["h"]["staff"]) == ["overdue", "near_deadline", "dispatched"]


def test_a_ticket_given_less_than_the_hours_is_reminded_when_half_its_time_is_gone(client, w, db):
    """Given 3 h (under the 4 h of XUNCHA_NEAR_DEADLINE_HOURS) it used to be 预超期 from its dispatch, with no
    reminder of its own: it turns near, and is reminded, once half its time is gone."""
    t = dispatch(client, w, hours=3)
    near, overdue = reminder_jobs(db, t["id"])
    assert (near.payload["threshold"], overdue.payload["threshold"]) == ("near_deadline", "overdue")
    deadline = datetime.fromisoformat(t["deadline_at"])
    assert abs((deadline - near.run_after.replace(tzinfo=UTC)) - timedelta(hours=1.5)) < timedelta(seconds=5)


def test_a_rectified_or_extended_ticket_is_not_reminded_of_an_old_deadline(client, w, db):
    h = w["h"]
    done = dispatch(client, w, hours=30)
    photo = upload_photo(client, h["staff"])["id"]
    assert action(client, h["staff"], done["id"], "rectify", note="已清理", photo_ids=[photo]).status_code == 200
    extended = dispatch(client, w, hours=30)
    later = (datetime.now(UTC) + timedelta(days=5)).replace(microsecond=0)
    r = action(client, h["staff"], extended["id"], "requests", kind="extension", reason="材料", deadline=later.isoformat())
    rid = r.json()["requests"][0]["id"]
    assert action(client, h["dispatcher"], extended["id"], f"requests/{rid}/decision", approve=True).status_code == 200
    first = datetime.fromisoformat(extended["deadline_at"])
    old = [j for j in reminder_jobs(db, extended["id"]) if datetime.fromisoformat(j.payload["deadline_at"]) == first]
    new = [j for j in reminder_jobs(db, extended["id"]) if datetime.fromisoformat(j.payload["deadline_at"]) != first]
    assert len(old) == 2 and [j.payload["threshold"] for j in new] == ["near_deadline", "overdue"]
    assert datetime.fromisoformat(new[1].payload["deadline_at"]) == later
    run_due(db, *reminder_jobs(db, done["id"]), *old)
    kinds = inbox_kinds(client, h["staff"])
    assert "near_deadline" not in kinds and "overdue" not in kinds
    run_due(db, new[0])
    assert inbox_kinds(client, h["staff"])[0] == "near_deadline"


def test_a_near_reminder_run_after_the_deadline_says_nothing(client, w, db):
    """A 预超期 job that runs late (the server was down, or the demo city seeded with past deadlines) does not
    tell the unit "near its deadline" beside the overdue message of the same deadline."""
    t = dispatch(client, w, hours=30)
    near, overdue = reminder_jobs(db, t["id"])
    past = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
    ticket = db.get(Ticket, uuid.UUID(t["id"]))
    ticket.deadline_at = past
    db.add(ticket)
    late = [Job(kind=reminders.REMIND_JOB, payload=dict(j.payload, deadline_at=past.isoformat())) for j in (near, overdue)]
    db.add_all(late)
    db.commit()
    run_due(db, *late)
    assert inbox_kinds(client, w["h"]["staff"]) == ["overdue", "dispatched"]


def test_the_daily_digest_counts_each_units_open_tasks_once_a_day(client, w, db):
    overdue, today = dispatch(client, w, hours=30), dispatch(client, w, hours=30)
    dispatch(client, w, hours=200)
    report(client, w["h"]["inspector"])  # waiting for triage
    now = utcnow()
    db.exec(update(Ticket).where(Ticket.id == uuid.UUID(overdue["id"])).values(deadline_at=now - timedelta(hours=1)))
    # Due later today in the city's time zone (Asia/Shanghai): one minute before local midnight, if still ahead.
    local = now.astimezone(reminders.get_settings().tz)
    end = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tzinfo=local.tzinfo)
    due_today = max(end - timedelta(minutes=1), now + timedelta(seconds=30))
    db.exec(update(Ticket).where(Ticket.id == uuid.UUID(today["id"])).values(deadline_at=due_today))
    db.commit()
    for _ in range(2):
        db.add(Job(kind=reminders.DIGEST_JOB, payload={}))
        db.commit()
        Worker().run_until_idle()
    db.rollback()
    digests = db.exec(select(Notification).where(Notification.kind == "digest")).all()
    assert len(digests) == 2  # two staff of one unit, once each although the digest ran twice
    data = digests[0].data
    assert (data["open"], data["overdue"], data["due_today"]) == (3, 1, 1 if due_today < end else 0)
    assert digests[0].text == f"【每日提醒】{data['date']}：在办 3 件，今日到期 {data['due_today']} 件，已超期 1 件"
    # The dispatchers hear what waits for the office, once a day, instead of a message per report.
    [office] = db.exec(select(Notification).where(Notification.kind == "office_digest")).all()
    assert office.text == f"【每日待办】{data['date']}：待分拨 1 件，待审批 0 件，待核查 0 件"
    queued = db.exec(select(Job).where(Job.kind == reminders.DIGEST_JOB, Job.state == "queued")).all()
    assert len(queued) == 1 and queued[0].run_after == reminders.next_digest_at(
        utcnow(), reminders.get_settings().digest_hour)  # tomorrow's, once


def test_a_reminder_reaches_the_units_robot_too(client, w, db):
    from tests.notifications import receiver as fake
    rx = fake.start()
    try:
        r = client.post("/api/notifications/channels", headers=w["h"]["admin"],
                        json={"name": "群", "kind": "wecom", "unit_id": w["unit"].id, "url": f"{rx.base}/send?key=k"})
        assert r.status_code == 201, r.text
        t = dispatch(client, w, hours=30)
        near, _ = reminder_jobs(db, t["id"])
        run_due(db, near)
        Worker().run_until_idle()
        contents = [x.body["markdown"]["content"] for x in rx.received]
        assert [c.split("】")[0] for c in contents] == ["**【新任务", "**【预超期"]
        db.rollback()
        assert len(db.exec(select(Delivery)).all()) == 2
    finally:
        rx.close()
