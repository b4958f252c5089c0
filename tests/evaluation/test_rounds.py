"""Rounds: a reproducible random draw, chosen sites, inspectors, states, checklist versions and 回头看."""

import json
import random

import pytest

from app.users.roles import Role
from tests.conftest import login, make_unit, make_user
from tests.evaluation.conftest import make_site

WINDOW = {"starts_at": "2026-12-07T09:00:00+08:00", "ends_at": "2026-12-11T18:00:00+08:00"}


@pytest.fixture
def city(client, db, seeded):
    unit = make_unit(db, "向阳街道办事处")
    markets = [make_site(db, unit, "farmers_market", name=f"市场{i}").id for i in range(6)]
    stops = [make_site(db, unit, "bus_stop", name=f"车站{i}").id for i in range(4)]
    make_site(db, unit, "bus_stop", name="停用车站", active=False)
    inspectors = [make_user(db, Role.inspector) for _ in range(2)]
    return {"unit": unit, "markets": markets, "stops": stops, "inspectors": inspectors,
            "office": login(client, make_user(db, Role.dispatcher)), "seeded": seeded}


def _create(client, h, **body):
    return client.post("/api/evaluation/rounds", headers=h, json={"name": "第 49 周模拟测评"} | WINDOW | body)


def _site_ids(round_: dict) -> set[int]:
    return {s["site"]["id"] for s in round_["sites"]}


def test_the_draw_is_reproducible_from_its_recorded_seed(client, city):
    h = city["office"]
    first = _create(client, h, counts={"farmers_market": 3, "bus_stop": 2}, seed=42)
    assert first.status_code == 201, first.text
    r1 = first.json()
    assert (r1["state"], r1["seed"], r1["site_count"]) == ("draft", 42, 5)
    assert r1["draw"] == {"mode": "random", "counts": {"bus_stop": 2, "farmers_market": 3}, "seed": 42}
    # The rule stated in app/evaluation/rounds.py: per type, sample over the active ids in id order.
    expected = set(random.Random("42:farmers_market").sample(sorted(city["markets"]), 3)) | set(
        random.Random("42:bus_stop").sample(sorted(city["stops"]), 2))
    assert _site_ids(r1) == expected
    r2 = _create(client, h, counts={"bus_stop": 2, "farmers_market": 3}, seed=42).json()
    assert _site_ids(r2) == expected  # same seed, same active sites → same draw
    # Without a seed one is chosen and recorded, and reproduces the draw.
    r3 = _create(client, h, counts={"farmers_market": 2}).json()
    assert isinstance(r3["seed"], int)
    r4 = _create(client, h, counts={"farmers_market": 2}, seed=r3["seed"]).json()
    assert _site_ids(r3) == _site_ids(r4)


def test_a_draw_never_takes_inactive_sites_and_says_what_is_short(client, city):
    r = _create(client, city["office"], counts={"bus_stop": 5, "farmers_market": 7}, seed=1)
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "not_enough_sites"
    assert r.json()["error"]["details"] == [{"site_type": "bus_stop", "requested": 5, "available": 4},
                                            {"site_type": "farmers_market", "requested": 7, "available": 6}]
    r = _create(client, city["office"], counts={"zoo": 1})
    assert r.json()["error"]["code"] == "unknown_site_type"
    # An unpaired surrogate (JSON escapes one; json.dumps writes it so), quoted back by the message: still the 422.
    body = json.dumps({"name": "x"} | WINDOW | {"counts": {"\ud800": 1}})
    r = client.post("/api/evaluation/rounds", headers=city["office"] | {"Content-Type": "application/json"}, content=body)
    assert (r.status_code, r.json()["error"]["code"]) == (422, "unknown_site_type")
    r = _create(client, city["office"], counts={"bus_stop": 0})
    assert r.json()["error"]["code"] == "empty_round"
    r = _create(client, city["office"], counts={"bus_stop": 1}, site_ids=[city["stops"][0]])
    assert r.status_code == 422  # one way or the other
    r = _create(client, city["office"], site_ids=[city["stops"][0]], **{"ends_at": WINDOW["starts_at"]})
    assert r.status_code == 422


