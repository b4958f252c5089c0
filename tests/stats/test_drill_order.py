"""Drill-down order: an overdue figure's tickets are a clerk's work list, the most overdue first (every other
figure lists newest first by its own date), and the cursor pages keep that order."""

from app.users.roles import Role
from tests.conftest import login, make_unit, make_user
from tests.stats.cases import City, _Builder, at


def _pages(client, headers, metric: str) -> list[str]:
    ids, cursor = [], None
    while True:
        params = {"metric": metric, "on": "2026-11-02", "limit": 1} | ({"cursor": cursor} if cursor else {})
        r = client.get("/api/stats/tickets", params=params, headers=headers)
        assert r.status_code == 200, r.text
        ids += [t["id"] for t in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if not cursor:
            return ids


def test_overdue_drill_downs_list_the_most_overdue_first(client, db):
    unit = make_unit(db, "A 局")
    users = {"inspector": make_user(db, Role.inspector), "dispatcher": make_user(db, Role.dispatcher),
             "leader": make_user(db, Role.leader), "staff_A": make_user(db, Role.unit_staff, unit)}
    city = City(units={"A": unit}, users=users)
    b = _Builder(db, city)
    # Dispatched x, y, z, w in the week of 11-02; their deadlines fell due y, z, x, w (all long past).
    b.report("x", at(11, 2, 9)).dispatch("x", at(11, 2, 10), "A", at(11, 6, 10))
    b.report("y", at(11, 2, 11)).dispatch("y", at(11, 3, 10), "A", at(11, 3, 18))
    b.report("z", at(11, 2, 12)).dispatch("z", at(11, 4, 10), "A", at(11, 5, 12))
    b.report("w", at(11, 2, 13)).dispatch("w", at(11, 5, 10), "A", at(11, 7, 10))
    most_overdue_first = [str(city.tickets[n]) for n in ("y", "z", "x")]
    for who in ("leader", "staff_A"):
        h = login(client, users[who])
        for metric in ("overdue", "overdue_now", "overdue_unclosed"):
            listed = _pages(client, h, metric)
            assert listed[:3] == most_overdue_first, (who, metric)
            assert listed[3:] == [str(city.tickets["w"])]  # dispatched last, and its deadline came last
        # Any other figure: newest first by its own date (here the first dispatch).
        assert _pages(client, h, "dispatched") == [str(city.tickets[n]) for n in ("w", "z", "y", "x")]
