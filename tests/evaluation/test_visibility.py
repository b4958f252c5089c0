"""Who sees what of evaluation (四不两直): every evaluation endpoint × every role, before and after publication.

A unit's staff get 404 for a round and everything in it until it is published, then see only their own
sites; inspectors see only rounds and sites assigned to them; the office sees everything. Every write is the
office's (403 for the others, before anything is looked up, so a 403 tells nothing of a round's existence).
"""

import io
import uuid

import pytest

from app.evaluation.router import router
from app.users.roles import Role
from tests.conftest import login, make_unit, make_user
from tests.evaluation.conftest import make_site

ROLES = ["anonymous", "inspector", "inspector2", "dispatcher", "leader", "admin", "staff_a", "staff_b", "staff_c"]
OFFICE = {"dispatcher", "leader", "admin"}
WINDOW = {"starts_at": "2026-12-07T09:00:00+08:00", "ends_at": "2026-12-11T18:00:00+08:00"}


@pytest.fixture
def world(client, db, seeded):
    """Units a, b (both with sites) and c (none); an active round R1 over a1 (inspector) and b1 (inspector2);
    a published round R2 over a1 (inspector2); a2 is in no round."""
    a, b, c = make_unit(db, "甲街道"), make_unit(db, "乙街道"), make_unit(db, "丙街道")
    users = {"inspector": make_user(db, Role.inspector), "inspector2": make_user(db, Role.inspector),
             "dispatcher": make_user(db, Role.dispatcher), "leader": make_user(db, Role.leader),
             "admin": make_user(db, Role.admin), "staff_a": make_user(db, Role.unit_staff, a),
             "staff_b": make_user(db, Role.unit_staff, b), "staff_c": make_user(db, Role.unit_staff, c)}
    h = {k: login(client, u) for k, u in users.items()} | {"anonymous": {}}
    sites = {"a1": make_site(db, a, "bus_stop", name="甲一").id, "b1": make_site(db, b, "bus_stop", name="乙一").id,
             "a2": make_site(db, a, "farmers_market", name="甲二").id}
    office = h["dispatcher"]

    def new_round(name, site_keys, inspectors, states):
        r = client.post("/api/evaluation/rounds", headers=office,
                        json={"name": name, "site_ids": [sites[k] for k in site_keys]} | WINDOW)
        assert r.status_code == 201, r.text
        rnd = r.json()
        by_site = {s["site"]["id"]: s["id"] for s in rnd["sites"]}
        body = {"assignments": [{"round_site_id": by_site[sites[k]], "user_ids": [users[u].id]}
                                for k, u in zip(site_keys, inspectors, strict=True)]}
        assert client.post(f"/api/evaluation/rounds/{rnd['id']}/assignments", headers=office, json=body).status_code == 200
        for to in states:
            assert client.post(f"/api/evaluation/rounds/{rnd['id']}/transition", headers=office,
                               json={"to": to}).status_code == 200
        return rnd["id"]

    rounds = {"R1": new_round("一号", ["a1", "b1"], ["inspector", "inspector2"], ["active"]),
              "R2": new_round("二号", ["a1"], ["inspector2"], ["active", "closed", "published"])}
    return {"h": h, "sites": sites, "rounds": rounds, "checklist": seeded["bus_stop"].id, "unit_a": a.id,
            "client": client}


ROUNDS_SEEN = {  # role → round → the sites it sees in it
    "inspector": {"R1": {"a1"}},
    "inspector2": {"R1": {"b1"}, "R2": {"a1"}},
    "staff_a": {"R2": {"a1"}},
    "staff_b": {},
    "staff_c": {},
} | {role: {"R1": {"a1", "b1"}, "R2": {"a1"}} for role in OFFICE}
SITES_SEEN = {"inspector": {"a1"}, "inspector2": {"a1", "b1"}, "staff_a": {"a1", "a2"}, "staff_b": {"b1"},
              "staff_c": set()} | {role: {"a1", "b1", "a2"} for role in OFFICE}
