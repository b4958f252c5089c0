"""Periods of the statistics: a week (from Monday 00:00), a month (from the 1st) or a custom run of days,
as [start, end) in the city's local time (settings.timezone). Pure: no database."""

from datetime import UTC, date, datetime, time, timedelta

from app.core.config import get_settings
from app.core.errors import Invalid
from app.core.types import utcnow
from app.stats.schemas import Period, PeriodKind


def local_midnight(d: date) -> datetime:
    """00:00 of a local date, in UTC."""
    return datetime.combine(d, time(0), tzinfo=get_settings().tz).astimezone(UTC)


def resolve_period(kind: PeriodKind = "week", on: date | None = None, start: date | None = None,
                   end: date | None = None, *, now: datetime | None = None) -> Period:
    """The week or month containing `on` (default today), or a custom [start, end] of local dates."""
    today = (now or utcnow()).astimezone(get_settings().tz).date()
    if any(d is not None and not 2000 <= d.year <= 2100 for d in (on, start, end)):
        raise Invalid("日期须在 2000–2100 年之间 Dates must lie within 2000–2100", code="invalid_period")
    if kind == "custom":
        if start is None or end is None or end < start:
            raise Invalid("自定义时段须给出起止日期 A custom period needs from ≤ to", code="invalid_period")
        if (end - start).days > 3660:
            raise Invalid("时段过长 Period too long", code="invalid_period")
        first, last = start, end
        label = f"{first:%Y-%m-%d} ~ {last:%Y-%m-%d}"
    else:
        on = on or today
        if kind == "week":
            first = on - timedelta(days=on.weekday())
            last = first + timedelta(days=6)
            iso = first.isocalendar()
            label = f"{iso.year}年第{iso.week}周 ({first:%m-%d} ~ {last:%m-%d})"
        else:
            first = on.replace(day=1)
            last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            label = f"{first:%Y年%m月}"
    return Period(kind=kind, start=local_midnight(first), end=local_midnight(last + timedelta(days=1)),
                  start_date=first, end_date=last, label=label)


def previous_period(p: Period) -> Period:
    """The period of the same kind just before (previous week, previous month, same-length before)."""
    if p.kind == "custom":
        days = (p.end_date - p.start_date).days + 1
        return resolve_period("custom", start=p.start_date - timedelta(days=days),
                              end=p.start_date - timedelta(days=1))
    return resolve_period(p.kind, on=p.start_date - timedelta(days=1))



def date_bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """[start 00:00, the day after end 00:00) of local dates as UTC times; either side may be open (None)."""
    if any(d is not None and not 2000 <= d.year <= 2100 for d in (start, end)):
        raise Invalid("日期须在 2000–2100 年之间 Dates must lie within 2000–2100", code="invalid_period")
    if start is not None and end is not None and end < start:
        raise Invalid("结束日期早于开始日期 The end date is before the start date", code="invalid_period")
    return (local_midnight(start) if start else None,
            local_midnight(end + timedelta(days=1)) if end else None)
