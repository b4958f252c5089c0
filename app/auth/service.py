from datetime import timedelta

from sqlalchemy import bindparam
from sqlmodel import Session, col, func, select, update

from app.auth import devices, ratelimit
from app.auth.models import AccessToken
from app.core.config import get_settings
from app.core.db import new_session
from app.core.errors import DomainError, Unauthorized
from app.core.security import new_token, token_digest, verify_password
from app.core.types import utcnow
from app.users.models import User

_settings = get_settings()


def login(session: Session, username: str, password: str, *, client: str, user_agent: str | None,
          device_token: str | None = None) -> tuple[str, AccessToken, User, str]:
    """Check the password and issue a new bearer token and device token; too many failures answer 429
    (app/auth/ratelimit.py). A device token valid for the account the username names (`user_named`: in any
    case) makes it a trusted device's attempt."""
    settings = get_settings()
    limits = ratelimit.Limits.from_settings(settings)
    key = devices.secret()
    # The account and the limits are read on short sessions of their own, so that no transaction (on
    # SQLite: no write lock) is held while Argon2 runs; the request's transaction starts after it. The
    # account first: a device token is valid for an account (its id and password hash), not a name.
    with new_session() as reader:
        user = user_named(reader, username)
    device = devices.device_of(key, device_token, user, utcnow(),
                               timedelta(days=settings.device_token_lifetime_days))
    attempt = ratelimit.record(username, client, limits, device)
    with new_session() as reader:
        wait = ratelimit.retry_after(reader, attempt, limits)
    if wait:
        ratelimit.finish(attempt, ratelimit.BLOCKED)
        raise DomainError("登录尝试过多，请稍后再试 Too many login attempts", code="rate_limited",
                          status=429, details={"retry_after": wait})
    if not verify_password(password, user.password_hash if user else None) or not user.is_active:
        ratelimit.finish(attempt, ratelimit.FAILED)
        raise Unauthorized("用户名或密码错误 Wrong username or password", code="invalid_credentials")
    user = session.merge(user, load=False)
    user.last_login_at = utcnow()
    ratelimit.succeeded(session, attempt)
    token = new_token()
    row = AccessToken(
        user_id=user.id, token_hash=token_digest(token),
        expires_at=utcnow() + timedelta(hours=_settings.token_lifetime_hours),
        user_agent=(user_agent or "")[:255] or None,
    )
    session.add(row)
    session.flush()
    return token, row, user, devices.issue(key, user, utcnow())


def user_named(session: Session, username: str) -> User | None:
    """The account a login (or the CLI) names. Usernames are case-insensitive and unique as such (a unique index
    on lower(username)), so a phone's keyboard capitalising the first letter does not fail the login; the
    limiter counts the case-folded name too (app/auth/ratelimit.py), so every spelling of an account shares its
    one budget. A name that is not all ASCII (never made through the API or the CLI) matches exactly:
    SQLite's lower() folds ASCII only."""
    if not username.isascii():
        return session.exec(select(User).where(User.username == username)).first()
    return session.exec(select(User).where(func.lower(User.username) == username.lower())).first()


# One round trip for both, built once: every authenticated request pays for it, and building the join and the
# comparison afresh cost half of the look-up's CPU.
_TOKEN_AND_USER = (select(AccessToken, User).join(User, col(User.id) == AccessToken.user_id)
                   .where(AccessToken.token_hash == bindparam("digest")))


def authenticate(session: Session, token: str) -> tuple[User, AccessToken]:
    """The user behind a bearer token; expired, revoked or unknown tokens answer 401."""
    found = session.exec(_TOKEN_AND_USER, params={"digest": token_digest(token)}).first()
    row, user = found if found else (None, None)
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        raise Unauthorized("登录已失效，请重新登录 Session expired or revoked", code="invalid_token")
    if user is None or not user.is_active:
        raise Unauthorized("账号已停用 Account disabled", code="invalid_token")
    return user, row


def revoke(session: Session, token: AccessToken) -> None:
    token.revoked_at = utcnow()
    session.add(token)
    session.flush()


def revoke_all(session: Session, user_id: int) -> int:
    """Revoke every live token of a user (a lost phone); returns how many."""
    result = session.exec(
        update(AccessToken)
        .where(AccessToken.user_id == user_id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount
