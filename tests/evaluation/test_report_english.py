"""The English beside the Chinese: a round over a site whose checklist is the seeded one (the taxonomy's items, each
with its English text) carries the site type's, the dimensions' and the items' English names in its report, its 回头看,
its 问题清单, its sites and a site's answers; the Chinese fields stay as they were. An item the office wrote without
English (and a dimension it named itself) has empty English, for the screens to fall back to the Chinese."""

import uuid

import pytest
from sqlmodel import select

from app.evaluation import defaults
from app.evaluation.models import EvalChecklistItem
from app.users.roles import Role
from tests.conftest import login, make_unit, make_user, upload_photo
from tests.evaluation.conftest import make_site

WINDOW = {"starts_at": "2026-12-07T09:00:00+08:00", "ends_at": "2026-12-11T18:00:00+08:00"}
BUS_STOP_EN = "Bus stop / shelter"  # the taxonomy's English name of bus_stop


def _ok(res, status=200):
    assert res.status_code == status, res.text
    return res.json()


def _move(client, h, rid, *states):
    for to in states:
        _ok(client.post(f"/api/evaluation/rounds/{rid}/transition", headers=h, json={"to": to}))


def _submit(client, h, rid, site_id, items, fails, photo=None):
    answers = [{"item_code": i.code, "verdict": "fail", "occurrences": 1, "photo_ids": [photo]} if i.code in fails
               else {"item_code": i.code, "verdict": "pass"} for i in items]
    return _ok(client.post(f"/api/evaluation/rounds/{rid}/sites/{site_id}/result", headers=h,
                           json={"id": str(uuid.uuid4()), "status": "evaluated", "answers": answers}), 201)


@pytest.fixture
def bus_round(client, db, seeded):
    """A round over one bus stop of 向阳街道, evaluated against the seeded checklist: its first item failed."""
    street = make_unit(db, "向阳街道", kind="street", parent_id=make_unit(db, "东城区", kind="district").id)
    site = make_site(db, street, "bus_stop", name="人民路站")
    office = login(client, make_user(db, Role.dispatcher))
    insp_user = make_user(db, Role.inspector)
    insp = login(client, insp_user)
    rnd = _ok(client.post("/api/evaluation/rounds", headers=office,
                          json={"name": "英文测评", "site_ids": [site.id], "inspector_ids": [insp_user.id]} | WINDOW),
              201)
    _move(client, office, rnd["id"], "active")
    items = db.exec(select(EvalChecklistItem).where(EvalChecklistItem.checklist_id == seeded["bus_stop"].id)
                    .order_by(EvalChecklistItem.position)).all()
    assert items and all(i.text_en and i.text_en != i.text_zh for i in items), "the seeded items have English"
    photo = upload_photo(client, insp)["id"]
    _submit(client, insp, rnd["id"], site.id, items, {items[0].code}, photo)
    return {"rid": rnd["id"], "office": office, "insp": insp, "site": site, "items": {i.code: i for i in items},
            "failed": items[0], "staff": login(client, make_user(db, Role.unit_staff, street))}


def test_the_report_carries_the_seeded_checklist_s_english(client, bus_round):
    r = _ok(client.get(f"/api/evaluation/rounds/{bus_round['rid']}/report", headers=bus_round["office"]))
    items, failed = bus_round["items"], bus_round["failed"]
    zh_name = defaults.site_type_names()["bus_stop"]
    assert defaults.site_type_names_en()["bus_stop"] == BUS_STOP_EN

    (site,) = r["sites"]
    assert (site["site_type_name"], site["site_type_name_en"]) == (zh_name, BUS_STOP_EN)
    (by_type,) = r["by_site_type"]
    assert (by_type["name"], by_type["name_en"]) == (zh_name, BUS_STOP_EN)
    # Every item of the checklist, the Chinese where it was and the English beside it, from the database's rows.
    assert {i["code"]: (i["text"], i["text_en"]) for i in r["items"]} == {
        c: (i.text_zh, i.text_en) for c, i in items.items()}
    assert {i["site_type_name_en"] for i in r["items"]} == {BUS_STOP_EN}
    for i in r["items"]:
        assert i["dimension"] == items[i["code"]].dimension
        assert i["dimension_en"] == defaults.DIMENSIONS_EN[i["dimension"]] != ""
    assert r["dimensions"] and all(d["dimension_en"] == defaults.DIMENSIONS_EN[d["dimension"]]
                                   for d in r["dimensions"])
    (finding,) = r["findings"]
    assert (finding["item_code"], finding["item_text"], finding["item_text_en"]) == (
        failed.code, failed.text_zh, failed.text_en)
    # A unit's and a district's names are Chinese only.
    assert [(g["name"], g["name_en"]) for g in r["by_unit"] + r["by_district"]] == [("向阳街道", ""), ("东城区", "")]


