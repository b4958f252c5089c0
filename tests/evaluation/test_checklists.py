"""Checklists: seeded from the taxonomy (100 points per site type), versioned by editing, validated."""

import pytest
from sqlmodel import select

from app.audit.models import AuditLog
from app.evaluation import checklists, defaults
from app.evaluation.models import EvalChecklist, EvalChecklistItem
from app.users.roles import Role
from tests.conftest import login, make_user


def test_split_points_is_exact_to_the_tenth():
    # 1000 tenths over 14 items: 71 each and 6 left over → six items of 7.2 points, eight of 7.1.
    assert defaults.split_points(14) == [72] * 6 + [71] * 8
    # 3 items: 333 each, 1 left → 33.4, 33.3, 33.3.
    assert defaults.split_points(3) == [334, 333, 333]


def test_deduction_per_occurrence_is_a_quarter_rounded_down_to_half_a_point():
    assert defaults.deduction_for(72, "per_occurrence") == 15   # 72 // 4 = 18 → 15 (1.5 points)
    assert defaults.deduction_for(250, "per_occurrence") == 60  # 62 → 60
    assert defaults.deduction_for(12, "per_occurrence") == 5    # at least half a point
    assert defaults.deduction_for(3, "per_occurrence") == 3     # never above the points
    assert defaults.deduction_for(72, "all_or_nothing") == 72


def test_rules_and_dimensions_read_from_the_text():
    assert defaults.rule_for("无乱张贴、乱涂写、乱刻画") == "per_occurrence"
    assert defaults.rule_for("设置投诉点") == "all_or_nothing"
    market = next(t for t in defaults.site_types() if t["code"] == "farmers_market")
    items = {i.code: i for i in defaults.default_items(market)}
    assert (items["FM-01"].dimension, items["FM-01"].category_code) == ("宣传氛围", "07008")
    assert (items["FM-04"].dimension, items["FM-04"].category_code) == ("服务管理", "09020")
    assert (items["FM-09"].dimension, items["FM-09"].category_code) == ("环境卫生", "03001")
    assert (items["FM-12"].dimension, items["FM-12"].category_code) == ("基础设施", "09012")
    assert items["FM-10"].dimension == "公共秩序" and items["FM-10"].rule == "per_occurrence"


def test_seed_makes_nine_checklists_of_100_points_once(db, seeded):
    assert len(seeded) == 9
    for site_type, c in seeded.items():
        rows = checklists.items(db, c.id)
        assert c.version == 1
        assert sum(i.points_tenths for i in rows) == 1000, site_type
        assert all(i.photos_required == 1 and 0 < i.deduction_tenths <= i.points_tenths for i in rows)
    total_items = db.exec(EvalChecklistItem.__table__.select()).all()
    assert len(total_items) == 84  # the taxonomy's 84 items
    assert checklists.seed(db) == 0  # idempotent
    assert len(db.exec(EvalChecklist.__table__.select()).all()) == 9


def _item(code="X-01", points=60, rule="per_occurrence", deduction=20, category="06010", **kw):
    return {"code": code, "text_zh": "无暴露垃圾", "dimension": "环境卫生", "points": points, "rule": rule,
            "deduction": deduction, "category_code": category} | kw


@pytest.fixture
def office(client, db):
    return login(client, make_user(db, Role.dispatcher))


def test_site_types_list_current_versions(client, db, seeded, office):
    r = client.get("/api/evaluation/site-types", headers=office)
    assert r.status_code == 200
    types = {t["code"]: t for t in r.json()}
    assert len(types) == 9
    market = types["farmers_market"]["checklist"]
    assert (market["version"], market["item_count"], market["total_points"]) == (1, 14, 100.0)
    bus = types["bus_stop"]["checklist"]
    assert (bus["item_count"], bus["total_points_tenths"]) == (4, 1000)


