"""Deadline exceptions over HTTP: 延期, 回退 and 挂账 requests and their decisions, 恢复, 作废, 催办, 督办, 预超期."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from app.categories.models import Category
from app.core.types import clock_at
from app.jobs.models import Job
from app.jobs.worker import Worker
from app.tickets import actions as tickets_actions
from app.tickets.deadlines import default_deadline
from app.tickets.models import Ticket, TicketEvent, TicketRequest
from app.users.roles import Role
from tests.conftest import action, login, make_unit, make_user, report, upload_photo


@pytest.fixture
def w(client, db):
    a, b = make_unit(db, "甲单位"), make_unit(db, "乙单位")
    users = {"inspector": make_user(db, Role.inspector), "dispatcher": make_user(db, Role.dispatcher),
             "leader": make_user(db, Role.leader), "staff_a": make_user(db, Role.unit_staff, a),
             "staff_b": make_user(db, Role.unit_staff, b)}
    h = {k: login(client, u) for k, u in users.items()}
    return {"a": a, "b": b, "users": users, "h": h}


def dispatched(client, w, deadline: datetime | None = None, unit=None) -> str:
    t = report(client, w["h"]["inspector"])
    r = action(client, w["h"]["dispatcher"], t["id"], "dispatch", unit_id=(unit or w["a"]).id,
               deadline=deadline.isoformat() if deadline else None)
    assert r.status_code == 200, r.text
    return t["id"]


def ask(client, headers, tid, kind, **kw):
    return action(client, headers, tid, "requests", kind=kind, reason=kw.pop("reason", "理由"), **kw)


def decide(client, headers, tid, request_id, **kw):
    return action(client, headers, tid, f"requests/{request_id}/decision", **kw)


def iso(t: datetime) -> str:
    return t.isoformat()


def detail(client, w, tid, who="dispatcher"):
    return client.get(f"/api/tickets/{tid}", headers=w["h"][who]).json()


def overdue_ids(client, w) -> set[str]:
    items = client.get("/api/tickets", headers=w["h"]["dispatcher"], params={"overdue": "true"}).json()["items"]
    return {x["id"] for x in items}


def written(db) -> tuple[int, int]:
    return (db.exec(select(func.count()).select_from(TicketEvent)).one(),
            db.exec(select(func.count()).select_from(TicketRequest)).one())


# ---- 延期 ---------------------------------------------------------------------------------------------

def test_extension_approved_moves_the_deadline_and_the_ticket_is_on_time_against_it(client, w):
    now = datetime.now(UTC)
    t0 = now - timedelta(days=2)
    old_deadline, asked = t0 + timedelta(days=1), now + timedelta(days=1)
    with clock_at(t0):
        tid = dispatched(client, w, old_deadline)
    with clock_at(t0 + timedelta(hours=12)):
        r = ask(client, w["h"]["staff_a"], tid, "extension", deadline=iso(asked), reason="需协调施工队")
        assert r.status_code == 200, r.text
        t = r.json()
        assert t["status"] == "dispatched" and t["pending_request"] == "extension"
        [req] = t["requests"]
        assert req["state"] == "pending" and req["unit_name"] == "甲单位"
        assert datetime.fromisoformat(req["requested_deadline"]) == asked
        assert datetime.fromisoformat(req["deadline_before"]) == old_deadline
        queue = client.get("/api/requests", headers=w["h"]["dispatcher"], params={"state": "pending"}).json()
        assert [(i["id"], i["ticket"]["id"]) for i in queue["items"]] == [(req["id"], tid)]
    with clock_at(t0 + timedelta(hours=20)):
        r = decide(client, w["h"]["dispatcher"], tid, req["id"], approve=True, note="同意")
        assert r.status_code == 200, r.text
    t = r.json()
    assert datetime.fromisoformat(t["deadline_at"]) == asked
    assert t["extension_count"] == 1 and t["pending_request"] is None
    assert t["requests"][0]["state"] == "approved" and t["requests"][0]["decided_by_name"]
    steps = [(e["action"], e["deadline_at"] and datetime.fromisoformat(e["deadline_at"])) for e in t["events"]]
    assert steps[-2:] == [("request_extension", asked), ("approve_extension", asked)]
    # The first deadline has passed: against the new one the ticket is on time.
    assert t["overdue"] is False and tid not in overdue_ids(client, w)
    staff = w["h"]["staff_a"]
    assert action(client, staff, tid, "rectify", note="已整改", photo_ids=[upload_photo(client, staff)["id"]]
                  ).status_code == 200
    closed = action(client, w["h"]["inspector"], tid, "verify", passed=True).json()
    assert closed["status"] == "closed"
    assert client.get("/api/requests", headers=w["h"]["dispatcher"], params={"state": "pending"}).json()["items"] == []


def test_extension_granted_with_another_date(client, w, db):
    tid = dispatched(client, w, datetime.now(UTC) + timedelta(hours=6))
    asked, granted = datetime.now(UTC) + timedelta(days=5), datetime.now(UTC) + timedelta(days=2)
    photo = upload_photo(client, w["h"]["staff_a"])["id"]
    r = ask(client, w["h"]["staff_a"], tid, "extension", deadline=iso(asked), photo_ids=[photo])
    assert r.status_code == 200, r.text
    assert [(p["id"], p["stage"]) for p in r.json()["photos"] if p["stage"] == "request"] == [(photo, "request")]
    rid = r.json()["requests"][0]["id"]
    assert client.get(f"/api/photos/{photo}/display", headers=w["h"]["dispatcher"]).status_code == 200
    t = decide(client, w["h"]["dispatcher"], tid, rid, approve=True, deadline=iso(granted)).json()
    assert datetime.fromisoformat(t["deadline_at"]) == granted
    assert datetime.fromisoformat(t["office_deadline_at"]) == granted  # an approved extension moves the assessed one
    assert datetime.fromisoformat(t["requests"][0]["decided_deadline"]) == granted


def test_rejected_extension_keeps_the_deadline(client, w):
    deadline = datetime.now(UTC) + timedelta(hours=6)
    tid = dispatched(client, w, deadline)
    rid = ask(client, w["h"]["staff_a"], tid, "extension",
              deadline=iso(deadline + timedelta(days=1))).json()["requests"][0]["id"]
    r = decide(client, w["h"]["dispatcher"], tid, rid, approve=False)
    assert r.status_code == 422 and r.json()["error"]["code"] == "note_required"
    t = decide(client, w["h"]["dispatcher"], tid, rid, approve=False, note="时限内可完成").json()
    assert datetime.fromisoformat(t["deadline_at"]) == deadline and t["extension_count"] == 0
    assert t["requests"][0]["state"] == "rejected" and t["requests"][0]["decision_note"] == "时限内可完成"
    assert [e["action"] for e in t["events"]][-1] == "reject_extension"
    # Decided: a second decision finds nothing waiting.
    r = decide(client, w["h"]["dispatcher"], tid, rid, approve=True)
    assert r.status_code == 409 and r.json()["error"]["code"] == "no_pending_request"


# ---- 回退 ---------------------------------------------------------------------------------------------

def test_rejected_return_stays_with_the_unit_and_goes_overdue(client, w):
    now = datetime.now(UTC)
    t0 = now - timedelta(days=2)
    with clock_at(t0):
        tid = dispatched(client, w, t0 + timedelta(days=1))
    with clock_at(t0 + timedelta(hours=2)):
        rid = ask(client, w["h"]["staff_a"], tid, "return", reason="权属不清").json()["requests"][0]["id"]
    # While the request waits the ticket is still the unit's, and its clock ran out.
    t = detail(client, w, tid)
    assert t["unit_id"] == w["a"].id and t["pending_request"] == "return" and t["overdue"] is True
    t = decide(client, w["h"]["dispatcher"], tid, rid, approve=False, note="属于本单位职责").json()
    assert t["status"] == "dispatched" and t["unit_id"] == w["a"].id and t["return_count"] == 0
    assert datetime.fromisoformat(t["deadline_at"]) == t0 + timedelta(days=1)
    assert t["overdue"] is True and tid in overdue_ids(client, w)
    assert "rectify" in detail(client, w, tid, "staff_a")["allowed_actions"]


def test_return_approved_with_another_unit_is_re_dispatched_in_one_step(client, w):
    tid = dispatched(client, w)
    rid = ask(client, w["h"]["staff_a"], tid, "return").json()["requests"][0]["id"]
    r = decide(client, w["h"]["dispatcher"], tid, rid, approve=True, unit_id=w["a"].id)
    assert r.status_code == 422 and r.json()["error"]["code"] == "same_unit"
    t = decide(client, w["h"]["dispatcher"], tid, rid, approve=True, unit_id=w["b"].id, note="改派乙").json()
    assert t["status"] == "dispatched" and t["unit_id"] == w["b"].id and t["return_count"] == 1
    assert t["requests"][0]["reassigned_unit_name"] == "乙单位"
    assert t["events"][-1]["action"] == "reassign" and t["events"][-1]["unit_id"] == w["b"].id
    assert datetime.fromisoformat(t["deadline_at"]) > datetime.now(UTC)
    assert "rectify" in detail(client, w, tid, "staff_b")["allowed_actions"]
    assert detail(client, w, tid, "staff_a")["allowed_actions"] == []
    # Each unit sees its own requests only.
    assert [q["id"] for q in detail(client, w, tid, "staff_a")["requests"]] == [rid]
    assert detail(client, w, tid, "staff_b")["requests"] == []


# ---- 挂账 -----------------------------------------------------------------------------------------------

def test_suspended_ticket_leaves_the_overdue_list_and_resumes_at_its_review_date(client, w, db):
    now = datetime.now(UTC)
    t0 = now - timedelta(days=2)
    with clock_at(t0):
        tid = dispatched(client, w, t0 + timedelta(hours=1))
    assert tid in overdue_ids(client, w)
    review = now + timedelta(days=30)
    rid = ask(client, w["h"]["staff_a"], tid, "suspension", reason="需立项改造",
              review_at=iso(review - timedelta(days=1))).json()["requests"][0]["id"]
    r = decide(client, w["h"]["leader"], tid, rid, approve=True)
    assert r.status_code == 422 and r.json()["error"]["code"] == "review_at_required"
    r = decide(client, w["h"]["leader"], tid, rid, approve=True, review_at=iso(review), note="同意挂账")
    assert r.status_code == 200, r.text
    t = r.json()
    assert t["status"] == "suspended" and t["overdue"] is False
    assert datetime.fromisoformat(t["review_at"]) == review and t["suspended_at"]
    assert tid not in overdue_ids(client, w)
    [job] = db.exec(select(Job).where(Job.kind == tickets_actions.RESUME_IF_DUE)).all()
    assert job.run_after == review
    Worker().run_until_idle()  # what is due now (the photos' checks): not the review
    assert detail(client, w, tid)["status"] == "suspended"
    with clock_at(review + timedelta(minutes=1)):
        assert Worker().run_until_idle() == 1
        assert Worker().run_until_idle() == 0
    assert db.get(Job, job.id, populate_existing=True).state == "done"
    t = detail(client, w, tid)
    category = db.get(Category, t["category_code"])
    assert t["status"] == "dispatched" and t["review_at"] is None and t["suspended_at"] is None
    assert datetime.fromisoformat(t["deadline_at"]) == default_deadline(category, review)
    last = t["events"][-1]
    assert last["action"] == "resume" and last["note"] == "到期自动恢复 resumed at review date"
    assert last["actor_name"] == w["users"]["leader"].display_name


def test_resumed_by_hand_the_job_does_nothing(client, w, db):
    tid = dispatched(client, w)
    rid = ask(client, w["h"]["staff_a"], tid, "suspension").json()["requests"][0]["id"]
    review = datetime.now(UTC) + timedelta(days=10)
    assert decide(client, w["h"]["dispatcher"], tid, rid, approve=True, review_at=iso(review)).status_code == 200
    assert "supervise" in detail(client, w, tid, "leader")["allowed_actions"]
    r = action(client, w["h"]["staff_a"], tid, "resume")
    assert r.status_code == 403
    t = action(client, w["h"]["dispatcher"], tid, "resume", note="提前恢复").json()
    assert t["status"] == "dispatched" and t["events"][-1]["action"] == "resume"
    n = len(t["events"])
    with clock_at(review + timedelta(minutes=1)):
        assert Worker().run_until_idle() >= 1
    assert len(detail(client, w, tid)["events"]) == n
    db.expire_all()
    assert {j.state for j in db.exec(select(Job).where(Job.kind == tickets_actions.RESUME_IF_DUE))} == {"done"}


# ---- bad input: a clear 4xx and nothing written ------------------------------------------------------

def test_bad_requests_and_decisions_write_nothing(client, w, db):
    deadline = datetime.now(UTC) + timedelta(hours=6)
    tid = dispatched(client, w, deadline)
    other = dispatched(client, w, unit=w["b"])
    h = w["h"]
    before = written(db)
    cases = [
        (ask(client, h["staff_a"], tid, "extension"), 422, "deadline_required"),
        (ask(client, h["staff_a"], tid, "extension", deadline=iso(datetime.now(UTC) - timedelta(hours=1))),
         422, "invalid_deadline"),
        (ask(client, h["staff_a"], tid, "extension", deadline=iso(deadline - timedelta(hours=1))),
         422, "invalid_deadline"),
        (ask(client, h["staff_a"], tid, "extension", deadline=iso(datetime.now(UTC) + timedelta(days=3000))),
         422, "invalid_deadline"),
        (ask(client, h["staff_a"], tid, "suspension", review_at=iso(datetime.now(UTC) - timedelta(days=1))),
         422, "invalid_review_at"),
        (ask(client, h["staff_a"], tid, "return", reason=""), 422, None),
        (ask(client, h["staff_a"], tid, "holiday"), 422, None),
        (ask(client, h["staff_b"], tid, "return"), 404, "not_found"),  # another unit's ticket
        (ask(client, h["dispatcher"], tid, "return"), 403, "forbidden"),
        (ask(client, h["inspector"], tid, "return"), 403, "forbidden"),
        (decide(client, h["dispatcher"], tid, uuid.uuid4(), approve=True), 404, "not_found"),
        (action(client, h["dispatcher"], tid, "void", reason=""), 422, None),
        (action(client, h["leader"], tid, "supervise", note=""), 422, None),
        (action(client, h["staff_a"], tid, "urge"), 403, "forbidden"),
        (action(client, h["dispatcher"], tid, "resume"), 409, "invalid_state"),
    ]
    for r, status, code in cases:
        assert r.status_code == status, r.text
        if code:
            assert r.json()["error"]["code"] == code, r.text
    assert written(db) == before

    rid = ask(client, h["staff_a"], tid, "extension", deadline=iso(deadline + timedelta(days=1))).json()[
        "requests"][0]["id"]
    other_rid = ask(client, h["staff_b"], other, "return").json()["requests"][0]["id"]
    before = written(db)
    cases = [
        (ask(client, h["staff_a"], tid, "return"), 409, "request_pending"),  # one request waits at a time
        (decide(client, h["staff_a"], tid, rid, approve=True), 403, "forbidden"),  # a unit does not approve
        (decide(client, h["staff_b"], tid, rid, approve=True), 404, "not_found"),
        (decide(client, h["inspector"], tid, rid, approve=True), 403, "forbidden"),
        (decide(client, h["leader"], tid, rid, approve=True), 403, "forbidden"),  # extensions: the dispatcher
        (decide(client, h["dispatcher"], tid, other_rid, approve=True), 404, "not_found"),  # not this ticket's
        (decide(client, h["dispatcher"], tid, rid, approve=True, deadline=iso(deadline - timedelta(hours=1))),
         422, "invalid_deadline"),
    ]
    for r, status, code in cases:
        assert r.status_code == status, r.text
        assert r.json()["error"]["code"] == code, r.text
    assert written(db) == before
    assert detail(client, w, tid)["pending_request"] == "extension"


def test_requests_and_decisions_replay(client, w, db):
    tid = dispatched(client, w)
    h = w["h"]
    body = {"action_id": str(uuid.uuid4()), "kind": "extension", "reason": "雨天",
            "deadline": iso(datetime.now(UTC) + timedelta(days=9))}
    first = client.post(f"/api/tickets/{tid}/requests", headers=h["staff_a"], json=body)
    again = client.post(f"/api/tickets/{tid}/requests", headers=h["staff_a"], json=body)
    assert first.status_code == again.status_code == 200 and again.json()["requests"] == first.json()["requests"]
    assert first.json()["requests"][0]["id"] == body["action_id"]  # the request's id is the action id
    r = client.post(f"/api/tickets/{tid}/requests", headers=h["staff_a"], json=body | {"reason": "别的"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "idempotency_conflict"
    decision = {"action_id": str(uuid.uuid4()), "approve": True}
    path = f"/api/tickets/{tid}/requests/{body['action_id']}/decision"
    one = client.post(path, headers=h["dispatcher"], json=decision)
    two = client.post(path, headers=h["dispatcher"], json=decision)
    assert one.status_code == two.status_code == 200 and two.json()["extension_count"] == 1
    for kind in ("urge", "void"):
        b = {"action_id": str(uuid.uuid4()), **({"reason": "重复"} if kind == "void" else {})}
        rs = [client.post(f"/api/tickets/{tid}/{kind}", headers=h["dispatcher"], json=b) for _ in range(2)]
        assert [r.status_code for r in rs] == [200, 200], [r.text for r in rs]
    t = detail(client, w, tid)
    assert t["urge_count"] == 1 and t["status"] == "voided"
    assert [e["action"] for e in t["events"]].count("urge") == 1
    assert db.exec(select(func.count()).select_from(TicketRequest)).one() == 1


def test_the_old_return_endpoint_files_a_request_and_replays(client, w):
    tid = dispatched(client, w)
    body = {"action_id": str(uuid.uuid4()), "reason": "非本单位"}
    rs = [client.post(f"/api/tickets/{tid}/return", headers=w["h"]["staff_a"], json=body) for _ in range(2)]
    assert [r.status_code for r in rs] == [200, 200]
    t = rs[1].json()
    assert t["status"] == "dispatched" and t["pending_request"] == "return"
    assert [(q["id"], q["kind"]) for q in t["requests"]] == [(body["action_id"], "return")]


# ---- 作废, 催办, 督办 -----------------------------------------------------------------------------------------

def test_void_rejects_a_waiting_request_and_leaves_the_figures(client, w):
    now = datetime.now(UTC)
    with clock_at(now - timedelta(days=1)):
        tid = dispatched(client, w, now - timedelta(hours=1))
    rid = ask(client, w["h"]["staff_a"], tid, "return").json()["requests"][0]["id"]
    assert action(client, w["h"]["leader"], tid, "void", reason="重复").status_code == 403
    assert action(client, w["h"]["dispatcher"], report(client, w["h"]["inspector"])["id"], "void",
                  reason="x").status_code == 409  # before dispatch it is a cancel (不予立案)
    t = action(client, w["h"]["dispatcher"], tid, "void", reason="误派：并非问题").json()
    assert t["status"] == "voided" and t["voided_at"] and t["pending_request"] is None
    [req] = t["requests"]
    assert req["id"] == rid and req["state"] == "rejected" and "作废" in req["decision_note"]
    assert t["overdue"] is False and tid not in overdue_ids(client, w)
    assert detail(client, w, tid, "staff_a")["allowed_actions"] == []
    r = decide(client, w["h"]["dispatcher"], tid, rid, approve=True)
    assert r.status_code == 409


def test_urge_and_supervise(client, w):
    tid = dispatched(client, w)
    h = w["h"]
    for _ in range(2):
        assert action(client, h["dispatcher"], tid, "urge", note="请尽快整改").status_code == 200
    assert action(client, h["leader"], tid, "urge").status_code == 403
    assert action(client, h["dispatcher"], tid, "supervise", note="督办").status_code == 403
    first = action(client, h["leader"], tid, "supervise", note="限期整改到位").json()
    second = action(client, h["leader"], tid, "supervise", note="再次督办").json()
    assert first["supervised_at"] and second["supervised_at"] == first["supervised_at"]
    assert second["urge_count"] == 2 and second["supervised"] is True
    assert [e["action"] for e in second["events"]][-4:] == ["urge", "urge", "supervise", "supervise"]
    unit_view = detail(client, w, tid, "staff_a")
    assert unit_view["urge_count"] == 2 and unit_view["supervised"] is True
    other = dispatched(client, w)
    ids = {x["id"] for x in client.get("/api/tickets", headers=h["dispatcher"],
                                        params={"supervised": "true"}).json()["items"]}
    assert ids == {tid}
    ids = {x["id"] for x in client.get("/api/tickets", headers=h["dispatcher"],
                                        params={"supervised": "false", "status": "dispatched"}).json()["items"]}
    assert ids == {other}


# ---- 预超期 and the list filters ------------------------------------------------------------------------

def test_near_deadline_one_definition_in_lists_and_filters(client, w, db):
    now = datetime.now(UTC)
    with clock_at(now - timedelta(hours=4)):
        soon = dispatched(client, w, now + timedelta(hours=3))        # ≤ 4 h left, over half of 7 h gone
    fresh = dispatched(client, w, now + timedelta(hours=3))           # ≤ 4 h left but just given: not yet
    later = dispatched(client, w, now + timedelta(days=3))            # 3 d of 3 d left
    with clock_at(now - timedelta(days=10)):
        share = dispatched(client, w, now + timedelta(days=1))        # 1 d of 11 d left: ≤ 25 %
    with clock_at(now - timedelta(days=2)):
        past = dispatched(client, w, now - timedelta(hours=1))        # overdue, not near
    items = {x["id"]: x for x in client.get("/api/tickets", headers=w["h"]["dispatcher"]).json()["items"]}
    assert {k: items[k]["near_deadline"] for k in (soon, fresh, later, share, past)} == {
        soon: True, fresh: False, later: False, share: True, past: False}
    near = {x["id"] for x in client.get("/api/tickets", headers=w["h"]["dispatcher"],
                                         params={"near_deadline": "true"}).json()["items"]}
    assert near == {soon, share}
    not_near = {x["id"] for x in client.get("/api/tickets", headers=w["h"]["dispatcher"],
                                             params={"near_deadline": "false", "status": "dispatched"}).json()["items"]}
    assert not_near == {fresh, later, past}
    # The Python and SQL forms agree ticket by ticket.
    for tid in (soon, fresh, later, share, past):
        t = db.get(Ticket, uuid.UUID(tid))
        sql = db.exec(select(Ticket.is_near_deadline_at(now)).where(Ticket.id == t.id)).one()
        assert bool(sql) == t.is_near_deadline_at(now) == items[tid]["near_deadline"]
    assert client.get("/api/config").json()["near_deadline"] == {"fraction": 0.25, "hours": 4.0}
    ask(client, w["h"]["staff_a"], later, "return")
    pending = {x["id"] for x in client.get("/api/tickets", headers=w["h"]["staff_a"],
                                            params={"pending_request": "true"}).json()["items"]}
    assert pending == {later}


# ---- the request queue ----------------------------------------------------------------------------------

def test_request_queue(client, w):
    h = w["h"]
    base = datetime.now(UTC) - timedelta(hours=5)
    ids = []
    for i, (unit, staff, kind) in enumerate([(w["a"], "staff_a", "return"), (w["b"], "staff_b", "suspension"),
                                             (w["a"], "staff_a", "extension")]):
        with clock_at(base + timedelta(hours=i)):
            tid = dispatched(client, w, datetime.now(UTC) + timedelta(days=2), unit=unit)
            extra = {"deadline": iso(datetime.now(UTC) + timedelta(days=4))} if kind == "extension" else {}
            ids.append(ask(client, h[staff], tid, kind, **extra).json()["requests"][0]["id"])

    def queue(who, **params):
        r = client.get("/api/requests", headers=h[who], params=params)
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert queue("dispatcher", state="pending") == ids  # oldest first
    assert queue("leader") == ids[::-1]  # newest first
    assert queue("dispatcher", kind="suspension") == [ids[1]]
    assert queue("dispatcher", unit_id=w["a"].id, state="pending") == [ids[0], ids[2]]
    assert queue("staff_a", state="pending") == [ids[0], ids[2]]
    assert queue("staff_b") == [ids[1]]
    page = client.get("/api/requests", headers=h["dispatcher"], params={"state": "pending", "limit": 2}).json()
    assert [i["id"] for i in page["items"]] == ids[:2] and page["next_cursor"]
    rest = client.get("/api/requests", headers=h["dispatcher"],
                      params={"state": "pending", "limit": 2, "cursor": page["next_cursor"]}).json()
    assert [i["id"] for i in rest["items"]] == ids[2:] and rest["next_cursor"] is None
    item = client.get("/api/requests", headers=h["dispatcher"]).json()["items"][0]
    assert item["ticket"]["case_number"].startswith("XC-") and item["ticket"]["unit_name"] == "甲单位"
    assert client.get("/api/requests", headers=h["inspector"]).status_code == 403
    assert client.get("/api/requests").status_code == 401
    assert client.get("/api/requests", headers=h["dispatcher"], params={"state": "maybe"}).status_code == 422


def test_config_lists_the_new_actions(client):
    actions = {a["action"]: a for a in client.get("/api/config").json()["actions"]}
    assert actions["request_extension"]["path"] == "requests"
    assert actions["request_extension"]["fixed"] == {"kind": "extension"}
    assert actions["request_extension"]["required"] == ["reason", "deadline"]
    assert actions["request_extension"]["photos_max"] == 9
    assert actions["reject_return"]["required"] == ["note"]
    assert actions["reassign"]["required"] == ["unit_id"]
    assert actions["approve_suspension"]["required"] == ["review_at"]
    assert actions["supervise"]["required"] == ["note"]
    assert "return" not in actions
