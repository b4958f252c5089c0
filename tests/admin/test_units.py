"""Units as a tree over the admin API: create, rename, move (no cycles), deactivate (not while it holds open
tickets), every change audited in its own transaction, and bad input leaves nothing written."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from app.units.models import Unit
from app.users.roles import Role
from tests.admin.conftest import audit_count, audit_rows
from tests.conftest import action, login, make_unit, make_user, report


def create(client, h, **body):
    return client.post("/api/admin/units", headers=h, json=body)


def test_create_a_tree_and_list_it_depth_first(client, db, admin):
    h = admin["h"]
    district = create(client, h, name="东城区人民政府", kind="district")
    assert district.status_code == 201, district.text
    d = district.json()
    street = create(client, h, name="向阳街道办事处", kind="street", parent_id=d["id"]).json()
    bureau = create(client, h, name="市城管局").json()
    assert (bureau["kind"], bureau["parent_id"], bureau["is_active"]) == ("department", None, True)
    rows = client.get("/api/admin/units", headers=h).json()
    assert [(r["name"], r["depth"]) for r in rows] == [("东城区人民政府", 0), ("向阳街道办事处", 1), ("市城管局", 0)]
    assert rows[1]["parent_id"] == d["id"]
    [row] = audit_rows(db, entity_type="unit", entity_id=str(street["id"]))
    assert (row.action, row.actor_name, row.before) == ("unit.create", "boss", None)
    assert row.after == {"name": "向阳街道办事处", "kind": "street", "parent_id": d["id"], "is_active": True}
    assert row.actor_id == admin["user"].id


def test_rename_move_and_the_audit_trail_shows_before_and_after(client, db, admin):
    h = admin["h"]
    a, b = make_unit(db, "甲区", kind="district"), make_unit(db, "乙区", kind="district")
    s = make_unit(db, "某街道", kind="street", parent_id=a.id)
    r = client.patch(f"/api/admin/units/{s.id}", headers=h | {"X-Request-ID": "req-42"}, json={"parent_id": b.id})
    assert r.status_code == 200, r.text
    assert r.json()["parent_id"] == b.id
    r = client.patch(f"/api/admin/units/{s.id}", headers=h, json={"name": "  新街道 ", "kind": "company"})
    assert (r.json()["name"], r.json()["kind"]) == ("新街道", "company")
    rows = audit_rows(db, entity_type="unit", entity_id=str(s.id))
    assert [x.action for x in rows] == ["unit.move", "unit.update"]
    assert (rows[0].before["parent_id"], rows[0].after["parent_id"], rows[0].request_id) == (a.id, b.id, "req-42")
    assert (rows[1].before["name"], rows[1].after["name"]) == ("某街道", "新街道")
    # The same values again change nothing and write no row.
    client.patch(f"/api/admin/units/{s.id}", headers=h, json={"name": "新街道"})
    assert len(audit_rows(db, entity_type="unit", entity_id=str(s.id))) == 2


def test_a_cycle_is_refused_and_nothing_is_written(client, db, admin):
    h = admin["h"]
    top = make_unit(db, "顶")
    mid = make_unit(db, "中", parent_id=top.id)
    low = make_unit(db, "底", parent_id=mid.id)
    before = audit_count(db)
    for unit, parent in ((top, low.id), (top, top.id), (mid, low.id)):
        r = client.patch(f"/api/admin/units/{unit.id}", headers=h, json={"parent_id": parent, "name": "改名"})
        assert r.status_code == 422, r.text
        assert r.json()["error"]["code"] == "cycle"
    db.expire_all()
    assert [db.get(Unit, u.id).name for u in (top, mid, low)] == ["顶", "中", "底"]
    assert db.get(Unit, top.id).parent_id is None
    assert audit_count(db) == before


def test_bad_input_is_4xx_with_nothing_written(client, db, admin):
    h = admin["h"]
    make_unit(db, "已有单位")
    before = audit_count(db)
    cases = [
        ({"name": "已有单位"}, 409, "duplicate_name"),
        ({"name": "x", "parent_id": 999999}, 422, "unknown_unit"),
        ({"name": "x", "kind": "village"}, 422, "validation_error"),
        ({"name": "   "}, 422, "validation_error"),
        ({"name": "x" * 101}, 422, "validation_error"),
        ({"name": "a\x00b"}, 422, "validation_error"),
        ({"name": "x", "extra": 1}, 422, "validation_error"),
    ]
    for body, status, code in cases:
        r = create(client, h, **body)
        assert (r.status_code, r.json().get("error", {}).get("code")) == (status, code), (body, r.text)
    # pydantic's field messages come with their Chinese first, for the screens that show them beside the field.
    msgs = {d["type"]: d["msg"] for d in create(client, h, name="x" * 101, kind="village", extra=1).json()["error"]["details"]}
    assert msgs["string_too_long"].startswith("最多 100 个字符 String should have at most 100 characters"), msgs
    assert msgs["extra_forbidden"].startswith("不允许的字段 "), msgs
    assert msgs["enum"].startswith("取值无效，可选 "), msgs
    assert client.patch("/api/admin/units/999999", headers=h, json={"name": "y"}).status_code == 404
    assert audit_count(db) == before
    assert db.exec(select(Unit).where(Unit.name == "x")).first() is None


def test_a_unit_holding_open_tickets_cannot_be_deactivated_until_they_are_closed_elsewhere(client, db, admin):
    h = admin["h"]
    unit, other = make_unit(db, "整改单位"), make_unit(db, "另一单位")
    inspector = login(client, make_user(db, Role.inspector))
    dispatcher = login(client, make_user(db, Role.dispatcher))
    ticket = report(client, inspector)
    deadline = (datetime.now(UTC) + timedelta(hours=30)).isoformat()
    assert action(client, dispatcher, ticket["id"], "dispatch", unit_id=unit.id, deadline=deadline).status_code == 200
    r = client.patch(f"/api/admin/units/{unit.id}", headers=h, json={"is_active": False})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "unit_has_open_tickets"
    assert r.json()["error"]["details"] == {"open_tickets": 1}
    assert [u["open_tickets"] for u in client.get("/api/admin/units", headers=h).json() if u["id"] == unit.id] == [1]
    # An inactive unit cannot be dispatched to (the other one is deactivated first: it holds nothing).
    r = client.patch(f"/api/admin/units/{other.id}", headers=h, json={"is_active": False})
    assert r.status_code == 200 and r.json()["is_active"] is False
    t2 = report(client, inspector)
    r = action(client, dispatcher, t2["id"], "dispatch", unit_id=other.id, deadline=deadline)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "inactive_unit")
    # Reactivated, it works again; both changes are audited.
    assert client.patch(f"/api/admin/units/{other.id}", headers=h, json={"is_active": True}).status_code == 200
    assert [x.action for x in audit_rows(db, entity_id=str(other.id), entity_type="unit")] == [
        "unit.deactivate", "unit.reactivate"]


def test_the_office_sees_which_units_have_nobody_to_receive_a_ticket(client, db, admin):
    """A unit without an active account was offered for dispatch and 改派 like any other: a ticket sent there
    reaches nobody. The unit list says, for the office, whether each has one."""
    make_unit(db, "无人单位")
    staffed, left = make_unit(db, "有人单位"), make_unit(db, "人已停用单位")
    make_user(db, Role.unit_staff, staffed)
    gone = make_user(db, Role.unit_staff, left)
    gone.is_active = False
    db.add(gone)
    db.commit()
    dispatcher = login(client, make_user(db, Role.dispatcher))
    units = {u["name"]: u["has_staff"] for u in client.get("/api/units", headers=dispatcher).json()}
    assert (units["无人单位"], units["有人单位"], units["人已停用单位"]) == (False, True, False)


def test_deactivation_waits_for_active_sub_units_and_staff(client, db, admin):
    h = admin["h"]
    parent = make_unit(db, "上级")
    child = make_unit(db, "下级", parent_id=parent.id)
    staff = make_user(db, Role.unit_staff, unit=child)
    r = client.patch(f"/api/admin/units/{parent.id}", headers=h, json={"is_active": False})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "unit_has_children")
    r = client.patch(f"/api/admin/units/{child.id}", headers=h, json={"is_active": False})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "unit_has_users")
    assert client.patch(f"/api/admin/users/{staff.id}", headers=h, json={"is_active": False}).status_code == 200
    assert client.patch(f"/api/admin/units/{child.id}", headers=h, json={"is_active": False}).status_code == 200
    assert client.patch(f"/api/admin/units/{parent.id}", headers=h, json={"is_active": False}).status_code == 200
    # A unit cannot be reactivated under a deactivated parent, nor moved under one.
    r = client.patch(f"/api/admin/units/{child.id}", headers=h, json={"is_active": True})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "inactive_unit")
    # The public list still has them (old tickets name them), marked inactive.
    units = {u["id"]: u for u in client.get("/api/units", headers=h).json()}
    assert units[child.id]["is_active"] is False


def test_a_name_taken_by_a_concurrent_request_is_409_and_the_transaction_goes_on(db, monkeypatch):
    """The unique constraint decides when two admins create the same name at once (the check before it saw
    neither): 409, and the rest of the request's transaction is intact."""
    from app.audit.service import Actor
    from app.core.errors import Conflict
    from app.units import admin as units_admin
    from app.units.schemas import UnitCreate

    make_unit(db, "同名单位")
    monkeypatch.setattr(units_admin, "_name_free", lambda *a, **k: None)  # as if the other insert came after it
    with pytest.raises(Conflict) as exc:
        units_admin.create(db, Actor.cli(), UnitCreate(name="同名单位"))
    assert exc.value.code == "duplicate_name"
    assert units_admin.create(db, Actor.cli(), UnitCreate(name="另一个")).id is not None
    db.commit()
    assert [r.action for r in audit_rows(db, entity_type="unit")] == ["unit.create"]
