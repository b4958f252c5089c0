"""The bulletin (Excel, printable A4) and the 督办通知书: same numbers as the API, photos inline and private."""

import html
import io
import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook, load_workbook

from app.core.types import clock_at, utcnow
from app.photos import service as photos_service
from app.stats.exports import _append
from app.tickets import actions as tickets_actions
from app.tickets.models import Ticket
from app.tickets.schemas import CancelIn, DispatchIn, RectifyIn, TicketCreate, VerifyIn
from app.users.roles import Role
from tests.conftest import login, make_unit, make_user
from tests.fixtures.images import make_jpeg
from tests.stats.cases import WEEK_ON, build_city

UNIT_FIELDS = ["reported", "handed_over", "handed_over_voided", "dispatched", "due", "closed", "closed_on_time",
               "closed_late", "overdue_unclosed", "rectified", "reworked", "rework_times", "overdue", "overdue_now",
               "returned", "cancelled", "closure_rate", "on_time_rate", "rectification_rate", "rework_rate",
               "extended", "suspended", "voided", "extension_rate", "return_rate", "suspension_rate", "void_rate",
               "urged", "supervised", "dispatched_on_time", "dispatch_on_time_rate", "verified", "verified_on_time",
               "verify_on_time_rate"]
# The office's figures of week W, counted by hand in tests/stats/test_metrics.py (EXPECTED_NEW, EXPECTED_RATES):
# 应结案 = closed + overdue unclosed; 超期结案 t2 t3 (A), t17 (C); 超期未结案 t4 (B), t12 (C); 返工次数 t3 1 (A),
# t5 1 (B), t17 2 (C).
#          交办 其中作废 应结案 结案 按期 超期结案 超期未结案 返工案件 返工次数 结案率 按期结案率 整改率 返工率
BY_HAND = {
    "A 区":   (3, 0, 3, 3, 1, 2, 0, 1, 1, 3 / 3, 1 / 3, 3 / 3, 1 / 3),
    "A1 街道": (1, 0, 1, 1, 1, 0, 0, 0, 0, 1 / 1, 1 / 1, 1 / 1, 0 / 1),
    "B 局":   (2, 0, 1, 0, 0, 0, 1, 1, 1, 0 / 1, 0 / 1, 0 / 2, 1 / 1),
    "C 局":   (4, 1, 3, 2, 1, 1, 1, 1, 2, 2 / 3, 1 / 3, 2 / 3, 2 / 3),
    "合计":   (10, 1, 8, 6, 3, 3, 2, 3, 4, 6 / 8, 3 / 8, 6 / 9, 4 / 8),
}
BY_HAND_HEADERS = ("交办数", "其中作废", "应结案数", "结案数", "按期结案数", "超期结案数", "超期未结案数", "返工案件数",
                   "返工次数", "结案率", "按期结案率", "整改率", "返工率")


