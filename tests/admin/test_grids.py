"""Grids over the admin API: GeoJSON import (all or nothing, every bad feature named), routing by the imported
grid, redraw and reassignment, and the overlaps/gaps check with areas computed by hand."""

import json

import pytest
from sqlmodel import func, select

from app.units import grids
from app.units.models import Grid
from app.users.roles import Role
from tests.admin.conftest import audit_count, audit_rows
from tests.conftest import login, make_unit, make_user, report


def rect(x0, y0, x1, y1) -> dict:
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def feature(geometry, **props) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def collection(*features) -> dict:
    return {"type": "FeatureCollection", "features": list(features)}


A = rect(120.15, 30.27, 120.16, 30.28)
B = rect(120.155, 30.27, 120.165, 30.28)  # half of A's width overlaps A


def test_an_imported_grid_routes_reports_and_follows_its_unit(client, db, admin):
    h = admin["h"]
    street, other = make_unit(db, "向阳街道办事处", kind="street"), make_unit(db, "朝阳街道办事处", kind="street")
    r = client.post("/api/admin/grids/import", headers=h,
                    json=collection(feature(A, name="第一网格", unit="向阳街道办事处")))
    assert r.status_code == 201, r.text
    [grid] = r.json()
    # 0.01° × 0.01° at 30.275° N: 0.01 × 111320 × cos(30.275°) m × 0.01 × 110574 m = 1 063 032.9 m².
    assert (grid["unit_name"], grid["is_active"], grid["area_m2"]) == ("向阳街道办事处", True, pytest.approx(1063032.9))
    inspector = login(client, make_user(db, Role.inspector))
    assert report(client, inspector, lat=30.275, lng=120.155)["suggested_unit_id"] == street.id
    r = client.patch(f"/api/admin/grids/{grid['id']}", headers=h, json={"unit_id": other.id})
    assert r.json()["unit_name"] == "朝阳街道办事处"
    assert report(client, inspector, lat=30.275, lng=120.155)["suggested_unit_id"] == other.id
    # Redrawn elsewhere: the old place is no longer in it.
    r = client.patch(f"/api/admin/grids/{grid['id']}", headers=h, json={"geometry": rect(121.0, 31.0, 121.01, 31.01)})
    assert r.status_code == 200
    assert report(client, inspector, lat=30.275, lng=120.155)["suggested_unit_id"] != other.id
    assert report(client, inspector, lat=31.005, lng=121.005)["suggested_unit_id"] == other.id
    # Switched off: it routes nothing.
    client.patch(f"/api/admin/grids/{grid['id']}", headers=h, json={"is_active": False})
    assert report(client, inspector, lat=31.005, lng=121.005)["suggested_unit_id"] is None
    assert [x.action for x in audit_rows(db, entity_type="grid")] == ["grid.import", "grid.assign", "grid.redraw",
                                                                      "grid.update"]
    # The unit now owns no active grid: it may be deactivated.
    assert client.patch(f"/api/admin/units/{other.id}", headers=h, json={"is_active": False}).status_code == 200


# JSON as Python writes and reads it may carry NaN (httpx's json= refuses it: sent as content).
JSON = {"Content-Type": "application/json"}
NAN_RING = {"type": "Polygon", "coordinates": [[[float("nan"), 30.27], [120.16, 30.28], [120.16, 30.27],
                                                [float("nan"), 30.27]]]}


def test_one_bad_feature_and_nothing_is_imported_every_problem_named(client, db, admin):
    h = admin["h"]
    make_unit(db, "向阳街道办事处")
    gone = make_unit(db, "撤销单位", is_active=False)
    bowtie = {"type": "Polygon", "coordinates": [[[120.15, 30.27], [120.16, 30.28], [120.16, 30.27],
                                                  [120.15, 30.28], [120.15, 30.27]]]}
    body = collection(
        feature(A, name="好的", unit="向阳街道办事处"),
        feature(bowtie, name="自相交", unit="向阳街道办事处"),
        feature(A, name="无单位"),
        feature(A, name="未知单位", unit="没有这个单位"),
        feature(A, name="停用单位", unit_id=gone.id),
        feature({"type": "Point", "coordinates": [120.15, 30.27]}, unit="向阳街道办事处"),
        feature(rect(30.27, 120.15, 30.28, 120.16), unit="向阳街道办事处"),  # [lat, lng] swapped
        {"type": "Feature", "properties": {"unit": "向阳街道办事处"}, "geometry": {"type": "Polygon",
                                                                                 "coordinates": "x"}},
        # What the database cannot take: an id beyond its integers, text holding NUL
        feature(A, name="大编号", unit_id=2**63), feature(A, name="越界", unit_id=2**31),
        feature(A, name="名\x00称", unit="向阳街道办事处"), feature(A, name="单位名", unit="向阳街道\x00办事处"),
        feature(NAN_RING, name="NaN 顶点", unit="向阳街道办事处"),  # GEOS cannot close the ring: it raised
    )
    r = client.post("/api/admin/grids/import", headers=h | JSON, content=json.dumps(body))  # with its NaN
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "invalid_grids"
    assert [p["feature"] for p in err["details"]] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert "Self-intersection" in err["details"][0]["message"]
    assert db.exec(select(func.count()).select_from(Grid)).one() == 0
    assert audit_count(db) == 0
    for bad in ({"type": "FeatureCollection", "features": []}, {"type": "Feature"},
                collection(*[feature(A, unit="向阳街道办事处")] * 501)):
        assert client.post("/api/admin/grids/import", headers=h, json=bad).status_code in (413, 422)
    assert db.exec(select(func.count()).select_from(Grid)).one() == 0


