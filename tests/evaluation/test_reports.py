"""A round's report through the database: a hand-built round (items with caps, 不适用, 无法调查, a 回头看) whose
every figure was computed by hand below; the API, the Excel workbook and the printable page agree; units see
nothing before publication and then only their own; findings of an unpublished round are not dispatched.

The round (two checklists of our own, points in brackets):

    bus_stop        B1 站牌 [10] 2.5 per occurrence (环境卫生)   B2 候车亭 [20] all or nothing (基础设施)
                    B3 公益广告 [30] 4 per occurrence (宣传氛围)  B4 秩序 [40] 15 per occurrence (公共秩序)
    farmers_market  F1 地面 [50] 10 per occurrence (环境卫生)     F2 公益广告 [50] all or nothing (宣传氛围)

    s1 人民路站  bus_stop  unit A (向阳街道, in 东城区)  B1 ✗×3 → 7.5, B2 ✗ → 20       possible 100, earned 72.5
    s2 解放路站  bus_stop  unit B (朝阳街道, in 东城区)  B1 ✗×5 → 10 (capped), B2 n/a,
                                                       B4 ✗×1 → 15                    possible  80, earned 55
    s3 东门菜场  market    unit A                      F1 ✗×2 → 20                    possible 100, earned 80
    s4 西门菜场  market    unit C (城管局, department)  无法调查 (装修闭店)                in no score
    s5 中山路站  bus_stop  unit C                      B3 n/a, all else ✓              possible  70, earned 70
    s6 北站      bus_stop  unit E (环卫公司, company)    B3 无法调查 (宣传栏被围挡), all else ✓  possible  70, earned 70

In the 回头看, 解放路站's B4 (failed) is 无法调查 (施工围挡): fail → unable, out of its possible points.
"""

import io
import uuid

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from app.evaluation.models import EvalChecklistItem, EvalRound
from app.users.roles import Role
from tests.conftest import login, make_unit, make_user, report_body, upload_photo
from tests.evaluation.conftest import make_site

WINDOW = {"starts_at": "2026-12-07T09:00:00+08:00", "ends_at": "2026-12-11T18:00:00+08:00"}
BUS = [("B1", "站牌整洁无小广告", "环境卫生", 10, "per_occurrence", 2.5, 0),
       ("B2", "候车亭设施完好", "基础设施", 20, "all_or_nothing", None, 1),
       ("B3", "公益广告规范", "宣传氛围", 30, "per_occurrence", 4, 0),
       ("B4", "候车秩序良好", "公共秩序", 40, "per_occurrence", 15, 0)]
MARKET = [("F1", "地面无垃圾", "环境卫生", 50, "per_occurrence", 10, 0),
          ("F2", "公益广告张贴", "宣传氛围", 50, "all_or_nothing", None, 0)]


def _checklist(client, h, site_type, items):
    body = {"items": [{"code": c, "text_zh": t, "dimension": d, "points": p, "rule": r, "category_code": "06012",
                       "photos_required": ph} | ({"deduction": ded} if ded else {})
                      for c, t, d, p, r, ded, ph in items]}
    res = client.post(f"/api/evaluation/site-types/{site_type}/checklists", headers=h, json=body)
    assert res.status_code == 201, res.text


def _submit(client, h, rid, site_id, answers=None, unable=None):
    body = {"id": str(uuid.uuid4()), "status": "unable" if unable else "evaluated"}
    body |= {"unable_reason": unable} if unable else {"answers": answers}
    res = client.post(f"/api/evaluation/rounds/{rid}/sites/{site_id}/result", headers=h, json=body)
    assert res.status_code == 201, res.text
    return res.json()


def _answers(codes, fails=(), na=(), photos=None, unable=None):
    fails = dict(fails)
    unable = unable or {}
    out = []
    for c in codes:
        if c in unable:
            out.append({"item_code": c, "verdict": "unable", "note": unable[c]})
        elif c in fails:
            out.append({"item_code": c, "verdict": "fail", "occurrences": fails[c],
                        "photo_ids": (photos or {}).get(c, [])})
        else:
            out.append({"item_code": c, "verdict": "na" if c in na else "pass"})
    return out


def _move(client, h, rid, *states):
    for to in states:
        res = client.post(f"/api/evaluation/rounds/{rid}/transition", headers=h, json={"to": to})
        assert res.status_code == 200, res.text


BUS_STOP, MARKET_NAME = "公交站台（站点）", "农贸市场（集贸市场）及周边"  # the taxonomy's names
BUS_CODES = ["B1", "B2", "B3", "B4"]
MARKET_CODES = ["F1", "F2"]