def test_chosen_sites_and_inspectors_dealt_in_turn(client, db, city):
    h, (a, b) = city["office"], city["inspectors"]
    chosen = city["markets"][:3] + city["stops"][:2]
    r = _create(client, h, site_ids=chosen + [chosen[0]], inspector_ids=[a.id, b.id])
    assert r.status_code == 201, r.text
    round_ = r.json()
    assert round_["draw"] == {"mode": "chosen", "site_ids": chosen} and round_["seed"] is None
    # Sites in (type, id) order: 2 bus stops then 3 markets; dealt a, b, a, b, a → a has 3, b has 2.
    dealt = [s["inspectors"][0]["id"] for s in round_["sites"]]
    assert sorted(dealt) == sorted([a.id, b.id, a.id, b.id, a.id])
    leader = make_user(db, Role.leader)
    r = _create(client, h, site_ids=chosen, inspector_ids=[leader.id])
    assert (r.json()["error"]["code"], r.json()["error"]["details"]) == ("not_an_inspector", {"user_ids": [leader.id]})
    r = _create(client, h, site_ids=[999999])
    assert r.json()["error"]["code"] == "unknown_sites"


def test_bulk_assignment_replaces_per_site(client, db, city):
    h, (a, b) = city["office"], city["inspectors"]
    round_ = _create(client, h, site_ids=city["stops"][:2], inspector_ids=[a.id]).json()
    s1, s2 = (s["id"] for s in round_["sites"])
    r = client.post(f"/api/evaluation/rounds/{round_['id']}/assignments", headers=h,
                    json={"assignments": [{"round_site_id": s1, "user_ids": [a.id, b.id]},
                                          {"round_site_id": s2, "user_ids": []}]})
    assert r.status_code == 200, r.text
    assert {s["id"]: [i["id"] for i in s["inspectors"]] for s in r.json()["sites"]} == {s1: [a.id, b.id], s2: []}
    other = _create(client, h, site_ids=city["markets"][:1]).json()["sites"][0]["id"]
    r = client.post(f"/api/evaluation/rounds/{round_['id']}/assignments", headers=h,
                    json={"assignments": [{"round_site_id": other, "user_ids": [a.id]}]})
    assert r.json()["error"]["code"] == "unknown_round_site"
    # s2 has nobody: the round cannot start (nobody could do s2) until someone is sent there.
    r = client.post(f"/api/evaluation/rounds/{round_['id']}/transition", headers=h, json={"to": "active"})
    assert (r.status_code, r.json()["error"]["code"], r.json()["error"]["details"]) == (409, "sites_unassigned",
                                                                                       {"count": 1})
    assert client.get(f"/api/evaluation/rounds/{round_['id']}", headers=h).json()["state"] == "draft"
    r = client.post(f"/api/evaluation/rounds/{round_['id']}/assignments", headers=h,
                    json={"assignments": [{"round_site_id": s2, "user_ids": [b.id]}]})
    assert r.status_code == 200, r.text
    for to in ("active", "closed"):
        assert client.post(f"/api/evaluation/rounds/{round_['id']}/transition", headers=h,
                           json={"to": to}).status_code == 200
    r = client.post(f"/api/evaluation/rounds/{round_['id']}/assignments", headers=h,
                    json={"assignments": [{"round_site_id": s1, "user_ids": [a.id]}]})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "wrong_state")


def test_states_move_one_way(client, db, city):
    h = city["office"]
    rid = _create(client, h, site_ids=city["stops"][:1], inspector_ids=[city["inspectors"][0].id]).json()["id"]

    def move(to, headers=h):
        return client.post(f"/api/evaluation/rounds/{rid}/transition", headers=headers, json={"to": to})

    r = move("published")
    assert (r.status_code, r.json()["error"]["details"]) == (409, {"state": "draft"})
    assert move("active").json()["allowed_transitions"] == ["closed"]
    assert move("active").status_code == 409
    assert move("closed").json()["published_at"] is None
    inspector = login(client, city["inspectors"][0])
    assert move("published", inspector).status_code == 403
    done = move("published").json()
    assert done["state"] == "published" and done["published_at"] and done["allowed_transitions"] == []


