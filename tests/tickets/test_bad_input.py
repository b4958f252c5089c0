"""Bad inputs get a clear 4xx JSON error and leave no row or file behind."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from app.auth.models import AccessToken
from app.photos.models import Photo
from app.tickets.models import Ticket, TicketEvent, TicketPhoto
from app.users.roles import Role
from tests.conftest import _MEDIA, action, login, make_unit, make_user, report, report_body, upload_photo
from tests.fixtures.images import make_bomb_png, make_jpeg, truncated_jpeg


def state(db):
    db.rollback()  # a new snapshot: see what the app committed since
    rows = tuple(db.exec(select(func.count()).select_from(m)).one() for m in (Ticket, TicketEvent, Photo, TicketPhoto))
    files = sorted(p for p in _MEDIA.rglob("*") if p.is_file())
    return rows, files


@pytest.fixture
def inspector(client, db):
    return login(client, make_user(db, Role.inspector))


@pytest.mark.parametrize("name,data,status,code", [
    ("notes.txt", b"this is not an image at all", 415, "unsupported_type"),
    ("t.jpg", None, 422, "corrupt_image"),
    ("bomb.png", None, 413, "too_many_pixels"),
    ("empty.jpg", b"", 415, "unsupported_type"),
])
def test_bad_photos(client, db, inspector, name, data, status, code):
    if name == "t.jpg":
        data = truncated_jpeg()
    elif name == "bomb.png":
        data = make_bomb_png(20000, 20000)
    before = state(db)
    r = client.post("/api/photos", headers=inspector, data={"id": str(uuid.uuid4())},
                    files={"file": (name, data, "image/jpeg")})
    assert r.status_code == status, r.text
    assert r.json()["error"]["code"] == code
    assert state(db) == before


def test_sixty_megabyte_upload(client, db, inspector):
    before = state(db)
    big = make_jpeg(64, 64) + b"\0" * (60 * 1024 * 1024)
    r = client.post("/api/photos", headers=inspector, data={"id": str(uuid.uuid4())},
                    files={"file": ("big.jpg", big, "image/jpeg")})
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    assert state(db) == before


def test_photo_id_must_be_uuid(client, inspector):
    r = client.post("/api/photos", headers=inspector, data={"id": "../../etc"},
                    files={"file": ("a.jpg", make_jpeg(64, 64), "image/jpeg")})
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"


@pytest.mark.parametrize("override,code", [
    ({"lat": 91}, "validation_error"),
    ({"lng": -181}, "validation_error"),
    ({"category_code": "99999"}, "unknown_category"),
    ({"category_code": "06"}, "unknown_category"),  # a class, not a problem type
    ({"photo_ids": []}, "validation_error"),
    ({"photo_ids": [str(uuid.uuid4())]}, "unknown_photo"),
    ({"id": "not-a-uuid"}, "validation_error"),
])
def test_bad_reports(client, db, inspector, override, code):
    body = report_body([upload_photo(client, inspector)["id"]]) | override
    before = state(db)
    r = client.post("/api/tickets", headers=inspector, json=body)
    assert 400 <= r.status_code < 500
    assert r.json()["error"]["code"] == code
    assert state(db) == before


def test_someone_elses_photo_cannot_be_attached(client, db, inspector):
    other = login(client, make_user(db, Role.inspector))
    photo = upload_photo(client, other)["id"]
    r = client.post("/api/tickets", headers=inspector, json=report_body([photo]))
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_photo"


def test_photo_used_twice(client, db, inspector):
    t = report(client, inspector)
    r = client.post("/api/tickets", headers=inspector, json=report_body([t["photos"][0]["id"]]))
    assert r.status_code == 409 and r.json()["error"]["code"] == "photo_in_use"


def test_wrong_state_action(client, db, inspector):
    dispatcher = login(client, make_user(db, Role.dispatcher))
    t = report(client, inspector)
    before = state(db)
    r = action(client, inspector, t["id"], "verify", passed=True)
    assert r.status_code == 409
    assert r.json()["error"]["details"]["current_status"] == "reported"
    r = action(client, dispatcher, t["id"], "dispatch", unit_id=987654)
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_unit"
    assert state(db) == before


def test_verify_fail_needs_reason(client, db, inspector):
    unit = make_unit(db)
    dispatcher = login(client, make_user(db, Role.dispatcher))
    staff = login(client, make_user(db, Role.unit_staff, unit))
    t = report(client, inspector)
    action(client, dispatcher, t["id"], "dispatch", unit_id=unit.id)
    action(client, staff, t["id"], "rectify", note="好了", photo_ids=[upload_photo(client, staff)["id"]])
    before = state(db)
    r = action(client, inspector, t["id"], "verify", passed=False)
    assert r.status_code == 422 and r.json()["error"]["code"] == "reason_required"
    assert state(db) == before


def test_expired_and_revoked_tokens(client, db):
    user = make_user(db, Role.inspector)
    headers = login(client, user)
    assert client.get("/api/me", headers=headers).status_code == 200
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    r = client.get("/api/me", headers=headers)
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token"

    headers = login(client, user)
    db.rollback()  # a new snapshot: see what the app committed since
    with db.begin():
        for tok in db.exec(select(AccessToken).where(AccessToken.revoked_at.is_(None))).all():
            tok.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    r = client.get("/api/tickets", headers=headers)
    assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_token"
    assert client.get("/api/me").status_code == 401
    assert client.get("/api/me", headers={"Authorization": "Bearer nonsense"}).status_code == 401


def test_bad_list_params(client, db, inspector):
    for params in ({"bbox": "1,2,3"}, {"bbox": "a,b,c,d"}, {"cursor": "!!!"}, {"status": "bogus"},
                   {"limit": 0}, {"sort": "id"}):
        r = client.get("/api/tickets", headers=inspector, params=params)
        assert r.status_code == 422, params
        assert r.json()["error"]["code"] in ("validation_error", "invalid_bbox", "invalid_cursor")


def test_unknown_ticket_is_404(client, inspector):
    r = client.get(f"/api/tickets/{uuid.uuid4()}", headers=inspector)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert client.get("/api/tickets/not-a-uuid", headers=inspector).status_code == 422
