from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from app.tickets.deadlines import deadline_from

TZ = ZoneInfo("Asia/Shanghai")


def test_short_limits_are_clock_hours_even_over_a_weekend():
    fri_evening = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)  # Friday 19:00 in Shanghai
    assert deadline_from(fri_evening, 24, TZ) == datetime(2026, 11, 21, 11, 0, tzinfo=UTC)
    assert deadline_from(fri_evening, 2, TZ) == datetime(2026, 11, 20, 13, 0, tzinfo=UTC)


def test_long_limits_are_working_days():
    fri = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # Friday 10:00 in Shanghai
    # 40 working hours = 5 working days: Mon..Fri of next week.
    assert deadline_from(fri, 40, TZ) == datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    # 160 working hours (私搭乱建) = 20 working days = 4 weeks.
    assert deadline_from(fri, 160, TZ) == datetime(2026, 12, 18, 2, 0, tzinfo=UTC)


def test_taxonomy_copy_matches_shared():
    from pathlib import Path

    from app.core.config import get_settings

    shared = Path(__file__).resolve().parents[3] / "shared" / "domain" / "taxonomy.json"
    if shared.exists():
        assert get_settings().taxonomy_path.read_bytes() == shared.read_bytes()
