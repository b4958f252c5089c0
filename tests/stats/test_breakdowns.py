"""Breakdowns by grid and by evaluation site type, and 环比 read from the previous period's published bulletin."""

import uuid
from datetime import datetime

from sqlmodel import select

from app.tickets.models import Ticket
from app.units import service as units_service
from app.users.roles import Role
from tests.conftest import login, make_unit, make_user, upload_photo
from tests.evaluation.conftest import seeded  # noqa: F401  (a fixture the evaluation fixture below needs)
from tests.evaluation.test_results import all_pass, body, path, r  # noqa: F401  (r: a round with one active site)
from tests.stats.cases import TZ, WEEK_ON, City, _Builder, at, build_city


def _square(lng: float, lat: float, size: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[lng, lat], [lng + size, lat], [lng + size, lat + size],
                                                [lng, lat + size], [lng, lat]]]}


def test_tickets_keep_the_grid_they_were_reported_in_and_figures_break_down_by_grid(client, db):
    a, b = make_unit(db, "A 区", kind="district"), make_unit(db, "B 局")
    # G1 a 0.01° square; G3 a small square inside it (overlap: the smaller wins); G2 a right triangle whose
    # bounding box is the square east of G1 — a point in that box above the diagonal is in no grid.
    g1 = units_service.grid_from_geojson("网格一", a.id, _square(120.10, 30.20, 0.01))
    g3 = units_service.grid_from_geojson("网格三", a.id, _square(120.102, 30.202, 0.002))
    g2 = units_service.grid_from_geojson("网格二", b.id, {"type": "Polygon", "coordinates": [[
        [120.11, 30.20], [120.12, 30.20], [120.12, 30.21], [120.11, 30.20]]]})
    db.add_all([g1, g2, g3])
    db.commit()
    users = {"inspector": make_user(db, Role.inspector), "dispatcher": make_user(db, Role.dispatcher),
             "leader": make_user(db, Role.leader)}
    city = City(units={"A": a, "B": b}, users=users)
    build = _Builder(db, city)
    week = at(10, 6, 9)  # week W (10-05 … 10-11)
    build.report("in_g3", week, lat=30.203, lng=120.103)        # in G3 and G1 → G3
    build.report("in_g1", week, lat=30.208, lng=120.101)        # G1 only
    build.report("in_g1_too", week, lat=30.201, lng=120.109)    # G1 only
    build.report("in_g2", week, lat=30.201, lng=120.119)        # below the diagonal → G2
    build.report("box_only", week, lat=30.209, lng=120.111)     # G2's box, above the diagonal → none
    build.report("far", week, lat=31.0, lng=121.0)              # nowhere
    build.report("last_week", at(10, 1, 9), lat=30.208, lng=120.101)  # week P, G1
    grid_of = {name: db.get(Ticket, tid).grid_id for name, tid in city.tickets.items()}
    assert grid_of == {"in_g3": g3.id, "in_g1": g1.id, "in_g1_too": g1.id, "in_g2": g2.id, "box_only": None,
                       "far": None, "last_week": g1.id}
    # The suggested unit follows the same grid.
    assert db.get(Ticket, city.tickets["in_g2"]).suggested_unit_id == b.id

    h = login(client, users["leader"])
    s = client.get("/api/stats/summary", params={"on": WEEK_ON, "breakdowns": "true"}, headers=h).json()
    grid = next(x for x in s["breakdowns"] if x["kind"] == "grid")
    assert [(row["key"], row["unit_name"], row["reported"], row["previous"]["reported"]) for row in grid["rows"]] == [
        (str(g1.id), "网格一", 2, 1), (str(g3.id), "网格三", 1, 0), (str(g2.id), "网格二", 1, 0),
        (None, "不在网格内", 2, 0)]  # most first (ties by name, in code point order), "other" last
    assert sum(row["reported"] for row in grid["rows"]) == s["total"]["reported"] == 6
    # A grid scope is the same tickets: G2 counts the triangle's one, not the two in its bounding box.
    scoped = client.get("/api/stats/summary", params={"on": WEEK_ON, "grid_id": g2.id}, headers=h).json()
    assert scoped["total"]["reported"] == 1 and scoped["previous_source"] == "live"
    # Redrawing a grid later does not move the tickets already found in it.
    g1.geometry = _square(100.0, 20.0, 0.01)
    db.add(g1)
    db.commit()
    again = client.get("/api/stats/summary", params={"on": WEEK_ON, "grid_id": g1.id}, headers=h).json()
    assert again["total"]["reported"] == 2


