"""Device tokens (OWASP "device cookies"): a successful login answers one, bound to the account, which the app
sends with that account's next logins so that strangers' failures never lock out the owner's phone
(the policy: app/auth/ratelimit.py).

A token is `nonce.issued.mac`: a random nonce (two devices, two tokens), the time it was issued (Unix
seconds) and an HMAC-SHA256, under a secret of the deployment's, of the account (its id and its current
password hash), the nonce and the issue time. So a token cannot be forged, nor used for another account,
nor kept alive by editing its time: it is trusted for `device_token_lifetime_days` after its issue, and
no longer once the account's password is set again (a reset makes a new salted hash, even for the same
password), which revokes every device token of the account at once without storing any. Nothing is
stored at issue; a login attempt stores only a digest of the nonce (its `device`).

Anything else is no token: an expired one, one issued before a password reset, a forged or edited one,
another account's, and a token of the first format (`nonce.mac`, with neither issue time nor password),
whose phone logs in once under the account's limit and is answered a token of today's.

The secret is generated at the first login and kept in office_settings, so every app process and every
restart uses the same one without any configuration; it never leaves the database.
"""

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from app.config.models import OfficeSetting
from app.core.db import new_session
from app.users.models import User

SECRET_KEY = "device_token_secret"
MAX_LENGTH = 128  # an issued token has 79 characters; anything longer is not checked at all
# Several app processes (or hosts) issue and check tokens: a token from a clock slightly ahead still counts.
CLOCK_SKEW = timedelta(minutes=5)
_ISSUED = re.compile(r"[0-9]{1,12}")


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


def _mac(key: bytes, user: User, nonce: str, issued: str) -> str:
    message = f"device-v2\n{user.id}\n{user.password_hash}\n{nonce}\n{issued}"
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def issue(key: bytes, user: User, now: datetime) -> str:
    nonce, issued = secrets.token_urlsafe(18), str(int(now.timestamp()))
    return f"{nonce}.{issued}.{_mac(key, user, nonce, issued)}"


def device_of(key: bytes, token: str | None, user: User | None, now: datetime, lifetime: timedelta) -> str | None:
    """The device (a digest of the nonce) of a token valid for this user now; None for no token, no user, or
    any other string (expired, issued before the password was last set, forged, edited, another account's,
    garbage), which is then no token."""
    if user is None or not token or len(token) > MAX_LENGTH or not token.isascii() or token.count(".") != 2:
        return None
    nonce, issued, mac = token.split(".")
    if not nonce or not _ISSUED.fullmatch(issued):
        return None
    if not hmac.compare_digest(mac.encode(), _mac(key, user, nonce, issued).encode()):
        return None
    age = now.timestamp() - int(issued)
    if not -CLOCK_SKEW.total_seconds() <= age < lifetime.total_seconds():
        return None
    return hashlib.sha256(nonce.encode()).hexdigest()
