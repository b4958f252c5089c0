"""Device tokens (OWASP "device cookies"): a stranger's wrong passwords lock an account for attempts from
unknown devices, never for the phone its owner logged in on before (app/auth/ratelimit.py)."""

import base64
import hashlib
import hmac
import secrets
from datetime import timedelta

from sqlmodel import select

from app import cli
from app.auth import devices
from app.auth.models import LoginAttempt
from app.core.config import get_settings
from app.core.types import clock_at, utcnow
from app.users.roles import Role
from tests.conftest import PASSWORD, login, make_user

TOKEN = "/api/auth/token"


def post(client, username: str, password: str = "wrong", device_token: str | None = None):
    form = {"username": username, "password": password}
    if device_token is not None:
        form["device_token"] = device_token
    return client.post(TOKEN, data=form)


def attempt(client, username: str, password: str = "wrong", device_token: str | None = None) -> int:
    return post(client, username, password, device_token).status_code


def device_token(client, username: str) -> str:
    r = post(client, username, PASSWORD)
    assert r.status_code == 200, r.text
    return r.json()["device_token"]


def lock_out(client, username: str, password: str = PASSWORD) -> None:
    """What anyone on the internet can do: the account's budget of wrong passwords, without a token."""
    for _ in range(get_settings().login_max_failures):
        assert attempt(client, username) == 401
    assert attempt(client, username, password) == 429


def test_a_login_answers_a_device_token_of_its_own_stored_only_as_a_digest(client, db):
    user = make_user(db, Role.inspector)
    first, second = device_token(client, user.username), device_token(client, user.username)
    assert isinstance(first, str) and len(first) <= 128 and first != second  # two devices, two tokens
    assert attempt(client, user.username, device_token=first) == 401
    stored = db.exec(select(LoginAttempt.device).where(LoginAttempt.device.is_not(None))).all()
    assert len(stored) == 1 and first not in stored[0] and first.split(".")[0] not in stored[0]


def test_a_stranger_locks_out_unknown_devices_but_not_the_inspectors_phone(client, db):
    inspector, other = make_user(db, Role.inspector), make_user(db, Role.inspector)
    phone, others_phone = device_token(client, inspector.username), device_token(client, other.username)
    nonce, issued, mac = phone.split(".")
    lock_out(client, inspector.username)
    # A forged token, or another account's, is no token: the account stays locked for it.
    for forged in (f"{nonce}.{issued}.{'A' * len(mac)}", f"{'A' * len(nonce)}.{issued}.{mac}", others_phone):
        assert attempt(client, inspector.username, PASSWORD, forged) == 429
    assert attempt(client, inspector.username, "wrong", phone) == 401  # a typo on the phone: checked, not refused
    r = post(client, inspector.username, PASSWORD, phone)
    assert r.status_code == 200, r.text
    assert r.json()["device_token"] != phone
    # The owner's login does not forgive the stranger's failures: unknown devices stay locked out.
    assert attempt(client, inspector.username, PASSWORD) == 429
    assert attempt(client, inspector.username, PASSWORD, r.json()["device_token"]) == 200


def test_a_sprayed_address_does_not_lock_out_a_trusted_device_behind_it(client, db, monkeypatch):
    monkeypatch.setattr(get_settings(), "login_max_failures_per_address", 3)
    monkeypatch.setattr(get_settings(), "login_known_address_days", 0)  # no known-colleague exemption here
    user = make_user(db, Role.inspector)
    phone = device_token(client, user.username)
    for i in range(3):
        assert attempt(client, f"guess-{i}") == 401
    assert attempt(client, user.username, PASSWORD) == 429
    assert attempt(client, user.username, PASSWORD, phone) == 200


def test_a_device_tokens_own_failures_are_limited(client, db):
    user = make_user(db, Role.inspector)
    stolen, second_phone = device_token(client, user.username), device_token(client, user.username)
    for _ in range(get_settings().login_max_failures):
        assert attempt(client, user.username, "guess", stolen) == 401
    r = post(client, user.username, PASSWORD, stolen)
    assert r.status_code == 429 and r.json()["error"]["details"]["retry_after"] > 0
    # Only that device is held back: the owner's other phone, and (its own budget untouched) a new device.
    assert attempt(client, user.username, PASSWORD, second_phone) == 200
    assert attempt(client, user.username, PASSWORD) == 200
    assert attempt(client, user.username, PASSWORD, stolen) == 429


def test_a_token_for_one_account_does_not_help_another(client, db):
    alice, bob = make_user(db, Role.inspector), make_user(db, Role.inspector)
    alices = device_token(client, alice.username)
    lock_out(client, bob.username)
    assert attempt(client, bob.username, PASSWORD, alices) == 429
    assert attempt(client, alice.username, PASSWORD, alices) == 200