def test_excel_bulletin_has_the_api_numbers(client, db):
    city = build_city(db)
    h = login(client, city.users["leader"])
    r = client.get("/api/stats/bulletin.xlsx", params={"on": WEEK_ON}, headers=h)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in r.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    # One ranking sheet per group of unit kinds: B, C are departments, A, A1 a district and its street office.
    assert wb.sheetnames == ["单位指标", "超期案件", "职能部门红黑榜", "属地红黑榜", "合计及环比", "单位环比", "按问题大类",
                             "按区", "按网格", "按测评点位类型", "说明"]

    summary = client.get("/api/stats/summary", params={"on": WEEK_ON}, headers=h).json()
    ws = wb["单位指标"]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    # the units, the tickets at no unit (t7 不予立案, t11 never dispatched), 合计
    assert [row[0] for row in rows][-2:] == ["暂无责任单位（待派遣、待改派、不予立案）", "合计"]
    assert len(rows) == len(summary["units"]) + 2
    by_name = {row[0]: row for row in rows}
    for m in [*summary["units"], summary["unassigned"], {**summary["total"], "unit_name": "合计"}]:
        n = len(UNIT_FIELDS)
        assert list(by_name[m["unit_name"]][1:n + 1]) == [m[f] for f in UNIT_FIELDS]
        assert by_name[m["unit_name"]][n + 1] == m["hours_report_dispatch"]["p50"]
    assert ws.cell(row=4 + len(summary["units"]), column=18).number_format == "0.0%"  # 结案率
    assert ws.cell(row=4 + len(summary["units"]), column=21).number_format == "0.00%"  # 返工率 (0.53 %)

    overdue = client.get("/api/tickets", params={"overdue": "true", "sort": "deadline_at"}, headers=h).json()
    assert [row[0] for row in wb["超期案件"].iter_rows(min_row=2, values_only=True)] == \
        [t["case_number"] for t in overdue["items"]]

    ranking = client.get("/api/stats/ranking", params={"on": WEEK_ON}, headers=h).json()
    for group, sheet in zip(ranking["groups"], ["职能部门红黑榜", "属地红黑榜"], strict=True):
        ws = wb[sheet]
        assert group["name"] in ws["A1"].value and ws["A2"].value == "名次"
        assert [c.value for c in ws[2]][3:8] == ["应结案数", "结案数", "结案率", "按期结案率", "超期未结案数"]
        got = [(row[0], row[1], row[2], row[3], row[5], row[7], row[8], row[9])
               for row in ws.iter_rows(min_row=3, values_only=True)]
        assert got == [(x["rank"], x["unit_name"], {"red": "红榜", "black": "黑榜"}[x["list"]], x["due"],
                        x["closure_rate"], x["overdue_unclosed"], x["prev_rank"], x["movement"])
                       for x in group["rows"]]
    assert "分组排名" in [row[0] for row in wb["说明"].iter_rows(values_only=True)]


def test_excel_and_printout_show_the_office_figures_counted_by_hand(client, db):
    city = build_city(db)
    h = login(client, city.users["leader"])
    wb = load_workbook(io.BytesIO(client.get("/api/stats/bulletin.xlsx", params={"on": WEEK_ON}, headers=h).content))
    ws = wb["单位指标"]
    header = [c.value for c in ws[2]]
    cols = [header.index(name) for name in BY_HAND_HEADERS]
    rows = {row[0]: row for row in ws.iter_rows(min_row=3, values_only=True)}
    for name, expected in BY_HAND.items():
        assert tuple(rows[name][i] for i in cols) == pytest.approx(expected), name
    sheet = {row[0]: row[1] for row in wb["说明"].iter_rows(min_row=2, values_only=True)}
    assert sheet["应结案数"].startswith("应结案数 = 派遣数中已结案或考核时限已到的案件数")
    assert sheet["返工率"] == "返工率 = 返工次数 ÷ 应结案数"
    assert "返工重新给出的时限不改变考核时限" in sheet["考核时限"]
    assert sheet["排名规则"].startswith("按结案率从高到低排名")
    # The 超期案件 sheet is the city's overdue list when the figures were taken, not the period's own: said so.
    assert "不限本期派遣" in sheet["超期案件"] and "当前超期" in sheet["超期案件"]

    page = client.get("/api/stats/bulletin.html", params={"on": WEEK_ON}, headers=h).text
    # Headline: 交办 10 (作废 1), 应结案 8, 结案 6 = 按期 3 + 超期 3, 超期未结案 2; 6/8, 3/8, 6/9, 4/8
    for text in ("交办 <b>10</b> 件（其中作废 1 件）", "应结案 <b>8</b> 件", "已结案 <b>6</b> 件",
                 "按期结案 <b>3</b> 件", "超期结案 <b>3</b> 件", "超期未结案 <b>2</b> 件", "结案率 <b>75.0%</b>",
                 "按期结案率 <b>37.5%</b>", "整改率 <b>66.7%</b>", "返工率 <b>50.00%</b>（返工 4 次，涉及 3 件）"):
        assert text in page, text
    # Unit table: 单位 发现 交办 应结案 结案 按期 超期结案 超期未结案 返工次数 返工案件 … 结案率 按期结案率 整改率 返工率
    units = re.search(r"<table class='units'>(.*?)</table>", page, re.S).group(1)
    cells = {m.group(1): re.findall(r"<td>([^<]*)</td>", m.group(2))
             for m in re.finditer(r"<tr><td class='l'>([^<]*)</td>(.*?)</tr>", units)}
    assert cells["C 局"][1:8] == ["4", "3", "2", "1", "1", "1", "2"]  # 交办 应结案 结案 按期 超期结案 超期未结案 返工次数
    assert cells["C 局"][-4:] == ["66.7%", "33.3%", "66.7%", "66.67%"]
    assert cells["合计"][1:9] == ["10", "8", "6", "3", "3", "2", "4", "3"]
    # 发现 adds up: A 4 + A1 0 + B 2 + C 4 + at no unit 2 (t7 t11) = 12
    assert [cells[n][0] for n in ("A 区", "A1 街道", "B 局", "C 局", "暂无责任单位（待派遣、待改派、不予立案）", "合计")] == \
        ["4", "0", "2", "4", "2", "12"]
    assert cells["合计"][-4:] == ["75.0%", "37.5%", "66.7%", "50.00%"]
    # Red/black list by 结案率 (应结案, 结案, 结案率, 按期结案率, 超期未结案): A 3 3 100 % 33.3 % 0; B 1 0 0 % 0 % 1
    assert "A 区</td><td>3</td><td>3</td><td>100.0%</td><td>33.3%</td><td>0</td>" in page
    assert "B 局</td><td>1</td><td>0</td><td>0.0%</td><td>0.0%</td><td>1</td>" in page


