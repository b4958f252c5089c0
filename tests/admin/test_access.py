"""Every administration endpoint is the admin's alone: anonymous 401, every other role 403, nothing written."""

import pytest

from app.admin.router import router
from app.core.config import get_settings
from app.core.health import local_disks
from app.main import app
from app.units.models import Grid
from app.users.roles import Role
from tests.admin.conftest import audit_count
from tests.conftest import login, make_unit, make_user


def make_grid(db, unit) -> Grid:
    grid = Grid(name="g", unit_id=unit.id, geometry={"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1],
                [0, 0]]]}, min_lat=0, min_lng=0, max_lat=1, max_lng=1)
    db.add(grid)
    db.commit()
    return grid

# (method, path template) → a body that would be valid for an admin.
ROUTES = {
    ("GET", "/api/admin/audit"): None,
    ("GET", "/api/admin/units"): None,
    ("POST", "/api/admin/units"): {"name": "新单位"},
    ("PATCH", "/api/admin/units/{unit_id}"): {"name": "改名"},
    ("GET", "/api/admin/users"): None,
    ("POST", "/api/admin/users"): {"username": "newbie", "display_name": "新人", "role": "inspector",
                                   "password": "Str0ng-pass"},
    ("GET", "/api/admin/users/{user_id}"): None,
    ("PATCH", "/api/admin/users/{user_id}"): {"display_name": "改名"},
    ("POST", "/api/admin/users/{user_id}/password"): {"password": "Str0ng-pass"},
    ("POST", "/api/admin/users/{user_id}/revoke-tokens"): None,
    ("PATCH", "/api/admin/categories/{code}"): {"enabled": False},
    ("GET", "/api/admin/grids"): None,
    ("POST", "/api/admin/grids/import"): {"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "网格", "unit": "matrix-unit"},  # by id for the admin (renamed first)
        "geometry": {"type": "Polygon", "coordinates": [[[120.15, 30.27], [120.16, 30.27], [120.16, 30.28],
                                                         [120.15, 30.27]]]}}]},
    ("GET", "/api/admin/grids/check"): None,
    ("PATCH", "/api/admin/grids/{grid_id}"): {"name": "改名"},
    ("GET", "/api/admin/settings"): None,
    ("PUT", "/api/admin/settings/map"): {"layers": [], "crs": "wgs84"},
    ("DELETE", "/api/admin/settings/map"): None,
    ("PUT", "/api/admin/settings/rank-rules"): {"red_top": 3},
    ("DELETE", "/api/admin/settings/rank-rules"): None,
    ("GET", "/api/admin/settings/calendar/{year}"): None,
    ("PUT", "/api/admin/settings/calendar/{year}"): {"holidays": ["2027-01-01"]},
    ("DELETE", "/api/admin/settings/calendar/{year}"): None,
}


def test_the_matrix_covers_every_admin_endpoint():
    routes = {(m, r.path) for r in router.routes for m in r.methods - {"HEAD", "OPTIONS"}}
    assert routes == set(ROUTES)
    # No administration endpoint lives outside this router.
    documented = {(m.upper(), p) for p, ops in app.openapi()["paths"].items() if p.startswith("/api/admin")
                  for m in ops}
    assert documented == set(ROUTES)


@pytest.mark.parametrize("role", [None, *(r for r in Role if r != Role.admin)])
def test_only_the_admin_gets_in(client, db, role):
    unit = make_unit(db, "matrix-unit")
    target = make_user(db, Role.unit_staff, unit=unit)
    grid = make_grid(db, unit)
    headers = login(client, make_user(db, role, unit=unit if role == Role.unit_staff else None)) if role else {}
    before = audit_count(db)
    for (method, template), body in ROUTES.items():
        path = template.format(unit_id=unit.id, user_id=target.id, code="06010", year=2027, grid_id=grid.id)
        r = client.request(method, path, headers=headers, json=body)
        assert r.status_code == (403 if role else 401), (method, path, r.text)
        assert r.json()["error"]["code"] in ("forbidden", "not_authenticated")
    assert audit_count(db) == before


def test_the_admin_gets_in(client, db, admin):
    unit = make_unit(db, "matrix-unit")
    target = make_user(db, Role.unit_staff, unit=unit)
    grid = make_grid(db, unit)
    for (method, template), body in ROUTES.items():
        path = template.format(unit_id=unit.id, user_id=target.id, code="06010", year=2027, grid_id=grid.id)
        if template == "/api/admin/grids/import":
            body = body | {"features": [body["features"][0] | {"properties": {"unit_id": unit.id}}]}
        r = client.request(method, path, headers=admin["h"], json=body)
        assert r.status_code in (200, 201), (method, path, r.text)  # in order: the PUT before the DELETE


@pytest.mark.parametrize("role", [None, *Role])
def test_the_operations_endpoints_belong_to_no_role(db, role):
    """/api/ready answers everyone alike with nothing but the checks' names; /metrics is for this machine or
    the token holder (app/core/metrics.py), never for a login from elsewhere, the admin's included."""
    from fastapi.testclient import TestClient

    with TestClient(app, client=("198.51.100.20", 40001)) as remote:
        headers = login(remote, make_user(db, role)) if role else {}
        ready = remote.get("/api/ready", headers=headers)
        checks = {"database": "ok", "storage": "ok"} | ({"disk": "ok"} if local_disks(get_settings()) else {})
        assert ready.status_code == 200 and ready.json() == {"ok": True, "checks": checks}
        refused = remote.get("/metrics", headers=headers)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "metrics_forbidden"