def test_garbage_tokens_are_no_token(client, db):
    user = make_user(db, Role.inspector)
    valid = device_token(client, user.username)
    garbage = ["", ".", "..", "a.b", "x" * 100_000, "设备令牌.签名", valid + "\x00", valid + "é", valid[:-1],
               valid.upper(), valid.replace(".", ".."), valid + "." + valid, " " + valid, "a.b.c", "...",
               "a.1.b", valid.replace(".", ".-", 1), valid.replace(".", ".9999999999999", 1),
               valid.replace(".", ".١", 1), valid.split(".")[0] + "." + valid.split(".")[2]]
    for token in garbage:
        assert attempt(client, user.username, PASSWORD, token) == 200, repr(token)[:40]
    lock_out(client, user.username)
    for token in garbage:
        r = post(client, user.username, PASSWORD, token)
        assert r.status_code == 429, (repr(token)[:40], r.text)
    # Bytes that are no UTF-8 at all.
    r = client.post(TOKEN, content=f"username={user.username}&password={PASSWORD}&device_token=%FF%FE%00",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 429, r.text
    assert attempt(client, user.username, PASSWORD, valid) == 200


# ---- lifetime: the issue time is inside the MAC ------------------------------------------------------

LIFETIME = timedelta(days=90)  # XUNCHA_DEVICE_TOKEN_LIFETIME_DAYS's default


def test_the_lifetime_is_a_setting_of_90_days_by_default():
    assert get_settings().device_token_lifetime_days == LIFETIME.days


def test_a_device_token_expires_after_its_lifetime(client, db):
    user = make_user(db, Role.inspector)
    with clock_at(utcnow() - LIFETIME - timedelta(minutes=1)):
        expired = device_token(client, user.username)
    with clock_at(utcnow() - LIFETIME + timedelta(minutes=1)):
        nearly = device_token(client, user.username)
    lock_out(client, user.username)
    assert attempt(client, user.username, PASSWORD, expired) == 429  # no token: the account's limit
    assert attempt(client, user.username, PASSWORD, nearly) == 200


def test_a_shorter_lifetime_applies_to_tokens_already_issued(client, db, monkeypatch):
    user = make_user(db, Role.inspector)
    with clock_at(utcnow() - timedelta(days=2)):
        phone = device_token(client, user.username)
    monkeypatch.setattr(get_settings(), "device_token_lifetime_days", 1)
    lock_out(client, user.username)
    assert attempt(client, user.username, PASSWORD, phone) == 429


def test_an_edited_issue_time_is_no_token(client, db):
    user = make_user(db, Role.inspector)
    with clock_at(utcnow() - LIFETIME - timedelta(days=1)):
        expired = device_token(client, user.username)
    nonce, issued, mac = expired.split(".")
    assert issued.isdigit()
    lock_out(client, user.username)
    now = int(utcnow().timestamp())
    for edited in (now, now - 60, int(issued) + LIFETIME.days * 86400, f"0{issued}", f"{issued}0"):
        assert attempt(client, user.username, PASSWORD, f"{nonce}.{edited}.{mac}") == 429, edited


def test_a_token_issued_before_tokens_had_an_issue_time_is_no_token(client, db):
    """`nonce.mac` (the first format: no issue time, no password) counts as no token: such a phone logs in
    under the account's limit once, and is answered a token of today's format."""
    user = make_user(db, Role.inspector)
    nonce = secrets.token_urlsafe(18)
    digest = hmac.new(devices.secret(), f"device\n{user.username.casefold()}\n{nonce}".encode(),
                      hashlib.sha256).digest()
    old = f"{nonce}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}"
    lock_out(client, user.username)
    assert attempt(client, user.username, PASSWORD, old) == 429


# ---- bound to the password: a reset revokes every device token ---------------------------------------

NEW_PASSWORD = "another-pass-2"


def test_an_admin_password_reset_revokes_the_device_tokens(client, db):
    admin, user = make_user(db, Role.admin), make_user(db, Role.inspector)
    phone = device_token(client, user.username)
    r = client.post(f"/api/admin/users/{user.id}/password", headers=login(client, admin),
                    json={"password": NEW_PASSWORD})
    assert r.status_code == 200, r.text
    lock_out(client, user.username, NEW_PASSWORD)
    assert attempt(client, user.username, NEW_PASSWORD, phone) == 429


def test_a_password_set_from_the_cli_revokes_the_device_tokens_even_if_it_is_the_same(client, db):
    user = make_user(db, Role.inspector)
    phone = device_token(client, user.username)
    cli.set_password(db, user.username, PASSWORD)  # the same password: a new salt, a new hash
    lock_out(client, user.username)
    assert attempt(client, user.username, PASSWORD, phone) == 429