def _overdue_ticket_with_photos(db, description="垃圾满溢<script>"):
    """A ticket reported and dispatched two days ago with a one-hour deadline, rectified once and sent back."""
    unit = make_unit(db, "测试街道")
    inspector, dispatcher = make_user(db, Role.inspector), make_user(db, Role.dispatcher)
    staff = make_user(db, Role.unit_staff, unit)
    t0 = utcnow() - timedelta(days=2)
    with clock_at(t0):
        pid = uuid.uuid4()
        photos_service.upload(db, inspector, pid, make_jpeg(640, 480, lat=30.27, lng=120.15))
        db.commit()  # services only flush: the caller commits
        t, _ = tickets_actions.report(db, inspector, TicketCreate(
            id=uuid.uuid4(), category_code="06010", description=description, lat=30.27, lng=120.15,
            photo_ids=[pid]))
        db.commit()  # services only flush: the caller commits
        tickets_actions.dispatch(db, dispatcher, t.id, DispatchIn(action_id=uuid.uuid4(), unit_id=unit.id))
        db.commit()  # services only flush: the caller commits
    with clock_at(t0 + timedelta(hours=1)):
        after = uuid.uuid4()
        photos_service.upload(db, staff, after, make_jpeg(640, 480))
        db.commit()  # services only flush: the caller commits
        tickets_actions.rectify(db, staff, t.id, RectifyIn(action_id=uuid.uuid4(), note="已清理", photo_ids=[after]))
        db.commit()  # services only flush: the caller commits
    with clock_at(t0 + timedelta(hours=2)):
        tickets_actions.verify(db, inspector, t.id, VerifyIn(action_id=uuid.uuid4(), passed=False, note="未清理干净",
                                                             deadline=t0 + timedelta(hours=3)))
        db.commit()  # services only flush: the caller commits
    return t, unit, staff, dispatcher


def test_typed_formulas_stay_text_in_the_excel_bulletin(client, db):
    evil = '=HYPERLINK("http://evil.example","点我")'
    t, _unit, _staff, dispatcher = _overdue_ticket_with_photos(db, description=evil)
    r = client.get("/api/stats/bulletin.xlsx", headers=login(client, dispatcher))
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value == evil]
    assert cells, "the description is in the overdue sheet"
    # Text, and quote-prefixed: typed in again, copied on or saved as CSV it stays text (it turned back into a
    # live formula on F2 + Enter).
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)


def test_every_formula_start_is_quote_prefixed_and_nothing_else():
    wb = Workbook()
    values = ["=1+1", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "向阳街道", "↓1", "a=b", 5, -3, None]
    cells = _append(wb.active, values)
    assert [c.quotePrefix for c in cells] == [True] * 5 + [False] * 6
    assert all(c.data_type == "s" for c in cells[:5]) and cells[8].data_type == "n" and cells[9].value == -3
    saved = io.BytesIO()
    wb.save(saved)
    again = load_workbook(io.BytesIO(saved.getvalue())).active
    assert [c.value for c in again[1][:5]] == values[:5] and all(c.quotePrefix for c in again[1][:5])