@pytest.fixture
def city(client, db, seeded):
    district = make_unit(db, "东城区", kind="district")
    a = make_unit(db, "向阳街道", kind="street", parent_id=district.id)
    b = make_unit(db, "朝阳街道", kind="street", parent_id=district.id)
    c = make_unit(db, "城管局", kind="department")
    e = make_unit(db, "环卫公司", kind="company")
    office = login(client, make_user(db, Role.dispatcher))
    _checklist(client, office, "bus_stop", BUS)
    _checklist(client, office, "farmers_market", MARKET)
    sites = {"s1": make_site(db, a, "bus_stop", name="人民路站", code="P-1"),
             "s2": make_site(db, b, "bus_stop", name="解放路站", code="P-2"),
             "s3": make_site(db, a, "farmers_market", name="东门菜场", code="P-3"),
             "s4": make_site(db, c, "farmers_market", name="西门菜场", code="P-4"),
             "s5": make_site(db, c, "bus_stop", name="中山路站", code="P-5"),
             "s6": make_site(db, e, "bus_stop", name="北站", code="P-6")}
    insp_user = make_user(db, Role.inspector)
    insp = login(client, insp_user)
    res = client.post("/api/evaluation/rounds", headers=office,
                      json={"name": "第49周模拟测评", "site_ids": [s.id for s in sites.values()],
                            "inspector_ids": [insp_user.id]} | WINDOW)
    assert res.status_code == 201, res.text
    rid = res.json()["id"]
    _move(client, office, rid, "active")
    photo = upload_photo(client, insp)["id"]
    ids = {k: s.id for k, s in sites.items()}
    _submit(client, insp, rid, ids["s1"], _answers(BUS_CODES, {"B1": 3, "B2": 1}, photos={"B2": [photo]}))
    _submit(client, insp, rid, ids["s2"], _answers(BUS_CODES, {"B1": 5, "B4": 1}, na={"B2"}))
    _submit(client, insp, rid, ids["s3"], _answers(MARKET_CODES, {"F1": 2}))
    _submit(client, insp, rid, ids["s4"], unable="装修<i>闭店</i>")
    _submit(client, insp, rid, ids["s5"], _answers(BUS_CODES, na={"B3"}))
    _submit(client, insp, rid, ids["s6"], _answers(BUS_CODES, unable={"B3": "宣传栏被<b>围挡</b>"}))
    return {"rid": rid, "office": office, "insp": insp, "insp_user": insp_user, "sites": ids,
            "staff_a": login(client, staff_a := make_user(db, Role.unit_staff, a)), "staff_a_user": staff_a,
            "staff_b": login(client, make_user(db, Role.unit_staff, b)),
            "leader": login(client, make_user(db, Role.leader)), "units": {"A": a, "B": b, "C": c, "E": e}}


def report(client, h, rid, fmt=""):
    return client.get(f"/api/evaluation/rounds/{rid}/report{fmt}", headers=h)


def _group(g):
    return (g["name"], g["sites_evaluated"], g["sites_unable"], g["possible"], g["deducted"], g["earned"])


