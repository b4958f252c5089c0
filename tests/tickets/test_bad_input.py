"""Bad inputs get a clear 4xx JSON error and leave no row or file behind."""

import base64
import json
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


# ---- inputs that used to answer 500 (the PWA retries a 5xx forever, jamming its outbox) ------------

NUL = "ab\x00cd"
SURROGATE = "ab\ud800cd"


def _dispatched(client, db, inspector):
    """A unit, its staff's headers, a dispatcher's headers and a dispatched ticket."""
    unit = make_unit(db)
    dispatcher = login(client, make_user(db, Role.dispatcher))
    staff = login(client, make_user(db, Role.unit_staff, unit))
    t = report(client, inspector)
    assert action(client, dispatcher, t["id"], "dispatch", unit_id=unit.id).status_code == 200
    return unit, dispatcher, staff, t


@pytest.mark.parametrize("field", ["description", "address", "category_code"])
@pytest.mark.parametrize("bad", [NUL, SURROGATE, "a\x1bb", "a\x7fb"], ids=["nul", "surrogate", "esc", "del"])
def test_control_characters_in_report_text(client, db, inspector, field, bad):
    body = report_body([upload_photo(client, inspector)["id"]]) | {field: bad}
    before = state(db)
    # json.dumps escapes as \u0000 / \ud800, as a browser's JSON.stringify does.
    r = client.post("/api/tickets", headers=inspector | {"Content-Type": "application/json"}, content=json.dumps(body))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "validation_error"
    assert r.json()["error"]["details"][0]["loc"] == ["body", field]
    assert state(db) == before


def test_newlines_and_tabs_are_fine_in_text(client, db, inspector):
    t = report(client, inspector, description="第一行\n第二行\r\n\t缩进")
    assert t["description"] == "第一行\n第二行\r\n\t缩进"


