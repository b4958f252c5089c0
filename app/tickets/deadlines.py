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

from sqlmodel import Session

from app.categories import service as categories_service
from app.categories.models import Category
from app.config import office
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


def working_calendar(session: Session | None = None) -> WorkingCalendar:
    """The calendar in force: the years the office set in the admin API (app/config/office.py), and for the
    other years the file of XUNCHA_WORKING_CALENDAR_PATH (none: Monday to Friday)."""
    default = load_calendar(get_settings().working_calendar_path)
    holidays, workdays = office.calendar_dates(session)
    if not holidays and not workdays:
        return default
    return _merged(default, tuple(sorted(holidays.items())), tuple(sorted(workdays.items())))


@lru_cache(maxsize=8)
def _merged(default: WorkingCalendar, holidays: tuple, workdays: tuple) -> WorkingCalendar:
    years = {y for y, _ in holidays} | {y for y, _ in workdays}
    return WorkingCalendar(
        holidays=frozenset(d for d in default.holidays if d.year not in years).union(*(ds for _, ds in holidays)),
        workdays=frozenset(d for d in default.workdays if d.year not in years).union(*(ds for _, ds in workdays)))


def default_deadline(category: Category, start: datetime, session: Session | None = None) -> datetime:
    """The category's limit from `start`: the default deadline of a dispatch and of a 返工 (failed verification)."""
    return deadline_from(start, categories_service.deadline_hours(category), get_settings().tz,
                         working_calendar(session))