def test_every_figure_of_the_round_as_computed_by_hand(client, city):
    res = report(client, city["office"], city["rid"])
    assert res.status_code == 200, res.text
    r = res.json()
    assert r["complete"] is True and r["sites_pending"] == 0
    sites = {s["site_name"]: s for s in r["sites"]}
    by_hand = {"人民路站": ("evaluated", 100, 27.5, 72.5, 0.725, 2, 2, 0),
               "解放路站": ("evaluated", 80, 25, 55, 55 / 80, 1, 2, 1),
               "东门菜场": ("evaluated", 100, 20, 80, 0.8, 1, 1, 0),
               "西门菜场": ("unable", None, None, None, None, 0, 0, 0),
               "中山路站": ("evaluated", 70, 0, 70, 1.0, 3, 0, 1),
               "北站": ("evaluated", 70, 0, 70, 1.0, 3, 0, 0)}
    for name, (status, possible, deducted, earned, rate, passed, failed, na) in by_hand.items():
        s = sites[name]
        assert (s["status"], s["possible"], s["deducted"], s["earned"], s["pass_count"], s["fail_count"],
                s["na_count"]) == (status, possible, deducted, earned, passed, failed, na), name
        assert s["rate"] == (pytest.approx(rate) if rate is not None else None), name
    assert sites["西门菜场"]["unable_reason"] == "装修<i>闭店</i>"
    # 不适用 and 无法调查 items, each counted apart: B2 at 解放路站 and B3 at 中山路站 n/a; B3 at 北站 unable.
    assert {n: (s["na_count"], s["unable_count"]) for n, s in sites.items()} == {
        "人民路站": (0, 0), "解放路站": (1, 0), "东门菜场": (0, 0), "西门菜场": (0, 0), "中山路站": (1, 0), "北站": (0, 1)}
    # The round: 5 evaluated, 1 unable; possible 100+80+100+70+70 = 420, lost 27.5+25+20 = 72.5.
    t = r["total"]
    assert _group(t) == ("第49周模拟测评", 5, 1, 420, 72.5, 347.5)
    assert (t["na_items"], t["unable_items"]) == (2, 1)
    assert t["rate"] == pytest.approx(347.5 / 420)
    assert t["mean_site_rate"] == pytest.approx((0.725 + 0.6875 + 0.8 + 1 + 1) / 5)
    assert [_group(g) for g in r["by_site_type"]] == [(BUS_STOP, 4, 0, 320, 52.5, 267.5),
                                                       (MARKET_NAME, 1, 1, 100, 20, 80)]
    assert [(g["na_items"], g["unable_items"]) for g in r["by_site_type"]] == [(2, 1), (0, 0)]
    units = {g["name"]: _group(g)[1:] for g in r["by_unit"]}
    assert units == {"向阳街道": (2, 0, 200, 47.5, 152.5), "朝阳街道": (1, 0, 80, 25, 55),
                     "城管局": (1, 1, 70, 0, 70), "环卫公司": (1, 0, 70, 0, 70)}
    districts = {g["name"]: _group(g)[1:] for g in r["by_district"]}
    assert districts == {"东城区": (3, 0, 280, 72.5, 207.5), "其他（非属地单位）": (2, 1, 140, 0, 140)}
    # Ranking: 城管局 and 环卫公司 tie at 100 % (rank 1, 1), then 向阳街道 152.5/200, 朝阳街道 55/80.
    assert [(u["rank"], u["unit_name"], u["earned"], u["possible"]) for u in r["ranking"]] == [
        (1, "城管局", 70, 70), (1, "环卫公司", 70, 70), (3, "向阳街道", 152.5, 200), (4, "朝阳街道", 55, 80)]
    assert r["ranking"][2]["rate"] == pytest.approx(0.7625) and r["unranked"] == []
    # Lost points by dimension: 环境卫生 7.5 + 10 + 20; 基础设施 20; 公共秩序 15; 宣传氛围 nothing.
    assert [(d["dimension"], d["lost"], d["failures"]) for d in r["dimensions"]] == [
        ("环境卫生", 37.5, 3), ("基础设施", 20, 1), ("公共秩序", 15, 1), ("宣传氛围", 0, 0)]
    assert r["dimensions"][0]["share"] == pytest.approx(37.5 / 72.5)
    # By item, every item of both checklists: B2 and F1 20 each (by code), B1 7.5 + 10 over 2 sites and 8
    # occurrences, B4 15; then the items that held, 0 lost (by code): B3 (applies at 2 of the 4 bus stops: 不适用 at
    # 中山路站, 无法调查 at 北站) and F2. B2 applies at 3 of the 4 bus stops (不适用 at 解放路站).
    assert [(i["code"], i["lost"], i["sites_failed"], i["sites_applicable"], i["occurrences"]) for i in r["items"]] == [
        ("B2", 20, 1, 3, 1), ("F1", 20, 1, 1, 2), ("B1", 17.5, 2, 4, 8), ("B4", 15, 1, 4, 1), ("B3", 0, 0, 2, 0),
        ("F2", 0, 0, 1, 0)]
    assert [i["share"] for i in r["items"][4:]] == [0, 0]
    assert r["items"][2]["share"] == pytest.approx(17.5 / 72.5)
    # The 问题清单: five findings, all reported, none closed yet; by unit, site, item.
    assert [(f["unit_name"], f["site_name"], f["item_code"], f["loss"], f["status"]) for f in r["findings"]] == [
        ("向阳街道", "东门菜场", "F1", 20, "reported"), ("向阳街道", "人民路站", "B1", 7.5, "reported"),
        ("向阳街道", "人民路站", "B2", 20, "reported"), ("朝阳街道", "解放路站", "B1", 10, "reported"),
        ("朝阳街道", "解放路站", "B4", 15, "reported")]
    assert all(f["case_number"].startswith("XC-") for f in r["findings"])
    assert r["progress"] == {"total": 5, "closed": 0, "cancelled": 0, "undispatched": 0, "open": 5, "rate": 0.0}
    assert r["review"] is None
    assert {"site_rate", "group_rate", "ranking", "findings_progress"} <= set(r["formulas"])