MY_SITES = {"inspector": {("R1", "a1")}, "inspector2": {("R1", "b1")}}  # active rounds only


@pytest.mark.parametrize("role", ROLES)
def test_rounds_and_their_sites(client, world, role):
    h, ids, sites = world["h"][role], world["rounds"], world["sites"]
    r = client.get("/api/evaluation/rounds", headers=h)
    if role == "anonymous":
        assert r.status_code == 401
        assert client.get(f"/api/evaluation/rounds/{ids['R1']}").status_code == 401
        return
    seen = ROUNDS_SEEN[role]
    assert {x["id"] for x in r.json()["items"]} == {ids[k] for k in seen}
    assert {x["id"]: x["site_count"] for x in r.json()["items"]} == {ids[k]: len(v) for k, v in seen.items()}
    for key, rid in ids.items():
        r = client.get(f"/api/evaluation/rounds/{rid}", headers=h)
        if key not in seen:
            assert r.status_code == 404, (key, r.text)
            assert r.json()["error"]["code"] == "not_found"
            continue
        detail = r.json()
        assert {s["site"]["id"] for s in detail["sites"]} == {sites[k] for k in seen[key]}
        if role.startswith("staff"):  # who inspected is the office's business
            assert all(s["inspectors"] == [] for s in detail["sites"])
            assert (detail["draw"], detail["seed"]) == ({}, None)
        else:
            assert all(len(s["inspectors"]) == 1 for s in detail["sites"])
    mine = client.get("/api/evaluation/my-sites", headers=h).json()
    assert {(m["round_id"], m["site"]["id"]) for m in mine} == {(ids[r], sites[s]) for r, s in MY_SITES.get(role, ())}


@pytest.mark.parametrize("role", ROLES)
def test_the_site_registry(client, world, role):
    h, sites = world["h"][role], world["sites"]
    r = client.get("/api/evaluation/sites", headers=h)
    if role == "anonymous":
        assert r.status_code == 401
        return
    assert {s["id"] for s in r.json()["items"]} == {sites[k] for k in SITES_SEEN[role]}
    for key, sid in sites.items():
        assert client.get(f"/api/evaluation/sites/{sid}", headers=h).status_code == (
            200 if key in SITES_SEEN[role] else 404), key


@pytest.mark.parametrize("role", ROLES)
def test_checklists(client, world, role):
    h = world["h"][role]
    expected = 401 if role == "anonymous" else 200 if role in OFFICE | {"inspector", "inspector2"} else 403
    for path in ("/api/evaluation/site-types", "/api/evaluation/site-types/bus_stop/checklists",
                 "/api/evaluation/site-types/bus_stop/checklists/1", f"/api/evaluation/checklists/{world['checklist']}"):
        assert client.get(path, headers=h).status_code == expected, path


@pytest.mark.parametrize("role", ROLES)
def test_the_inspector_list_is_the_office_s(client, world, role):
    r = client.get("/api/evaluation/inspectors", headers=world["h"][role])
    assert r.status_code == (401 if role == "anonymous" else 200 if role in OFFICE else 403)
    if r.status_code == 200:
        assert len(r.json()) == 2  # the two inspectors of the world


def test_an_inspector_moved_to_a_unit_no_longer_sees_their_round_s_sites(client, world):
    """Assignments outlive a role change (an inspector seconded to a street office): as unit staff the person must
    not be shown the active round's sites and schedule, which their unit may not know of before publication."""
    h = world["h"]
    assert {m["round_id"] for m in client.get("/api/evaluation/my-sites", headers=h["inspector"]).json()} == {
        world["rounds"]["R1"]}
    me = client.get("/api/me", headers=h["inspector"]).json()
    r = client.patch(f"/api/admin/users/{me['id']}", headers=h["admin"],
                     json={"role": "unit_staff", "unit_id": world["unit_a"]})
    assert r.status_code == 200, r.text
    r = client.get("/api/evaluation/my-sites", headers=h["inspector"])
    assert r.status_code == 200 and r.json() == []
    assert client.get(f"/api/evaluation/rounds/{world['rounds']['R1']}", headers=h["inspector"]).status_code == 404


