"""What an admin edits as data: a person's own SMS (subscriptions), the digest hour, the 预超期 thresholds, the
channel kinds each message goes through, and the message templates — through the API, against real HTTP
receivers on 127.0.0.1 and the job worker run under a controllable clock (`clock_at`)."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from app.core.types import clock_at, utcnow
from app.jobs.models import Job
from app.jobs.worker import Worker
from app.notifications import reminders
from app.notifications.models import Delivery, Notification, Setting, Subscription
from app.users.roles import Role
from tests.conftest import action, login, make_unit, make_user, report
from tests.notifications import receiver as fake

pytestmark = pytest.mark.commits
CITY = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def rx():
    r = fake.start()
    yield r
    r.close()


@pytest.fixture
def w(client, db):
    unit, other = make_unit(db, "市容环卫处"), make_unit(db, "园林处")
    users = {"staff": make_user(db, Role.unit_staff, unit), "other_staff": make_user(db, Role.unit_staff, other),
             "dispatcher": make_user(db, Role.dispatcher),
             "leader": make_user(db, Role.leader)}
    h = {"inspector": login(client, make_user(db, Role.inspector)), "admin": login(client, make_user(db, Role.admin)),
         **{k: login(client, u) for k, u in users.items()}}
    return {"unit": unit, "other": other, "h": h, "users": users}


def dispatch(client, w, hours: float | None = None, unit=None) -> dict:
    t = report(client, w["h"]["inspector"])
    body = {"unit_id": (unit or w["unit"]).id}
    if hours is not None:
        body["deadline"] = (datetime.now(UTC) + timedelta(hours=hours)).replace(microsecond=0).isoformat()
    r = action(client, w["h"]["dispatcher"], t["id"], "dispatch", **body)
    assert r.status_code == 200, r.text
    return r.json()


def put_settings(client, w, **body):
    return client.put("/api/notifications/settings", headers=w["h"]["admin"], json=body)


def fresh(db):
    db.rollback()
    db.expire_all()
    return db


# ---- a person's own SMS ---------------------------------------------------------------------------

def test_a_responsible_person_is_texted_the_kinds_they_chose_of_what_they_may_see(client, w, db, rx):
    admin = w["h"]["admin"]
    gw = client.post("/api/notifications/channels", headers=admin, json={
        "name": "短信网关", "kind": "sms", "url": f"{rx.base}/sms", "secret": "GW-TOKEN",
        "template": "【巡查】{text}"}).json()
    for who, phone in (("staff", "13800138000"), ("other_staff", "13900139000")):
        r = client.put(f"/api/notifications/subscriptions/{w['users'][who].id}", headers=admin,
                       json={"channel_id": gw["id"], "phone": phone, "kinds": ["dispatched", "rework", "dispatched"]})
        assert r.status_code == 200, r.text
    got = client.get(f"/api/notifications/subscriptions/{w['users']['staff'].id}", headers=admin).json()
    assert got["phone"] == "138****8000" and got["kinds"] == ["dispatched", "rework"] and got["enabled"] is True
    assert "13800138000" not in str(client.get("/api/notifications/subscriptions", headers=admin).json())
    t = dispatch(client, w)
    assert action(client, w["h"]["dispatcher"], t["id"], "urge", note="请尽快").status_code == 200  # not chosen
    Worker().run_until_idle()
    # One SMS: the dispatch, to this person's number only; the other unit's person is told nothing of it, and a
    # gateway without numbers of its own sends no office messages.
    [sms] = rx.received
    assert sms.path == "/sms" and sms.body["phones"] == ["13800138000"]
    assert sms.headers["Authorization"] == "Bearer GW-TOKEN"
    assert sms.body["text"] == f"【巡查】【新任务】{t['case_number']} 暴露垃圾｜示例路 1 号｜整改时限 " + _local(t["deadline_at"])
    assert sms.body["id"] == f"xc-{sms.body['id'].split('-')[1]}-dispatched-u{w['users']['staff'].id}"
    log = client.get(f"/api/notifications/channels/{gw['id']}/deliveries", headers=admin).json()["items"]
    assert [(d["kind"], d["state"]) for d in log] == [("dispatched", "sent")]
    # Stopped: the number is forgotten and nothing more is texted.
    assert client.delete(f"/api/notifications/subscriptions/{w['users']['staff'].id}", headers=admin).status_code == 204
    dispatch(client, w)
    Worker().run_until_idle()
    assert len(rx.received) == 1
    assert fresh(db).exec(select(Subscription.phone).where(Subscription.user_id == w["users"]["staff"].id)).one() \
        != "13800138000"


def test_bad_subscriptions_are_refused(client, w, db, rx):
    admin = w["h"]["admin"]
    hook = client.post("/api/notifications/channels", headers=admin,
                       json={"name": "w", "kind": "webhook", "url": f"{rx.base}/w"}).json()
    gw = client.post("/api/notifications/channels", headers=admin,
                     json={"name": "g", "kind": "sms", "url": f"{rx.base}/g"}).json()
    uid = w["users"]["staff"].id
    for body, status in (({"channel_id": hook["id"], "phone": "13800138000", "kinds": ["dispatched"]}, 422),
                         ({"channel_id": gw["id"], "kinds": ["dispatched"]}, 422),  # no number yet
                         ({"channel_id": gw["id"], "phone": "12345", "kinds": ["dispatched"]}, 422),
                         ({"channel_id": gw["id"], "phone": "13800138000", "kinds": ["lottery"]}, 422),
                         ({"channel_id": 999999, "phone": "13800138000", "kinds": []}, 422)):
        r = client.put(f"/api/notifications/subscriptions/{uid}", headers=admin, json=body)
        assert r.status_code == status, (body, r.text)
    assert client.put("/api/notifications/subscriptions/999999", headers=admin,
                      json={"channel_id": gw["id"], "phone": "13800138000", "kinds": []}).status_code == 404
    assert client.get(f"/api/notifications/subscriptions/{uid}", headers=admin).status_code == 404
    assert client.get("/api/notifications/subscriptions", headers=admin).json() == []
    # Set once, the number may be left out to keep it.
    client.put(f"/api/notifications/subscriptions/{uid}", headers=admin,
               json={"channel_id": gw["id"], "phone": "13800138000", "kinds": ["rework"]})
    r = client.put(f"/api/notifications/subscriptions/{uid}", headers=admin,
                   json={"channel_id": gw["id"], "kinds": ["dispatched"], "enabled": False})
    assert r.status_code == 200 and r.json()["phone"] == "138****8000" and r.json()["enabled"] is False
    # Removed, the number is forgotten: subscribing again without one is refused, never texts a placeholder.
    assert client.delete(f"/api/notifications/subscriptions/{uid}", headers=admin).status_code == 204
    r = client.put(f"/api/notifications/subscriptions/{uid}", headers=admin,
                   json={"channel_id": gw["id"], "kinds": ["dispatched"]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "phone_required", r.text
    assert client.get(f"/api/notifications/subscriptions/{uid}", headers=admin).json()["enabled"] is False


# ---- templates and routes ---------------------------------------------------------------------------

def _local(iso: str) -> str:
    at = datetime.fromisoformat(iso).astimezone(CITY)
    return f"{at.month}月{at.day}日 {at:%H:%M}"


def test_a_template_is_filled_from_its_placeholders_only_and_checked_on_save(client, w, db, rx):
    admin = w["h"]["admin"]
    r = put_settings(client, w, templates={"dispatched": "{title}：{case_number}（{category}），请于{deadline}前整改。"})
    assert r.status_code == 200, r.text
    assert "note" in r.json()["placeholders"]["dispatched"] and r.json()["templates"]["dispatched"].startswith("{title}")
    # The built-in texts, shown to the admin with example values, are the words a kind without a template sends.
    builtin = r.json()["builtin"]
    assert set(builtin) == set(r.json()["placeholders"])
    assert builtin["urged"] == "【催办】XC-2026-000123 占道经营｜向阳路 18 号｜说明：请尽快处理"
    assert builtin["digest"] == "【每日提醒】2026-06-01：在办 12 件，今日到期 3 件，已超期 1 件"
    client.post("/api/notifications/channels", headers=admin,
                json={"name": "平台", "kind": "webhook", "unit_id": w["unit"].id, "url": f"{rx.base}/hook"})
    t = dispatch(client, w, hours=30)
    want = f"新任务：{t['case_number']}（暴露垃圾），请于{_local(t['deadline_at'])}前整改。"
    [n] = client.get("/api/notifications", headers=w["h"]["staff"]).json()["items"]
    assert n["text"] == want
    Worker().run_until_idle()
    assert rx.received[0].body["text"] == want
    # User text holding a placeholder is shown as typed, never filled in (one pass, no evaluation).
    put_settings(client, w, templates={"urged": "催办 {case_number}：{note}"})
    assert action(client, w["h"]["dispatcher"], t["id"], "urge", note="{case_number} {__class__}").status_code == 200
    urged = client.get("/api/notifications", headers=w["h"]["staff"]).json()["items"][0]
    assert urged["text"] == f"催办 {t['case_number']}：{{case_number}} {{__class__}}"
    # Refused on save, and nothing of the request is stored.
    for bad in ("{password}", "{case_number.__class__}", "{case_number!r}", "{deadline:>99999}", "{", "}{",
                "{{case_number}}", "{ }", "{open}"):
        r = put_settings(client, w, digest_hour=3, templates={"dispatched": "ok", "rework": bad})
        assert r.status_code == 422, (bad, r.text)
    assert put_settings(client, w, templates={"lottery": "x"}).status_code == 422
    assert put_settings(client, w, templates={"dispatched": ""}).status_code == 422
    assert put_settings(client, w, templates={"dispatched": "x" * 501}).status_code == 422
    got = client.get("/api/notifications/settings", headers=admin).json()
    assert got["digest_hour"] == 8 and set(got["templates"]) == {"dispatched", "urged"}
    # A kind null: back to its built-in text; all null: every kind's.
    assert put_settings(client, w, templates={"urged": None}).json()["templates"] == {
        "dispatched": "{title}：{case_number}（{category}），请于{deadline}前整改。"}
    assert put_settings(client, w, templates=None).json()["templates"] == {}


def test_routes_send_each_kind_through_the_channel_kinds_chosen(client, w, db, rx):
    admin = w["h"]["admin"]
    for kind, path in (("wecom", "/robot?key=k"), ("webhook", "/hook")):
        client.post("/api/notifications/channels", headers=admin,
                    json={"name": kind, "kind": kind, "unit_id": w["unit"].id, "url": f"{rx.base}{path}"})
    r = put_settings(client, w, routes={"dispatched": ["webhook"], "urged": []})
    assert r.status_code == 200 and r.json()["routes"] == {"dispatched": ["webhook"], "urged": []}
    assert put_settings(client, w, routes={"rework": ["sms", "wecom"], "urged": []}).json()["routes"] == {
        "dispatched": ["webhook"], "urged": [], "rework": ["sms", "wecom"]}  # merged
    assert put_settings(client, w, routes={"dispatched": ["fax"]}).status_code == 422
    t = dispatch(client, w)
    assert action(client, w["h"]["dispatcher"], t["id"], "urge", note="快").status_code == 200
    assert action(client, w["h"]["leader"], t["id"], "supervise", note="督办").status_code == 200
    Worker().run_until_idle()
    got = sorted((x.path, (x.body.get("kind") or x.body["markdown"]["content"][3:5])) for x in rx.received)
    # dispatched only to the webhook, urged nowhere, supervised (not routed) to both.
    assert got == [("/hook", "dispatched"), ("/hook", "supervised"), ("/robot", "督办")]
    inbox = [n["kind"] for n in client.get("/api/notifications", headers=w["h"]["staff"]).json()["items"]]
    assert inbox == ["supervised", "urged", "dispatched"]  # the inbox is not routed


# ---- schedules, under a controllable clock ----------------------------------------------------------------

def test_a_new_digest_hour_moves_the_queued_digest_and_holds_for_the_next_days(client, w, db):
    dispatch(client, w, hours=200)
    Worker().run_until_idle()  # what is due now (the photos' jobs)
    reminders.start_digest()
    [job] = fresh(db).exec(select(Job).where(Job.kind == reminders.DIGEST_JOB, Job.state == "queued")).all()
    assert job.run_after.astimezone(CITY).hour == 8  # XUNCHA_DIGEST_HOUR, the default
    r = put_settings(client, w, digest_hour=20)
    assert r.status_code == 200 and r.json()["digest_hour"] == 20 and r.json()["digest_hour_default"] == 8
    [job] = fresh(db).exec(select(Job).where(Job.kind == reminders.DIGEST_JOB, Job.state == "queued")).all()
    local = utcnow().astimezone(CITY)
    at = datetime.combine(local.date(), time(20), tzinfo=CITY)
    at = at if at > local else at + timedelta(days=1)
    assert job.run_after == at
    _run_at(at - timedelta(seconds=1))
    assert fresh(db).get(Job, job.id).state == "queued"  # not yet
    _run_at(at + timedelta(seconds=1))
    assert fresh(db).get(Job, job.id).state == "done"
    digests = fresh(db).exec(select(Notification).where(Notification.kind == "digest")).all()
    assert [(n.user_id, n.data["date"], n.data["open"]) for n in digests] == [
        (w["users"]["staff"].id, at.date().isoformat(), 1)]
    [job] = db.exec(select(Job).where(Job.kind == reminders.DIGEST_JOB, Job.state == "queued")).all()
    assert job.run_after == at + timedelta(days=1)
    # Back to the default (null): the queued digest moves to 08:00.
    assert put_settings(client, w, digest_hour=None).json()["digest_hour"] == 8
    [job] = fresh(db).exec(select(Job).where(Job.kind == reminders.DIGEST_JOB, Job.state == "queued")).all()
    assert job.run_after.astimezone(CITY).hour == 8
    assert put_settings(client, w, digest_hour=24).status_code == 422


def _near(db, ticket_id: str) -> list[Job]:
    return [j for j in fresh(db).exec(select(Job).where(Job.kind == reminders.REMIND_JOB).order_by(Job.id)).all()
            if j.payload["ticket_id"] == ticket_id and j.payload["threshold"] == "near_deadline"]


def _run_at(when: datetime) -> int:
    with clock_at(when):
        return Worker().run_until_idle()


def test_near_deadline_thresholds_fire_once_each_and_a_change_holds_for_open_tasks(client, w, db):
    before = dispatch(client, w, hours=100)  # scheduled with the default moment (a quarter of 100 h: 25 h)
    assert [j.payload.get("hours") for j in _near(db, before["id"])] == [None]
    r = put_settings(client, w, near_deadline_hours=[24, 72, 24])
    assert r.status_code == 200 and r.json()["near_deadline_hours"] == [72, 24]
    t = dispatch(client, w, hours=100)
    deadline = datetime.fromisoformat(t["deadline_at"])
    jobs = _near(db, t["id"])
    assert sorted((j.payload["hours"], j.run_after) for j in jobs) == [
        (24, deadline - timedelta(hours=24)), (72, deadline - timedelta(hours=72))]
    # The ticket dispatched before the change got the new thresholds too; its default moment no longer fires.
    assert sorted(j.payload.get("hours") or 0 for j in _near(db, before["id"])) == [0, 24, 72]
    staff = w["users"]["staff"].id

    def near_messages():
        return [(n.ticket_id.hex, n.dedupe_key.split("-")[1]) for n in fresh(db).exec(
            select(Notification).where(Notification.user_id == staff, Notification.kind == "near_deadline")
            .order_by(Notification.id)).all()]

    _run_at(deadline - timedelta(hours=72) + timedelta(seconds=5))
    _run_at(deadline - timedelta(hours=72) + timedelta(seconds=6))
    tid, bid = t["id"].replace("-", ""), before["id"].replace("-", "")
    assert sorted(near_messages()) == sorted([(tid, "72h"), (bid, "72h")])  # once each, the old moment silent
    # A duplicate job of a threshold that fired is no second message.
    db.add(Job(kind=reminders.REMIND_JOB, payload=dict(jobs[0].payload), run_after=utcnow()))
    db.commit()
    _run_at(deadline - timedelta(hours=24) + timedelta(seconds=5))
    assert sorted(near_messages()) == sorted([(tid, "72h"), (bid, "72h"), (tid, "24h"), (bid, "24h")])
    # Thresholds dropped since do nothing: with [48] a queued 24 h job stays silent, a new 48 h job fires.
    later = dispatch(client, w, hours=100)
    put_settings(client, w, near_deadline_hours=[48])
    ld = datetime.fromisoformat(later["deadline_at"])
    assert sorted(j.payload["hours"] for j in _near(db, later["id"])) == [24, 48, 72]
    _run_at(ld + timedelta(seconds=-1))
    mine = [k for i, k in near_messages() if i == later["id"].replace("-", "")]
    assert mine == ["48h"]
    text = fresh(db).exec(select(Notification.text).where(
        Notification.dedupe_key == f"near_deadline-48h-{later['id']}-{int(ld.timestamp())}")).first()
    assert text.startswith(f"【预超期】{later['case_number']}")
    assert put_settings(client, w, near_deadline_hours=[0]).status_code == 422
    assert put_settings(client, w, near_deadline_hours=[1, 2, 3, 4, 5, 6]).status_code == 422
    assert fresh(db).get(Setting, "near_deadline_hours").value == {"v": [48]}
    assert not db.exec(select(Delivery)).all()  # no channels: nothing queued


def test_a_change_holds_at_once_in_a_worker_process_already_running(client, w, db, tmp_path):
    """No cache in the way: a real worker process started before the change sends with the new template."""
    import os
    import subprocess
    import sys
    import time as time_

    from sqlalchemy import update

    from tests.dbutil import ROOT
    t = dispatch(client, w, hours=30)
    log = tmp_path / "worker.log"
    env = dict(os.environ, PYTHONUNBUFFERED="1")  # the suite's database (XUNCHA_DATABASE_URL)
    worker = subprocess.Popen([sys.executable, "-m", "app.jobs.worker", "--poll", "0.2"], cwd=ROOT, env=env,
                              stdout=log.open("wb"), stderr=subprocess.STDOUT)
    try:
        time_.sleep(1.5)  # started and idle: it has read whatever it reads at start
        r = put_settings(client, w, templates={"near_deadline": "预警：{case_number} 将于{deadline}到期"})
        assert r.status_code == 200, r.text
        [near] = _near(db, t["id"])
        db.exec(update(Job).where(Job.id == near.id).values(run_after=utcnow() - timedelta(seconds=1)))
        db.commit()
        staff = w["users"]["staff"].id
        for _ in range(150):
            text = fresh(db).exec(select(Notification.text).where(
                Notification.user_id == staff, Notification.kind == "near_deadline")).first()
            if text:
                break
            time_.sleep(0.2)
        job = fresh(db).get(Job, near.id)
        assert text == f"预警：{t['case_number']} 将于{_local(t['deadline_at'])}到期", (
            job.state, job.locked_by, job.last_error, log.read_text()[-2000:])
    finally:
        worker.terminate()
        worker.wait(10)