def test_the_workbook_and_the_printable_page_show_the_api_s_figures(client, city):
    api = report(client, city["office"], city["rid"]).json()
    res = report(client, city["office"], city["rid"], ".xlsx")
    assert res.status_code == 200 and res.headers["content-type"].startswith("application/vnd.openxmlformats")
    wb = load_workbook(io.BytesIO(res.content))
    assert wb.sheetnames == ["汇总", "点位得分", "单位排名", "失分(维度)", "失分(条目)", "问题清单", "计算公式"]
    ws = wb["汇总"]
    assert [c.value for c in ws[2]] == ["本轮", "第49周模拟测评", 5, 1, 420, 72.5, 347.5,
                                        pytest.approx(347.5 / 420), pytest.approx(0.8425), 2, 1]
    assert ws["C2"].number_format == "0" and ws["H2"].number_format == "0.0%"
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$1:$1"
    rows = {r[1]: r for r in wb["点位得分"].iter_rows(min_row=2, values_only=True)}
    assert rows["人民路站"][:10] == ("P-1", "人民路站", BUS_STOP, "向阳街道", "东城区", "已测评", 100, 27.5, 72.5, 0.725)
    assert rows["西门菜场"][5:9] == ("无法调查", None, None, None) and rows["西门菜场"][13] == "装修<i>闭店</i>"
    assert rows["北站"][6:13] + rows["北站"][14:] == (70, 0, 70, 1.0, 3, 0, 0, 1)  # … 不适用项 0, 无法调查项 1
    assert rows["解放路站"][12] == 1 and rows["解放路站"][14] == 0
    ranking = list(wb["单位排名"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[1], r[4], r[5]) for r in ranking] == [(1, "城管局", 70, 70), (1, "环卫公司", 70, 70),
                                                           (3, "向阳街道", 152.5, 200), (4, "朝阳街道", 55, 80)]
    dims = list(wb["失分(维度)"].iter_rows(min_row=2, values_only=True))
    assert [(d[0], d[1], d[3]) for d in dims] == [("环境卫生", 37.5, 3), ("基础设施", 20, 1), ("公共秩序", 15, 1),
                                                  ("宣传氛围", 0, 0)]
    items = list(wb["失分(条目)"].iter_rows(min_row=2, values_only=True))
    assert [(i[1], i[2], i[5], i[7], i[8]) for i in items] == [
        ("B2", "候车亭设施完好", 20, 1, 3), ("F1", "地面无垃圾", 20, 1, 1), ("B1", "站牌整洁无小广告", 17.5, 2, 4),
        ("B4", "候车秩序良好", 15, 1, 4), ("B3", "公益广告规范", 0, 0, 2), ("F2", "公益广告张贴", 0, 0, 1)]
    findings = list(wb["问题清单"].iter_rows(min_row=2, max_row=6, values_only=True))
    assert [(f[0], f[1], f[2], f[4], f[7]) for f in findings] == [
        (f["unit_name"], f["case_number"], "待派遣", f["item_code"], f["loss"]) for f in api["findings"]]
    # The printable page: the same figures, user text escaped, the failed item's photo inline.
    page = report(client, city["office"], city["rid"], ".html")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    text = page.text
    # 76.3 %: the third unit's 0.7625 rounded half up, as by hand (formatting the float gave 76.2 %).
    for needle in ("得分率 <b>82.7%</b>", "应得分 <b>420.0</b>", "扣分 <b>72.5</b>", "<td>76.3%</td>",
                   "不适用项 <b>2</b> 个、无法调查项 <b>1</b> 个",
                   # 公交站台 row: 4 evaluated, 0 unable, 320, 52.5, 267.5, 83.6 %, mean 85.3 %, n/a 2, unable 1
                   "<td>320.0</td><td>52.5</td><td>267.5</td><td>83.6%</td><td>85.3%</td><td>2</td><td>1</td>",
                   "装修&lt;i&gt;闭店&lt;/i&gt;", *(f["case_number"] for f in api["findings"])):
        assert needle in text, needle
    # Every item in the loss table, those that held with 0 lost: B3 公益广告规范 too.
    assert "<td>B3</td><td class=\"l\">公益广告规范</td><td>宣传氛围</td><td>0.0</td><td>0.0%</td><td>0</td><td>2</td>" in text
    assert text.count('src="data:image/') == 1  # 人民路站 B2's photo; the others needed none
    assert "<script" not in text


def test_a_unit_sees_nothing_before_publication_then_its_own_sites_and_findings(client, db, city):
    rid, office = city["rid"], city["office"]
    for fmt in ("", ".xlsx", ".html"):
        assert report(client, city["staff_a"], rid, fmt).status_code == 404
    findings = report(client, office, rid).json()["findings"]
    # 四不两直: a finding of an unpublished round is not dispatched (and is marked so in triage).
    tid = findings[0]["ticket_id"]
    detail = client.get(f"/api/tickets/{tid}", headers=office).json()
    assert detail["awaiting_round"] is True and "dispatch" not in detail["allowed_actions"]
    assert detail["origin"] == {"round_id": rid, "round_name": "第49周模拟测评", "round_published": False,
                                "site_id": city["sites"]["s3"], "site_name": "东门菜场", "item_code": "F1",
                                "item_text": "地面无垃圾", "item_text_en": "", "occurrences": 2}
    listed = client.get("/api/tickets", headers=office, params={"status": "reported"}).json()["items"]
    assert {t["id"] for t in listed if t["awaiting_round"]} == {f["ticket_id"] for f in findings}
    res = client.post(f"/api/tickets/{tid}/dispatch", headers=office,
                      json={"action_id": str(uuid.uuid4()), "unit_id": city["units"]["A"].id})
    assert (res.status_code, res.json()["error"]["code"]) == (409, "round_not_published")
    assert client.get(f"/api/tickets/{tid}", headers=office).json()["status"] == "reported"  # nothing written
    for staff in ("staff_a", "staff_b"):
        assert client.get("/api/tickets", headers=city[staff]).json()["items"] == []
    # Before publication an inspector's report of the sites assigned to them ranks no one: ranks are the office's.
    early = report(client, city["insp"], rid).json()
    assert (early["ranking"], early["unranked"], early["ranked_units"]) == ([], [], None)
    assert "发布前不排名" in early["formulas"]["ranking"]["zh"]
    _move(client, office, rid, "closed", "published")
    # After publication: dispatchable (this round did not dispatch on publish), and each unit sees its own only.
    res = client.post(f"/api/tickets/{tid}/dispatch", headers=office,
                      json={"action_id": str(uuid.uuid4()), "unit_id": city["units"]["A"].id})
    assert res.status_code == 200, res.text
    mine = report(client, city["staff_a"], rid).json()
    assert mine["complete"] is False
    assert {s["site_name"] for s in mine["sites"]} == {"人民路站", "东门菜场"}
    assert _group(mine["total"])[1:] == (2, 0, 200, 47.5, 152.5)
    # Its rank is the whole round's (3rd of the office's ranking), not first among its own sites, which it always was.
    whole = report(client, office, rid).json()
    assert [(u["rank"], u["unit_name"]) for u in mine["ranking"]] == \
        [(u["rank"], u["unit_name"]) for u in whole["ranking"] if u["unit_name"] == "向阳街道"] == [(3, "向阳街道")]
    assert mine["ranked_units"] == whole["ranked_units"] == len(whole["ranking"])
    assert f"共 {len(whole['ranking'])} 个单位参与排名" in mine["formulas"]["ranking"]["zh"]
    # Its lost-point shares are of its own lost points, and say so (the round's words said "÷ 本轮总失分").
    assert round(sum(d["share"] for d in mine["dimensions"]), 6) == 1.0
    assert "你可见点位的总失分" in mine["formulas"]["dimension_loss"]["zh"]
    assert "本轮总失分" in whole["formulas"]["dimension_loss"]["zh"]
    sheet = load_workbook(io.BytesIO(report(client, city["staff_a"], rid, ".xlsx").content))["单位排名"]
    assert [r[:2] for r in sheet.iter_rows(min_row=2, values_only=True)] == [(3, "向阳街道")]
    assert {f["item_code"] for f in mine["findings"]} == {"F1", "B1", "B2"}
    # Only F1 is dispatched to 向阳街道: B1 and B2 are still in triage, their case numbers not the unit's to see.
    assert {f["item_code"]: (f["case_number"], f["status"]) for f in mine["findings"]} == {
        "F1": (findings[0]["case_number"], "dispatched"), "B1": (None, None), "B2": (None, None)}
    assert mine["progress"] == {"total": 3, "closed": 0, "cancelled": 0, "undispatched": 2, "open": 3, "rate": 0.0}
    assert {f["unit_name"] for f in report(client, city["staff_b"], rid).json()["findings"]} == {"朝阳街道"}
    seen = client.get(f"/api/tickets/{tid}", headers=city["staff_a"]).json()
    assert seen["origin"]["site_name"] == "东门菜场" and seen["origin"]["round_published"] is True
    wb = load_workbook(io.BytesIO(report(client, city["staff_a"], rid, ".xlsx").content))
    assert {r[1] for r in wb["点位得分"].iter_rows(min_row=2, values_only=True)} == {"人民路站", "东门菜场"}
    assert "解放路站" not in report(client, city["staff_a"], rid, ".html").text
    # The inspector sees the sites assigned to them (all six here); the leader all.
    seen = report(client, city["insp"], rid).json()
    assert len(seen["sites"]) == 6 and seen["complete"] is False  # only the office is told a round is whole
    assert seen["ranking"] == whole["ranking"]
    assert report(client, city["leader"], rid).status_code == 200