def test_a_bad_redraw_or_unit_is_refused(client, db, admin):
    h = admin["h"]
    unit = make_unit(db, "甲")
    gone = make_unit(db, "乙", is_active=False)
    [grid] = client.post("/api/admin/grids/import", headers=h, json=collection(feature(A, unit="甲"))).json()
    before = audit_count(db)
    for body, code in [({"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}},
                        "invalid_geometry"), ({"geometry": NAN_RING}, "invalid_geometry"),
                       ({"unit_id": gone.id}, "unknown_unit"), ({"unit_id": 999999}, "unknown_unit")]:
        r = client.patch(f"/api/admin/grids/{grid['id']}", headers=h | JSON, content=json.dumps(body))
        assert (r.status_code, r.json()["error"]["code"]) == (422, code), r.text
    assert client.patch("/api/admin/grids/999999", headers=h, json={"name": "x"}).status_code == 404
    # Rings nested deeper than Python recurses: a 422, not a RecursionError
    deep = json.loads("[" * 900 + "]" * 900)
    r = client.patch(f"/api/admin/grids/{grid['id']}", headers=h, json={"geometry": {"type": "Polygon", "coordinates": deep}})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_geometry"), r.text
    assert audit_count(db) == before
    db.expire_all()
    assert (db.get(Grid, grid["id"]).geometry, db.get(Grid, grid["id"]).unit_id) == (A, unit.id)


def test_only_the_geometry_s_type_and_rings_are_kept(client, db, admin):
    """Any other member would be stored, audited and sent to every phone as given (e.g. 900 levels deep)."""
    h = admin["h"]
    make_unit(db, "甲")
    junk = {"deep": json.loads("[" * 900 + "]" * 900), "bbox": [0, 0, 1, 1]}
    r = client.post("/api/admin/grids/import", headers=h, json=collection(feature(A | junk, unit="甲")))
    assert r.status_code == 201, r.text
    [grid] = r.json()
    assert grid["geometry"] == A
    r = client.patch(f"/api/admin/grids/{grid['id']}", headers=h, json={"geometry": B | junk})
    assert (r.status_code, r.json()["geometry"]) == (200, B), r.text
    db.expire_all()
    assert db.get(Grid, grid["id"]).geometry == B


def test_overlaps_and_gaps(client, db, admin):
    h = admin["h"]
    make_unit(db, "甲")
    assert client.get("/api/admin/grids/check", headers=h).json() == {"active_grids": 0, "overlaps": [], "gaps": []}
    [a, b] = client.post("/api/admin/grids/import", headers=h,
                         json=collection(feature(A, name="A", unit="甲"), feature(B, name="B", unit="甲"))).json()
    # A frame of four grids around an empty 0.001° cell; they share edges only (no area: not overlaps).
    x, y, d = 121.0, 30.27, 0.001
    client.post("/api/admin/grids/import", headers=h, json=collection(
        feature(rect(x, y, x + 3 * d, y + d), unit="甲"), feature(rect(x, y + 2 * d, x + 3 * d, y + 3 * d), unit="甲"),
        feature(rect(x, y + d, x + d, y + 2 * d), unit="甲"), feature(rect(x + 2 * d, y + d, x + 3 * d, y + 2 * d),
                                                                       unit="甲")))
    result = client.get("/api/admin/grids/check", headers=h).json()
    assert result["active_grids"] == 6
    [overlap] = result["overlaps"]
    assert overlap["grid_ids"] == [a["id"], b["id"]] and overlap["names"] == ["A", "B"]
    # Projected around the six grids' mean latitude, (2 × 30.275 + 30.2705 + 30.2725 + 2 × 30.2715) / 6
    # = 30.272667° (cos = 0.863636): the shared 0.005° × 0.01° is 0.005 × 111320 × 0.863636 m × 0.01 × 110574 m
    # = 480.70 m × 1105.74 m = 531 529.1 m²; the hole, 0.001° × 0.001°, is 96.140 m × 110.574 m = 10 630.6 m².
    assert overlap["area_m2"] == pytest.approx(531529.1, abs=0.2)
    [gap] = result["gaps"]
    assert gap["area_m2"] == pytest.approx(10630.6, abs=0.2)
    assert gap["geometry"]["type"] == "Polygon"
    # Switching B off removes the overlap.
    client.patch(f"/api/admin/grids/{b['id']}", headers=h, json={"is_active": False})
    assert client.get("/api/admin/grids/check", headers=h).json()["overlaps"] == []


def test_a_check_of_grids_heaped_on_each_other_is_refused_before_it_costs_minutes(client, db, admin, monkeypatch):
    """Every pair of boxes that meet is intersected exactly: grids heaped on one another make n² pairs (370 took
    18 s and 140 MB). Beyond MAX_CHECK_PAIRS the check says so at once (a 422 naming the count)."""
    h = admin["h"]
    make_unit(db, "甲")
    heap = [feature(rect(121.0 + i * 1e-4, 30.27, 121.01 + i * 1e-4, 30.28), unit="甲") for i in range(12)]
    assert client.post("/api/admin/grids/import", headers=h, json=collection(*heap)).status_code == 201
    monkeypatch.setattr(grids, "MAX_CHECK_PAIRS", 66)  # 12 grids, all overlapping: 66 pairs
    assert len(client.get("/api/admin/grids/check", headers=h).json()["overlaps"]) == 66
    monkeypatch.setattr(grids, "MAX_CHECK_PAIRS", 65)
    r = client.get("/api/admin/grids/check", headers=h)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "too_many_grid_pairs"), r.text
    assert "66" in r.json()["error"]["message"]
