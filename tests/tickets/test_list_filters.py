"""List filters for 我上报的 (mine), triage (reported since, possible duplicates) and the workbench."""

from datetime import UTC, datetime, timedelta

from app.core.types import clock_at
from app.units.service import grid_from_geojson
from app.users.roles import Role
from tests.conftest import action, login, make_unit, make_user, report


def _ids(client, h, **params):
    r = client.get("/api/tickets", headers=h, params=params)
    assert r.status_code == 200, r.text
    return {t["id"] for t in r.json()["items"]}


def test_mine_lists_only_my_reports_within_what_i_may_see(client, db):
    unit = make_unit(db)
    me, other, disp = make_user(db, Role.inspector), make_user(db, Role.inspector), make_user(db, Role.dispatcher)
    staff = make_user(db, Role.unit_staff, unit)
    h_me, h_other, h_disp, h_staff = (login(client, u) for u in (me, other, disp, staff))
    mine = {report(client, h_me)["id"], report(client, h_me)["id"]}
    theirs = report(client, h_other)["id"]
    assert _ids(client, h_me, mine="true") == mine
    assert theirs in _ids(client, h_me)  # without the filter an inspector sees everything
    assert _ids(client, h_other, mine="true") == {theirs}
    # A unit reports nothing, so its "mine" is empty; visibility still applies (no leak of others' reports).
    action(client, h_disp, theirs, "dispatch", unit_id=unit.id)
    assert _ids(client, h_staff, mine="true") == set()


def test_a_unit_learns_nothing_of_reports_near_its_tickets_from_the_duplicates_filter(client, db):
    """Possible duplicates are the office's (a unit's count is always 0). Applied in SQL for a unit too, the
    filter's empty page still carried a cursor naming the unit's ticket that an undispatched report lies next
    to: the unit learnt of a report before the office acted (四不两直)."""
    unit = make_unit(db)
    ins, disp, staff = make_user(db, Role.inspector), make_user(db, Role.dispatcher), make_user(db, Role.unit_staff, unit)
    h_ins, h_disp, h_staff = login(client, ins), login(client, disp), login(client, staff)
    theirs = [report(client, h_ins, lat=30.2741 + i * 0.01, lng=120.1551)["id"] for i in range(2)]
    for tid in theirs:
        assert action(client, h_disp, tid, "dispatch", unit_id=unit.id).status_code == 200

    def page(**params):
        r = client.get("/api/tickets", headers=h_staff, params={"has_duplicates": "true", "limit": 1} | params)
        assert r.status_code == 200, r.text
        return r.json()

    before = page()
    for i in range(2):  # new reports, not dispatched: a few metres from each of the unit's tickets
        report(client, h_ins, lat=30.27412 + i * 0.01, lng=120.15512)
    assert _ids(client, h_disp, has_duplicates="true") >= set(theirs)  # the office sees them as duplicates
    assert page() == before == {"items": [], "next_cursor": None}
    assert _ids(client, h_staff, has_duplicates="false") == set(theirs)


def test_reported_after_and_has_duplicates(client, db):
    ins, disp = make_user(db, Role.inspector), make_user(db, Role.dispatcher)
    h_ins, h_disp = login(client, ins), login(client, disp)
    old_at = datetime.now(UTC) - timedelta(days=10)
    with clock_at(old_at):
        old = report(client, h_ins, lat=30.30, lng=120.20)["id"]
    a = report(client, h_ins, lat=30.2741, lng=120.1551)["id"]
    b = report(client, h_ins, lat=30.27412, lng=120.15512)["id"]  # ~3 m away, same category
    far = report(client, h_ins, lat=30.2800, lng=120.1551)["id"]  # ~650 m away
    since = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    assert _ids(client, h_disp, status="reported", reported_after=since) == {a, b, far}
    assert old in _ids(client, h_disp, status="reported")
    assert _ids(client, h_disp, status="reported", has_duplicates="true") == {a, b}
    assert _ids(client, h_disp, status="reported", has_duplicates="false") == {old, far}
    r = client.get("/api/tickets", headers=h_disp, params={"reported_after": "yesterday"})
    assert r.status_code == 422 and r.json()["error"]
    # Like every client time: without a zone it is the city's time; implausible years are refused.
    r = client.get("/api/tickets", headers=h_disp, params={"reported_after": "2026-01-01T00:00:00"})
    assert r.status_code == 200
    r = client.get("/api/tickets", headers=h_disp, params={"reported_after": "9999-12-31T23:59:59-14:00"})
    assert r.status_code == 422 and r.json()["error"]