def test_a_followup_shows_each_item_s_change_and_pending_sites_apart(client, db, city):
    rid, office, insp, ids = city["rid"], city["office"], city["insp"], city["sites"]
    _move(client, office, rid, "closed", "published")
    res = client.post(f"/api/evaluation/rounds/{rid}/followup", headers=office, json=WINDOW)
    assert res.status_code == 201, res.text
    fid = res.json()["id"]
    _move(client, office, fid, "active")
    photo = upload_photo(client, insp)["id"]
    # s1: B1 fixed, B2 still failing, B3 newly failing (×1 → 4), B4 still passing; s2: B1 fixed, B4 无法调查 now
    # (fail → unable), B2 still n/a; s3 无法调查 now; s4 evaluated now, all passing; s5 and s6 not submitted yet.
    _submit(client, insp, fid, ids["s1"], _answers(BUS_CODES, {"B2": 1, "B3": 1}, photos={"B2": [photo]}))
    _submit(client, insp, fid, ids["s2"], _answers(BUS_CODES, na={"B2"}, unable={"B4": "候车区施工围挡"}))
    _submit(client, insp, fid, ids["s3"], unable="拒绝进入")
    _submit(client, insp, fid, ids["s4"], _answers(MARKET_CODES))
    r = report(client, office, fid).json()
    assert r["sites_pending"] == 2
    assert {s["site_name"] for s in r["sites"] if s["status"] == "pending"} == {"中山路站", "北站"}
    # s1 100 − 24 = 76, s2 10 + 30 = 40 (B2 n/a, B4 unable), s4 100: 216 of 240.
    assert _group(r["total"])[1:] == (3, 1, 240, 24, 216)
    assert (r["total"]["na_items"], r["total"]["unable_items"]) == (1, 1)
    rv = r["review"]
    assert rv["of_round_id"] == rid
    assert {k: v for k, v in rv["counts"].items() if v} == {"fixed": 2, "still_failing": 1, "newly_failing": 1,
                                                             "still_passing": 2, "still_na": 1, "fail_to_unable": 1}
    assert {k: v for k, v in rv["site_counts"].items() if v} == {"compared": 2, "unable_before": 1,
                                                                  "unable_after": 1, "not_rechecked": 2}
    assert sorted((c["site_name"], c["item_code"], c["change"]) for c in rv["changes"]) == [
        ("人民路站", "B1", "fixed"), ("人民路站", "B2", "still_failing"), ("人民路站", "B3", "newly_failing"),
        ("解放路站", "B1", "fixed"), ("解放路站", "B4", "fail_to_unable")]
    wb = load_workbook(io.BytesIO(report(client, office, fid, ".xlsx").content))
    changes = list(wb["回头看"].iter_rows(min_row=2, max_row=6, values_only=True))
    assert sorted((c[0], c[2], c[4]) for c in changes) == [
        ("人民路站", "B1", "已整改"), ("人民路站", "B2", "仍未整改"), ("人民路站", "B3", "新增问题"),
        ("解放路站", "B1", "已整改"), ("解放路站", "B4", "不达标→无法调查")]
    assert "已整改 <b>2</b> 项，仍未整改 <b>1</b> 项，新增问题 <b>1</b> 项" in report(client, office, fid, ".html").text


def test_publishing_a_round_that_dispatches_on_publish_sends_every_finding_to_its_site_s_unit(client, db, city):
    rid, office = city["rid"], city["office"]
    # The fixture's round does not dispatch on publish: make a second round that does, over s1 and s2.
    res = client.post("/api/evaluation/rounds", headers=office,
                      json={"name": "直接交办", "site_ids": [city["sites"]["s1"], city["sites"]["s2"]],
                            "inspector_ids": [city["insp_user"].id], "dispatch_on_publish": True} | WINDOW)
    assert res.status_code == 201 and res.json()["dispatch_on_publish"] is True
    did = res.json()["id"]
    # 向阳街道's work group hears of each dispatch (a channel of the unit), in bulk as by hand.
    admin = login(client, make_user(db, Role.admin))
    res = client.post("/api/notifications/channels", headers=admin,
                      json={"name": "向阳街道工作群", "unit_id": city["units"]["A"].id, "kind": "webhook",
                            "url": "http://127.0.0.1:9/xuncha/events"})
    assert res.status_code == 201, res.text
    _move(client, office, did, "active")
    _submit(client, city["insp"], did, city["sites"]["s1"], _answers(BUS_CODES, {"B1": 1}))
    _submit(client, city["insp"], did, city["sites"]["s2"], _answers(BUS_CODES, {"B4": 2}))
    findings = report(client, office, did).json()["findings"]
    # One finding cancelled by the office meanwhile is left as it is.
    cancel = client.post(f"/api/tickets/{findings[1]['ticket_id']}/cancel", headers=office,
                         json={"action_id": str(uuid.uuid4()), "reason": "重复"})
    assert cancel.status_code == 200, cancel.text
    _move(client, office, did, "closed", "published")
    after = report(client, office, did).json()
    assert [(f["unit_name"], f["status"]) for f in after["findings"]] == [("向阳街道", "dispatched"),
                                                                         ("朝阳街道", "cancelled")]
    assert after["progress"] == {"total": 2, "closed": 0, "cancelled": 1, "undispatched": 0, "open": 1, "rate": 0.0}
    t = client.get(f"/api/tickets/{findings[0]['ticket_id']}", headers=city["staff_a"]).json()
    assert t["status"] == "dispatched" and t["unit_name"] == "向阳街道" and t["deadline_at"] is not None
    assert [e["action"] for e in t["events"]] == ["dispatch"]
    assert "直接交办" in t["events"][0]["note"]
    # The other round's findings stayed for triage.
    assert {f["status"] for f in report(client, office, rid).json()["findings"]} == {"reported"}
    # Dispatched in bulk, yet as the dispatch action does it: compare with one of the other round's findings
    # dispatched by hand to the same unit (same category, so the same deadline rule).
    _move(client, office, rid, "closed", "published")
    by_hand = next(f for f in report(client, office, rid).json()["findings"] if f["site_name"] == "人民路站")
    res = client.post(f"/api/tickets/{by_hand['ticket_id']}/dispatch", headers=office,
                      json={"action_id": str(uuid.uuid4()), "unit_id": city["units"]["A"].id})
    assert res.status_code == 200, res.text
    bulk, hand = (_written(db, uuid.UUID(f["ticket_id"])) for f in (findings[0], by_hand))
    assert bulk.pop("note") == "实地测评「直接交办」发布，问题直接交办"
    hand.pop("note")
    assert bulk == hand
    assert bulk["notified"] == [("dispatched", city["staff_a_user"].id)] and bulk["reminders"]
    assert bulk["delivered"] == [("dispatched", "queued")]


