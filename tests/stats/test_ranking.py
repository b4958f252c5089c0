"""The red/black list's rules (pure: app/stats/ranking.py) and the grouped ranking of the hand-built city
(tests/stats/cases.py) through the API.

The pure tests give each unit its rates directly, so they state the list rules alone, whatever the
figures' definitions: units are ordered by 结案率, then 按期结案率, then fewer 超期未结案, then by name.
"""

import pytest

from app.stats.ranking import rank, rank_by_kind, rule_text
from app.stats.schemas import RankRules, UnitMetrics
from tests.conftest import login
from tests.stats.cases import WEEK_ON, build_city


def unit(uid: int, rate: float, *, due: int = 10, on_time: float = 0.5, overdue: int = 0) -> UnitMetrics:
    return UnitMetrics(unit_id=uid, unit_name=f"U{uid}", dispatched=due, due=due, closure_rate=rate,
                       on_time_rate=on_time, overdue_unclosed=overdue)


def lists(rows) -> list[tuple[int, int, str | None]]:
    return [(r.unit_id, r.rank, r.list) for r in rows]


def test_a_tie_straddling_the_bottom_boundary_is_listed_together_on_the_black_list():
    # Bottom 2 (no rate bar: black_max_rate 0) of five: positions 4 and 5. U3 and U4 tie at 0.7 in
    # positions 3-4, so the group reaches into the bottom 2: both are black with U5, three units for
    # "bottom 2" — as a tie at the red boundary lists the whole group. (Before: U3/U4 rank 3 is not > 5-2,
    # so only U5 was black.)
    rules = RankRules(red_min_rate=0.9, red_top=1, black_max_rate=0.0, black_bottom=2)
    rows, unranked = rank([unit(1, 1.0), unit(2, 0.8), unit(3, 0.7), unit(4, 0.7), unit(5, 0.5)], rules)
    assert lists(rows) == [(1, 1, "red"), (2, 2, None), (3, 3, "black"), (4, 3, "black"), (5, 5, "black")]
    assert unranked == []
    # A tie wholly above the boundary stays off it: U2/U3 tie in positions 2-3, bottom 2 = positions 4-5.
    rows, _ = rank([unit(1, 1.0), unit(2, 0.7), unit(3, 0.7), unit(4, 0.6), unit(5, 0.5)], rules)
    assert lists(rows) == [(1, 1, "red"), (2, 2, None), (3, 2, None), (4, 4, "black"), (5, 5, "black")]


def test_a_tie_at_the_red_boundary_is_listed_together_on_the_red_list():
    # Top 2: U2 and U3 tie in positions 2-3 and both are ≥ 90 %: the group starts in the top 2, both red.
    rules = RankRules(red_min_rate=0.9, red_top=2, black_max_rate=0.0, black_bottom=1)
    rows, _ = rank([unit(1, 1.0), unit(2, 0.95), unit(3, 0.95), unit(4, 0.92), unit(5, 0.5)], rules)
    assert lists(rows) == [(1, 1, "red"), (2, 2, "red"), (3, 2, "red"), (4, 4, None), (5, 5, "black")]


def test_no_red_list_leaves_the_middle_off_the_black_list():
    # Nobody reaches 90 %: no red list. Black = below 50 % or the bottom 1: only U4 (0.4). U1-U3 are
    # neither, and keep their ranks 1-3 (not "black" because red is empty).
    rules = RankRules(red_min_rate=0.9, red_top=5, black_max_rate=0.5, black_bottom=1)
    rows, _ = rank([unit(1, 0.8), unit(2, 0.7), unit(3, 0.6), unit(4, 0.4)], rules)
    assert lists(rows) == [(1, 1, None), (2, 2, None), (3, 3, None), (4, 4, "black")]


def test_every_unit_tied():
    # Four units at the same rate, on-time rate and overdue: one group of rank 1 taking positions 1-4. It
    # starts in the top 1 and ends in the bottom 1: red when it meets the rate (red wins), else black.
    rules = RankRules(red_min_rate=0.9, red_top=1, black_max_rate=0.0, black_bottom=1)
    tied = [unit(i, 0.7) for i in range(1, 5)]
    assert lists(rank(tied, rules)[0]) == [(i, 1, "black") for i in range(1, 5)]
    tied = [unit(i, 1.0) for i in range(1, 5)]
    assert lists(rank(tied, rules)[0]) == [(i, 1, "red") for i in range(1, 5)]


def test_bottom_n_larger_than_the_number_of_units():
    # Bottom 10 of three units: every unit not on the red list is black; U1 (100 %, rank 1) stays red.
    rules = RankRules(red_min_rate=0.9, red_top=1, black_max_rate=0.0, black_bottom=10)
    rows, _ = rank([unit(1, 1.0), unit(2, 0.95), unit(3, 0.5)], rules)
    assert lists(rows) == [(1, 1, "red"), (2, 2, "black"), (3, 3, "black")]


def test_a_group_s_only_unit_is_black_by_its_rate_alone():
    # A month's only department at 85.7 % was black-listed as "bottom 3" of one: last of nothing, it is on
    # neither list between the red bar (90 %) and the black one (85 %), and black below the black bar.
    rules = RankRules(red_min_rate=0.9, red_top=5, black_max_rate=0.85, black_bottom=3)
    assert lists(rank([unit(1, 0.857)], rules)[0]) == [(1, 1, None)]
    assert lists(rank([unit(1, 0.84)], rules)[0]) == [(1, 1, "black")]
    assert lists(rank([unit(1, 0.95)], rules)[0]) == [(1, 1, "red")]


