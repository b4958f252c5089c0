"""Failed-login limits, kept in the database so that every app process shares them.

Policy (also in the README):
- Per account (the username as typed, case-folded, known or not; login matches usernames regardless of
  case too, app/auth/service.py `user_named`, so every spelling of an account shares its budget): at most
  `login_max_failures` failed attempts per `login_window_seconds`, from any address. An account cannot be
  guessed at.
- Per client address: at most `login_max_failures_per_address` failed attempts per window over all
  usernames (password spraying). Large, so an office of 50 behind one NAT is not locked out by typos. An IPv6
  client counts by its /64: a subscriber is given a whole /64 and may send from any address in it.
- An account that logged in successfully from an address within `login_known_address_days` is exempt
  from that address's limit (never from its own): others' failures behind the same NAT don't lock it out.
- Trusted devices (OWASP "device cookies", app/auth/devices.py): a successful login answers a device token
  bound to the account. An attempt that sends a token valid for its username is limited only by that
  token's own failures, at most `login_max_failures` per window (a stolen token cannot guess either); it
  is never refused for the account's or the address's failures, so a stranger sending wrong passwords for
  an account locks out unknown devices only, never the phone its owner logged in on. Its failures count
  toward neither of those. An expired token, one issued before the password was last set, a forged one,
  another account's, or any other string is no token.
- A successful login clears the failures it was limited by: those of its device, or (without one) the
  account's. The owner's phone logging in does not forgive a stranger's failures. Blocked attempts count
  toward nothing.

Atomic across threads and processes: an attempt is committed as `pending` before its password is checked,
and the counts are read afterwards in a new transaction, which sees every attempt any process has committed.
Pending attempts count as failures, so of N concurrent attempts on one account (or one device) the k-th to
commit counts at least k: at most `login_max_failures` passwords are checked.

The one exception to "one transaction per request, committed by app/core/db.get_session": `record` and
`finish` run on short sessions of their own and commit at once. The pending attempt must be visible to
concurrent guesses before this request's password check (inside the request's transaction it would be
invisible until the end), and a refused attempt's outcome must persist although the request answers an
error and its own transaction is rolled back.
"""

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, or_, update
from sqlmodel import Session, col, select

from app.auth.models import LoginAttempt
from app.core.config import Settings
from app.core.db import new_session
from app.core.types import utcnow

PENDING, FAILED, SUCCEEDED, BLOCKED, CLEARED = "pending", "failed", "ok", "blocked", "cleared"
_COUNTED = (PENDING, FAILED)


@dataclass(frozen=True)
class Limits:
    per_account: int
    per_address: int
    window: timedelta
    known_for: timedelta

    @classmethod
    def from_settings(cls, s: Settings) -> "Limits":
        return cls(s.login_max_failures, s.login_max_failures_per_address,
                   timedelta(seconds=s.login_window_seconds), timedelta(days=s.login_known_address_days))


def address_key(host: str) -> str:
    """The address a limit counts: an IPv6 client's /64 (2001:db8:1:2::/64), an IPv4 one (mapped into IPv6 or
    not) as itself, anything that is no address (a test client's name) as given."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if ip.version == 6 and ip.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((int(ip) >> 64 << 64, 64)))
    return str(ip.ipv4_mapped or ip) if ip.version == 6 else str(ip)


def record(username: str, address: str, limits: Limits, device: str | None = None) -> LoginAttempt:
    """Commit a pending attempt in a short transaction of its own (and forget attempts too old to matter).
    `device`: the trusted device it comes from (app/auth/devices.py `device_of`), if any."""
    now = utcnow()
    with new_session(write=True) as session:
        session.execute(delete(LoginAttempt).where(
            or_(LoginAttempt.at < now - max(limits.window, limits.known_for),
                (LoginAttempt.at < now - limits.window) & (LoginAttempt.outcome != SUCCEEDED))))
        attempt = LoginAttempt(username=username.casefold()[:64], address=address_key(address)[:64], at=now,
                               outcome=PENDING, device=device)
        session.add(attempt)
        session.commit()
    return attempt


def retry_after(session: Session, attempt: LoginAttempt, limits: Limits) -> int:
    """Seconds until this attempt would be allowed; 0 if its password may be checked now. Read on a session
    whose transaction began after `record` committed (it must see every attempt committed before ours)."""
    now = utcnow()
    if attempt.device is not None:
        return _wait(session, LoginAttempt.device == attempt.device, attempt, limits.per_account, limits, now)
    untrusted = LoginAttempt.device.is_(None)
    waits = [_wait(session, (LoginAttempt.username == attempt.username) & untrusted, attempt, limits.per_account,
                   limits, now)]
    known = session.scalar(select(exists().where(
        LoginAttempt.username == attempt.username, LoginAttempt.address == attempt.address,
        LoginAttempt.outcome == SUCCEEDED, LoginAttempt.at > now - limits.known_for)))
    if not known:
        waits.append(_wait(session, (LoginAttempt.address == attempt.address) & untrusted, attempt,
                           limits.per_address, limits, now))
    return max(waits)


def _wait(session: Session, who, attempt: LoginAttempt, limit: int, limits: Limits, now: datetime) -> int:
    if limit <= 0:
        return int(limits.window.total_seconds())
    # Newest first: once the limit-th newest of the others leaves the window, fewer than `limit` remain.
    at = session.scalar(
        select(LoginAttempt.at)
        .where(who, LoginAttempt.id != attempt.id, col(LoginAttempt.outcome).in_(_COUNTED),
               LoginAttempt.at > now - limits.window)
        .order_by(col(LoginAttempt.at).desc()).offset(limit - 1).limit(1))
    return 0 if at is None else int((at + limits.window - now).total_seconds()) + 1


def finish(attempt: LoginAttempt, outcome: str) -> None:
    """Record how a refused attempt ended, in a short transaction of its own (the request's is rolled back)."""
    with new_session(write=True) as session:
        session.execute(update(LoginAttempt).where(LoginAttempt.id == attempt.id).values(outcome=outcome))
        session.commit()


def succeeded(session: Session, attempt: LoginAttempt) -> None:
    """Mark the attempt a success and clear the failures it was limited by (in the request's transaction)."""
    session.execute(update(LoginAttempt).where(LoginAttempt.id == attempt.id).values(outcome=SUCCEEDED))
    limited_by = (LoginAttempt.device == attempt.device if attempt.device is not None else
                  (LoginAttempt.username == attempt.username) & LoginAttempt.device.is_(None))
    session.execute(update(LoginAttempt).where(limited_by, LoginAttempt.outcome == FAILED).values(outcome=CLEARED))
