"""Two concurrent actions on one ticket: exactly one wins, the other gets 409."""

import threading
import uuid

from fastapi.testclient import TestClient
from sqlmodel import func, select

from app.main import app
from app.tickets.models import Ticket, TicketEvent, TicketPhoto
from app.users.roles import Role
from tests.conftest import action, login, make_unit, make_user, report, report_body, upload_photo


def race(calls):
    """Run the calls at the same moment from separate threads and clients; answers their responses."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, fn):
        with TestClient(app) as c:
            barrier.wait()
            results[i] = fn(c)

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return results


def test_pass_and_fail_race(client, db):
    unit = make_unit(db)
    insp1, insp2 = (login(client, make_user(db, Role.inspector)) for _ in range(2))
    dispatcher = login(client, make_user(db, Role.dispatcher))
    staff = login(client, make_user(db, Role.unit_staff, unit))
    for _ in range(5):
        t = report(client, insp1)
        action(client, dispatcher, t["id"], "dispatch", unit_id=unit.id)
        action(client, staff, t["id"], "rectify", note="好", photo_ids=[upload_photo(client, staff)["id"]])
        results = race([
            lambda c, tid=t["id"]: action(c, insp1, tid, "verify", passed=True),
            lambda c, tid=t["id"]: action(c, insp2, tid, "verify", passed=False, note="不合格"),
        ])
        codes = sorted(r.status_code for r in results)
        assert codes == [200, 409], [r.text for r in results]
        loser = next(r for r in results if r.status_code == 409)
        assert loser.json()["error"]["code"] == "invalid_state"
        db.rollback()  # a new snapshot: see what the app committed since
        events = db.exec(select(TicketEvent.action).where(TicketEvent.ticket_id == uuid.UUID(t["id"]))).all()
        assert len([e for e in events if e.startswith("verify")]) == 1, events


def test_same_action_id_sent_twice_at_once(client, db):
    unit = make_unit(db)
    inspector = login(client, make_user(db, Role.inspector))
    dispatcher = login(client, make_user(db, Role.dispatcher))
    t = report(client, inspector)
    body = {"action_id": str(uuid.uuid4()), "unit_id": unit.id}
    results = race([lambda c: c.post(f"/api/tickets/{t['id']}/dispatch", headers=dispatcher, json=body)] * 2)
    assert [r.status_code for r in results] == [200, 200], [r.text for r in results]
    db.rollback()  # a new snapshot: see what the app committed since
    n = db.exec(select(func.count()).select_from(TicketEvent).where(TicketEvent.action == "dispatch")).one()
    assert n == 1


def test_concurrent_reports_get_distinct_case_numbers(client, db):
    headers = [login(client, make_user(db, Role.inspector)) for _ in range(4)]
    photos = [upload_photo(client, h)["id"] for h in headers]

    def rep(h, p):
        return lambda c: c.post("/api/tickets", headers=h, json={
            "id": str(uuid.uuid4()), "category_code": "07001", "lat": 30.2, "lng": 120.1, "photo_ids": [p]})

    results = race([rep(h, p) for h, p in zip(headers, photos, strict=True)])
    assert [r.status_code for r in results] == [201] * 4, [r.text for r in results]
    assert len({r.json()["case_number"] for r in results}) == 4


# ---- identical requests at once (a phone resending while its first try is still running) ----------
# SQLite serialises writers, so these races only really happen on PostgreSQL: run them there too.

ROUNDS = 4
AT_ONCE = 12


def test_identical_reports_at_once_all_answer_the_first_result(client, db):
    inspector = login(client, make_user(db, Role.inspector))
    for _ in range(ROUNDS):
        body = report_body([upload_photo(client, inspector)["id"]])
        results = race([lambda c, b=body: c.post("/api/tickets", headers=inspector, json=b)] * AT_ONCE)
        codes = sorted(r.status_code for r in results)
        assert codes == [200] * (AT_ONCE - 1) + [201], [r.text for r in results if r.status_code >= 300]
        assert len({(r.json()["id"], r.json()["case_number"]) for r in results}) == 1
        db.rollback()  # a new snapshot: see what the app committed since
        assert db.exec(select(func.count()).select_from(Ticket).where(Ticket.id == uuid.UUID(body["id"]))).one() == 1


def test_identical_rectifies_at_once_all_answer_the_first_result(client, db):
    unit = make_unit(db)
    inspector = login(client, make_user(db, Role.inspector))
    dispatcher = login(client, make_user(db, Role.dispatcher))
    staff = login(client, make_user(db, Role.unit_staff, unit))
    for _ in range(ROUNDS):
        t = report(client, inspector)
        assert action(client, dispatcher, t["id"], "dispatch", unit_id=unit.id).status_code == 200
        body = {"action_id": str(uuid.uuid4()), "note": "已清理", "photo_ids": [upload_photo(client, staff)["id"]]}
        results = race([lambda c, tid=t["id"], b=body: c.post(f"/api/tickets/{tid}/rectify", headers=staff, json=b)]
                       * AT_ONCE)
        assert [r.status_code for r in results] == [200] * AT_ONCE, [r.text for r in results if r.status_code != 200]
        assert {r.json()["status"] for r in results} == {"rectified"}
        db.rollback()
        n = db.exec(select(func.count()).select_from(TicketEvent)
                    .where(TicketEvent.action_id == uuid.UUID(body["action_id"]))).one()
        assert n == 1


def test_identical_dispatches_at_once_all_answer_the_first_result(client, db):
    unit = make_unit(db)
    inspector = login(client, make_user(db, Role.inspector))
    dispatcher = login(client, make_user(db, Role.dispatcher))
    for _ in range(ROUNDS):
        t = report(client, inspector)
        body = {"action_id": str(uuid.uuid4()), "unit_id": unit.id}
        results = race([lambda c, tid=t["id"], b=body: c.post(f"/api/tickets/{tid}/dispatch", headers=dispatcher, json=b)]
                       * AT_ONCE)
        assert [r.status_code for r in results] == [200] * AT_ONCE, [r.text for r in results if r.status_code != 200]


def test_different_reports_claiming_one_photo_one_wins(client, db):
    inspector = login(client, make_user(db, Role.inspector))
    for _ in range(ROUNDS):
        photo = upload_photo(client, inspector)["id"]
        bodies = [report_body([photo]) for _ in range(8)]
        results = race([lambda c, b=b: c.post("/api/tickets", headers=inspector, json=b) for b in bodies])
        codes = sorted(r.status_code for r in results)
        assert codes == [201] + [409] * 7, [r.text for r in results]
        assert {r.json()["error"]["code"] for r in results if r.status_code == 409} == {"photo_in_use"}
        db.rollback()
        assert db.exec(select(func.count()).select_from(TicketPhoto)
                       .where(TicketPhoto.photo_id == uuid.UUID(photo))).one() == 1


def test_different_rectifies_claiming_one_photo_one_wins(client, db):
    unit = make_unit(db)
    inspector = login(client, make_user(db, Role.inspector))
    dispatcher = login(client, make_user(db, Role.dispatcher))
    staff = login(client, make_user(db, Role.unit_staff, unit))
    tickets = [report(client, inspector) for _ in range(6)]
    for t in tickets:
        assert action(client, dispatcher, t["id"], "dispatch", unit_id=unit.id).status_code == 200
    photo = upload_photo(client, staff)["id"]
    results = race([lambda c, tid=t["id"]: action(c, staff, tid, "rectify", note="好", photo_ids=[photo])
                    for t in tickets])
    codes = sorted(r.status_code for r in results)
    assert codes == [200] + [409] * 5, [r.text for r in results]
    assert {r.json()["error"]["code"] for r in results if r.status_code == 409} == {"photo_in_use"}


# ---- deadline exceptions: decisions and requests that keep the status race too -----------------------

def _request(client, staff, tid, kind="extension"):
    from datetime import UTC, datetime, timedelta

    body = {"action_id": str(uuid.uuid4()), "kind": kind, "reason": "需要更多时间"}
    if kind == "extension":
        body["deadline"] = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    r = client.post(f"/api/tickets/{tid}/requests", headers=staff, json=body)
    assert r.status_code == 200, r.text
    return body["action_id"]


def test_approve_and_reject_of_one_request_exactly_one_wins(client, db):
    from app.tickets.models import TicketRequest

    unit = make_unit(db)
    inspector = login(client, make_user(db, Role.inspector))
    dispatchers = [login(client, make_user(db, Role.dispatcher)) for _ in range(2)]
    staff = login(client, make_user(db, Role.unit_staff, unit))
    for kind in ("extension", "return", "suspension"):
        t = report(client, inspector)
        assert action(client, dispatchers[0], t["id"], "dispatch", unit_id=unit.id).status_code == 200
        rid = _request(client, staff, t["id"], kind)
        approve = {"approve": True} | ({"review_at": "2030-01-01T00:00:00+08:00"} if kind == "suspension" else {})
        path = f"requests/{rid}/decision"
        results = race([
            lambda c, tid=t["id"], p=path, a=approve: action(c, dispatchers[0], tid, p, **a),
            lambda c, tid=t["id"], p=path: action(c, dispatchers[1], tid, p, approve=False, note="不同意"),
        ])
        codes = sorted(r.status_code for r in results)
        assert codes == [200, 409], [r.text for r in results]
        winner = next(r for r in results if r.status_code == 200).json()
        loser = next(r for r in results if r.status_code == 409).json()
        assert loser["error"]["code"] in ("no_pending_request", "invalid_state"), loser
        db.rollback()  # a new snapshot: see what the app committed since
        req = db.get(TicketRequest, uuid.UUID(rid), populate_existing=True)
        assert req.state == winner["requests"][0]["state"] and req.state in ("approved", "rejected")
        decisions = db.exec(select(TicketEvent.action).where(TicketEvent.ticket_id == uuid.UUID(t["id"]),
                                                             TicketEvent.from_status.is_not(None))).all()
        assert len([a for a in decisions if a.startswith(("approve", "reject"))]) == 1, decisions
        assert db.get(Ticket, uuid.UUID(t["id"]), populate_existing=True).pending_request is None


def test_two_requests_at_once_one_waits(client, db):
    from app.tickets.models import TicketRequest

    unit = make_unit(db)
    inspector = login(client, make_user(db, Role.inspector))
    dispatcher = login(client, make_user(db, Role.dispatcher))
    staffs = [login(client, make_user(db, Role.unit_staff, unit)) for _ in range(2)]
    for _ in range(ROUNDS):
        t = report(client, inspector)
        assert action(client, dispatcher, t["id"], "dispatch", unit_id=unit.id).status_code == 200
        results = race([
            lambda c, tid=t["id"]: action(c, staffs[0], tid, "requests", kind="return", reason="非本单位"),
            lambda c, tid=t["id"]: action(c, staffs[1], tid, "requests", kind="suspension", reason="需立项"),
        ])
        codes = sorted(r.status_code for r in results)
        assert codes == [200, 409], [r.text for r in results]
        assert next(r for r in results if r.status_code == 409).json()["error"]["code"] == "request_pending"
        db.rollback()
        n = db.exec(select(func.count()).select_from(TicketRequest)
                    .where(TicketRequest.ticket_id == uuid.UUID(t["id"]))).one()
        assert n == 1


def test_identical_requests_at_once_all_answer_the_first_result(client, db):
    from app.tickets.models import TicketRequest

    unit = make_unit(db)
    inspector = login(client, make_user(db, Role.inspector))
    dispatcher = login(client, make_user(db, Role.dispatcher))
    staff = login(client, make_user(db, Role.unit_staff, unit))
    t = report(client, inspector)
    assert action(client, dispatcher, t["id"], "dispatch", unit_id=unit.id).status_code == 200
    body = {"action_id": str(uuid.uuid4()), "kind": "return", "reason": "非本单位"}
    results = race([lambda c: c.post(f"/api/tickets/{t['id']}/requests", headers=staff, json=body)] * AT_ONCE)
    assert [r.status_code for r in results] == [200] * AT_ONCE, [r.text for r in results if r.status_code != 200]
    db.rollback()
    assert db.exec(select(func.count()).select_from(TicketRequest)).one() == 1


def test_same_bulk_batch_sent_twice_at_once(client, db):
    unit = make_unit(db)
    inspector = login(client, make_user(db, Role.inspector))
    dispatcher = login(client, make_user(db, Role.dispatcher))
    ids = [report(client, inspector)["id"] for _ in range(3)]
    body = {"action_id": str(uuid.uuid4()), "ticket_ids": ids, "unit_id": unit.id}
    results = race([lambda c: c.post("/api/tickets/bulk/dispatch", headers=dispatcher, json=body)] * 2)
    assert [r.status_code for r in results] == [200, 200], [r.text for r in results]
    assert results[0].json() == results[1].json() == {"count": 3, "ticket_ids": ids}
    db.rollback()  # a new snapshot: see what the app committed since
    n = db.exec(select(func.count()).select_from(TicketEvent).where(TicketEvent.action == "dispatch")).one()
    assert n == 3