def test_a_followup_s_changes_and_a_unit_s_report_carry_the_english(client, bus_round):
    rid, office, insp, site, failed = (bus_round[k] for k in ("rid", "office", "insp", "site", "failed"))
    _move(client, office, rid, "closed", "published")
    # The unit's own report, once published: its site's type and its finding in English too.
    mine = _ok(client.get(f"/api/evaluation/rounds/{rid}/report", headers=bus_round["staff"]))
    assert mine["sites"][0]["site_type_name_en"] == BUS_STOP_EN
    assert [(f["item_text"], f["item_text_en"]) for f in mine["findings"]] == [(failed.text_zh, failed.text_en)]
    # A 回头看 in which the failed item is fixed: the change names the item in both languages.
    fid = _ok(client.post(f"/api/evaluation/rounds/{rid}/followup", headers=office, json=WINDOW), 201)["id"]
    _move(client, office, fid, "active")
    _submit(client, insp, fid, site.id, bus_round["items"].values(), set())
    review = _ok(client.get(f"/api/evaluation/rounds/{fid}/report", headers=office))["review"]
    assert [(c["item_code"], c["change"], c["item_text"], c["item_text_en"]) for c in review["changes"]] == [
        (failed.code, "fixed", failed.text_zh, failed.text_en)]


def test_the_round_s_sites_a_site_s_answers_and_the_checklist_carry_the_english(client, bus_round):
    rid, office, insp, site, failed = (bus_round[k] for k in ("rid", "office", "insp", "site", "failed"))
    detail = _ok(client.get(f"/api/evaluation/rounds/{rid}", headers=office))
    assert detail["sites"][0]["site"]["site_type_name_en"] == BUS_STOP_EN
    assert _ok(client.get(f"/api/evaluation/sites/{site.id}", headers=office))["site_type_name_en"] == BUS_STOP_EN
    listed = _ok(client.get("/api/evaluation/sites", headers=bus_round["staff"]))["items"]
    assert [s["site_type_name_en"] for s in listed] == [BUS_STOP_EN]  # a unit reads no site types list
    (mine,) = _ok(client.get("/api/evaluation/my-sites", headers=insp))
    assert mine["site"]["site_type_name_en"] == BUS_STOP_EN
    result = _ok(client.get(f"/api/evaluation/rounds/{rid}/sites/{site.id}/result", headers=insp))
    assert {a["item_code"]: (a["item_text"], a["item_text_en"]) for a in result["answers"]} == {
        c: (i.text_zh, i.text_en) for c, i in bus_round["items"].items()}
    assert all(a["dimension_en"] == defaults.DIMENSIONS_EN[a["dimension"]] for a in result["answers"])
    checklist = _ok(client.get(f"/api/evaluation/checklists/{failed.checklist_id}", headers=insp))
    assert all(i["dimension_en"] == defaults.DIMENSIONS_EN[i["dimension"]] for i in checklist["items"])


def test_an_item_without_english_and_a_dimension_of_the_office_s_own_have_empty_english(client, db, seeded):
    """The screens fall back to the Chinese on an empty English text."""
    unit = make_unit(db, "市场监管局", kind="department")
    site = make_site(db, unit, "farmers_market", name="东门菜场")
    office = login(client, make_user(db, Role.dispatcher))
    insp_user = make_user(db, Role.inspector)
    insp = login(client, insp_user)
    _ok(client.post("/api/evaluation/site-types/farmers_market/checklists", headers=office, json={"items": [
        {"code": "F1", "text_zh": "地面无垃圾", "dimension": "市容专项", "points": 100, "rule": "per_occurrence",
         "deduction": 10, "photos_required": 0, "category_code": "06012"}]}), 201)
    rnd = _ok(client.post("/api/evaluation/rounds", headers=office,
                          json={"name": "自拟细则", "site_ids": [site.id], "inspector_ids": [insp_user.id]} | WINDOW),
              201)
    _move(client, office, rnd["id"], "active")
    _ok(client.post(f"/api/evaluation/rounds/{rnd['id']}/sites/{site.id}/result", headers=insp, json={
        "id": str(uuid.uuid4()), "status": "evaluated",
        "answers": [{"item_code": "F1", "verdict": "fail", "occurrences": 2}]}), 201)
    r = _ok(client.get(f"/api/evaluation/rounds/{rnd['id']}/report", headers=office))
    assert [(i["text"], i["text_en"], i["dimension"], i["dimension_en"]) for i in r["items"]] == [
        ("地面无垃圾", "", "市容专项", "")]
    assert [(d["dimension"], d["dimension_en"]) for d in r["dimensions"]] == [("市容专项", "")]
    assert [(f["item_text"], f["item_text_en"]) for f in r["findings"]] == [("地面无垃圾", "")]
    # The site type's English is the taxonomy's whatever the checklist; a department (under no district) is in a group of
    # the report's own naming, in both languages.
    assert r["sites"][0]["site_type_name_en"] == defaults.site_type_names_en()["farmers_market"] != ""
    assert [(g["name"], g["name_en"]) for g in r["by_district"]] == [
        ("其他（非属地单位）", "Other (units outside any district)")]


def test_a_finding_s_ticket_names_its_failed_item_in_english_too(client, bus_round):
    (finding,) = _ok(client.get(f"/api/evaluation/rounds/{bus_round['rid']}/report",
                                headers=bus_round["office"]))["findings"]
    origin = _ok(client.get(f"/api/tickets/{finding['ticket_id']}", headers=bus_round["office"]))["origin"]
    failed = bus_round["failed"]
    assert (origin["item_code"], origin["item_text"], origin["item_text_en"]) == (
        failed.code, failed.text_zh, failed.text_en)
