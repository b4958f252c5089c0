"""The verifications' fact rows (ticket_verifications) the statistics read: written with each verification,
following its ticket to another unit, and always what the timeline says."""

from datetime import datetime

from sqlalchemy import text

from tests.conftest import login
from tests.stats.cases import FAR, TZ, _Builder, build_city

# What each verification's row must hold, recomputed from the timeline and the tickets as they are now (the
# ticket's current unit, category and grid; the rectification judged: the latest 整改 at or before it).
FROM_TIMELINE = """
SELECT e.id, e.ticket_id, e.at, e.action = 'verify_pass',
       (SELECT max(r.at) FROM ticket_events r
        WHERE r.ticket_id = e.ticket_id AND r.action = 'rectify' AND r.at <= e.at),
       t.unit_id, t.category_code, t.grid_id
FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
WHERE e.action IN ('verify_pass', 'verify_fail') ORDER BY e.id
"""
STORED = """
SELECT event_id, ticket_id, at, passed, rectified_at, unit_id, category_code, grid_id
FROM ticket_verifications ORDER BY event_id
"""


def _rows(db, sql):
    return [(r[0], str(r[1]).replace("-", ""), r[2], bool(r[3]), r[4], r[5], r[6], r[7])
            for r in db.execute(text(sql)).all()]


def test_fact_rows_are_what_the_timeline_says(db):
    build_city(db)
    stored = _rows(db, STORED)
    assert len(stored) == 15  # every verify_pass and verify_fail of the hand-built city
    assert stored == _rows(db, FROM_TIMELINE)


def test_a_failed_verification_follows_its_ticket_to_its_next_unit(client, db):
    """t31 fails verification in B, is returned (no unit), then dispatched to C: its verification counts for
    no unit, then for C, as the figures count a verification for the ticket's current unit."""
    city = build_city(db)
    b = _Builder(db, city)

    def day(d, h):
        return datetime(2026, 11, d, h, tzinfo=TZ)

    b.report("t31", day(16, 9)).dispatch("t31", day(16, 10), "B", FAR).rectify("t31", day(16, 12), "B") \
        .verify("t31", day(16, 14), False, FAR).ask("t31", day(17, 9), "B", "return").decide("t31", day(17, 10), True)
    h = login(client, city.users["leader"])

    def verified():
        body = client.get("/api/stats/summary", params={"period": "week", "on": "2026-11-18"}, headers=h).json()
        units = {u["unit_id"]: (u["verified"], u["verified_on_time"]) for u in body["units"]}
        return (body["total"]["verified"], body["total"]["verified_on_time"],
                units.get(city.units["B"].id, (0, 0)), units.get(city.units["C"].id, (0, 0)))

    assert verified() == (1, 1, (0, 0), (0, 0))
    b.dispatch("t31", day(18, 9), "C", FAR)
    assert verified() == (1, 1, (0, 0), (1, 1))
    assert _rows(db, STORED) == _rows(db, FROM_TIMELINE)
