"""Names that headings, lists, Excel sheets, robot messages and notices show are one line: a unit's, a user's
display name, a grid's. A line break, tab or other control character inside is a 422 with nothing written."""

import re

from sqlmodel import func, select

from app.units.models import Grid, Unit
from app.users.models import User
from app.users.roles import Role
from tests.admin.conftest import audit_count
from tests.conftest import make_unit, make_user

NOT_ONE_LINE = ["东门\r菜场", "东门\n菜场", "东门\r\n菜场", "东门\t菜场", "东门\u2028菜场", "东门\u2029菜场",
                "东门\x85菜场", "东门\x1b菜场",
                # invisible: a right-to-left override, an isolate, a zero-width space, a BOM
                "东门\u202e场菜", "东门\u2067菜场", "东门\u200b菜场", "\ufeff东门菜场"]
A = {"type": "Polygon", "coordinates": [[[120.15, 30.27], [120.16, 30.27], [120.16, 30.28], [120.15, 30.28],
                                         [120.15, 30.27]]]}


def _refused(r):
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] in ("validation_error", "invalid_grids"), r.text


def test_unit_user_and_grid_names_with_line_breaks_are_refused_on_create_and_update(client, db, admin):
    h = admin["h"]
    unit = make_unit(db, "向阳街道办事处")
    user = make_user(db, Role.inspector, username="walker")
    grid = client.post("/api/admin/grids/import", headers=h, json={"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": A, "properties": {"name": "一号网格", "unit": "向阳街道办事处"}}]}).json()[0]
    before = audit_count(db)
    for name in NOT_ONE_LINE:
        _refused(client.post("/api/admin/units", headers=h, json={"name": name}))
        _refused(client.patch(f"/api/admin/units/{unit.id}", headers=h, json={"name": name}))
        _refused(client.post("/api/admin/users", headers=h, json={
            "username": "newbie", "display_name": name, "role": "inspector", "password": "Str0ng-pass"}))
        _refused(client.patch(f"/api/admin/users/{user.id}", headers=h, json={"display_name": name}))
        _refused(client.patch(f"/api/admin/grids/{grid['id']}", headers=h, json={"name": name}))
        r = client.post("/api/admin/grids/import", headers=h, json={"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": A, "properties": {"name": "好网格", "unit": "向阳街道办事处"}},
            {"type": "Feature", "geometry": A, "properties": {"name": name, "unit": "向阳街道办事处"}}]})
        _refused(r)
        assert [p["feature"] for p in r.json()["error"]["details"]] == [1], r.text
        assert "single line" in r.json()["error"]["details"][0]["message"]
    assert audit_count(db) == before
    db.expire_all()
    assert (db.get(Unit, unit.id).name, db.get(User, user.id).display_name) == ("向阳街道办事处", "测试inspector")
    assert db.exec(select(func.count()).select_from(Unit)).one() == 1
    assert db.exec(select(func.count()).select_from(User).where(User.username == "newbie")).one() == 0
    assert [g.name for g in db.exec(select(Grid)).all()] == ["一号网格"]
    # Spaces inside a name are fine, and a trailing line break is trimmed with the other surrounding space.
    r = client.patch(f"/api/admin/units/{unit.id}", headers=h, json={"name": "向阳 街道办事处\n"})
    assert (r.status_code, r.json()["name"]) == (200, "向阳 街道办事处"), r.text


def test_the_api_documents_names_as_one_line(client):
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    for schema, field in (("UnitCreate", "name"), ("UserCreate", "display_name"), ("SiteIn", "name"),
                          ("RoundIn", "name"), ("ChannelIn", "name"), ("ChecklistItemIn", "text_zh")):
        pattern = re.compile(schemas[schema]["properties"][field]["pattern"])
        assert pattern.search("东门 菜场 (1)"), (schema, field)
        assert not any(pattern.search(name) for name in NOT_ONE_LINE), (schema, field)
    assert "pattern" not in schemas["SiteIn"]["properties"]["address"]  # free text keeps its line breaks
