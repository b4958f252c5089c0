"""Deadlines (整改时限) from a category's default hours.

The taxonomy counts in working hours. Up to 24 h is taken as clock hours (立行立改: fix within a day,
weekend or not). Longer limits are working days of 8 h in the city's time zone: Monday to Friday,
except the public holidays of the working calendar, plus its make-up working days (调休).
"""

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from app.categories import service as categories_service
from app.categories.models import Category
from app.core.config import get_settings


@dataclass(frozen=True)
class WorkingCalendar:
    """Public holidays (法定节假日) and weekend days that are worked instead (调休上班)."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)

    def is_working_day(self, day: date) -> bool:
        return day in self.workdays or (day.weekday() < 5 and day not in self.holidays)


@lru_cache
def load_calendar(path: Path | None) -> WorkingCalendar:
    """Read {"holidays": ["2026-10-01", …], "workdays": ["2026-09-27", …]}; no file: Monday–Friday."""
    if path is None:
        return WorkingCalendar()
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return WorkingCalendar(holidays=frozenset(date.fromisoformat(d) for d in data.get("holidays", [])),
                           workdays=frozenset(date.fromisoformat(d) for d in data.get("workdays", [])))


CLOCK_HOURS_UP_TO = 24  # limits up to this many hours run on the clock
WORKING_DAY_HOURS = 8   # longer limits count working days of this many hours


def deadline_from(start: datetime, hours: int, tz: ZoneInfo, calendar: WorkingCalendar | None = None) -> datetime:
    if hours <= CLOCK_HOURS_UP_TO:
        return start + timedelta(hours=hours)
    calendar = calendar or WorkingCalendar()
    local = start.astimezone(tz)
    days = math.ceil(hours / WORKING_DAY_HOURS)
    while days:
        local += timedelta(days=1)
        if calendar.is_working_day(local.date()):
            days -= 1
    return local.astimezone(start.tzinfo)


def default_deadline(category: Category, start: datetime) -> datetime:
    """The category's limit from `start`: the default deadline of a dispatch and of a 返工 (failed verification)."""
    settings = get_settings()
    return deadline_from(start, categories_service.deadline_hours(category), settings.tz,
                         load_calendar(settings.working_calendar_path))
