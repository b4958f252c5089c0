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


def test_working_calendar_skips_holidays_and_counts_make_up_days(tmp_path):
    from app.tickets.deadlines import load_calendar

    # A made-up week-long holiday with one make-up Saturday (the real dates come from the State Council).
    path = tmp_path / "calendar.json"
    path.write_text('{"holidays": ["2026-11-23", "2026-11-24", "2026-11-25"], "workdays": ["2026-11-28"]}')
    calendar = load_calendar(path)
    fri = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # Friday 10:00 in Shanghai
    # 5 working days: Thu 26, Fri 27, Sat 28 (make-up), Mon 30, Tue 1 Dec.
    assert deadline_from(fri, 40, TZ, calendar) == datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
    # Clock-hour limits ignore the calendar.
    assert deadline_from(fri, 24, TZ, calendar) == datetime(2026, 11, 21, 2, 0, tzinfo=UTC)
    assert load_calendar(None).is_working_day(datetime(2026, 11, 23).date())


def test_dispatch_default_deadline_follows_the_configured_calendar(client, db, tmp_path, monkeypatch):
    from app.core.config import get_settings
    from app.core.types import clock_at
    from app.users.roles import Role
    from tests.conftest import action, login, make_unit, make_user, report

    path = tmp_path / "calendar.json"
    path.write_text('{"holidays": ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27"]}')
    monkeypatch.setattr(get_settings(), "working_calendar_path", path)
    unit = make_unit(db)
    inspector = login(client, make_user(db, Role.inspector))
    dispatcher = login(client, make_user(db, Role.dispatcher))
    t = report(client, inspector, category_code="06001")  # 私搭乱建: 160 working hours = 20 working days
    with clock_at(datetime(2026, 11, 20, 2, 0, tzinfo=UTC)):
        r = action(client, dispatcher, t["id"], "dispatch", unit_id=unit.id)
    assert r.status_code == 200, r.text
    # 20 working days from Fri 20 Nov, skipping the holiday week: Mon 30 Nov … Fri 25 Dec.
    assert datetime.fromisoformat(r.json()["deadline_at"]) == datetime(2026, 12, 25, 2, 0, tzinfo=UTC)