def test_a_round_keeps_the_checklist_version_it_began_with(client, city):
    h = city["office"]
    old = _create(client, h, site_ids=city["stops"][:1]).json()
    assert old["sites"][0]["checklist_version"] == 1
    item = {"code": "N-1", "text_zh": "站台整洁", "dimension": "环境卫生", "points": 100, "rule": "all_or_nothing",
            "category_code": "06012"}
    assert client.post("/api/evaluation/site-types/bus_stop/checklists", headers=h,
                       json={"items": [item]}).status_code == 201
    new = _create(client, h, site_ids=city["stops"][:1]).json()
    assert new["sites"][0]["checklist_version"] == 2
    again = client.get(f"/api/evaluation/rounds/{old['id']}", headers=h).json()
    assert again["sites"][0]["checklist_version"] == 1
    assert again["sites"][0]["checklist_id"] == city["seeded"]["bus_stop"].id


def test_followup_rechecks_the_same_sites_with_the_same_inspectors(client, db, city):
    h, (a, b) = city["office"], city["inspectors"]
    earlier = _create(client, h, site_ids=city["markets"][:3], inspector_ids=[a.id, b.id]).json()
    path = f"/api/evaluation/rounds/{earlier['id']}"
    r = client.post(f"{path}/followup", headers=h, json=WINDOW)
    assert (r.status_code, r.json()["error"]["code"]) == (409, "wrong_state")  # a draft is not done yet
    for to in ("active", "closed"):
        client.post(f"{path}/transition", headers=h, json={"to": to})
    r = client.post(f"{path}/followup", headers=h, json=WINDOW)
    assert r.status_code == 201, r.text
    follow = r.json()
    assert (follow["followup_of"], follow["name"], follow["state"]) == (earlier["id"], "第 49 周模拟测评（回头看）", "draft")
    assert follow["draw"] == {"mode": "followup", "of": earlier["id"]}

    def pairs(round_):
        return {(s["site"]["id"], tuple(i["id"] for i in s["inspectors"])) for s in round_["sites"]}

    assert pairs(follow) == pairs(earlier)
    bare = client.post(f"{path}/followup", headers=h, json=WINDOW | {"copy_assignments": False, "name": "复查"}).json()
    assert bare["name"] == "复查" and all(s["inspectors"] == [] for s in bare["sites"])
    assert _site_ids(bare) == _site_ids(earlier)


def test_my_sites_lists_assigned_sites_of_active_rounds_only(client, db, city):
    h, (a, b) = city["office"], city["inspectors"]
    active = _create(client, h, name="进行中", site_ids=city["markets"][:2], inspector_ids=[a.id, b.id]).json()
    client.post(f"/api/evaluation/rounds/{active['id']}/transition", headers=h, json={"to": "active"})
    _create(client, h, name="草稿", site_ids=city["markets"][2:4], inspector_ids=[a.id])
    mine = client.get("/api/evaluation/my-sites", headers=login(client, a)).json()
    # a has one of the two active sites (dealt a, b); the draft round's sites are not listed.
    assert [(m["round_name"], m["round_id"]) for m in mine] == [("进行中", active["id"])]
    assert mine[0]["site"]["id"] in city["markets"][:2]
    assert client.get("/api/evaluation/my-sites", headers=h).json() == []


def test_a_round_s_name_is_one_line(client, db, city):
    h = city["office"]
    for name in ("第 49 周\n模拟测评", "第 49 周\r模拟测评", "第 49 周\t模拟测评", "第 49 周\u2028模拟测评"):
        r = _create(client, h, name=name, site_ids=city["markets"][:1])
        assert (r.status_code, r.json()["error"]["code"]) == (422, "validation_error"), r.text
    assert client.get("/api/evaluation/rounds", headers=h).json()["items"] == []
    earlier = _create(client, h, site_ids=city["markets"][:1]).json()
    path = f"/api/evaluation/rounds/{earlier['id']}"
    for to in ("active", "closed"):
        client.post(f"{path}/transition", headers=h, json={"to": to})
    r = client.post(f"{path}/followup", headers=h, json=WINDOW | {"name": "复查\r\n第二轮"})
    assert (r.status_code, r.json()["error"]["code"]) == (422, "validation_error"), r.text
    assert [x["id"] for x in client.get("/api/evaluation/rounds", headers=h).json()["items"]] == [earlier["id"]]