def test_publishing_shows_each_unit_its_own_sites_only(client, world):
    h, rid, sites = world["h"], world["rounds"]["R1"], world["sites"]
    assert client.get(f"/api/evaluation/rounds/{rid}", headers=h["staff_b"]).status_code == 404
    for to in ("closed", "published"):
        client.post(f"/api/evaluation/rounds/{rid}/transition", headers=h["dispatcher"], json={"to": to})
    for role, own in (("staff_a", "a1"), ("staff_b", "b1")):
        detail = client.get(f"/api/evaluation/rounds/{rid}", headers=h[role]).json()
        assert [s["site"]["id"] for s in detail["sites"]] == [sites[own]]
    assert client.get(f"/api/evaluation/rounds/{rid}", headers=h["staff_c"]).status_code == 404


def _csv() -> bytes:
    return "名称,类型,经度,纬度,责任单位\n新点位,bus_stop,120.1,30.2,甲街道\n".encode()


WRITES = {  # (method, path template) → (body factory, success status)
    ("POST", "/api/evaluation/site-types/{site_type}/checklists"): (
        lambda w: {"json": {"items": [{"code": "Z-1", "text_zh": "整洁", "dimension": "环境卫生", "points": 100,
                                       "rule": "all_or_nothing", "category_code": "06012"}]}}, 201),
    ("POST", "/api/evaluation/sites"): (
        lambda w: {"json": {"name": "新点位", "site_type": "bus_stop", "lat": 30.2, "lng": 120.1,
                            "unit_id": w["unit_a"]}}, 201),
    ("POST", "/api/evaluation/sites/import"): (lambda w: {"files": {"file": ("s.csv", io.BytesIO(_csv()))}}, 200),
    ("PATCH", "/api/evaluation/sites/{site_id}"): (lambda w: {"json": {"name": "改名"}}, 200),
    ("DELETE", "/api/evaluation/sites/{site_id}"): (lambda w: {}, 204),
    ("POST", "/api/evaluation/rounds"): (lambda w: {"json": {"name": "新", "counts": {"bus_stop": 1}} | WINDOW}, 201),
    ("POST", "/api/evaluation/rounds/{round_id}/assignments"): (
        lambda w: {"json": {"assignments": [{"round_site_id": _round_site(w), "user_ids": []}]}}, 200),
    ("POST", "/api/evaluation/rounds/{round_id}/transition"): (lambda w: {"json": {"to": "closed"}}, 200),
    ("POST", "/api/evaluation/rounds/{round_id}/followup"): (lambda w: {"json": WINDOW}, 201),
}
READS = {("GET", p) for p in (
    "/api/evaluation/site-types", "/api/evaluation/site-types/{site_type}/checklists",
    "/api/evaluation/site-types/{site_type}/checklists/{version}", "/api/evaluation/checklists/{checklist_id}",
    "/api/evaluation/sites", "/api/evaluation/sites/{site_id}", "/api/evaluation/rounds",
    "/api/evaluation/rounds/{round_id}", "/api/evaluation/my-sites", "/api/evaluation/inspectors")}


