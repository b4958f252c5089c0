"""Users over the admin API: create with role and unit, password rules, reset, deactivate, revoke a lost phone's
tokens, last login; the admin cannot lock the office out; audit rows never hold a password or its hash."""

import json

import pytest
from sqlmodel import select

from app.audit.service import Actor
from app.core.errors import Conflict
from app.users import admin as users_admin
from app.users import passwords
from app.users.models import User
from app.users.roles import Role
from app.users.schemas import UserPatch
from tests.admin.conftest import audit_count, audit_rows
from tests.conftest import login, make_unit, make_user


def new_user(client, h, **body):
    return client.post("/api/admin/users", headers=h, json={"display_name": "周主任", "password": "Str0ng-pass"} | body)


def token(client, username, password):
    r = client.post("/api/auth/token", data={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.mark.parametrize("password, ok", [
    ("abce1234", True), ("1234567", False), ("12345678", False), ("xy01xy01", False), ("XY01xy01", False),
    ("密码安全性够了吗1", True), ("a" * 129, False), ("aaaaaaaa", False), (" " * 8, False), ("aaaaaaab", False),
    # Common ones (the demo's, the leaked lists'), any case; one kind of character only in a long phrase.
    ("demo1234", False), ("Password", False), ("abcd1234", False), ("Qwerty123", False), ("abcdefgh", False),
    ("密码安全性够了吗", False), ("城管巡查每天都要认真做好工作", False), ("城管巡查每天都要认真做好创城工作", True),
    ("correcthorsebatterystaple", True), ("Xuncha-2026", True),
])
def test_password_rules(password, ok):
    assert (passwords.problems("xy01XY01", password) == []) is ok


def test_a_created_unit_staff_logs_in_is_revoked_and_the_next_request_is_refused(client, db, admin):
    h = admin["h"]
    unit = make_unit(db, "向阳街道办事处", kind="street")
    r = new_user(client, h, username="xy01", role="unit_staff", unit_id=unit.id)
    assert r.status_code == 201, r.text
    created = r.json()
    assert (created["unit_name"], created["last_login_at"], created["live_tokens"]) == ("向阳街道办事处", None, 0)
    phone = token(client, "xy01", "Str0ng-pass")
    assert client.get("/api/me", headers=phone).status_code == 200
    shown = client.get(f"/api/admin/users/{created['id']}", headers=h).json()
    assert shown["last_login_at"] is not None and shown["live_tokens"] == 1
    r = client.post(f"/api/admin/users/{created['id']}/revoke-tokens", headers=h)
    assert r.json() == {"revoked": 1}
    r = client.get("/api/me", headers=phone)
    assert (r.status_code, r.json()["error"]["code"]) == (401, "invalid_token")
    rows = audit_rows(db, entity_type="user", entity_id=str(created["id"]))
    assert [x.action for x in rows] == ["user.create", "user.revoke_tokens"]
    assert rows[0].after == {"username": "xy01", "display_name": "周主任", "role": "unit_staff", "unit_id": unit.id,
                             "is_active": True}


def test_reset_password_revokes_tokens_and_never_reaches_the_audit_trail(client, db, admin):
    h = admin["h"]
    user_id = new_user(client, h, username="insp9", role="inspector").json()["id"]
    phone = token(client, "insp9", "Str0ng-pass")
    r = client.post(f"/api/admin/users/{user_id}/password", headers=h, json={"password": "insp9"})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "weak_password")
    assert client.get("/api/me", headers=phone).status_code == 200  # a refused reset changed nothing
    r = client.post(f"/api/admin/users/{user_id}/password", headers=h, json={"password": "Another-pass-2"})
    assert r.json() == {"revoked": 1}
    assert client.get("/api/me", headers=phone).status_code == 401
    token(client, "insp9", "Another-pass-2")
    dumped = json.dumps([[x.before, x.after] for x in audit_rows(db)], ensure_ascii=False)
    assert "pass" not in dumped.replace("reset_password", "")
    db.expire_all()
    assert db.get(User, user_id).password_hash.split("$")[1] == "argon2id"
    assert db.get(User, user_id).password_hash not in dumped


def test_bad_users_are_refused_with_nothing_written(client, db, admin):
    h = admin["h"]
    unit = make_unit(db)
    gone = make_unit(db, is_active=False)
    make_user(db, Role.inspector, username="taken")
    before = audit_count(db)
    cases = [
        ({"username": "TAKEN", "role": "inspector"}, 409, "duplicate_username"),
        ({"username": "u1", "role": "unit_staff"}, 422, "unit_required"),
        ({"username": "u1", "role": "inspector", "unit_id": unit.id}, 422, "unit_not_allowed"),
        ({"username": "u1", "role": "unit_staff", "unit_id": 99999}, 422, "unknown_unit"),
        ({"username": "u1", "role": "unit_staff", "unit_id": gone.id}, 422, "inactive_unit"),
        ({"username": "u1", "role": "inspector", "password": "12345678"}, 422, "weak_password"),
        ({"username": "u1", "role": "inspector", "password": "short"}, 422, "weak_password"),
        ({"username": "wangwei88", "role": "inspector", "password": "WangWei88"}, 422, "weak_password"),
        ({"username": "u1", "role": "superuser"}, 422, "validation_error"),
        ({"username": "有 空格", "role": "inspector"}, 422, "validation_error"),
        ({"username": "u1", "role": "inspector", "display_name": ""}, 422, "validation_error"),
    ]
    for body, status, code in cases:
        r = new_user(client, h, **body)
        assert (r.status_code, r.json().get("error", {}).get("code")) == (status, code), (body, r.text)
    assert audit_count(db) == before
    assert db.exec(select(User).where(User.username == "u1")).first() is None


def test_the_office_cannot_lock_itself_out(client, db, admin):
    h, me = admin["h"], admin["user"]
    r = client.patch(f"/api/admin/users/{me.id}", headers=h, json={"is_active": False})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "self_lockout")
    r = client.patch(f"/api/admin/users/{me.id}", headers=h, json={"role": "leader"})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "self_lockout")
    other = make_user(db, Role.admin, username="second")
    assert client.patch(f"/api/admin/users/{other.id}", headers=h, json={"is_active": False}).status_code == 200
    # Another admin's session, once "me" is the last active admin: it cannot remove "me".
    third = make_user(db, Role.admin, username="third")
    h3 = login(client, third)
    assert client.patch(f"/api/admin/users/{third.id}", headers=h, json={"is_active": False}).status_code == 200
    assert client.get("/api/me", headers=h3).status_code == 401  # deactivating revoked its tokens
    db.expire_all()
    assert [u.username for u in db.exec(select(User).where(User.role == "admin", User.is_active)).all()] == ["boss"]
    with pytest.raises(Conflict) as exc:
        users_admin.update(db, Actor.cli(), me.id, UserPatch(is_active=False))
    assert exc.value.code == "last_admin"


def test_role_and_unit_changes_follow_the_rules(client, db, admin):
    h = admin["h"]
    a, b = make_unit(db), make_unit(db)
    staff = make_user(db, Role.unit_staff, unit=a)
    r = client.patch(f"/api/admin/users/{staff.id}", headers=h, json={"unit_id": b.id})
    assert r.json()["unit_id"] == b.id
    r = client.patch(f"/api/admin/users/{staff.id}", headers=h, json={"role": "inspector"})
    assert (r.json()["role"], r.json()["unit_id"]) == ("inspector", None)
    r = client.patch(f"/api/admin/users/{staff.id}", headers=h, json={"role": "unit_staff"})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "unit_required")
    r = client.patch(f"/api/admin/users/{staff.id}", headers=h, json={"role": "unit_staff", "unit_id": a.id})
    assert (r.json()["role"], r.json()["unit_id"]) == ("unit_staff", a.id)
    listed = client.get("/api/admin/users", headers=h, params={"unit_id": a.id}).json()
    assert [u["id"] for u in listed] == [staff.id]
    assert all("password" not in k for u in listed for k in u)