def _square(lat: float, lng: float, d: float = 0.001) -> dict:
    return {"type": "Polygon", "coordinates": [[[lng - d, lat - d], [lng + d, lat - d], [lng + d, lat + d],
                                                [lng - d, lat + d], [lng - d, lat - d]]]}


def test_workbench_filters_grid_district_dates_due_and_origin(client, db):
    """The workbench's filters: grid, district (a unit subtree), reported_at range, due within N hours, origin."""
    district = make_unit(db, kind="district")
    street = make_unit(db, kind="street", parent_id=district.id)
    elsewhere = make_unit(db)
    grid = grid_from_geojson("网格一", street.id, _square(30.2741, 120.1551))
    db.add(grid)
    db.commit()
    ins, disp = make_user(db, Role.inspector), make_user(db, Role.dispatcher)
    h_ins, h_disp = login(client, ins), login(client, disp)
    old_at = datetime.now(UTC) - timedelta(days=10)
    with clock_at(old_at):
        old_in_grid = report(client, h_ins)["id"]
    in_grid = report(client, h_ins)["id"]
    outside = report(client, h_ins, lat=30.30, lng=120.20)["id"]
    given_to_district = report(client, h_ins, lat=30.31, lng=120.21)["id"]
    action(client, h_disp, given_to_district, "dispatch", unit_id=district.id,
           deadline=(datetime.now(UTC) + timedelta(hours=5)).isoformat())
    given_elsewhere = report(client, h_ins, lat=30.32, lng=120.22)["id"]
    action(client, h_disp, given_elsewhere, "dispatch", unit_id=elsewhere.id,
           deadline=(datetime.now(UTC) + timedelta(hours=50)).isoformat())

    assert _ids(client, h_disp, grid_id=grid.id) == {old_in_grid, in_grid}
    assert _ids(client, h_disp, district_id=district.id) == {old_in_grid, in_grid, given_to_district}
    assert _ids(client, h_disp, district_id=street.id) == {old_in_grid, in_grid}
    week_ago, tomorrow = datetime.now(UTC) - timedelta(days=7), datetime.now(UTC) + timedelta(days=1)
    assert _ids(client, h_disp, reported_before=week_ago.isoformat()) == {old_in_grid}
    assert _ids(client, h_disp, reported_after=week_ago.isoformat(), reported_before=tomorrow.isoformat(),
                grid_id=grid.id) == {in_grid}
    assert _ids(client, h_disp, due_within_hours=24) == {given_to_district}
    assert _ids(client, h_disp, due_within_hours=72) == {given_to_district, given_elsewhere}
    everything = {old_in_grid, in_grid, outside, given_to_district, given_elsewhere}
    assert _ids(client, h_disp, origin="patrol") == everything
    assert _ids(client, h_disp, origin="evaluation") == set()
    # Bad input: a clear 4xx.
    for params in ({"reported_after": tomorrow.isoformat(), "reported_before": week_ago.isoformat()},
                   {"due_within_hours": 0}, {"origin": "phone"}, {"grid_id": 0}, {"district_id": "x"}):
        r = client.get("/api/tickets", headers=h_disp, params=params)
        assert r.status_code == 422 and r.json()["error"], (params, r.text)
