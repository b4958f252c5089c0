"""Replaying a create or an action with the same id changes nothing and answers the first result."""

import uuid

from sqlmodel import func, select

from app.photos.models import Photo
from app.tickets.models import Ticket, TicketEvent
from app.users.roles import Role
from tests.conftest import login, make_unit, make_user, report_body, upload_photo
from tests.fixtures.images import make_jpeg


def counts(db):
    db.rollback()  # a new snapshot: see what the app committed since
    return tuple(db.exec(select(func.count()).select_from(m)).one() for m in (Ticket, TicketEvent, Photo))


def test_photo_replay(client, db, tmp_path):
    headers = login(client, make_user(db, Role.inspector))
    data = make_jpeg(640, 480)
    pid = str(uuid.uuid4())
    files = {"file": ("a.jpg", data, "image/jpeg")}
    first = client.post("/api/photos", headers=headers, data={"id": pid}, files=files)
    assert first.status_code == 201
    again = client.post("/api/photos", headers=headers, data={"id": pid}, files=files)
    assert again.status_code == 200 and again.json() == first.json()
    other = client.post("/api/photos", headers=headers, data={"id": pid},
                        files={"file": ("b.jpg", make_jpeg(640, 480, color=(10, 200, 10)), "image/jpeg")})
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_conflict"
    assert counts(db)[2] == 1
    # The conflicting upload left no file behind and did not overwrite the first one's bytes.
    assert client.get(first.json()["urls"]["original"], headers=headers).content == data


def test_ticket_replay(client, db):
    headers = login(client, make_user(db, Role.inspector))
    body = report_body([upload_photo(client, headers)["id"]])
    first = client.post("/api/tickets", headers=headers, json=body)
    assert first.status_code == 201
    before = counts(db)
    again = client.post("/api/tickets", headers=headers, json=body)
    assert again.status_code == 200
    assert again.json()["case_number"] == first.json()["case_number"]
    assert counts(db) == before
    changed = client.post("/api/tickets", headers=headers, json=body | {"description": "别的"})
    assert changed.status_code == 409 and changed.json()["error"]["code"] == "idempotency_conflict"
    assert counts(db) == before


def test_a_report_reusing_an_action_s_id_is_409(client, db):
    """A report's id is its report event's action id: one already taken by an action is a conflict."""
    unit = make_unit(db)
    inspector = login(client, make_user(db, Role.inspector))
    dispatcher = login(client, make_user(db, Role.dispatcher))
    tid = client.post("/api/tickets", headers=inspector, json=report_body([upload_photo(client, inspector)["id"]])).json()["id"]
    action_id = str(uuid.uuid4())
    assert client.post(f"/api/tickets/{tid}/dispatch", headers=dispatcher,
                       json={"action_id": action_id, "unit_id": unit.id}).status_code == 200
    before = counts(db)
    body = report_body([upload_photo(client, inspector)["id"]]) | {"id": action_id}
    r = client.post("/api/tickets", headers=inspector, json=body)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "idempotency_conflict"), r.text
    assert counts(db)[:2] == before[:2]


def test_action_replay(client, db):
    unit = make_unit(db)
    inspector = login(client, make_user(db, Role.inspector))
    dispatcher = login(client, make_user(db, Role.dispatcher))
    body = report_body([upload_photo(client, inspector)["id"]])
    tid = client.post("/api/tickets", headers=inspector, json=body).json()["id"]
    act = {"action_id": str(uuid.uuid4()), "unit_id": unit.id, "note": "请尽快处理"}
    first = client.post(f"/api/tickets/{tid}/dispatch", headers=dispatcher, json=act)
    assert first.status_code == 200
    before = counts(db)
    again = client.post(f"/api/tickets/{tid}/dispatch", headers=dispatcher, json=act)
    assert again.status_code == 200
    assert again.json()["events"] == first.json()["events"]
    assert counts(db) == before
    # Same action id, other content: 409, nothing written.
    other = client.post(f"/api/tickets/{tid}/dispatch", headers=dispatcher, json=act | {"note": "改"})
    assert other.status_code == 409 and other.json()["error"]["code"] == "idempotency_conflict"
    # A new action id on the same (now dispatched) ticket: wrong state.
    wrong = client.post(f"/api/tickets/{tid}/dispatch", headers=dispatcher, json=act | {"action_id": str(uuid.uuid4())})
    assert wrong.status_code == 409
    assert wrong.json()["error"] == {"code": "invalid_state", "message": wrong.json()["error"]["message"],
                                     "details": {"current_status": "dispatched"}}
    assert counts(db) == before


def test_case_numbers_never_repeat(client, db):
    headers = login(client, make_user(db, Role.inspector))
    numbers = []
    for _ in range(3):
        body = report_body([upload_photo(client, headers)["id"]])
        numbers.append(client.post("/api/tickets", headers=headers, json=body).json()["case_number"])
    assert len(set(numbers)) == 3
    seq = [int(n.rsplit("-", 1)[1]) for n in numbers]
    assert seq == sorted(seq) and seq[1] == seq[0] + 1