def test_printable_bulletin_embeds_before_and_after_thumbnails(client, db):
    t, unit, staff, dispatcher = _overdue_ticket_with_photos(db)
    h = login(client, dispatcher)
    r = client.get("/api/stats/bulletin.html", headers=h)
    assert r.status_code == 200, r.text
    page = r.text
    assert "@page { size: A4" in page and t.case_number in page
    assert len(re.findall(r'src="data:image/jpeg;base64,', page)) == 2  # before and after
    assert "/api/photos/" not in page  # no photo URL leaks into a printed page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert client.get("/api/stats/bulletin.html").status_code == 401


def test_notice_follows_ticket_visibility(client, db):
    t, unit, staff, dispatcher = _overdue_ticket_with_photos(db)
    other = make_user(db, Role.unit_staff, make_unit(db, "别的单位"))
    r = client.get(f"/api/stats/notice/{t.id}.html", headers=login(client, dispatcher))
    assert r.status_code == 200
    for text in ("督 办 通 知 书", t.case_number, unit.name, "已超期"):
        assert text in r.text
    assert 'src="data:image/jpeg;base64,' in r.text
    assert client.get(f"/api/stats/notice/{t.id}.html", headers=login(client, staff)).status_code == 200
    assert client.get(f"/api/stats/notice/{t.id}.html", headers=login(client, other)).status_code == 404


def _closed_and_cancelled(db):
    """A ticket closed after one rectification, and a report cancelled as invalid."""
    unit = make_unit(db, "结案街道")
    inspector, dispatcher = make_user(db, Role.inspector), make_user(db, Role.dispatcher)
    staff = make_user(db, Role.unit_staff, unit)
    made = []
    for _ in range(2):
        pid = uuid.uuid4()
        photos_service.upload(db, inspector, pid, make_jpeg(640, 480, lat=30.27, lng=120.15))
        db.commit()  # services only flush: the caller commits
        t, _ = tickets_actions.report(db, inspector, TicketCreate(
            id=uuid.uuid4(), category_code="06010", description="垃圾", lat=30.27, lng=120.15, photo_ids=[pid]))
        db.commit()  # services only flush: the caller commits
        made.append(t)
    closed, cancelled = made
    tickets_actions.dispatch(db, dispatcher, closed.id, DispatchIn(action_id=uuid.uuid4(), unit_id=unit.id))
    db.commit()  # services only flush: the caller commits
    after = uuid.uuid4()
    photos_service.upload(db, staff, after, make_jpeg(640, 480))
    db.commit()  # services only flush: the caller commits
    tickets_actions.rectify(db, staff, closed.id, RectifyIn(action_id=uuid.uuid4(), note="已清理", photo_ids=[after]))
    db.commit()  # services only flush: the caller commits
    tickets_actions.verify(db, inspector, closed.id, VerifyIn(action_id=uuid.uuid4(), passed=True))
    db.commit()  # services only flush: the caller commits
    tickets_actions.cancel(db, dispatcher, cancelled.id, CancelIn(action_id=uuid.uuid4(), reason="不属实"))
    db.commit()  # services only flush: the caller commits
    return closed, cancelled, dispatcher


def test_no_notice_demands_rectification_of_a_closed_or_cancelled_ticket(client, db):
    closed, cancelled, dispatcher = _closed_and_cancelled(db)
    h = login(client, dispatcher)
    for t, word in ((closed, "已结案"), (cancelled, "不予立案")):
        r = client.get(f"/api/stats/notice/{t.id}.html", headers=h)
        assert r.status_code == 409, r.text
        err = r.json()["error"]
        assert err["code"] == "notice_not_applicable" and word in err["message"]


def test_notice_shows_whole_photos(client, db):
    t, _unit, _staff, dispatcher = _overdue_ticket_with_photos(db)
    page = client.get(f"/api/stats/notice/{t.id}.html", headers=login(client, dispatcher)).text
    assert "object-fit: cover" not in page and "object-fit: contain" in page