def test_editing_posts_a_new_version_and_keeps_the_old(client, db, seeded, office):
    body = {"items": [_item("X-01", 60, deduction=2.5), _item("X-02", 12.5, "all_or_nothing", None, "07008")]}
    r = client.post("/api/evaluation/site-types/bus_stop/checklists", headers=office, json=body)
    assert r.status_code == 201, r.text
    c = r.json()
    # 60 + 12.5 = 72.5 points: need not be 100, reported as is.
    assert (c["version"], c["total_points"], c["total_points_tenths"]) == (2, 72.5, 725)
    assert [(i["code"], i["points_tenths"], i["deduction_tenths"], i["position"]) for i in c["items"]] == [
        ("X-01", 600, 25, 1), ("X-02", 125, 125, 2)]  # all_or_nothing: deduction = points
    types = {t["code"]: t for t in client.get("/api/evaluation/site-types", headers=office).json()}
    assert types["bus_stop"]["checklist"]["version"] == 2
    old = client.get("/api/evaluation/site-types/bus_stop/checklists/1", headers=office).json()
    assert [i["code"] for i in old["items"]] == ["BS-01", "BS-02", "BS-03", "BS-04"]
    versions = client.get("/api/evaluation/site-types/bus_stop/checklists", headers=office).json()
    assert [v["version"] for v in versions] == [2, 1]
    assert client.get(f"/api/evaluation/checklists/{c['id']}", headers=office).json()["version"] == 2
    db.expire_all()
    row = db.exec(select(AuditLog).where(AuditLog.entity_type == "checklist")).one()
    assert (row.action, row.entity_id, row.before) == ("checklist.create", str(c["id"]), None)
    assert row.after["version"] == 2 and [i["code"] for i in row.after["items"]] == ["X-01", "X-02"]


def test_a_bad_version_lists_every_problem_and_writes_nothing(client, db, seeded, office):
    body = {"items": [_item("A"), _item("a", 10, deduction=12), _item("B", category="06"),
                      _item("C", deduction=None)]}
    r = client.post("/api/evaluation/site-types/bus_stop/checklists", headers=office, json=body)
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "invalid_checklist"
    assert [(p["index"], p["field"]) for p in err["details"]] == [
        (1, "code"), (1, "deduction"), (2, "category_code"), (3, "deduction")]
    assert len(client.get("/api/evaluation/site-types/bus_stop/checklists", headers=office).json()) == 1
    # Points must be > 0 and have at most one decimal.
    for bad in (_item(points=0), _item(points=1.25)):
        r = client.post("/api/evaluation/site-types/bus_stop/checklists", headers=office, json={"items": [bad]})
        assert r.status_code == 422
    r = client.post("/api/evaluation/site-types/nope/checklists", headers=office, json={"items": [_item()]})
    assert r.status_code == 404


@pytest.mark.parametrize("role, read, write", [
    (Role.inspector, 200, 403), (Role.unit_staff, 403, 403), (Role.leader, 200, 201), (Role.admin, 200, 201)])
def test_who_reads_and_edits(client, db, seeded, role, read, write):
    from tests.conftest import make_unit
    h = login(client, make_user(db, role, make_unit(db) if role == Role.unit_staff else None))
    assert client.get("/api/evaluation/site-types", headers=h).status_code == read
    r = client.post("/api/evaluation/site-types/bus_stop/checklists", headers=h, json={"items": [_item()]})
    assert r.status_code == write


def test_an_item_s_text_and_dimension_are_one_line(client, db, seeded, office):
    """An item's text heads its row in the phone's form, the report and the Excel export: no line breaks."""
    for bad in ({"text_zh": "无暴露\n垃圾"}, {"text_zh": "无暴露\r垃圾"}, {"text_zh": "无暴露\t垃圾"},
                {"text_en": "no\u2028litter"}, {"dimension": "环境\u2029卫生"}):
        r = client.post("/api/evaluation/site-types/bus_stop/checklists", headers=office, json={"items": [_item(**bad)]})
        assert (r.status_code, r.json()["error"]["code"]) == (422, "validation_error"), (bad, r.text)
    assert len(client.get("/api/evaluation/site-types/bus_stop/checklists", headers=office).json()) == 1
