"""The exceptions ledger (台账) and its Excel, on the hand-built city of tests/stats/cases.py.

Rows by hand (local times; one row per request, void, urge, 督办; newest first):
  t4  supervise 10-10 10:00 (B)     t4  supervise 10-09 10:00 (B)   t15 void 10-09 11:00 (C)
  t4  urge 10-09 09:00 (B)          t5  extension 10-08 20:00 (B, approved)
  t4  urge 10-08 12:00 (B)          t6  return 10-07 11:30 (B, approved)
  t4  extension 10-07 09:00 (B, rejected)   t13 suspension 10-06 09:00 (A, approved)
  t16 return 10-05 09:00 (B, reassigned to A)
"""

import io
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from app.users.roles import Role
from tests.conftest import login, make_user
from tests.stats.cases import FAR, _Builder, at, build_city

ALL = [("supervise", "t4"), ("void", "t15"), ("supervise", "t4"), ("urge", "t4"), ("extension", "t5"),
       ("urge", "t4"), ("return", "t6"), ("extension", "t4"), ("suspension", "t13"), ("return", "t16")]
ALL_BY_TIME = sorted(zip(ALL, [at(10, 10, 10), at(10, 9, 11), at(10, 9, 10), at(10, 9, 9), at(10, 8, 20),
                               at(10, 8, 12), at(10, 7, 11, 30), at(10, 7, 9), at(10, 6, 9), at(10, 5, 9)],
                         strict=True), key=lambda x: x[1], reverse=True)


@pytest.fixture
def city(db):
    return build_city(db)


def _rows(client, h, **params):
    """Every row, page by page (limit 3), checking no row repeats."""
    got, cursor = [], None
    while True:
        r = client.get("/api/exceptions", params={**params, "limit": 3, **({"cursor": cursor} if cursor else {})},
                       headers=h)
        assert r.status_code == 200, r.text
        got += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
    assert len({x["id"] for x in got}) == len(got)
    return got


def _names(city, rows):
    by_id = {str(v): k for k, v in city.tickets.items()}
    return [(x["kind"], by_id[x["ticket"]["id"]]) for x in rows]


def test_ledger_lists_every_exception_newest_first_with_outcomes(client, city):
    rows = _rows(client, login(client, city.users["dispatcher"]))
    assert _names(city, rows) == [k for k, _ in ALL_BY_TIME]
    assert [datetime.fromisoformat(x["at"]) for x in rows] == [t for _, t in ALL_BY_TIME]
    by = {(x["kind"], _names(city, [x])[0][1]): x for x in rows}
    u = city.units
    ext4, ext5 = by[("extension", "t4")], by[("extension", "t5")]
    assert (ext4["outcome"], ext4["unit_id"], ext4["decision_note"]) == ("rejected", u["B"].id, "理由不充分")
    assert datetime.fromisoformat(ext4["requested_deadline"]) == at(10, 10, 10, 30)
    assert datetime.fromisoformat(ext4["deadline_before"]) == at(10, 8, 10, 30)
    assert ext5["outcome"] == "approved"
    assert datetime.fromisoformat(ext5["decided_deadline"]) == FAR + timedelta(days=30)
    assert datetime.fromisoformat(ext5["requested_deadline"]) == FAR + timedelta(days=60)
    assert by[("suspension", "t13")]["outcome"] == "approved" and by[("suspension", "t13")]["unit_id"] == u["A"].id
    assert by[("return", "t6")]["outcome"] == "approved"
    r16 = by[("return", "t16")]
    assert (r16["outcome"], r16["unit_id"], r16["reassigned_unit_id"], r16["reassigned_unit_name"]) == \
        ("reassigned", u["B"].id, u["A"].id, u["A"].name)
    void = by[("void", "t15")]
    assert (void["unit_name"], void["reason"], void["outcome"], void["actor_role"]) == \
        (u["C"].name, "重复案件，派遣后发现", None, "dispatcher")
    assert void["ticket"]["status"] == "voided" and void["ticket"]["case_number"].startswith("XC")
    assert {x["reason"] for x in rows if x["kind"] == "supervise"} == {"限期整改到位", "再次督办<b>"}
    assert all(x["actor_role"] == "leader" for x in rows if x["kind"] == "supervise")


@pytest.mark.parametrize("params,expected", [
    ({"kind": "urge"}, [("urge", "t4")] * 2),
    ({"kind": "return"}, [("return", "t6"), ("return", "t16")]),
    ({"unit": "A"}, [("suspension", "t13")]),   # t16's return was B's (B asked), though A has it now
    ({"unit": "C"}, [("void", "t15")]),
    ({"unit": "A1"}, []),
    ({"start": "2026-10-09", "end": "2026-10-09"}, [("void", "t15"), ("supervise", "t4"), ("urge", "t4")]),
    ({"start": "2026-10-09"}, [("supervise", "t4"), ("void", "t15"), ("supervise", "t4"), ("urge", "t4")]),
    ({"end": "2026-10-05"}, [("return", "t16")]),
    ({"kind": "extension", "unit": "B", "start": "2026-10-08"}, [("extension", "t5")]),
])
def test_ledger_filters(client, city, params, expected):
    if "unit" in params:
        params = {**params, "unit_id": city.units[params.pop("unit")].id}
    rows = _rows(client, login(client, city.users["leader"]), **params)
    assert _names(city, rows) == expected


def test_a_district_s_ledger_holds_its_street_offices_rows_as_its_figures_do(client, city, db):
    """The dashboard scoped to A counts A1 (A's street office) too; the ledger filtered to A lists A1's rows too,
    A1 alone its own, and A1's staff only theirs."""
    _Builder(db, city).report("t20", at(10, 13, 9)).dispatch("t20", at(10, 13, 10), "A1", FAR) \
        .urge("t20", at(10, 13, 11))
    leader = login(client, city.users["leader"])
    assert _names(city, _rows(client, leader, unit_id=city.units["A"].id)) == [("urge", "t20"), ("suspension", "t13")]
    assert _names(city, _rows(client, leader, unit_id=city.units["A1"].id)) == [("urge", "t20")]
    a1_staff = login(client, make_user(db, Role.unit_staff, city.units["A1"]))
    assert _names(city, _rows(client, a1_staff)) == [("urge", "t20")]


def test_units_see_their_own_rows_inspectors_none(client, city, db):
    b = login(client, city.users["staff_B"])
    rows = _rows(client, b)
    assert len(rows) == 8 and {x["unit_id"] for x in rows} == {city.units["B"].id}
    assert _rows(client, b, unit_id=city.units["B"].id) == rows
    r = client.get("/api/exceptions", params={"unit_id": city.units["A"].id}, headers=b)
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert _names(city, _rows(client, login(client, city.users["staff_C"]))) == [("void", "t15")]
    assert _rows(client, login(client, city.users["staff_A1"])) == []
    ins = login(client, city.users["inspector"])
    assert client.get("/api/exceptions", headers=ins).status_code == 403
    assert client.get("/api/exceptions.xlsx", headers=ins).status_code == 403
    assert client.get("/api/exceptions").status_code == 401
    assert client.get("/api/exceptions", headers=login(client, make_user(db, Role.unit_staff))).status_code == 403


@pytest.mark.parametrize("params,code", [
    ({"kind": "nope"}, "validation_error"),
    ({"start": "2026-10-10", "end": "2026-10-01"}, "invalid_period"),
    ({"start": "0001-01-01"}, "invalid_period"),
    ({"start": "yesterday"}, "validation_error"),
    ({"cursor": "bm90LWEtY3Vyc29y"}, "invalid_cursor"),
    ({"cursor": "WyIyMDI2LTEwLTA5VDEwOjAwOjAwKzAwOjAwIiwgIjEyMyJd"}, "invalid_cursor"),  # a string id
    ({"cursor": "WyIyMDI2LTEwLTA5VDEwOjAwOjAwKzAwOjAwIiwgMjE0NzQ4MzY0OF0"}, "invalid_cursor"),  # id 2**31: past PostgreSQL's integer
    ({"cursor": "WyIyMDI2LTEwLTA5VDEwOjAwOjAwKzAwOjAwIiwgLTkyMjMzNzIwMzY4NTQ3NzU4MDhd"}, "invalid_cursor"),  # id -2**63
    ({"limit": 0}, "validation_error"),
    ({"unit_id": str(2**70)}, "validation_error"),
])
def test_bad_input_is_422(client, city, params, code):
    r = client.get("/api/exceptions", params=params, headers=login(client, city.users["dispatcher"]))
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == code