def test_units_of_each_kind_are_ranked_among_themselves():
    # Departments 1 (0.9) and 2 (0.5); territorial: district 3 (0.6) and street office 4 (0.7); company 5
    # has 0 dispatched (min 1): not ranked, but its group exists; no unit of kind "company" ranked. A
    # department and a territorial unit are never compared: street 4 is first of its group at 0.7 although
    # department 1 has more.
    rules = RankRules(red_min_rate=0.65, red_top=1, black_max_rate=0.0, black_bottom=1)
    units = [unit(1, 0.9), unit(2, 0.5), unit(3, 0.6), unit(4, 0.7), unit(5, 0.0, due=0)]
    kinds = {1: "department", 2: "department", 3: "district", 4: "street", 5: "company"}
    groups = rank_by_kind(units, kinds, rules)
    assert [(g.kind, g.name) for g in groups] == [("department", "职能部门"), ("territorial", "属地（区、街道）"),
                                                   ("company", "企业")]
    dept, terr, company = groups
    assert lists(dept.rows) == [(1, 1, "red"), (2, 2, "black")] and (dept.red, dept.black) == ([1], [2])
    assert lists(terr.rows) == [(4, 1, "red"), (3, 2, "black")] and (terr.red, terr.black) == ([4], [3])
    assert company.rows == [] and company.unranked == [5]
    assert dept.rule_text == rule_text(rules) and "分别排名" in dept.rule_text["groups"]
    # A kind without any unit in the figures gives no group at all.
    assert [g.kind for g in rank_by_kind(units[:2], kinds, rules)] == ["department"]


def test_rule_text_states_the_boundary_ties():
    text = rule_text(RankRules(red_top=5, black_bottom=3))
    assert "并列的单位有一个在前 5 名内的，一并列入" in text["red"]
    assert "并列的单位有一个在倒数 3 名内的，一并列入" in text["black"]


# ---- through the API, over the hand-built city ---------------------------------------------------------

@pytest.fixture
def city(db):
    return build_city(db)


def _groups(body: dict) -> dict[str, list[tuple]]:
    return {g["kind"]: [(x["unit_id"], x["rank"], x["list"], x["prev_rank"], x["movement"]) for x in g["rows"]]
            for g in body["groups"]}


def test_ranking_per_kind_with_previous_week_within_the_group(client, city):
    # The city's kinds (cases.py): A district, A1 street office under it (territorial); B and C departments
    # (make_unit's default kind); no company, so no company group.
    h = login(client, city.users["staff_B"])  # the ranking is published: every role sees it
    r = client.get("/api/stats/ranking", params={"on": WEEK_ON}, headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    u = {k: v.id for k, v in city.units.items()}
    assert [(g["kind"], g["name"]) for g in body["groups"]] == [("department", "职能部门"),
                                                                ("territorial", "属地（区、街道）")]
    # W by 结案率 (÷ 应结案数), then 按期结案率, then fewer 超期未结案 (test_metrics.py): A1 1/1, 1/1; A 3/3, 1/3
    # (t2 and t3 late against the office deadline); C 2/3, 1/3, 1 overdue unclosed; B 0/1, 0/1, 1.
    # P: B and C tie at 1/1, 1/1, 0 (t10, t14), both rank 1 among departments; A has nothing due in P (t13
    # suspended, t16 due in 2030) and A1 nothing at all: neither is ranked, so neither has a previous rank.
    # Default rules (red ≥ 90 % and top 5, black < 85 % or bottom 3): A1 and A red; C and B black.
    assert _groups(body) == {
        "territorial": [(u["A1"], 1, "red", None, None), (u["A"], 2, "red", None, None)],
        "department": [(u["C"], 1, "black", 1, 0), (u["B"], 2, "black", 1, -1)],
    }
    dept, terr = body["groups"]
    assert (terr["red"], terr["black"], terr["unranked"]) == ([u["A1"], u["A"]], [], [])
    assert (dept["red"], dept["black"], dept["unranked"]) == ([], [u["C"], u["B"]], [])
    assert "分别排名" in dept["rule_text"]["groups"] and "rows" not in body


def test_ranking_per_kind_with_stricter_rules_has_a_group_without_red_list(client, city):
    h = login(client, city.users["leader"])
    body = client.get("/api/stats/ranking", params={"on": WEEK_ON, "black_bottom": 1, "black_max_rate": 0.4,
                                                    "red_top": 1}, headers=h).json()
    u = {k: v.id for k, v in city.units.items()}
    # Territorial: A1 rank 1 red (top 1, 100 %); A rank 2 is the bottom 1 of two: black although 100 %.
    # Departments: C (2/3) rank 1 is under 90 %: no red list; not under 40 % nor in the bottom 1: no list;
    # B (0/1) black.
    assert _groups(body) == {
        "territorial": [(u["A1"], 1, "red", None, None), (u["A"], 2, "black", None, None)],
        "department": [(u["C"], 1, None, 1, 0), (u["B"], 2, "black", 1, -1)],
    }
    assert body["rules"]["black_bottom"] == 1


def test_the_rules_in_words_state_the_thresholds_as_set():
    """A threshold of 87.5 % is printed as such (it read 88 %, so a unit at 87.6 % seemed wrongly left off)."""
    text = rule_text(RankRules(red_min_rate=0.875, black_max_rate=0.8))
    assert "结案率 ≥ 87.5%" in text["red"] and "closure rate ≥ 87.5%" in text["red"]
    assert "结案率 < 80%" in text["black"]