@pytest.mark.parametrize("role", [Role.leader, Role.admin])
def test_a_leader_or_admin_publishing_a_round_that_dispatches_on_publish_dispatches_its_findings(client, db, city,
                                                                                                 role):
    """Any office role may publish a round; its 直接交办 was decided when the round was made, so publishing it
    dispatches the findings whoever publishes (a leader's 发布 once answered 403: only dispatchers dispatch)."""
    office = city["office"]
    res = client.post("/api/evaluation/rounds", headers=office,
                      json={"name": "领导发布", "site_ids": [city["sites"]["s1"]], "inspector_ids": [city["insp_user"].id],
                            "dispatch_on_publish": True} | WINDOW)
    assert res.status_code == 201, res.text
    did = res.json()["id"]
    _move(client, office, did, "active")
    _submit(client, city["insp"], did, city["sites"]["s1"], _answers(BUS_CODES, {"B1": 1}))
    _move(client, office, did, "closed")
    publisher = make_user(db, role)
    res = client.post(f"/api/evaluation/rounds/{did}/transition", headers=login(client, publisher),
                      json={"to": "published"})
    assert res.status_code == 200, res.text
    (finding,) = report(client, office, did).json()["findings"]
    assert finding["status"] == "dispatched"
    t = client.get(f"/api/tickets/{finding['ticket_id']}", headers=office).json()
    assert [(e["action"], e["actor_id"]) for e in t["events"]][-1] == ("dispatch", publisher.id)


def _written(db, ticket_id):
    """What a dispatch wrote for a ticket, with its times relative to the dispatch's."""
    from app.jobs.models import Job
    from app.notifications.models import Delivery, Notification
    from app.tickets.models import Ticket, TicketAssignment, TicketEvent

    db.expire_all()
    t = db.get(Ticket, ticket_id)
    (e,) = db.exec(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id,
                                          TicketEvent.action == "dispatch")).all()
    jobs = [j for j in db.exec(select(Job)).all() if j.payload.get("ticket_id") == str(ticket_id)]
    return {"status": t.status, "unit": t.unit_id, "deadline": t.deadline_at - e.at,
            "office_deadline": t.office_deadline_at - e.at, "dispatched_at": t.dispatched_at == e.at,
            "first_dispatched_at": t.first_dispatched_at == e.at, "note": e.note,
            "event": (e.action, e.from_status, e.to_status, e.unit_id, e.deadline_at - e.at, e.action_id is not None,
                      e.request_hash is not None),
            "assignments": [(a.unit_id, a.first_dispatched_at == e.at) for a in db.exec(
                select(TicketAssignment).where(TicketAssignment.ticket_id == ticket_id)).all()],
            "notified": [(n.kind, n.user_id) for n in db.exec(select(Notification).where(
                Notification.ticket_id == ticket_id)).all()],
            "reminders": sorted((j.payload["threshold"], j.run_after - e.at) for j in jobs),
            "delivered": [(d.kind, d.state) for d in db.exec(select(Delivery).where(Delivery.ticket_id == ticket_id))
                          .all()]}


def test_bad_report_requests_are_4xx(client, city):
    assert report(client, city["office"], 999999).status_code == 404
    assert report(client, city["office"], "x").status_code == 422
    assert report(client, {}, city["rid"]).status_code == 401


def test_the_report_is_a_few_queries_whatever_the_number_of_sites(client, db, city):
    from sqlalchemy import event

    from app.core.db import get_engine

    counted = []

    def count(*_a, **_k):
        counted.append(1)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert report(client, city["office"], city["rid"]).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(counted) <= 15, len(counted)
    assert db.exec(select(EvalChecklistItem)).first() is not None


def test_a_round_name_with_line_breaks_or_quotes_still_downloads(client, db, city):
    """The workbook is named after the round in its Content-Disposition header, which can hold no CR or LF (the
    server drops the connection) and whose quoted ASCII name must not be cut short by a quote. The API takes
    no line break in a name any more; a round named before that still has to download."""
    body = {"name": '第49周"模拟";测评', "site_ids": [city["sites"]["s1"]]} | WINDOW
    r = client.post("/api/evaluation/rounds", headers=city["office"], json=body)
    assert r.status_code == 201, r.text
    stored = db.get(EvalRound, r.json()["id"])
    stored.name = '第49周\r\n"模拟";测评'
    db.add(stored)
    db.commit()
    res = report(client, city["office"], r.json()["id"], ".xlsx")
    assert res.status_code == 200
    disposition = res.headers["content-disposition"]
    assert "\r" not in disposition and "\n" not in disposition and disposition.count('"') == 2, disposition