def test_unknown_unit_is_404(client, city):
    r = client.get("/api/exceptions", params={"unit_id": 999999}, headers=login(client, city.users["dispatcher"]))
    assert r.status_code == 404


def test_excel_ledger_has_the_same_rows(client, city):
    h = login(client, city.users["dispatcher"])
    for params in ({}, {"unit_id": city.units["B"].id, "kind": "urge"}):
        r = client.get("/api/exceptions.xlsx", params=params, headers=h)
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
        assert "attachment" in r.headers["content-disposition"]
        ws = load_workbook(io.BytesIO(r.content))["台账"]
        header = [c.value for c in ws[2]]
        assert header[:4] == ["类型", "时间", "案件编号", "责任单位"]
        api = _rows(client, h, **params)
        got = list(ws.iter_rows(min_row=3, values_only=True))
        assert [(row[2], row[3]) for row in got] == [(x["ticket"]["case_number"], x["unit_name"]) for x in api]
        for row, x in zip(got, api, strict=True):
            local = datetime.fromisoformat(x["at"]).astimezone(at(1, 1, 0).tzinfo).replace(tzinfo=None)
            assert row[1] == local  # the city's wall-clock time, a real Excel date
    ws = load_workbook(io.BytesIO(client.get("/api/exceptions.xlsx", headers=h).content))["台账"]
    kinds = [row[0] for row in ws.iter_rows(min_row=3, values_only=True)]
    assert kinds == ["督办", "作废", "督办", "催办", "延期申请", "催办", "回退申请", "延期申请", "挂账申请", "回退申请"]
    outcomes = {row[2]: row[9] for row in ws.iter_rows(min_row=3, values_only=True) if row[0] == "回退申请"}
    assert sorted(outcomes.values()) == ["已批准", "已批准并改派"]
    staff = login(client, city.users["staff_C"])
    ws = load_workbook(io.BytesIO(client.get("/api/exceptions.xlsx", headers=staff).content))["台账"]
    assert [row[0] for row in ws.iter_rows(min_row=3, values_only=True)] == ["作废"]


# ---- 督办通知书 ------------------------------------------------------------------------------------

def test_supervision_notice(client, city):
    t4 = city.tickets["t4"]
    for who in ("leader", "dispatcher", "staff_B"):
        r = client.get(f"/api/stats/supervision-notice/{t4}.html", headers=login(client, city.users[who]))
        assert r.status_code == 200, (who, r.text)
        page = r.text
        assert "督 办 通 知 书" in page and "B 局" in page and "已超期" in page
        assert "限期整改到位" in page and "再次督办&lt;b&gt;" in page and "再次督办<b>" not in page
        assert "催办次数</th><td>2" in page
    r = client.get(f"/api/stats/supervision-notice/{t4}.html", headers=login(client, city.users["staff_A"]))
    assert r.status_code == 404  # another unit's ticket does not exist for it
    never = client.get(f"/api/stats/supervision-notice/{city.tickets['t5']}.html",
                       headers=login(client, city.users["leader"]))
    assert never.status_code == 409 and never.json()["error"]["code"] == "not_supervised"
    # t16 was B's, so B may see it, but it is A's now: B prints no notice for it.
    r = client.get(f"/api/stats/supervision-notice/{city.tickets['t16']}.html",
                   headers=login(client, city.users["staff_B"]))
    assert r.status_code == 403
    # Nor the plain notice, which is addressed to A with A's deadline (A itself prints it).
    r = client.get(f"/api/stats/notice/{city.tickets['t16']}.html", headers=login(client, city.users["staff_B"]))
    assert r.status_code == 403
    assert client.get(f"/api/stats/notice/{city.tickets['t16']}.html",
                      headers=login(client, city.users["staff_A"])).status_code == 200
    assert client.get(f"/api/stats/supervision-notice/{t4}.html").status_code == 401
    assert client.get("/api/stats/supervision-notice/not-a-uuid.html",
                      headers=login(client, city.users["leader"])).status_code == 422
