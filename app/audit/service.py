"""The audit trail (操作日志): every administrative change is recorded in the transaction that makes it."""

import getpass
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, select

from app.audit.models import AuditLog
from app.audit.schemas import AuditEntry, AuditPage
from app.core import pagination
from app.core.config import get_settings
from app.core.errors import Invalid
from app.core.types import EARLIEST_YEAR, LATEST_YEAR
from app.users.models import User

# Never written to before/after, whatever a caller passes.
SECRET_KEYS = frozenset({"password", "password_hash", "secret", "token", "token_hash", "url_secret"})


@dataclass(frozen=True)
class Actor:
    """Who makes an administrative change: a logged-in admin (with the request's id), or the shell's CLI."""

    user_id: int | None
    name: str
    request_id: str | None = None

    @classmethod
    def of(cls, user: User, request_id: str | None = None) -> "Actor":
        return cls(user.id, user.username, request_id)

    @classmethod
    def cli(cls) -> "Actor":
        try:
            login = getpass.getuser()
        except (KeyError, OSError):
            login = "?"
        return cls(None, f"cli:{login}"[:64])


def _clean(value: dict | None) -> dict | None:
    if value is None:
        return None
    return {k: _jsonable(v) for k, v in value.items() if k not in SECRET_KEYS}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return _clean(value)
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def record(session: Session, actor: Actor, action: str, entity_type: str, entity_id: Any,
           before: dict | None, after: dict | None) -> AuditLog:
    """Add one audit row to the session's transaction (secrets are dropped from before/after)."""
    row = AuditLog(actor_id=actor.user_id, actor_name=actor.name[:64], action=action, entity_type=entity_type,
                   entity_id=str(entity_id)[:64], before=_clean(before), after=_clean(after),
                   request_id=actor.request_id)
    session.add(row)
    session.flush()
    return row


def listing(session: Session, *, entity_type: str | None, entity_id: str | None, actor_id: int | None,
            since: date | None, until: date | None, limit: int, cursor: str | None) -> AuditPage:
    """The audit trail, newest first, filtered; `since`/`until` are whole days in the city's time zone."""
    if since and until and since > until:
        raise Invalid("开始日期晚于结束日期 'since' is after 'until'", code="invalid_range")
    # Checked before any zone arithmetic: 0001-01-01's midnight in UTC+8 or 9999-12-31's next day overflow.
    if any(d is not None and not EARLIEST_YEAR <= d.year <= LATEST_YEAR for d in (since, until)):
        years = f"{EARLIEST_YEAR}–{LATEST_YEAR}"
        raise Invalid(f"日期须在 {years} 年之间 Dates must lie within {years}", code="invalid_range")
    tz = get_settings().tz
    stmt = select(AuditLog)
    if entity_type:
        stmt = stmt.where(AuditLog.entity_type == entity_type)
    if entity_id:
        stmt = stmt.where(AuditLog.entity_id == entity_id)
    if actor_id:
        stmt = stmt.where(AuditLog.actor_id == actor_id)
    if since:
        stmt = stmt.where(AuditLog.at >= datetime.combine(since, time(), tz))
    if until:
        stmt = stmt.where(AuditLog.at < datetime.combine(until + timedelta(days=1), time(), tz))
    rows, next_cursor = pagination.page(session, stmt, col(AuditLog.at), col(AuditLog.id), desc=True, limit=limit,
                                        cursor=cursor, id_type=int)
    return AuditPage(items=[AuditEntry.model_validate(r, from_attributes=True) for r in rows],
                     next_cursor=next_cursor)
