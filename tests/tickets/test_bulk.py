"""Bulk dispatch and bulk cancel: the single action's steps for each ticket, all of them or none."""

import uuid
from datetime import UTC, datetime, timedelta

from app.users.roles import Role
from tests.conftest import action, login, make_unit, make_user, report


def _bulk(client, h, name: str, ids: list[str], **body):
    return client.post(f"/api/tickets/bulk/{name}", headers=h,
                       json={"action_id": str(uuid.uuid4()), "ticket_ids": ids} | body)


def _detail(client, h, tid: str) -> dict:
    r = client.get(f"/api/tickets/{tid}", headers=h)
    assert r.status_code == 200, r.text
    return r.json()


def test_bulk_dispatch_moves_every_ticket_like_a_single_dispatch(client, db):
    unit = make_unit(db)
    ins, disp, staff = make_user(db, Role.inspector), make_user(db, Role.dispatcher), make_user(db, Role.unit_staff, unit)
    h_ins, h_disp, h_staff = login(client, ins), login(client, disp), login(client, staff)
    ids = [report(client, h_ins)["id"] for _ in range(3)]
    deadline = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    body = {"action_id": str(uuid.uuid4()), "ticket_ids": ids, "unit_id": unit.id, "deadline": deadline.isoformat(),
            "note": "批量派遣"}
    r = client.post("/api/tickets/bulk/dispatch", headers=h_disp, json=body)
    assert r.status_code == 200, r.text
    assert r.json() == {"count": 3, "ticket_ids": ids}
    for tid in ids:
        t = _detail(client, h_disp, tid)
        assert t["status"] == "dispatched" and t["unit_id"] == unit.id
        assert datetime.fromisoformat(t["deadline_at"]) == deadline
        assert datetime.fromisoformat(t["office_deadline_at"]) == deadline
        events = [e for e in t["events"] if e["action"] == "dispatch"]
        assert len(events) == 1 and events[0]["note"] == "批量派遣"
        assert _detail(client, h_staff, tid)["status"] == "dispatched"  # the unit sees it now
    # The unit got its notifications, as for single dispatches.
    r = client.get("/api/notifications", headers=h_staff)
    assert r.status_code == 200
    assert {n["ticket_id"] for n in r.json()["items"]} >= set(ids)
    # A resent batch is a replay: same answer, nothing new.
    r = client.post("/api/tickets/bulk/dispatch", headers=h_disp, json=body)
    assert r.status_code == 200 and r.json()["count"] == 3, r.text
    assert sum(e["action"] == "dispatch" for e in _detail(client, h_disp, ids[0])["events"]) == 1
    # The same batch id with another body is a conflict.
    r = client.post("/api/tickets/bulk/dispatch", headers=h_disp, json=body | {"note": "别的"})
    assert r.status_code == 409 and r.json()["error"]["code"] == "idempotency_conflict"


def test_bulk_dispatch_is_all_or_nothing_and_names_the_ticket(client, db):
    unit = make_unit(db)
    ins, disp = make_user(db, Role.inspector), make_user(db, Role.dispatcher)
    h_ins, h_disp = login(client, ins), login(client, disp)
    ids = [report(client, h_ins)["id"] for _ in range(3)]
    already = report(client, h_ins)
    assert action(client, h_disp, already["id"], "dispatch", unit_id=unit.id).status_code == 200
    r = _bulk(client, h_disp, "dispatch", [*ids, already["id"]], unit_id=unit.id)
    assert r.status_code == 409, r.text
    err = r.json()["error"]
    assert err["code"] == "bulk_refused" and already["case_number"] in err["message"]
    assert [(t["ticket_id"], t["code"]) for t in err["details"]["tickets"]] == [(already["id"], "invalid_state")]
    assert all(_detail(client, h_disp, tid)["status"] == "reported" for tid in ids)  # nothing changed
    # An unknown ticket: 422 naming it; an unknown unit, a past deadline, a duplicate id, too many ids: 422.
    ghost = str(uuid.uuid4())
    r = _bulk(client, h_disp, "dispatch", [*ids, ghost], unit_id=unit.id)
    assert r.status_code == 422 and r.json()["error"]["details"]["tickets"][0]["ticket_id"] == ghost
    for ticket_ids, body, code in (
        (ids, {"unit_id": 999999}, "unknown_unit"),
        (ids, {"unit_id": unit.id, "deadline": (datetime.now(UTC) - timedelta(hours=1)).isoformat()},
         "invalid_deadline"),
        ([ids[0], ids[0]], {"unit_id": unit.id}, "duplicate_ticket"),
        ([str(uuid.uuid4()) for _ in range(201)], {"unit_id": unit.id}, None),
        ([], {"unit_id": unit.id}, None),
    ):
        r = _bulk(client, h_disp, "dispatch", ticket_ids, **body)
        assert r.status_code == 422, r.text
        if code:
            assert r.json()["error"]["code"] == code
    assert all(_detail(client, h_disp, tid)["status"] == "reported" for tid in ids)


def test_bulk_cancel_duplicates_with_a_reason(client, db):
    ins, disp = make_user(db, Role.inspector), make_user(db, Role.dispatcher)
    h_ins, h_disp = login(client, ins), login(client, disp)
    original = report(client, h_ins)["id"]
    dups = [report(client, h_ins)["id"] for _ in range(2)]
    r = _bulk(client, h_disp, "cancel", [*dups, original], reason="重复", duplicate_of=original)
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_ticket"
    r = _bulk(client, h_disp, "cancel", dups, reason="重复", duplicate_of=original)
    assert r.status_code == 200, r.text
    for tid in dups:
        t = _detail(client, h_disp, tid)
        assert t["status"] == "cancelled" and t["duplicate_of"] == original
        assert [e["note"] for e in t["events"] if e["action"] == "cancel"] == ["重复"]
    assert _detail(client, h_disp, original)["status"] == "reported"
    r = _bulk(client, h_disp, "cancel", [original], reason="")
    assert r.status_code == 422


def test_only_the_dispatcher_acts_in_bulk(client, db):
    unit = make_unit(db)
    users = {"inspector": make_user(db, Role.inspector), "leader": make_user(db, Role.leader),
             "admin": make_user(db, Role.admin), "staff": make_user(db, Role.unit_staff, unit)}
    h = {k: login(client, u) for k, u in users.items()}
    tid = report(client, h["inspector"])["id"]
    for role, headers in h.items():
        for name, body in (("dispatch", {"unit_id": unit.id}), ("cancel", {"reason": "无效"})):
            r = _bulk(client, headers, name, [tid], **body)
            assert r.status_code == 403, (role, name, r.text)
    assert _bulk(client, {}, "dispatch", [tid], unit_id=unit.id).status_code == 401
    assert _detail(client, h["inspector"], tid)["status"] == "reported"


def test_a_batch_id_is_spent_once_whatever_tickets_a_resend_names(client, db):
    unit = make_unit(db)
    h_ins, h_disp = login(client, make_user(db, Role.inspector)), login(client, make_user(db, Role.dispatcher))
    first, second, other, another = (report(client, h_ins)["id"] for _ in range(4))
    body = {"action_id": str(uuid.uuid4()), "ticket_ids": [first, second], "unit_id": unit.id}
    assert client.post("/api/tickets/bulk/dispatch", headers=h_disp, json=body).status_code == 200
    # The same batch in another order is the same batch: a replay.
    r = client.post("/api/tickets/bulk/dispatch", headers=h_disp, json=body | {"ticket_ids": [second, first]})
    assert r.status_code == 200 and r.json()["count"] == 2
    # Other tickets under the spent id, overlapping the first batch or not, or the id spent on a cancel: 409.
    for changed, name in (({"ticket_ids": [first, other]}, "dispatch"), ({"ticket_ids": [other, another]}, "dispatch"),
                          ({"ticket_ids": [first]}, "dispatch"),
                          ({"ticket_ids": [other], "reason": "重复", "unit_id": None}, "cancel")):
        r = client.post(f"/api/tickets/bulk/{name}", headers=h_disp,
                        json={k: v for k, v in (body | changed).items() if v is not None})
        assert r.status_code == 409, (changed, r.text)
        assert r.json()["error"]["code"] == "idempotency_conflict"
    assert _detail(client, h_disp, other)["status"] == "reported"
    assert _detail(client, h_disp, another)["status"] == "reported"
    # Another dispatcher cannot replay (or learn about) someone else's batch either.
    h_other = login(client, make_user(db, Role.dispatcher))
    r = client.post("/api/tickets/bulk/dispatch", headers=h_other, json=body)
    assert r.status_code == 409 and r.json()["error"]["code"] == "idempotency_conflict"


def test_a_refused_batch_spends_nothing(client, db):
    unit = make_unit(db)
    h_ins, h_disp = login(client, make_user(db, Role.inspector)), login(client, make_user(db, Role.dispatcher))
    ids = [report(client, h_ins)["id"] for _ in range(2)]
    body = {"action_id": str(uuid.uuid4()), "ticket_ids": [*ids, str(uuid.uuid4())], "unit_id": unit.id}
    assert client.post("/api/tickets/bulk/dispatch", headers=h_disp, json=body).status_code == 422
    r = client.post("/api/tickets/bulk/dispatch", headers=h_disp, json=body | {"ticket_ids": ids})
    assert r.status_code == 200, r.text
