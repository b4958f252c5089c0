"""The office's own settings (map tiles, red/black list rules, the working calendar by year), stored in the
database and edited through the admin API; the environment's values are the defaults.

Every process keeps them in memory and, at most every TTL seconds when they are read, compares a fingerprint
of the table (row count, sum of versions, last update) with the one it loaded: a change made through another
process is seen within seconds, without a restart; a change made in this process at once.
"""

import threading
import time
from datetime import date
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from app.config.models import OfficeSetting
from app.core.db import conflict_on_duplicate, new_session
from app.core.types import utcnow

TTL_SECONDS = 2.0
MAP = "map"
RANK_RULES = "rank_rules"
CALENDAR = "calendar:"  # + the year


def calendar_key(year: int) -> str:
    return f"{CALENDAR}{year}"


class _Cache:
    def __init__(self):
        self._lock = threading.Lock()
        self._values: dict[str, dict] = {}
        self._fingerprint: tuple | None = None
        self._checked = float("-inf")

    def values(self, session: Session | None = None) -> dict[str, dict]:
        """Every stored setting by key, re-read when another process (or this one) changed them."""
        if time.monotonic() - self._checked < TTL_SECONDS:
            return self._values
        if session is None:
            with new_session() as own:
                return self._refresh(own)
        return self._refresh(session)

    def _refresh(self, session: Session) -> dict[str, dict]:
        fingerprint = tuple(session.execute(select(func.count(), func.sum(OfficeSetting.version),
                                                   func.max(OfficeSetting.updated_at))).one())
        with self._lock:
            if fingerprint != self._fingerprint:
                rows = session.exec(select(OfficeSetting)).all()
                self._values = {r.key: r.value for r in rows}
                self._fingerprint = fingerprint
            self._checked = time.monotonic()
            return self._values

    def last_known(self) -> dict[str, dict]:
        """What was read last, without touching the database (for the CSP header, built on the event loop)."""
        return self._values

    def clear(self) -> None:
        with self._lock:
            self._values, self._fingerprint, self._checked = {}, None, float("-inf")


cache = _Cache()


def get(session: Session | None, key: str) -> dict | None:
    return cache.values(session).get(key)


def put(session: Session, key: str, value: dict) -> tuple[dict | None, dict]:
    """Store a setting (flushed in the caller's transaction); answers (before, after). The cache of this
    process is cleared now, other processes see the new version within TTL_SECONDS."""
    row = session.get(OfficeSetting, key, with_for_update=True)
    before = dict(row.value) if row else None
    if row is None:
        row = OfficeSetting(key=key, value=value)
    else:
        row.value, row.version, row.updated_at = value, row.version + 1, utcnow()
    with conflict_on_duplicate(session, "设置刚被他人修改，请重试 Changed by someone else just now: try again",
                               "concurrent_change"):
        session.add(row)
    cache.clear()
    return before, value


def delete(session: Session, key: str) -> dict | None:
    row = session.get(OfficeSetting, key, with_for_update=True)
    if row is None:
        return None
    before = dict(row.value)
    session.delete(row)
    session.flush()
    cache.clear()
    return before


def calendar_years(session: Session | None) -> dict[int, dict[str, Any]]:
    """The years the office set a calendar for: {year: {"holidays": [...], "workdays": [...]}}."""
    return {int(k[len(CALENDAR):]): v for k, v in cache.values(session).items() if k.startswith(CALENDAR)}


def calendar_dates(session: Session | None) -> tuple[dict[int, frozenset[date]], dict[int, frozenset[date]]]:
    """(holidays by year, workdays by year) of the years the office set."""
    holidays, workdays = {}, {}
    for year, value in calendar_years(session).items():
        holidays[year] = frozenset(date.fromisoformat(d) for d in value.get("holidays", []))
        workdays[year] = frozenset(date.fromisoformat(d) for d in value.get("workdays", []))
    return holidays, workdays
