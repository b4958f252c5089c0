"""The whole closed loop over HTTP, with real photos, roles and a real database."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from app.tickets.models import Ticket, TicketEvent
from app.users.roles import Role
from tests.conftest import action, login, make_unit, make_user, report, upload_photo


def test_full_loop_with_rework(client, db):
    cgj = make_unit(db, "市城市管理局")
    other = make_unit(db, "向阳街道办事处")
    inspector = login(client, make_user(db, Role.inspector))
    dispatcher = login(client, make_user(db, Role.dispatcher))
    staff = login(client, make_user(db, Role.unit_staff, cgj))
    other_staff = login(client, make_user(db, Role.unit_staff, other))

    t = report(client, inspector, n_photos=2)
    assert t["status"] == "reported" and len(t["photos"]) == 2
    assert t["case_number"].startswith(f"XC-{datetime.now(UTC).year}-")
    tid = t["id"]
    # Before dispatch, no unit knows of it (四不两直).
    assert client.get(f"/api/tickets/{tid}", headers=staff).status_code == 404

    r = action(client, dispatcher, tid, "dispatch", unit_id=cgj.id)
    assert r.status_code == 200, r.text
    t = r.json()
    assert t["status"] == "dispatched" and t["unit_name"] == "市城市管理局"
    # 06010 暴露垃圾 has a 4 h default deadline.
    deadline = datetime.fromisoformat(t["deadline_at"])
    assert timedelta(hours=3, minutes=59) < deadline - datetime.fromisoformat(t["dispatched_at"]) <= timedelta(hours=4)

    assert client.get(f"/api/tickets/{tid}", headers=other_staff).status_code == 404
    assert action(client, other_staff, tid, "rectify", note="x", photo_ids=[]).status_code in (404, 422)
    mine = client.get("/api/tickets", headers=staff).json()["items"]
    assert [x["id"] for x in mine] == [tid]
    assert client.get("/api/tickets", headers=other_staff).json()["items"] == []

    after = upload_photo(client, staff)["id"]
    r = action(client, staff, tid, "rectify", note="已清理", photo_ids=[after])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "rectified"

    r = action(client, inspector, tid, "verify", passed=False, note="仍有垃圾残留")
    assert r.status_code == 200, r.text
    t = r.json()
    assert t["status"] == "dispatched" and t["rework_count"] == 1

    after2 = upload_photo(client, staff)["id"]
    assert action(client, staff, tid, "rectify", note="二次清理", photo_ids=[after2]).status_code == 200
    r = action(client, inspector, tid, "verify", passed=True, note="合格")
    assert r.status_code == 200
    t = client.get(f"/api/tickets/{tid}", headers=dispatcher).json()
    assert t["status"] == "closed" and t["closed_at"] and t["allowed_actions"] == []

    steps = [(e["action"], e["from_status"], e["to_status"]) for e in t["events"]]
    assert steps == [
        ("report", None, "reported"), ("dispatch", "reported", "dispatched"),
        ("rectify", "dispatched", "rectified"), ("verify_fail", "rectified", "dispatched"),
        ("rectify", "dispatched", "rectified"), ("verify_pass", "rectified", "closed"),
    ]
    times = [e["at"] for e in t["events"]]
    assert times == sorted(times)
    assert [e["note"] for e in t["events"]][3] == "仍有垃圾残留"
    assert [e["photo_ids"] for e in t["events"]][2] == [after]
    stages = sorted(p["stage"] for p in t["photos"])
    assert stages == ["rectify", "rectify", "report", "report"]

    # Unit staff still sees its closed ticket and its photos; another unit sees neither.
    assert client.get(f"/api/tickets/{tid}", headers=staff).status_code == 200
    photo = t["photos"][0]
    assert client.get(photo["urls"]["thumb"], headers=staff).status_code == 200
    assert client.get(photo["urls"]["thumb"], headers=other_staff).status_code == 404


def test_return_and_cancel_as_duplicate(client, db):
    unit = make_unit(db)
    inspector = login(client, make_user(db, Role.inspector))
    dispatcher = login(client, make_user(db, Role.dispatcher))
    staff = login(client, make_user(db, Role.unit_staff, unit))

    first = report(client, inspector)
    second = report(client, inspector, lat=30.27412, lng=120.15512)  # ~3 m away, same category
    assert [d["id"] for d in second["possible_duplicates"]] == [first["id"]]
    assert second["possible_duplicates"][0]["distance_m"] < 10
    far = report(client, inspector, lat=30.2751, lng=120.1551)  # ~110 m away: not a duplicate
    listed = {x["id"]: x["possible_duplicate_count"] for x in client.get("/api/tickets", headers=dispatcher).json()["items"]}
    assert listed == {first["id"]: 1, second["id"]: 1, far["id"]: 0}

    r = action(client, dispatcher, second["id"], "cancel", reason="重复上报", duplicate_of=first["id"])
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert r.json()["duplicate_of"] == first["id"]

    assert action(client, dispatcher, first["id"], "dispatch", unit_id=unit.id).status_code == 200
    assert action(client, staff, first["id"], "return", reason="").status_code == 422
    # The old endpoint files a return request (回退申请); the ticket stays the unit's until the office decides.
    r = action(client, staff, first["id"], "return", reason="不属于本单位")
    assert r.status_code == 200
    t = r.json()
    assert t["status"] == "dispatched" and t["pending_request"] == "return" and t["return_count"] == 0
    assert [(q["kind"], q["state"], q["reason"]) for q in t["requests"]] == [("return", "pending", "不属于本单位")]
    r = action(client, dispatcher, first["id"], f"requests/{t['requests'][0]['id']}/decision", approve=True)
    assert r.status_code == 200, r.text
    t = r.json()
    assert t["status"] == "reported" and t["unit_id"] is None and t["return_count"] == 1
    assert t["pending_request"] is None and t["requests"][0]["state"] == "approved"
    # Returned tickets come back to triage; the unit still sees what it once had, but can't act.
    assert client.get(f"/api/tickets/{first['id']}", headers=staff).json()["allowed_actions"] == []


def test_deadline_override_and_overdue_filter(client, db):
    unit = make_unit(db)
    inspector = login(client, make_user(db, Role.inspector))
    dispatcher = login(client, make_user(db, Role.dispatcher))
    t = report(client, inspector)
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    r = action(client, dispatcher, t["id"], "dispatch", unit_id=unit.id, deadline=past)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_deadline"
    soon = datetime.now(UTC) + timedelta(seconds=2)
    assert action(client, dispatcher, t["id"], "dispatch", unit_id=unit.id, deadline=soon.isoformat()).status_code == 200
    with db.begin():  # let the deadline pass without sleeping: move it into the past directly
        db.get(Ticket, uuid.UUID(t["id"])).deadline_at = datetime.now(UTC) - timedelta(minutes=1)
    items = client.get("/api/tickets", headers=dispatcher, params={"overdue": "true"}).json()["items"]
    assert [x["id"] for x in items] == [t["id"]] and items[0]["overdue"] is True
    assert client.get("/api/tickets", headers=dispatcher, params={"overdue": "false"}).json()["items"] == []


def test_every_action_writes_one_event(client, db):
    unit = make_unit(db)
    inspector = login(client, make_user(db, Role.inspector))
    dispatcher = login(client, make_user(db, Role.dispatcher))
    t = report(client, inspector)
    action(client, dispatcher, t["id"], "dispatch", unit_id=unit.id)
    db.rollback()  # a new snapshot: see what the app committed since
    events = db.exec(select(TicketEvent).where(TicketEvent.ticket_id == uuid.UUID(t["id"])).order_by(TicketEvent.id)).all()
    assert [e.action for e in events] == ["report", "dispatch"]
    ticket = db.get(Ticket, uuid.UUID(t["id"]))
    assert ticket.dispatched_at == events[1].at and ticket.first_dispatched_at == events[1].at


def test_a_heap_of_reports_on_one_spot_lists_the_nearest_fifty(client, db, monkeypatch):
    """1,500 reports heaped on one spot made each ticket page name every one (209 KB): the nearest 50 are named,
    the count says how many there are."""
    from app.tickets import duplicates
    monkeypatch.setattr(duplicates, "MAX_LISTED_DUPLICATES", 5)
    inspector = login(client, make_user(db, Role.inspector))
    made = [report(client, inspector, lat=30.27412 + i * 1e-5, lng=120.15512) for i in range(8)]
    first = client.get(f"/api/tickets/{made[0]['id']}", headers=inspector).json()
    assert first["possible_duplicate_count"] == 7
    assert [d["id"] for d in first["possible_duplicates"]] == [t["id"] for t in made[1:6]]  # nearest first
    assert [d["distance_m"] for d in first["possible_duplicates"]] == sorted(
        d["distance_m"] for d in first["possible_duplicates"])


def test_a_list_counts_a_heap_of_duplicates_up_to_its_cap(client, db, monkeypatch):
    """Counting every pair of a page among 1,500 reports heaped on one spot took 4.5 s for a page of 200: a list
    counts up to the cap (the value then means "the cap or more"); the ticket's own page counts them all."""
    from app.tickets import duplicates
    monkeypatch.setattr(duplicates, "LIST_COUNT_CAP", 3)
    inspector = login(client, make_user(db, Role.inspector))
    dispatcher = login(client, make_user(db, Role.dispatcher))
    heap = [report(client, inspector, lat=30.27412 + i * 1e-5, lng=120.15512) for i in range(6)]
    apart = [report(client, inspector, lat=30.27412 + i * 1e-5, lng=120.16512) for i in range(2)]  # ~960 m east
    page = client.get("/api/tickets", headers=dispatcher, params={"limit": 50}).json()["items"]
    counts = {t["id"]: t["possible_duplicate_count"] for t in page}
    assert [counts[t["id"]] for t in heap] == [3] * 6 and [counts[t["id"]] for t in apart] == [1, 1]
    detail = client.get(f"/api/tickets/{heap[0]['id']}", headers=dispatcher).json()
    assert detail["possible_duplicate_count"] == 5
    # the 有疑似重复 filter is unchanged: every ticket of the heap and the pair apart has one
    assert len(client.get("/api/tickets", headers=dispatcher, params={"has_duplicates": True}).json()["items"]) == 8
