import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from app.auth.models import AccessToken
from app.core.security import token_digest
from app.users.roles import Role
from tests.conftest import PASSWORD, make_unit, make_user


def test_login_returns_user_and_stores_only_a_digest(client, db):
    unit = make_unit(db, "市城市管理局")
    user = make_user(db, Role.unit_staff, unit)
    r = client.post("/api/auth/token", data={"username": user.username, "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer"
    assert body["user"] == {"id": user.id, "username": user.username, "display_name": user.display_name,
                            "role": "unit_staff", "unit_id": unit.id, "unit_name": "市城市管理局"}
    stored = db.exec(select(AccessToken)).one()
    assert stored.token_hash == token_digest(body["access_token"]) and body["access_token"] not in stored.token_hash
    assert user.password_hash.startswith("$argon2id$")
    # Long enough for a day offline.
    assert (stored.expires_at - stored.created_at).total_seconds() >= 24 * 3600


def test_wrong_password_and_unknown_user_look_the_same(client, db):
    user = make_user(db, Role.inspector)
    a = client.post("/api/auth/token", data={"username": user.username, "password": "wrong"})
    b = client.post("/api/auth/token", data={"username": "nobody", "password": "wrong"})
    assert a.status_code == b.status_code == 401
    assert a.json() == b.json()


def test_login_is_rate_limited(client, db):
    user = make_user(db, Role.inspector)
    for _ in range(5):
        assert client.post("/api/auth/token", data={"username": user.username, "password": "x"}).status_code == 401
    r = client.post("/api/auth/token", data={"username": user.username, "password": PASSWORD})
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
    assert r.json()["error"]["details"]["retry_after"] > 0


def test_token_never_accepted_in_url(client, db):
    user = make_user(db, Role.inspector)
    token = client.post("/api/auth/token", data={"username": user.username, "password": PASSWORD}).json()["access_token"]
    assert client.get(f"/api/me?access_token={token}").status_code == 401
    assert client.get(f"/api/me?token={token}").status_code == 401


def test_inactive_user_cannot_log_in(client, db):
    user = make_user(db, Role.inspector)
    user.is_active = False
    db.add(user)
    db.commit()
    assert client.post("/api/auth/token", data={"username": user.username, "password": PASSWORD}).status_code == 401


def test_security_headers(client):
    for path in ("/api/health", "/", "/api/me"):
        r = client.get(path)
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"


# ---- usernames are case-insensitive at login, as they are unique (app/users/admin.py create) ----------

def test_a_username_logs_in_in_any_case_as_the_account_it_names(client, db):
    user = make_user(db, Role.inspector, username="Inspector-Li")
    for typed in ("inspector-li", "INSPECTOR-LI", "Inspector-Li"):
        r = client.post("/api/auth/token", data={"username": typed, "password": PASSWORD})
        assert r.status_code == 200, (typed, r.text)
        assert r.json()["user"]["username"] == "Inspector-Li" and r.json()["user"]["id"] == user.id


def test_every_case_of_a_username_shares_the_accounts_limit_and_its_device_tokens(client, db):
    user = make_user(db, Role.inspector, username="Inspector-Wang")
    phone = client.post("/api/auth/token", data={"username": "inspector-wang", "password": PASSWORD}
                        ).json()["device_token"]
    for typed in ("INSPECTOR-WANG", "inspector-WANG", "Inspector-wang", "iNSPECTOR-wang", "inspector-wang"):
        assert client.post("/api/auth/token", data={"username": typed, "password": "x"}).status_code == 401
    for typed in ("Inspector-Wang", "inspector-wang"):
        r = client.post("/api/auth/token", data={"username": typed, "password": PASSWORD})
        assert r.status_code == 429, (typed, r.text)
    r = client.post("/api/auth/token", data={"username": "INSPECTOR-WANG", "password": PASSWORD,
                                             "device_token": phone})
    assert r.status_code == 200 and r.json()["user"]["id"] == user.id


def test_the_database_refuses_a_second_account_differing_only_in_case(client, db):
    """The admin's create checks first (409), but two creates at once could both pass that check, and the CLI or
    SQL could go round it: the unique index on lower(username) refuses the second whichever way it arrives."""
    user = make_user(db, Role.inspector, username="casey")
    for other in ("CASEY", "Casey", "casey"):
        with pytest.raises(IntegrityError):
            make_user(db, Role.leader, username=other)
        db.rollback()
    r = client.post("/api/auth/token", data={"username": "Casey", "password": PASSWORD})
    assert r.status_code == 200 and r.json()["user"]["id"] == user.id


def test_a_username_that_is_no_ascii_logs_in_only_as_typed(client, db):
    make_user(db, Role.inspector, username="Ärger")
    assert client.post("/api/auth/token", data={"username": "Ärger", "password": PASSWORD}).status_code == 200
    assert client.post("/api/auth/token", data={"username": "ärger", "password": PASSWORD}).status_code == 401