def test_printable_pages_speak_chinese_only_and_give_overdue_in_days_and_hours(client, db):
    t, _unit, _staff, dispatcher = _overdue_ticket_with_photos(db)  # deadline passed 45 hours ago
    h = login(client, dispatcher)
    for path in ("/api/stats/bulletin.html", f"/api/stats/notice/{t.id}.html"):
        page = client.get(path, headers=h).text.replace(html.escape(t.description), "")  # user text aside
        text = re.sub(r"<style>.*?</style>|<[^>]+>|data:image/[^\"]+", " ", page, flags=re.S)
        words = set(re.findall(r"[A-Za-z]{3,}", text)) - {"XC"}
        assert not words, f"English in {path}: {sorted(words)}"
    page = client.get("/api/stats/bulletin.html", headers=h).text
    assert re.search(r"已超期 1天2[01]小时", page), re.findall(r"已超期[^<）]*", page)


def test_excel_bulletin_is_chinese_with_real_dates_and_a_print_setup(client, db):
    t, _unit, _staff, dispatcher = _overdue_ticket_with_photos(db)
    r = client.get("/api/stats/bulletin.xlsx", headers=login(client, dispatcher))
    wb = load_workbook(io.BytesIO(r.content))
    deadline_at = db.get(Ticket, t.id).deadline_at
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for v in row:
                if isinstance(v, str) and v != t.description:
                    assert not re.search(r"[A-Za-z]{3,}", v.replace("XC-", "")), f"{ws.title}: {v!r}"
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1 and \
            ws.page_setup.fitToHeight == 0, ws.title
        assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4)
        assert ws.print_title_rows, f"{ws.title} repeats its header row on every printed page"
    assert wb["单位指标"].print_title_rows == "$2:$2" and wb["超期案件"].print_title_rows == "$1:$1"
    # The one unit (kind "department") with a dispatched ticket: one ranking sheet, its group's.
    assert wb.sheetnames == ["单位指标", "超期案件", "职能部门红黑榜", "合计及环比", "单位环比", "按问题大类", "按区",
                             "按网格", "按测评点位类型", "说明"]
    assert wb["职能部门红黑榜"].print_title_rows == "$2:$2"

    ws = wb["超期案件"]
    header = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == t.case_number)
    for col in ("上报时间", "派遣时间", "整改时限"):
        cell = row[header.index(col)]
        assert isinstance(cell.value, datetime), (col, cell.value)
        assert cell.is_date and "yyyy" in cell.number_format
    # Local (Asia/Shanghai) wall time, as people read it, without a time zone (Excel has none).
    deadline = row[header.index("整改时限")].value
    assert deadline.tzinfo is None
    assert abs(deadline - deadline_at.astimezone(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)) < timedelta(minutes=1)
    late = row[header.index("超期天数")]
    assert isinstance(late.value, float) and 1.8 < late.value < 1.9 and late.number_format == "0.0"
    # The same as people say it: the deadline passed 45 hours ago (46 by the time a slow run gets here).
    assert re.fullmatch(r"1天2[12]小时", row[header.index("超期时长")].value)


def test_printable_bulletin_is_a4_landscape_with_repeated_headers_and_a_table_per_group(client, db):
    city = build_city(db)
    page = client.get("/api/stats/bulletin.html", params={"on": WEEK_ON}, headers=login(client, city.users["leader"]))
    assert page.status_code == 200
    page = page.text
    css = re.search(r"<style>(.*?)</style>", page, flags=re.S).group(1)
    assert "@page { size: A4 landscape;" in css
    assert "thead { display: table-header-group; }" in css
    body = page[page.index("<body>"):]
    ranking = body[body.index("二、红黑榜"):body.index("三、")]
    # Departments first (B, C), then the district with its street office (A, A1), each its own table.
    assert re.findall(r"<h3>([^<]*)</h3>", ranking) == ["（一）职能部门", "（二）属地（区、街道）"]
    assert ranking.count("<table><thead><tr><th>名次</th><th>单位</th>") == 2
    assert ranking.index("B 局") < ranking.index("（二）") < ranking.index("A1 街道")
    assert "分别排名" in ranking
    # the total with 环比 and 累计, the two rankings, the unit table, the units' 环比, the four breakdowns
    assert body.count("<thead>") == 9


