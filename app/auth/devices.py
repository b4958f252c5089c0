"""Device tokens (OWASP "device cookies"): a successful login answers one, bound to the account, which the app
sends with that account's next logins so that strangers' failures never lock out the owner's phone
(the policy: app/auth/ratelimit.py).

A token is `nonce.mac`: a random nonce (two devices, two tokens) and an HMAC-SHA256 of the case-folded
username and the nonce under a secret of the deployment's, so a token cannot be forged nor used for another
account. Nothing is stored at issue; a login attempt stores only a digest of the nonce (its `device`).

The secret is generated at the first login and kept in office_settings, so every app process and every
restart uses the same one without any configuration; it never leaves the database.
"""

import base64
import hashlib
import hmac
import secrets

from sqlalchemy.exc import IntegrityError

from app.config.models import OfficeSetting
from app.core.db import new_session

SECRET_KEY = "device_token_secret"
MAX_LENGTH = 128  # an issued token has 68 characters; anything longer is not checked at all


def secret() -> bytes:
    """The deployment's secret, made and stored on first use (two processes racing: the first insert wins)."""
    with new_session() as session:
        row = session.get(OfficeSetting, SECRET_KEY)
    if row is None:
        with new_session(write=True) as session:
            try:
                session.add(OfficeSetting(key=SECRET_KEY, value={"hex": secrets.token_hex(32)}))
                session.commit()
            except IntegrityError:
                session.rollback()
        with new_session() as session:
            row = session.get(OfficeSetting, SECRET_KEY)
    return bytes.fromhex(row.value["hex"])


def _mac(key: bytes, username: str, nonce: str) -> str:
    digest = hmac.new(key, f"device\n{username.casefold()}\n{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue(key: bytes, username: str) -> str:
    nonce = secrets.token_urlsafe(18)
    return f"{nonce}.{_mac(key, username, nonce)}"


def device_of(key: bytes, token: str | None, username: str) -> str | None:
    """The device (a digest of the nonce) of a token valid for this username; None for no token or any other
    string (forged, another account's, garbage), which is then no token."""
    if not token or len(token) > MAX_LENGTH or not token.isascii() or token.count(".") != 1:
        return None
    nonce, mac = token.split(".")
    if not hmac.compare_digest(mac.encode(), _mac(key, username, nonce).encode()):
        return None
    return hashlib.sha256(nonce.encode()).hexdigest()