def test_an_inspector_not_sent_to_a_site_sees_nothing_of_its_findings_before_publication(client, db, city):
    """四不两直: an inspector sees only the sites of a round they were sent to (app/evaluation/access.py), and so
    none of the findings elsewhere while the round is under way: not in a list, a detail, a photo or a map.
    Once published, they are tickets like any other."""
    rid, office = city["rid"], city["office"]
    findings = {f["ticket_id"] for f in report(client, office, rid).json()["findings"]}
    details = [client.get(f"/api/tickets/{tid}", headers=office).json() for tid in findings]
    thumbs = [p["urls"]["thumb"] for d in details for p in d["photos"]]
    assert len(findings) == 5 and thumbs
    other = login(client, make_user(db, Role.inspector))
    patrol = upload_photo(client, other)["id"]  # the patrol goes on: a report of theirs they still see
    # … at the very spot and of the category of a finding: a possible duplicate of it, which only whoever may see
    # the finding may learn of (a count of 1 and has_duplicates=true told the other inspector it was there).
    spot = {k: details[0][k] for k in ("category_code", "lat", "lng")}
    mine = client.post("/api/tickets", headers=other, json=report_body([patrol], **spot)).json()["id"]

    def seen(h) -> set[str]:
        items = client.get("/api/tickets", headers=h, params={"limit": 200}).json()["items"]
        points = client.get("/api/stats/open-points", headers=h).json()
        return {t["id"] for t in items} | {p["id"] for p in points}

    def duplicates_of_mine(h) -> tuple[int, bool]:
        items = client.get("/api/tickets", headers=h, params={"limit": 200}).json()["items"]
        flagged = client.get("/api/tickets", headers=h, params={"limit": 200, "has_duplicates": True}).json()
        return next(t["possible_duplicate_count"] for t in items if t["id"] == mine), \
            mine in {t["id"] for t in flagged["items"]}

    assert seen(other) & findings == set() and mine in seen(other)
    assert duplicates_of_mine(other) == (0, False)
    near = duplicates_of_mine(office)  # the findings of that site and category
    assert near[0] >= 1 and near[1] and duplicates_of_mine(city["insp"]) == near
    assert findings <= seen(city["insp"])  # the evaluator sent there
    for tid in findings:
        assert client.get(f"/api/tickets/{tid}", headers=other).status_code == 404
        assert client.get(f"/api/tickets/{tid}", headers=city["insp"]).status_code == 200
    for thumb in thumbs:
        assert client.get(thumb, headers=other).status_code == 404
        assert client.get(thumb, headers=city["insp"]).status_code == 200
    _move(client, office, rid, "closed", "published")
    assert findings <= seen(other)
    assert duplicates_of_mine(other) == near
    assert all(client.get(thumb, headers=other).status_code == 200 for thumb in thumbs)


def test_a_site_handed_to_another_unit_after_publication_does_not_rewrite_the_round(client, city):
    """Published, a round's results count for the units its sites had then: 人民路站 handed from 向阳街道 to
    朝阳街道 later moves neither its published score in the ranking nor who may read its result. Before
    publication the site's unit as it is counts."""
    rid, office, sites, units = city["rid"], city["office"], city["sites"], city["units"]
    result = f"/api/evaluation/rounds/{rid}/sites/{sites['s1']}/result"

    def move_s1(unit) -> None:
        r = client.patch(f"/api/evaluation/sites/{sites['s1']}", headers=office, json={"unit_id": unit.id})
        assert r.status_code == 200, r.text

    move_s1(units["B"])  # under way: the site's unit now counts …
    move_s1(units["A"])  # … and back before publication
    _move(client, office, rid, "closed", "published")
    before = report(client, office, rid).json()
    move_s1(units["B"])
    after = report(client, office, rid).json()
    assert after["ranking"] == before["ranking"] and after["total"] == before["total"]
    assert {s["site_name"]: s["unit_name"] for s in after["sites"]}["人民路站"] == "向阳街道"
    assert client.get(result, headers=city["staff_a"]).status_code == 200
    assert client.get(result, headers=city["staff_b"]).status_code == 404
    mine = {s["site_name"] for s in report(client, city["staff_b"], rid).json()["sites"]}
    assert "人民路站" not in mine and "解放路站" in mine
    detail = client.get(f"/api/evaluation/rounds/{rid}", headers=office).json()
    assert {s["site"]["name"]: s["site"]["unit_id"] for s in detail["sites"]}["人民路站"] == units["A"].id