def _breakdown_sheet(ws) -> tuple[list[tuple], list[tuple]]:
    """A breakdown sheet's rows (title, header, rows … 合计), then after a blank row its 环比 table (title, header,
    rows … 合计): the two tables' data rows."""
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    blank = next(i for i, r in enumerate(rows) if all(v is None for v in r))
    return rows[:blank], rows[blank + 3:]


def test_excel_and_printout_show_change_to_date_and_breakdowns_counted_by_hand(client, db):
    """The figures of tests/stats/test_metrics.py (按时派遣 7/9, 按时核查 10/10, 环比 on week P, 本月/本年累计,
    breakdowns) in the workbook and on the printed page."""
    city = build_city(db)
    h = login(client, city.users["leader"])
    wb = load_workbook(io.BytesIO(client.get("/api/stats/bulletin.xlsx", params={"on": WEEK_ON}, headers=h).content))
    header = [c.value for c in wb["单位指标"][2]]
    total = {header[i]: v for i, v in enumerate(list(wb["单位指标"].iter_rows(min_row=3, values_only=True))[-1])}
    assert (total["单位"], total["按时派遣数"], total["核查次数"], total["按时核查数"]) == ("合计", 7, 10, 10)
    assert total["按时派遣率"] == pytest.approx(7 / 9) and total["整改→核查 中位数（小时）"] == 3.0

    ws = wb["合计及环比"]
    assert [c.value for c in ws[2]][:4] == ["指标", "本期", "上期", "环比"]
    assert ws[2][4].value.startswith("本月累计（10-01~10-11）") and ws[2][5].value.startswith("本年累计（01-01~10-11）")
    rows = {r[0]: r[1:] for r in ws.iter_rows(min_row=3, values_only=True)}
    # 发现: W 12, P 5, ↑7, 10-01…10-11 15, year 17; 派遣 9, 3, ↑6, 11, 12; 按时派遣 7, 2, ↑5, 8, 9
    assert rows["发现数"] == (12, 5, 7, 15, 17)
    assert rows["派遣数"] == (9, 3, 6, 11, 12)
    assert rows["按时派遣数"] == (7, 2, 5, 8, 9)
    assert rows["核查次数"] == (10, 1, 9, 11, 11)
    # 结案率 6/8 against P's 2/2: −25 percentage points, written as ↓25.0个百分点
    assert rows["结案率"][:3] == (0.75, 1.0, -25.0)
    cell = next(r for r in ws.iter_rows(min_row=3) if r[0].value == "结案率")[3]
    assert cell.number_format == '"↑"0.0"个百分点";"↓"0.0"个百分点";0.0"个百分点"'
    # 返工率, shown to two decimals, changes in points to two decimals beside it (it said 18.18% ↑18.2个百分点)
    cell = next(r for r in ws.iter_rows(min_row=3) if r[0].value == "返工率")[3]
    assert cell.number_format == '"↑"0.00"个百分点";"↓"0.00"个百分点";0.00"个百分点"'
    assert rows["返工率"][:3] == (0.5, 0, 50)
    assert ws.print_title_rows == "$2:$2"

    units = {r[0]: r[1:] for r in wb["单位环比"].iter_rows(min_row=3, values_only=True)}
    head = [c.value for c in wb["单位环比"][2]][1:]
    # B: dispatched 2 against P's 1 (t10) → ↑1; closed 0 against 1 → ↓1
    assert units["B 局"][head.index("派遣数")] == 1 and units["B 局"][head.index("结案数")] == -1
    assert units["合计"][head.index("发现数")] == 7

    cats, cat_change = _breakdown_sheet(wb["按问题大类"])
    assert [(r[0], r[1]) for r in cats] == [("市容环境类", 12), ("合计", 12)]
    # 环比 below: every ticket of W and P is 06, so the class's change is the total's (发现 ↑7, 派遣 ↑6)
    change_head = [c.value for c in wb["按问题大类"][len(cats) + 5]]
    assert change_head[:3] == ["问题大类", "发现数", "交办数"]
    assert [(r[0], r[change_head.index("发现数")], r[change_head.index("派遣数")]) for r in cat_change] == \
        [("市容环境类", 7, 6), ("合计", 7, 6)]
    dist, dist_change = _breakdown_sheet(wb["按区"])
    assert [(r[0], r[1], r[4]) for r in dist] == [("A 区", 4, 4), ("其他（职能部门、企业及待派遣）", 8, 5), ("合计", 12, 9)]
    # Week P by district (current units): reported A t9 (A1) t13 t16 = 3, other t10 (B) t14 (C) = 2; dispatched
    # (base) A t16 = 1 (t13 suspended, t9 is W's), other t10 t14 = 2. W: reported 4 / 8, dispatched 4 / 5.
    head = [c.value for c in wb["按区"][len(dist) + 5]]
    assert [(r[0], r[head.index("发现数")], r[head.index("派遣数")]) for r in dist_change] == \
        [("A 区", 1, 3), ("其他（职能部门、企业及待派遣）", 6, 3), ("合计", 7, 6)]
    # No grids and no evaluation rounds in this city: one "other" row each, equal to the total.
    grids, _ = _breakdown_sheet(wb["按网格"])
    assert [(r[0], r[1], r[4]) for r in grids] == [("不在网格内", 12, 9), ("合计", 12, 9)]
    types, _ = _breakdown_sheet(wb["按测评点位类型"])
    assert [(r[0], r[1], r[4]) for r in types] == [("日常巡查发现（非实地测评）", 12, 9), ("合计", 12, 9)]
    notes = {row[0]: row[1] for row in wb["说明"].iter_rows(min_row=2, values_only=True)}
    assert notes["按时派遣数"].startswith("按时派遣数 = 派遣数中上报后在规定时限（2小时") and "不计入单位排名" in \
        notes["创城办工作指标"]

    page = client.get("/api/stats/bulletin.html", params={"on": WEEK_ON}, headers=h).text
    assert "按时派遣 <b>7</b> 件（按时派遣率 77.8%）" in page and "按时核查 <b>10</b> 次（按时核查率 100.0%）" in page
    totals = re.search(r"<table class='units totals'>(.*?)</table>", page, re.S).group(1)
    assert "<td class='l'>发现数</td><td>12</td><td>5</td><td>↑7</td><td>15</td><td>17</td>" in totals
    assert "<td class='l'>结案率</td><td>75.0%</td><td>100.0%</td><td>↓25.0个百分点</td>" in totals
    assert "<td class='l'>返工率</td><td>50.00%</td><td>0.00%</td><td>↑50.00个百分点</td>" in totals
    body = page[page.index("五、各单位环比"):]
    assert "较上期 2026年第40周" in body
    # B's 结案 0 against P's 1: "0 ↓1"
    b_row = re.search(r"<tr><td class='l'>B 局</td>(.*?)</tr>", body).group(1)
    assert "<td>0 <span class='muted chg'>↓1</span></td>" in b_row
    # A rate over nothing against nothing: one "—", not "— —" (its change says nothing).
    assert "<td>— <span" not in body and "<td>—</td>" in body
    six = page[page.index("六、分类统计"):]
    assert re.findall(r"<h3>([^<]*)</h3>", six) == ["（一）按问题大类", "（二）按区（属地）", "（三）按网格",
                                                    "（四）按测评点位类型"]
    # Each figure with its 环比 beside it (A 区: reported 4 against P's 3; handed over 4 against P's t16 and t13 —
    # 交办 keeps the suspended t13 — so ↑2; 应结案 4 against 0 (t16 due 2030, t13 suspended) ↑4)
    a_row = re.search(r"<tr><td class='l'>A 区</td>(.*?)</tr>", six).group(1)
    assert a_row.startswith("<td>4 <span class='muted chg'>↑1</span></td><td>4 <span class='muted chg'>↑2</span></td>"
                            "<td>4 <span class='muted chg'>↑4</span></td>")
    assert "<tr><td class='l'>不在网格内</td><td>12 <span class='muted chg'>↑7</span></td>" in six