@pytest.mark.parametrize("name,body", [
    ("dispatch", {"note": NUL}),
    ("return", {"reason": NUL}),
    ("rectify", {"note": NUL}),
    ("verify", {"passed": False, "note": NUL}),
    ("cancel", {"reason": NUL}),
])
def test_control_characters_in_action_text(client, db, inspector, name, body):
    unit, dispatcher, staff, t = _dispatched(client, db, inspector)
    who = {"dispatch": dispatcher, "cancel": dispatcher, "return": staff, "rectify": staff, "verify": inspector}[name]
    if name == "rectify":
        body = body | {"photo_ids": [upload_photo(client, staff)["id"]]}
    if name == "dispatch":
        body = body | {"unit_id": unit.id}
    before = state(db)
    r = action(client, who, t["id"], name, **body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "validation_error"
    assert state(db) == before


@pytest.mark.parametrize("params", [
    {"q": NUL}, {"q": "XC-\x00"}, {"q": "a\x00"}, {"category_code": NUL}, {"bbox": "1,2,3,\x00"}, {"cursor": NUL},
], ids=["q", "q-case-number", "q-short", "category_code", "bbox", "cursor"])
def test_control_characters_in_list_parameters(client, db, inspector, params):
    r = client.get("/api/tickets", headers=inspector, params=params)
    assert r.status_code == 422, r.text


@pytest.mark.parametrize("path", ["/api/stats/summary", "/api/stats/ranking", "/api/stats/trend"])
def test_control_characters_in_stats_parameters(client, db, path):
    leader = login(client, make_user(db, Role.leader))
    r = client.get(path, headers=leader, params={"category_code": NUL})
    assert r.status_code == 422, r.text


@pytest.mark.parametrize("q", ['a"b', '"', "x OR y", "abc*", "NEAR(a b)", "a'b", "%_\\", "^abc", "XC-\"", "  "])
def test_search_syntax_is_taken_literally(client, db, inspector, q):
    report(client, inspector, description='说明 a"b x OR y abc* NEAR(a b) a\'b %_\\ ^abc')
    r = client.get("/api/tickets", headers=inspector, params={"q": q})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("username", ["ab%00cd", "admin%00", "ab%1Bcd"])
def test_control_characters_in_login_username(client, db, username):
    make_user(db, Role.admin, username="admin")
    r = client.post("/api/auth/token", content=f"username={username}&password=x",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "validation_error"


def test_nul_in_password_is_just_a_wrong_password(client, db):
    user = make_user(db, Role.inspector)
    r = client.post("/api/auth/token", data={"username": user.username, "password": "secret\x00"})
    assert r.status_code == 401


@pytest.mark.parametrize("captured_at", [
    "9999-12-31T23:59:59+00:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "0001-01-01T00:00:00",
    "1999-12-31T23:59:59+08:00", "2101-01-01T00:00:00+08:00",
])
def test_implausible_captured_at_on_a_report(client, db, inspector, captured_at):
    body = report_body([upload_photo(client, inspector)["id"]], captured_at=captured_at)
    before = state(db)
    r = client.post("/api/tickets", headers=inspector, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"][0]["loc"] == ["body", "captured_at"]
    assert state(db) == before


def test_plausible_captured_at_without_zone_is_city_time(client, db, inspector):
    t = report(client, inspector, captured_at="2024-05-01T08:00:00")
    r = client.get(f"/api/tickets/{t['id']}", headers=inspector)
    assert r.status_code == 200


@pytest.mark.parametrize("deadline,code", [
    ("9999-12-31T23:59:59-14:00", "validation_error"),
    ("9999-12-31T23:59:59+00:00", "validation_error"),
    ("0001-01-01T00:00:00+14:00", "validation_error"),
    ("far", "invalid_deadline"),  # plausible as a date, but more than five years ahead
    ("past", "invalid_deadline"),
])
def test_implausible_deadlines(client, db, inspector, deadline, code):
    unit = make_unit(db)
    dispatcher = login(client, make_user(db, Role.dispatcher))
    t = report(client, inspector)
    deadline = {"far": (datetime.now(UTC) + timedelta(days=6 * 366)).isoformat(),
                "past": (datetime.now(UTC) - timedelta(hours=1)).isoformat()}.get(deadline, deadline)
    before = state(db)
    r = action(client, dispatcher, t["id"], "dispatch", unit_id=unit.id, deadline=deadline)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == code
    assert state(db) == before


def test_implausible_rework_deadline(client, db, inspector):
    unit, dispatcher, staff, t = _dispatched(client, db, inspector)
    assert action(client, staff, t["id"], "rectify", note="好",
                  photo_ids=[upload_photo(client, staff)["id"]]).status_code == 200
    before = state(db)
    for deadline in ("9999-12-31T23:59:59-14:00", (datetime.now(UTC) + timedelta(days=6 * 366)).isoformat()):
        r = action(client, inspector, t["id"], "verify", passed=False, note="不合格", deadline=deadline)
        assert r.status_code == 422, r.text
    assert state(db) == before


_ID = "5f2c7a4e-1b1d-4a36-9c3e-2f0b8d6a9e11"  # fixed, so each test's id is the same on every run


def _cursor(*parts) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(parts)).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    _cursor("2024-05-01T08:00:00", _ID),          # naive
    _cursor("9999-12-31T23:59:59-14:00", _ID),    # past year 9999 in UTC
    _cursor("0001-01-01T00:00:00+14:00", _ID),    # before year 1 in UTC
    _cursor("9999-12-31T23:59:59+00:00", _ID),
    _cursor("2024-05-01T08:00:00+00:00", "not-a-uuid"),
    _cursor("2024-05-01T08:00:00+00:00", _ID, "extra"),
    _cursor(12, _ID),
    _cursor(None, None),
    "e30",  # {}
    "%%%", "", "a" * 1000,
], ids=lambda c: c[:12] or "empty")
@pytest.mark.parametrize("path,params", [("/api/tickets", {}), ("/api/stats/tickets", {"metric": "dispatched"})],
                         ids=["list", "drill"])
def test_bad_cursors(client, db, inspector, cursor, path, params):
    dispatcher = login(client, make_user(db, Role.dispatcher))
    r = client.get(path, headers=dispatcher, params=params | {"cursor": cursor})
    if cursor == "":
        assert r.status_code == 200
        return
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] in ("invalid_cursor", "validation_error")
