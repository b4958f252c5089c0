"""Deadlines (整改时限) from a category's default hours.

The taxonomy counts in working hours. Up to 24 h is taken as clock hours (立行立改: fix within a day,
weekend or not). Longer limits are working days of 8 h, counted Monday to Friday in the city's time
zone; public holidays are not modelled.
"""

import math
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def deadline_from(start: datetime, hours: int, tz: ZoneInfo) -> datetime:
    if hours <= 24:
        return start + timedelta(hours=hours)
    local = start.astimezone(tz)
    days = math.ceil(hours / 8)
    while days:
        local += timedelta(days=1)
        if local.weekday() < 5:
            days -= 1
    return local.astimezone(start.tzinfo)
