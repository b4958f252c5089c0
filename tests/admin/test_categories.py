"""Categories over the admin API: deadline hours, default unit, enabled; a disabled one cannot be reported."""

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from app.categories import service as categories_service
from app.categories.models import Category
from app.users.roles import Role
from tests.admin.conftest import audit_count, audit_rows
from tests.conftest import action, login, make_unit, make_user, report, report_body, upload_photo

CODE = "06010"  # 暴露垃圾, a 小类 of 06 (the report factory's category)


def cat(client, h, code=CODE) -> dict:
    return next(c for c in client.get("/api/categories", headers=h).json() if c["code"] == code)


def test_deadline_hours_and_default_unit_are_used_by_the_next_report_and_dispatch(client, db, admin):
    h = admin["h"]
    unit = make_unit(db, "环卫处")
    r = client.patch(f"/api/admin/categories/{CODE}", headers=h, json={"default_deadline_hours": 4,
                                                                        "default_unit_id": unit.id})
    assert r.status_code == 200, r.text
    assert (r.json()["default_deadline_hours"], r.json()["default_unit_id"]) == (4, unit.id)
    inspector = login(client, make_user(db, Role.inspector))
    dispatcher = login(client, make_user(db, Role.dispatcher))
    t = report(client, inspector, lat=31.5, lng=121.5)  # in no grid: the category routes it
    assert t["suggested_unit_id"] == unit.id
    before = datetime.now(UTC)
    r = action(client, dispatcher, t["id"], "dispatch", unit_id=unit.id)
    deadline = datetime.fromisoformat(r.json()["deadline_at"])
    assert before + timedelta(hours=4) <= deadline <= datetime.now(UTC) + timedelta(hours=4)
    [row] = audit_rows(db, entity_type="category", entity_id=CODE)
    assert row.before["default_unit_id"] is None and row.after == {"default_deadline_hours": 4,
                                                                   "default_unit_id": unit.id, "enabled": True}


def test_a_disabled_category_is_refused_for_new_reports_and_kept_by_old_tickets(client, db, admin):
    h = admin["h"]
    inspector = login(client, make_user(db, Role.inspector))
    old = report(client, inspector)
    assert client.patch(f"/api/admin/categories/{CODE}", headers=h, json={"enabled": False}).status_code == 200
    assert cat(client, inspector)["enabled"] is False
    photo = upload_photo(client, inspector)["id"]
    r = client.post("/api/tickets", headers=inspector, json=report_body([photo]))
    assert (r.status_code, r.json()["error"]["code"]) == (422, "category_disabled")
    assert client.get(f"/api/tickets/{old['id']}", headers=inspector).json()["category_code"] == CODE
    # A disabled 大类 closes all its 小类.
    client.patch(f"/api/admin/categories/{CODE}", headers=h, json={"enabled": True})
    client.patch("/api/admin/categories/06", headers=h, json={"enabled": False})
    r = client.post("/api/tickets", headers=inspector, json=report_body([photo]))
    assert (r.status_code, r.json()["error"]["code"]) == (422, "category_disabled")
    client.patch("/api/admin/categories/06", headers=h, json={"enabled": True})
    assert client.post("/api/tickets", headers=inspector, json=report_body([photo])).status_code == 201


def test_bad_input_writes_nothing(client, db, admin):
    h = admin["h"]
    gone = make_unit(db, is_active=False)
    before = audit_count(db)
    for code, body, status in [
        (CODE, {"default_deadline_hours": 0}, 422), (CODE, {"default_deadline_hours": 9000}, 422),
        (CODE, {"default_unit_id": 999999}, 422), (CODE, {"default_unit_id": gone.id}, 422),
        (CODE, {"name_zh": "改名"}, 422), ("99999", {"enabled": False}, 404), ("x" * 17, {"enabled": False}, 422),
        ("01%00", {"enabled": False}, 422),  # NUL: PostgreSQL cannot even look it up
    ]:
        r = client.patch(f"/api/admin/categories/{code}", headers=h, json=body)
        assert r.status_code == status, (code, body, r.text)
    assert audit_count(db) == before
    assert cat(client, h)["default_unit_id"] is None


def test_the_taxonomy_sync_keeps_what_the_office_changed(client, db: Session, admin):
    h = admin["h"]
    client.patch(f"/api/admin/categories/{CODE}", headers=h, json={"default_deadline_hours": 6, "enabled": False})
    categories_service.sync_taxonomy(db)
    db.expire_all()
    c = db.get(Category, CODE)
    assert (c.default_deadline_hours, c.enabled) == (6, False)