def _round_site(world) -> int:
    detail = world["client"].get(f"/api/evaluation/rounds/{world['rounds']['R1']}", headers=world["h"]["dispatcher"])
    return detail.json()["sites"][0]["id"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method, template", list(WRITES))
def test_writes_are_the_office_s(client, world, role, method, template):
    body, success = WRITES[(method, template)]
    # The round to change: the active R1 (closing it), and the published R2 for a 回头看; a2 is in no round.
    rid = world["rounds"]["R2" if template.endswith("followup") else "R1"]
    path = template.format(site_type="bus_stop", site_id=world["sites"]["a2"], round_id=rid)
    r = client.request(method, path, headers=world["h"][role], **body(world))
    if role == "anonymous":
        assert r.status_code == 401
    elif role in OFFICE:
        assert r.status_code == success, r.text
    else:
        assert (r.status_code, r.json()["error"]["code"]) == (403, "forbidden"), r.text


def test_the_matrix_covers_every_evaluation_endpoint():
    routes = {(m, r.path) for r in router.routes for m in r.methods - {"HEAD", "OPTIONS"}}
    assert routes == set(WRITES) | READS | RESULTS | REPORTS


RESULTS = {("POST", "/api/evaluation/rounds/{round_id}/sites/{site_id}/result"),
           ("GET", "/api/evaluation/rounds/{round_id}/sites/{site_id}/result")}


@pytest.mark.parametrize("role", ROLES)
def test_a_site_s_result_is_its_inspector_s_to_submit_and_the_unit_s_to_read_only_once_published(
        client, db, world, role):
    from sqlmodel import select

    from app.evaluation.models import EvalChecklistItem
    items = db.exec(select(EvalChecklistItem).where(EvalChecklistItem.checklist_id == world["checklist"])).all()
    body = {"id": "00000000-0000-4000-8000-0000000000a1", "status": "evaluated",
            "answers": [{"item_code": i.code, "verdict": "pass"} for i in items]}
    path = f"/api/evaluation/rounds/{world['rounds']['R1']}/sites/{world['sites']['a1']}/result"
    r = client.post(path, headers=world["h"][role], json=body)
    # Only the inspector assigned to a1 in R1 submits; another inspector finds no such site (404); every other role
    # is refused before anything is looked up (403), so the answer says nothing of the round.
    want = {"anonymous": 401, "inspector": 201, "inspector2": 404}.get(role, 403)
    assert r.status_code == want, r.text
    if role != "inspector":
        assert client.post(path, headers=world["h"]["inspector"], json=body).status_code == 201
    read = client.get(path, headers=world["h"][role])
    # R1 is not published: units see nothing of it; inspector2 has b1 there, not a1.
    assert read.status_code == {"anonymous": 401, "inspector": 200}.get(role, 200 if role in OFFICE else 404)


REPORTS = {("GET", f"/api/evaluation/rounds/{{round_id}}/report{ext}") for ext in ("", ".xlsx", ".html")}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("ext", ["", ".xlsx", ".html"])
def test_a_round_s_report_shows_only_the_sites_one_sees_and_nothing_to_a_unit_before_publication(
        client, world, role, ext):
    for name, rid in world["rounds"].items():
        r = client.get(f"/api/evaluation/rounds/{rid}/report{ext}", headers=world["h"][role])
        seen = ROUNDS_SEEN.get(role, {}).get(name)
        if role == "anonymous":
            assert r.status_code == 401
        elif seen is None:
            assert r.status_code == 404, (name, r.text)  # R1 is not published: units learn nothing of it
        else:
            assert r.status_code == 200, (name, r.text)
            if ext == "":
                assert {s["site_id"] for s in r.json()["sites"]} == {world["sites"][k] for k in seen}


def test_a_re_check_names_the_round_it_re_checks_only_to_whoever_may_see_that_round(client, world):
    """A 回头看 of a closed round that was never published: once the 回头看 is published, unit a sees it, but not
    which round it re-checks (the id of a round a unit may not know exists), until that round is published too."""
    h, a1 = world["h"], world["sites"]["a1"]
    office = h["dispatcher"]
    earlier = client.post("/api/evaluation/rounds", headers=office,
                          json={"name": "三号", "site_ids": [a1]} | WINDOW).json()
    rs = earlier["sites"][0]["id"]
    me = client.get("/api/me", headers=h["inspector2"]).json()
    assert client.post(f"/api/evaluation/rounds/{earlier['id']}/assignments", headers=office,
                       json={"assignments": [{"round_site_id": rs, "user_ids": [me["id"]]}]}).status_code == 200
    for to in ("active", "closed"):
        assert client.post(f"/api/evaluation/rounds/{earlier['id']}/transition", headers=office,
                           json={"to": to}).status_code == 200
    r = client.post(f"/api/evaluation/rounds/{earlier['id']}/followup", headers=office, json=WINDOW)
    assert r.status_code == 201, r.text
    recheck = r.json()["id"]
    for to in ("active", "closed", "published"):
        assert client.post(f"/api/evaluation/rounds/{recheck}/transition", headers=office,
                           json={"to": to}).status_code == 200

    def named(role):
        listed = {x["id"]: x["followup_of"] for x in
                  client.get("/api/evaluation/rounds", headers=h[role]).json()["items"]}
        detail = client.get(f"/api/evaluation/rounds/{recheck}", headers=h[role]).json()["followup_of"]
        report = client.get(f"/api/evaluation/rounds/{recheck}/report", headers=h[role]).json()["round"]["followup_of"]
        return {listed[recheck], detail, report}

    assert named("dispatcher") == named("inspector2") == {earlier["id"]}
    assert named("staff_a") == {None}
    assert client.get(f"/api/evaluation/rounds/{earlier['id']}", headers=h["staff_a"]).status_code == 404
    assert client.post(f"/api/evaluation/rounds/{earlier['id']}/transition", headers=office,
                       json={"to": "published"}).status_code == 200
    assert named("staff_a") == {earlier["id"]}


@pytest.fixture
def findings(client, db, world):
    """R1's two sites submitted with their first item failed (a1 by inspector, b1 by inspector2), then R1
    published without dispatching: both findings are tickets in `reported`, waiting for triage."""
    from sqlmodel import select

    from app.evaluation.models import EvalChecklistItem
    from tests.conftest import upload_photo
    items = db.exec(select(EvalChecklistItem).where(EvalChecklistItem.checklist_id == world["checklist"])
                    .order_by(EvalChecklistItem.position)).all()
    h, rid = world["h"], world["rounds"]["R1"]
    for site, who in (("a1", "inspector"), ("b1", "inspector2")):
        photos = [upload_photo(client, h[who])["id"] for _ in range(items[0].photos_required)]
        answers = [{"item_code": items[0].code, "verdict": "fail", "occurrences": 1, "photo_ids": photos}]
        answers += [{"item_code": i.code, "verdict": "pass"} for i in items[1:]]
        r = client.post(f"/api/evaluation/rounds/{rid}/sites/{world['sites'][site]}/result", headers=h[who],
                        json={"id": str(uuid.uuid4()), "status": "evaluated", "answers": answers})
        assert r.status_code == 201, r.text
    for to in ("closed", "published"):
        assert client.post(f"/api/evaluation/rounds/{rid}/transition", headers=h["dispatcher"],
                           json={"to": to}).status_code == 200
    office = client.get(f"/api/evaluation/rounds/{rid}/report", headers=h["dispatcher"]).json()["findings"]
    assert [f["status"] for f in office] == ["reported", "reported"]
    return {"rid": rid, "tickets": {f["site_name"]: f for f in office}, "item": items[0]}


def _ticket_fields(finding: dict) -> tuple:
    return tuple(finding[k] for k in ("ticket_id", "case_number", "status", "deadline_at", "closed_at"))


# What of each site's finding a role sees in R1's report before any dispatch: the failed item always (of the sites
# it sees); the ticket only if it may see the ticket (app/tickets/access.py: the office and inspectors all).
FINDING_SEEN = {"inspector": {"甲一": True}, "inspector2": {"乙一": True}, "staff_a": {"甲一": False},
                "staff_b": {"乙一": False}, "staff_c": None} | {role: {"甲一": True, "乙一": True} for role in OFFICE}


@pytest.mark.parametrize("role", [r for r in ROLES if r != "anonymous"])
def test_a_unit_sees_its_failed_items_but_no_ticket_until_the_finding_is_dispatched_to_it(
        client, world, findings, role):
    h, rid = world["h"][role], findings["rid"]
    r = client.get(f"/api/evaluation/rounds/{rid}/report", headers=h)
    seen = FINDING_SEEN[role]
    if seen is None:
        assert r.status_code == 404
        return
    report = r.json()
    assert {f["site_name"]: f["item_code"] for f in report["findings"]} == {
        s: findings["item"].code for s in seen}
    for f in report["findings"]:
        office = findings["tickets"][f["site_name"]]
        if seen[f["site_name"]]:
            assert _ticket_fields(f) == _ticket_fields(office)
        else:
            assert _ticket_fields(f) == (None, None, None, None, None)
            assert f["loss"] == office["loss"] and f["item_text"] == office["item_text"]
    hidden = [f for f in report["findings"] if f["ticket_id"] is None]
    assert report["progress"]["undispatched"] == len(hidden)
    assert report["progress"]["open"] == len(report["findings"])
    case_numbers = {f["case_number"] for f in findings["tickets"].values()}
    leaked = {c for c in case_numbers if not any(seen.get(s) for s, f in findings["tickets"].items()
                                                 if f["case_number"] == c)}
    # Nor in the workbook, the printable page or the site's result.
    book = client.get(f"/api/evaluation/rounds/{rid}/report.xlsx", headers=h)
    from openpyxl import load_workbook
    rows = list(load_workbook(io.BytesIO(book.content))["问题清单"].iter_rows(min_row=2, values_only=True))
    listed = [row for row in rows if row[4] == findings["item"].code]
    assert {(row[3], row[1] or None, row[2]) for row in listed} == {
        (s, findings["tickets"][s]["case_number"] if v else None, "待派遣" if v else "待交办") for s, v in seen.items()}
    page = client.get(f"/api/evaluation/rounds/{rid}/report.html", headers=h).text
    for c in leaked:
        assert c not in page and c.encode() not in book.content
    for site in seen:
        res = client.get(f"/api/evaluation/rounds/{rid}/sites/{world['sites']['a1' if site == '甲一' else 'b1']}"
                         "/result", headers=h).json()
        failed = [a for a in res["answers"] if a["verdict"] == "fail"]
        want = findings["tickets"][site] if seen[site] else {"ticket_id": None, "case_number": None, "status": None}
        assert [(a["ticket_id"], a["case_number"], a["ticket_status"]) for a in failed] == [
            (want["ticket_id"], want["case_number"], want["status"])]


def test_a_finding_s_ticket_shows_in_the_unit_s_list_once_dispatched_to_it(client, world, findings):
    h, rid = world["h"], findings["rid"]
    a1 = findings["tickets"]["甲一"]
    res = client.post(f"/api/tickets/{a1['ticket_id']}/dispatch", headers=h["dispatcher"],
                      json={"action_id": str(uuid.uuid4()), "unit_id": world["unit_a"]})
    assert res.status_code == 200, res.text
    mine = client.get(f"/api/evaluation/rounds/{rid}/report", headers=h["staff_a"]).json()
    assert [(f["case_number"], f["status"]) for f in mine["findings"]] == [(a1["case_number"], "dispatched")]
    assert mine["progress"]["undispatched"] == 0
    result = client.get(f"/api/evaluation/rounds/{rid}/sites/{world['sites']['a1']}/result", headers=h["staff_a"])
    assert [a["case_number"] for a in result.json()["answers"] if a["verdict"] == "fail"] == [a1["case_number"]]
    assert a1["case_number"] in client.get(f"/api/evaluation/rounds/{rid}/report.html", headers=h["staff_a"]).text
    # b1's finding is still in triage: 乙街道 sees the failed item only.
    theirs = client.get(f"/api/evaluation/rounds/{rid}/report", headers=h["staff_b"]).json()
    assert [(f["case_number"], f["status"]) for f in theirs["findings"]] == [(None, None)]
    assert theirs["progress"]["undispatched"] == 1