def test_evaluation_findings_break_down_by_site_type(client, db, r):  # noqa: F811
    items = r["items"]
    photos = [upload_photo(client, r["insp"])["id"] for _ in range(2)]
    answers = {a["item_code"]: a for a in all_pass(r)}
    failed = [i for i in items if i.photos_required <= 1][:2]
    for i, item in enumerate(failed):
        answers[item.code] = {"item_code": item.code, "verdict": "fail", "occurrences": 1, "photo_ids": [photos[i]]}
    res = client.post(path(r), headers=r["insp"], json=body(r, list(answers.values())))
    assert res.status_code == 201, res.text
    # A finding on patrol the same week, for the "other" row.
    from tests.conftest import report
    report(client, r["insp"])
    leader = login(client, make_user(db, Role.leader))
    today = datetime.now(TZ).date().isoformat()
    s = client.get("/api/stats/summary", params={"on": today, "breakdowns": "true"}, headers=leader).json()
    types = next(x for x in s["breakdowns"] if x["kind"] == "site_type")
    assert [(row["key"], row["unit_name"], row["reported"]) for row in types["rows"]] == [
        ("bus_stop", "公交站台（站点）", 2), (None, "日常巡查发现（非实地测评）", 1)]
    assert len(db.exec(select(Ticket)).all()) == 3


def test_change_comes_from_the_published_bulletin_of_the_previous_period(client, db):
    """Once week P is published, week W's 环比 compares with P's figures as printed, even after P's tickets
    move on; a scope the bulletin does not cover (one unit) still compares live."""
    city = build_city(db)
    h = login(client, city.users["leader"])
    before = client.get("/api/stats/summary", params={"on": WEEK_ON, "breakdowns": "true"}, headers=h).json()
    assert before["previous_source"] == "live"
    # P's cohort: t10 t14 closed, t16 (A, due 2030) dispatched, t13 suspended → rectified 2
    assert before["total"]["previous"]["rectified"] == 2
    assert client.post("/api/bulletins", json={"period": "week", "on": "2026-10-01"}, headers=h).status_code == 201
    # t16 is rectified today: P's live figures move (rectified 3), the published ones do not.
    staff = login(client, city.users["staff_A"])
    photo = upload_photo(client, staff)["id"]
    res = client.post(f"/api/tickets/{city.tickets['t16']}/rectify", headers=staff,
                      json={"action_id": str(uuid.uuid4()), "note": "已整改", "photo_ids": [photo]})
    assert res.status_code == 200, res.text
    after = client.get("/api/stats/summary", params={"on": WEEK_ON, "breakdowns": "true"}, headers=h).json()
    assert after["previous_source"] == "published"
    assert after["total"]["previous"] == before["total"]["previous"]
    assert {u["unit_id"]: u["previous"] for u in after["units"]} == \
        {u["unit_id"]: u["previous"] for u in before["units"]}
    # The bulletin stored its breakdowns: their rows' 环比 come from it too (with the hours the bulletin had; a
    # live previous period's breakdown rows carry counts and rates only).
    def counts(summary):
        return [[{k: v for k, v in row["previous"].items() if not k.startswith("hours_")} for row in b["rows"]]
                for b in summary["breakdowns"]]
    assert counts(after) == counts(before)
    assert before["breakdowns"][0]["rows"][0]["previous"]["hours_report_close"] == {"p50": None, "p90": None}
    assert after["breakdowns"][0]["rows"][0]["previous"]["hours_report_close"]["p50"] is not None
    unit = client.get("/api/stats/summary", params={"on": WEEK_ON, "unit_id": city.units["A"].id},
                      headers=h).json()
    assert unit["previous_source"] == "live"
    assert unit["total"]["previous"]["rectified"] == 1  # t16, rectified now, counts live in P's cohort of A
    assert datetime.fromisoformat(after["as_of"]) > datetime.fromisoformat(before["as_of"])
