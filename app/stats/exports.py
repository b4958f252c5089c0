"""The weekly bulletin (每周通报) as Excel and as a printable A4 page, and the 督办通知书 for one ticket.

These are official documents: Chinese only. Printable pages embed photos as data: URIs read through the
photo service with the caller's rights, so a printed or saved page needs no further requests and exposes
no photo URL; photos are shown whole (never cropped: the watermark's time and coordinates stay readable).
"""

import base64
import html
import io
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlmodel import Session, col, select

from app.core.config import get_settings
from app.core.errors import Conflict, Forbidden, NotFound
from app.core.types import utcnow
from app.photos import service as photos_service
from app.photos.storage import PhotoNotFoundError
from app.stats import service
from app.stats.periods import previous_period
from app.stats.ranking import rule_text
from app.stats.schemas import (
    FORMULAS,
    Period,
    RankGroup,
    RankGroupKind,
    Ranking,
    RankRules,
    Scope,
    Summary,
    UnitMetrics,
)
from app.tickets import access as tickets_access
from app.tickets import listing as tickets_listing
from app.tickets import read as tickets_read
from app.tickets.models import TicketPhoto
from app.tickets.schemas import TicketSummary
from app.tickets.workflow import Action, Status
from app.users.models import User
from app.users.roles import Role

log = logging.getLogger(__name__)

MISSING_PHOTO = "照片缺失"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_OVERDUE_ROWS = 2000

# (header, attribute or callable, number format)
UNIT_COLUMNS = [
    ("单位", "unit_name", None),
    ("发现数", "reported", "0"),
    ("交办数", "handed_over", "0"),
    ("其中作废", "handed_over_voided", "0"),
    ("派遣数", "dispatched", "0"),
    ("应结案数", "due", "0"),
    ("结案数", "closed", "0"),
    ("按期结案数", "closed_on_time", "0"),
    ("超期结案数", "closed_late", "0"),
    ("超期未结案数", "overdue_unclosed", "0"),
    ("整改数", "rectified", "0"),
    ("返工案件数", "reworked", "0"),
    ("返工次数", "rework_times", "0"),
    ("本期超期数", "overdue", "0"),
    ("当前超期", "overdue_now", "0"),
    ("回退数", "returned", "0"),
    ("不予立案", "cancelled", "0"),
    ("结案率", "closure_rate", "0.0%"),
    ("按期结案率", "on_time_rate", "0.0%"),
    ("整改率", "rectification_rate", "0.0%"),
    ("返工率", "rework_rate", "0.00%"),
    ("延期数", "extended", "0"),
    ("挂账数", "suspended", "0"),
    ("作废数", "voided", "0"),
    ("延期率", "extension_rate", "0.0%"),
    ("回退率", "return_rate", "0.0%"),
    ("挂账率", "suspension_rate", "0.0%"),
    ("作废率", "void_rate", "0.0%"),
    ("催办数", "urged", "0"),
    ("督办数", "supervised", "0"),
    ("按时派遣数", "dispatched_on_time", "0"),
    ("按时派遣率", "dispatch_on_time_rate", "0.0%"),
    ("核查次数", "verified", "0"),
    ("按时核查数", "verified_on_time", "0"),
    ("按时核查率", "verify_on_time_rate", "0.0%"),
    ("上报→派遣 中位数（小时）", lambda m: m.hours_report_dispatch.p50, "0.0"),
    ("上报→派遣 90分位（小时）", lambda m: m.hours_report_dispatch.p90, "0.0"),
    ("派遣→整改 中位数（小时）", lambda m: m.hours_dispatch_rectify.p50, "0.0"),
    ("派遣→整改 90分位（小时）", lambda m: m.hours_dispatch_rectify.p90, "0.0"),
    ("上报→结案 中位数（小时）", lambda m: m.hours_report_close.p50, "0.0"),
    ("上报→结案 90分位（小时）", lambda m: m.hours_report_close.p90, "0.0"),
    ("整改→核查 中位数（小时）", lambda m: m.hours_rectify_verify.p50, "0.0"),
    ("整改→核查 90分位（小时）", lambda m: m.hours_rectify_verify.p90, "0.0"),
]
# The figures a 环比 is given for: every column but the unit's name (counts as differences, rates in
# percentage points, hours as differences of hours).
CHANGE_COLUMNS = [c for c in UNIT_COLUMNS[1:]]
COUNT_CHANGE_FORMAT = '"↑"0;"↓"0;0'
RATE_CHANGE_FORMAT = '"↑"0.0"个百分点";"↓"0.0"个百分点";0.0"个百分点"'
# 返工率 is a few in a hundred and shown to two decimals ("0.00%"): its change in points to two decimals beside it.
FINE_RATE_CHANGE_FORMAT = '"↑"0.00"个百分点";"↓"0.00"个百分点";0.00"个百分点"'
HOURS_CHANGE_FORMAT = '"↑"0.0;"↓"0.0;0.0'


def _is_rate(fmt: str | None) -> bool:
    return bool(fmt and fmt.endswith("%"))


def _rate_digits(fmt: str | None) -> int:
    """The decimals a rate of this cell format is shown to: two for "0.00%" (返工率), else one."""
    return 2 if fmt == "0.00%" else 1


def _rate_change_format(fmt: str | None) -> str:
    return FINE_RATE_CHANGE_FORMAT if _rate_digits(fmt) == 2 else RATE_CHANGE_FORMAT


def _points(cur: float, prev: float) -> Decimal:
    """A rate's change in percentage points, exact on the two rates' decimal values."""
    return (Decimal(repr(cur)) - Decimal(repr(prev))) * 100


def change(cur, prev, fmt: str | None):
    """本期 − 上期: a count's difference, a rate's in percentage points (unrounded: the cell's format rounds it;
    round(…, 2) first would round twice, 1.2496 → 1.25 → 1.3), None when either side is missing."""
    if cur is None or prev is None:
        return None
    if _is_rate(fmt):
        return float(_points(cur, prev))
    return round(cur - prev, 3) if isinstance(cur, float) or isinstance(prev, float) else cur - prev


def change_text(cur, prev, fmt: str | None) -> str:
    """环比 as the printout writes it: ↑2, ↓1, 持平, ↑1.5个百分点 (half up, as shown); — when there is nothing to
    compare."""
    if cur is None or prev is None:
        return "—"
    if _is_rate(fmt):
        d = half_up(_points(cur, prev), _rate_digits(fmt))
    elif fmt == "0.0":  # hours, printed beside values of one decimal: the change to one decimal too, half up
        d = half_up(Decimal(repr(cur)) - Decimal(repr(prev)))
    else:
        d = change(cur, prev, fmt)
    if d == 0:
        return "持平"
    arrow = "↑" if d > 0 else "↓"
    return f"{arrow}{abs(d)}个百分点" if _is_rate(fmt) else f"{arrow}{abs(d):g}"
# The 说明 sheet names each formula of FORMULAS and each ranking rule.
FORMULA_NAMES = {
    "cohort": "统计口径", "reported": "发现数", "handed_over": "交办数", "handed_over_voided": "其中作废数",
    "dispatched": "派遣数", "office_deadline": "考核时限", "due": "应结案数", "closed": "结案数",
    "closed_on_time": "按期结案数", "closed_late": "超期结案数", "overdue_unclosed": "超期未结案数",
    "rectified": "整改数", "reworked": "返工案件数", "rework_times": "返工次数", "overdue": "本期超期数",
    "overdue_now": "当前超期", "returned": "回退数", "cancelled": "不予立案数", "closure_rate": "结案率",
    "rectification_rate": "整改率",
    "on_time_rate": "按期结案率", "rework_rate": "返工率", "extended": "延期数", "suspended": "挂账数",
    "voided": "作废数", "urged": "催办数", "supervised": "督办数", "extension_rate": "延期率",
    "return_rate": "回退率", "suspension_rate": "挂账率", "void_rate": "作废率",
    "hours_report_dispatch": "上报→派遣用时",
    "hours_dispatch_rectify": "派遣→整改用时", "hours_report_close": "上报→结案用时", "unit": "单位归属",
    "dispatched_on_time": "按时派遣数", "dispatch_on_time_rate": "按时派遣率", "verified": "核查次数",
    "verified_on_time": "按时核查数", "verify_on_time_rate": "按时核查率", "hours_rectify_verify": "整改→核查用时",
    "office_figures": "创城办工作指标", "previous": "环比", "to_date": "累计", "breakdowns": "分类统计",
}
RULE_NAMES = {"order": "排名规则", "red": "红榜", "black": "黑榜", "eligible": "参与排名", "groups": "分组排名"}
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
RED_FILL = PatternFill("solid", fgColor="FDE2E1")
BLACK_FILL = PatternFill("solid", fgColor="D9D9D9")


def attachment(filename: str) -> dict[str, str]:
    # Printable ASCII without quote or backslash: a name from the office's text (a round's) may hold a line break,
    # which no header can carry, or a quote that would end the quoted name early.
    ascii_name = re.sub(r'[^\x20-\x7e]|["\\]', "", filename) or "bulletin.xlsx"
    return {"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
            "Cache-Control": "private, no-store"}


def _local(dt: datetime | None) -> str:
    return dt.astimezone(get_settings().tz).strftime("%Y-%m-%d %H:%M") if dt else ""


def _excel_time(dt: datetime | None) -> datetime | None:
    """The city's wall-clock time without a zone (Excel has none), to the minute."""
    return dt.astimezone(get_settings().tz).replace(tzinfo=None, second=0, microsecond=0) if dt else None


def _zh(text: str) -> str:
    """The Chinese part of a bilingual "中文 (English)" text."""
    return re.sub(r"\s*\([^()]*\)$", "", text)


def days_hours(delta: timedelta) -> str:
    """A duration as a 通报 writes it: "47天2小时", "3天0小时", "5小时", "不足1小时"."""
    hours = int(delta.total_seconds() // 3600)
    days, hours = divmod(max(hours, 0), 24)
    if days:
        return f"{days}天{hours}小时"
    return f"{hours}小时" if hours else "不足1小时"


def _overdue_tickets(session: Session, user: User, limit: int) -> list[TicketSummary]:
    page = tickets_listing.list_tickets(session, user, overdue=True, sort="deadline_at", limit=limit)
    return page.items


# What Excel reads as the start of a formula when a cell is typed in again (OWASP's CSV-injection list).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _append(ws, values: list) -> list:
    """Append a row of values and hand back its cells; text that looks like a formula (user-typed "=…") stays
    text, quote-prefixed (Excel's leading ') so that editing the cell, copying it on or saving as CSV keeps it
    text too. The row is found by its index, not by `ws[ws.max_row]`: that scans every cell of the sheet, which
    made a 2,000-row sheet quadratic (seconds)."""
    ws.append(values)
    row = ws._current_row  # the row `append` just wrote (openpyxl keeps no public handle on it)
    cells = [ws.cell(row=row, column=i) for i in range(1, len(values) + 1)]
    for cell, value in zip(cells, values, strict=True):
        if isinstance(value, str) and value.startswith(_FORMULA_START):
            cell.data_type = "s"
            cell.quotePrefix = True
    return cells


def _header(ws, headers: list[str]) -> None:
    for cell in _append(ws, headers):
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    ws.freeze_panes = f"B{ws.max_row + 1}"
    ws.print_title_rows = f"{ws.max_row}:{ws.max_row}"  # the header row again on every printed page


def _print_setup(ws) -> None:
    """A4 landscape, all columns on one page width, as many pages down as needed."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0


def _widths(ws, widths: list[int]) -> None:
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w


def _value(m: UnitMetrics, getter):
    return getter(m) if callable(getter) else getattr(m, getter)


@dataclass(frozen=True)
class Figures:
    """What a bulletin shows, computed once (publishing stores these and renders both files from them)."""

    now: datetime
    summary: Summary
    ranking: Ranking
    overdue: list[TicketSummary]


def figures(session: Session, user: User, period: Period, rules: RankRules, *, overdue_limit: int = MAX_OVERDUE_ROWS
            ) -> Figures:
    """The bulletin's figures as of now: the city's summary (with 环比, 累计 and breakdowns), the ranking and the
    overdue tickets."""
    now = utcnow()
    city: list = []
    summary = service.summary(session, user, period, Scope(), now=now, with_breakdowns=True, to_date=True,
                              figures_out=city)
    # The ranking's per-unit counts are the summary's: read from its pass rather than counted again.
    return Figures(now=now, summary=summary, ranking=service.ranking(session, period, rules, now=now, city=city[0]),
                   overdue=_overdue_tickets(session, user, overdue_limit) if overdue_limit else [])


def _unit_rows(s: Summary) -> list[UnitMetrics]:
    """The units' rows, then the row of tickets at no unit: so that the rows add up to the 合计 below them."""
    return [*s.units, *([s.unassigned] if s.unassigned is not None else [])]


def _metric_rows(ws, rows: list[UnitMetrics], total: UnitMetrics | None) -> None:
    """Rows of UNIT_COLUMNS, and the 合计 row in bold."""
    for m in [*rows, *([total.model_copy(update={"unit_name": "合计"})] if total is not None else [])]:
        row = _append(ws, [_value(m, g) for _, g, _ in UNIT_COLUMNS])
        for cell, (_, _, fmt) in zip(row, UNIT_COLUMNS, strict=True):
            if fmt:
                cell.number_format = fmt
    if total is not None:
        for cell in row:
            cell.font = Font(bold=True)
    _widths(ws, [24] + [11] * (len(UNIT_COLUMNS) - 1))


def _total_sheet(wb: Workbook, title: str, s: Summary) -> None:
    """合计及环比: the city's figures of the period, the previous period, the change, month- and year-to-date."""
    ws = wb.create_sheet("合计及环比")
    prev = s.total.previous
    _append(ws, [f"{title} 全市合计、环比及累计 {s.period.label}"
                 + (f"（上期 {_previous_label(s)}）" if prev is not None else "")])
    ws["A1"].font = Font(bold=True, size=13)
    heads = ["指标", "本期", "上期", "环比"]
    totals = [s.total, prev]
    for name, td in (("本月累计", s.month_to_date), ("本年累计", s.year_to_date)):
        if td is not None:
            heads.append(f"{name}（{td.period.start_date:%m-%d}~{td.period.end_date:%m-%d}）")
            totals.append(td.total)
    _header(ws, heads)
    for label, getter, fmt in CHANGE_COLUMNS:
        cur = _value(s.total, getter)
        before = _value(prev, getter) if prev is not None else None
        values = [label, cur, before, change(cur, before, fmt)]
        values += [_value(m, getter) for m in totals[2:]]
        row = _append(ws, values)
        for i, cell in enumerate(row[1:], start=1):
            if i == 3:
                cell.number_format = (_rate_change_format(fmt) if _is_rate(fmt) else
                                      HOURS_CHANGE_FORMAT if fmt == "0.0" else COUNT_CHANGE_FORMAT)
            elif fmt:
                cell.number_format = fmt
    _widths(ws, [26, 12, 12, 16, 20, 20])


def _change_sheet(wb: Workbook, title: str, s: Summary) -> None:
    """单位环比: each unit's change on the previous period, figure by figure."""
    ws = wb.create_sheet("单位环比")
    _append(ws, [f"{title} 各单位环比（本期 {s.period.label} 较上期 {_previous_label(s)}）"])
    ws["A1"].font = Font(bold=True, size=13)
    _header(ws, ["单位", *[label for label, _, _ in CHANGE_COLUMNS]])
    _change_rows(ws, [*_unit_rows(s), s.total.model_copy(update={"unit_name": "合计"})])
    _widths(ws, [24] + [12] * len(CHANGE_COLUMNS))


def _change_rows(ws, rows: list[UnitMetrics]) -> None:
    """A row per unit (or breakdown row) of its change on the previous period, figure by figure."""
    for m in rows:
        prev = m.previous
        row = _append(ws, [m.unit_name, *[change(_value(m, g), _value(prev, g) if prev is not None else None, fmt)
                                         for _, g, fmt in CHANGE_COLUMNS]])
        for cell, (_, _, fmt) in zip(row[1:], CHANGE_COLUMNS, strict=True):
            cell.number_format = (_rate_change_format(fmt) if _is_rate(fmt) else
                                  HOURS_CHANGE_FORMAT if fmt == "0.0" else COUNT_CHANGE_FORMAT)


def _previous_label(s: Summary) -> str:
    p = previous_period(s.period)
    return p.label


BREAKDOWN_SHEETS = {"category_class": ("按问题大类", "问题大类"), "district": ("按区", "区（属地）"),
                    "grid": ("按网格", "网格"), "site_type": ("按测评点位类型", "测评点位类型")}


def bulletin_xlsx(session: Session, user: User, period: Period, rules: RankRules, *, computed: Figures | None = None
                  ) -> tuple[bytes, str]:
    """The workbook: 单位指标 (unit figures), 超期案件 (overdue tickets), 红黑榜 (one sheet per group), 合计及环比
    (the total, its 环比, 本月/本年累计), 单位环比, 按问题大类, 按区, 按网格, 按测评点位类型 (each with its 环比 below),
    说明 (formulas)."""
    f = computed or figures(session, user, period, rules)
    now, summary, ranking, overdue = f.now, f.summary, f.ranking, f.overdue
    wb = Workbook()

    ws = wb.active
    ws.title = "单位指标"
    title = _title(period)
    _append(ws, [f"{title} 单位指标 {period.label}（统计截至 {_local(now)}）"])
    ws["A1"].font = Font(bold=True, size=13)
    _header(ws, [h for h, _, _ in UNIT_COLUMNS])
    _metric_rows(ws, _unit_rows(summary), summary.total)

    ws = wb.create_sheet("超期案件")
    _header(ws, ["案件编号", "责任单位", "问题类别", "问题描述", "地址", "上报时间", "派遣时间", "整改时限",
                 "超期天数", "超期时长", "返工次数"])
    for t in overdue:
        late = round((now - t.deadline_at) / timedelta(days=1), 2) if t.deadline_at else None
        row = _append(ws, [t.case_number, t.unit_name, t.category_name_zh, t.description, t.address,
                           _excel_time(t.reported_at), _excel_time(t.dispatched_at), _excel_time(t.deadline_at),
                           late, days_hours(now - t.deadline_at) if t.deadline_at else "", t.rework_count])
        for cell in row[5:8]:
            cell.number_format = DATETIME_FORMAT
        row[8].number_format = "0.0"
    _widths(ws, [17, 22, 16, 36, 24, 17, 17, 17, 10, 12, 10])

    for group in ranking.groups or [None]:
        _ranking_sheet(wb, f"{title} 红黑榜", period, group)

    _total_sheet(wb, title, summary)
    if summary.total.previous is not None:
        _change_sheet(wb, title, summary)
    for b in summary.breakdowns or []:
        sheet, first = BREAKDOWN_SHEETS[b.kind]
        ws = wb.create_sheet(sheet)
        _append(ws, [f"{title} {b.name} {period.label}（统计截至 {_local(now)}）"])
        ws["A1"].font = Font(bold=True, size=13)
        _header(ws, [first, *[h for h, _, _ in UNIT_COLUMNS[1:]]])
        _metric_rows(ws, b.rows, summary.total)
        if summary.total.previous is not None:
            # The rows' 环比 below their figures (the printed header rows stay the first table's).
            _append(ws, [])
            _append(ws, [f"{b.name} 环比（本期 {period.label} 较上期 {_previous_label(summary)}）"])[0].font = \
                Font(bold=True)
            for cell in _append(ws, [first, *[label for label, _, _ in CHANGE_COLUMNS]]):
                cell.font = Font(bold=True)
                cell.fill = HEADER_FILL
                cell.alignment = Alignment(wrap_text=True, vertical="center")
            _change_rows(ws, [*b.rows, summary.total.model_copy(update={"unit_name": "合计"})])

    ws = wb.create_sheet("说明")
    _header(ws, ["名称", "口径"])
    for key, text in summary.formulas.items():
        _append(ws, [FORMULA_NAMES.get(key, key), text["zh"]])
    for key, text in rule_text(rules).items():
        _append(ws, [RULE_NAMES.get(key, key), _zh(text)])
    _append(ws, ["统计周期", f"{period.label}：{_local(period.start)} 起，至 {_local(period.end)} 止（不含）"])
    _append(ws, ["统计截至", _local(now)])
    # A leader reads a week's bulletin as that week's: this list is the city's at the moment of the figures.
    _append(ws, ["超期案件", f"截至 {_local(now)} 仍超期未整改的全部案件（即当前超期数所计），不限本期派遣，"
                           "超期最久的在前"])
    for row in ws.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
    _widths(ws, [16, 90])

    for ws in wb.worksheets:
        _print_setup(ws)

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), f"{title}_{period.start_date:%Y%m%d}-{period.end_date:%Y%m%d}.xlsx"


RANK_SHEETS = {RankGroupKind.department: "职能部门红黑榜", RankGroupKind.territorial: "属地红黑榜",
               RankGroupKind.company: "企业红黑榜"}
LIST_NAMES = {"red": "红榜", "black": "黑榜"}


def _ranking_sheet(wb: Workbook, title: str, period: Period, group: RankGroup | None) -> None:
    """One group's ranking on a sheet of its own (its header row repeats on every printed page); without
    any group (nothing dispatched), one sheet saying so."""
    ws = wb.create_sheet(RANK_SHEETS[group.kind] if group else "红黑榜")
    _append(ws, [f"{title}（{group.name if group else '暂无排名'}） {period.label}"])
    ws["A1"].font = Font(bold=True, size=13)
    _header(ws, ["名次", "单位", "榜单", "应结案数", "结案数", "结案率", "按期结案率", "超期未结案数", "上期名次",
                 "升降", "连续上黑榜期数"])
    if group is None:
        _append(ws, ["", "本期无应结案件，暂无排名"])
    for r in group.rows if group else []:
        row = _append(ws, [r.rank, r.unit_name, LIST_NAMES.get(r.list or "", ""), r.due, r.closed, r.closure_rate,
                           r.on_time_rate, r.overdue_unclosed, r.prev_rank, r.movement, r.black_streak])
        row[5].number_format = row[6].number_format = "0.0%"
        if r.list:
            for cell in row:
                cell.fill = RED_FILL if r.list == "red" else BLACK_FILL
    _widths(ws, [8, 24, 8, 12, 10, 10, 12, 12, 12, 10, 14])


def rank_change_text(prev_rank: int | None, movement: int | None) -> str:
    """上期 as printed: last period's rank and the move since, as the other 环比 say it (2 ↑1, 3 持平); — when the
    unit was not ranked then."""
    if prev_rank is None:
        return "—"
    if not movement:
        return f"{prev_rank} 持平"
    return f"{prev_rank} {'↑' if movement > 0 else '↓'}{abs(movement)}"


def _title(period: Period) -> str:
    return {"week": "每周通报", "month": "每月通报"}.get(period.kind, "工作通报")


# ---- printable pages ------------------------------------------------------------------------------

# A notice is a letter (A4 portrait); a bulletin's wide tables print on A4 landscape (LANDSCAPE_CSS).
PRINT_CSS = """
@page { size: A4; margin: 14mm 12mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       color: #111; margin: 0 auto; max-width: 186mm; font-size: 10.5pt; line-height: 1.45; }
h1 { font-size: 18pt; text-align: center; margin: 4mm 0 1mm; letter-spacing: 2px; }
h3 { font-size: 11pt; margin: 4mm 0 2mm; }
h2 { font-size: 12.5pt; border-left: 4px solid #c00; padding-left: 6px; margin: 6mm 0 2mm; }
.sub { text-align: center; color: #444; margin-bottom: 4mm; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #999; padding: 1.5mm 2mm; text-align: center; }
th { background: #eef2f7; }
thead { display: table-header-group; }  /* the header row again on every printed page */
td.l { text-align: left; }
table.units th, table.units td { padding: 1mm 0.6mm; font-size: 7.5pt; }
tr { page-break-inside: avoid; }
.red { color: #b00; font-weight: bold; } .black { color: #000; font-weight: bold; }
.case { display: grid; grid-template-columns: 1fr 38mm 38mm; gap: 3mm; border: 1px solid #bbb;
        padding: 2.5mm; margin-bottom: 3mm; page-break-inside: avoid; }
.case img, .ph img { width: 100%; height: 30mm; object-fit: contain; background: #f4f4f4; border: 1px solid #ccc; }
.ph figcaption { font-size: 8.5pt; color: #555; text-align: center; }
.none { height: 30mm; border: 1px dashed #bbb; display: flex; align-items: center; justify-content: center;
        color: #888; font-size: 9pt; }
.muted { color: #555; font-size: 9pt; }
.toolbar { text-align: right; margin: 3mm 0; }
.toolbar .print { font-size: 12pt; padding: 2mm 5mm; border: 1px solid #c8161d; border-radius: 2mm;
  background: #c8161d; color: #fff; }
.chg { white-space: nowrap; }
/* A breakdown's cells: the figure, its change on a line of its own under it (beside it, the widest changes
   squeezed the other columns until their headers broke a character a line). */
table.stacked .chg { display: block; font-size: 6.5pt; }
/* Tables of one long text column: every other cell and header on one line, the text columns take the wrapping
   (a 21-character column took the width and codes broke as "BA-/01", headers as "失/分"). */
table.fit th:not(.l), table.fit td:not(.l) { white-space: nowrap; }
.notice p { text-indent: 2em; margin: 2mm 0; }
.notice table td { text-align: left; }
.notice .photos { display: grid; grid-template-columns: repeat(3, 1fr); gap: 3mm; margin-top: 3mm; }
.notice .photos img { height: 45mm; }
.sign { margin-top: 12mm; text-align: right; line-height: 2; }
@media print { .toolbar { display: none; } body { max-width: none; } }
/* Read on a phone: the page fits the screen and a wide table scrolls in its own box (the page was wider than
   the screen, its dates broken mid-way). */
@media screen and (max-width: 640px) {
  body { padding: 0 3mm; }
  .toolbar { text-align: left; }
  table { display: block; overflow-x: auto; }
  th { white-space: nowrap; }
  .case { grid-template-columns: 1fr 1fr; } .case > :first-child { grid-column: 1 / -1; }
  .notice .photos { grid-template-columns: repeat(2, 1fr); }
}
"""
LANDSCAPE_CSS = """
@page { size: A4 landscape; margin: 12mm 12mm; }
body { max-width: 273mm; }
"""


def _page(title: str, body: str, *, landscape: bool = False) -> str:
    # No script at all (no print button): the page runs under the app's CSP, which allows no inline script.
    css = PRINT_CSS + (LANDSCAPE_CSS if landscape else "")
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title><style>{css}</style></head><body>"
            f'<div class="toolbar muted">打印：请使用浏览器菜单中的“打印”</div>'
            f"{body}</body></html>")


def _figure(session: Session, user: User, photo_id: uuid.UUID | None, caption: str, empty: str,
            variant: str = "thumb") -> str:
    """A photo as an inline data: URI figure, read with the caller's rights; a placeholder when there is
    none, and "照片缺失" (logged) when its file is gone, so one lost file never breaks a printout."""
    uri, placeholder = None, empty
    if photo_id is not None:
        try:
            data, media_type, _ = photos_service.read(session, user, photo_id, variant)
            uri = f"data:{media_type};base64,{base64.b64encode(data).decode()}"
        except NotFound:
            pass
        except (PhotoNotFoundError, OSError):
            log.error("photo %s: %s file missing, printed as a placeholder", photo_id, variant, exc_info=True)
            placeholder = MISSING_PHOTO
    return _img(uri, caption, placeholder)


def _photos_by_stage(session: Session, ticket_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, list[uuid.UUID]]]:
    out: dict[uuid.UUID, dict[str, list[uuid.UUID]]] = {}
    if not ticket_ids:
        return out
    rows = session.execute(select(TicketPhoto.ticket_id, TicketPhoto.stage, TicketPhoto.photo_id)
                           .where(col(TicketPhoto.ticket_id).in_(ticket_ids))
                           .order_by(TicketPhoto.event_id, TicketPhoto.position)).all()
    for tid, stage, pid in rows:
        out.setdefault(tid, {}).setdefault(stage, []).append(pid)
    return out


def _img(uri: str | None, caption: str, empty: str) -> str:
    inner = (f'<img src="{uri}" alt="{html.escape(caption)}">' if uri
             else f'<div class="none">{html.escape(empty)}</div>')
    return f'<figure class="ph" style="margin:0">{inner}<figcaption>{html.escape(caption)}</figcaption></figure>'


def half_up(x: float | Decimal, digits: int = 1) -> Decimal:
    """x rounded to `digits` decimals half away from zero (四舍五入) on its decimal value, as by hand and as Excel
    shows the same number: 95.05 gives 95.1. Formatting the float itself would not (0.9505 × 100 is 95.0499…97 in
    binary, which f"{:.1f}" gives as 95.0); the float's shortest decimal (repr) has every real digit of a ratio
    of counts and none of that noise. The PWA rounds the same way (frontend/src/features/stats/period.ts)."""
    value = x if isinstance(x, Decimal) else Decimal(repr(x))
    return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def _pct(v: float | None, digits: int = 1) -> str:
    return "—" if v is None else f"{half_up(Decimal(repr(v)) * 100, digits)}%"


# The printout's compact columns of the 环比 and breakdown tables: (header, attribute, number format as in
# UNIT_COLUMNS).
PRINT_CHANGE = [("应结案", "due", "0"), ("结案", "closed", "0"), ("按期结案", "closed_on_time", "0"),
                ("超期未结案", "overdue_unclosed", "0"), ("返工次数", "rework_times", "0"),
                ("结案率", "closure_rate", "0.0%"), ("按期结案率", "on_time_rate", "0.0%"),
                ("整改率", "rectification_rate", "0.0%"), ("返工率", "rework_rate", "0.00%")]
PRINT_BREAKDOWN = [("发现", "reported", "0"), ("交办", "handed_over", "0"), ("应结案", "due", "0"),
                   ("结案", "closed", "0"), ("按期结案", "closed_on_time", "0"),
                   ("超期未结案", "overdue_unclosed", "0"),
                   ("返工次数", "rework_times", "0"), ("结案率", "closure_rate", "0.0%"),
                   ("按期结案率", "on_time_rate", "0.0%"), ("整改率", "rectification_rate", "0.0%"),
                   ("返工率", "rework_rate", "0.00%"), ("按时派遣率", "dispatch_on_time_rate", "0.0%"),
                   ("按时核查率", "verify_on_time_rate", "0.0%")]


def _cell(v, fmt: str | None) -> str:
    if v is None:
        return "—"
    if _is_rate(fmt):
        return _pct(v, _rate_digits(fmt))
    return str(half_up(v)) if fmt == "0.0" else str(v)


def _total_table(s: Summary) -> str:
    """本期、上期、环比、本月累计、本年累计 of every figure of the city's total."""
    e = html.escape
    prev = s.total.previous
    cols = [("本期", s.total)] + ([("上期", prev)] if prev is not None else [])
    for name, td in (("本月累计", s.month_to_date), ("本年累计", s.year_to_date)):
        if td is not None:
            cols.append((f"{name}<br><span class='muted'>{td.period.start_date:%m-%d}~{td.period.end_date:%m-%d}"
                         "</span>", td.total))
    heads = [h for h, _ in cols]
    if prev is not None:
        heads.insert(2, "环比")
    head = "".join(f"<th>{h}</th>" for h in heads)
    out = [f"<table class='units totals'><thead><tr><th>指标</th>{head}</tr></thead><tbody>"]
    for label, getter, fmt in CHANGE_COLUMNS:
        vals = [_cell(_value(m, getter), fmt) for _, m in cols]
        if prev is not None:
            vals.insert(2, change_text(_value(s.total, getter), _value(prev, getter), fmt))
        out.append(f"<tr><td class='l'>{e(label)}</td>" + "".join(f"<td>{e(v)}</td>" for v in vals) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _change_table(s: Summary) -> str:
    """Each unit's 环比 on the main figures."""
    e = html.escape
    out = ["<table class='units'><thead><tr><th>单位</th>"
           + "".join(f"<th>{h}</th>" for h, _, _ in PRINT_CHANGE) + "</tr></thead><tbody>"]
    for m in [*_unit_rows(s), s.total.model_copy(update={"unit_name": "合计"})]:
        p = m.previous
        cells = "".join(_with_change(_cell(_value(m, g), f),
                                     change_text(_value(m, g), _value(p, g) if p is not None else None, f))
                        for _, g, f in PRINT_CHANGE)
        out.append(f"<tr><td class='l'>{e(m.unit_name or '')}</td>{cells}</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _with_change(value: str, change: str) -> str:
    """A cell of a value and its 环比 (beside it, or under it in a `stacked` table), the change kept on one line
    (it wrapped as "1 持/平" and "↓100.0个百分/点"); a change that says nothing (— : no value to compare) is left
    out, not printed as "— —"."""
    e = html.escape
    if change == "—":
        return f"<td>{e(value)}</td>"
    return f"<td>{e(value)} <span class='muted chg'>{e(change)}</span></td>"


def _breakdown_table(rows: list[UnitMetrics], total: UnitMetrics, first: str) -> str:
    """Each row's figures, and under each its 环比 when there is one."""
    e = html.escape

    def cell(m: UnitMetrics, g, f) -> str:
        if m.previous is None:
            return f"<td>{e(_cell(_value(m, g), f))}</td>"
        return _with_change(_cell(_value(m, g), f), change_text(_value(m, g), _value(m.previous, g), f))

    out = [f"<table class='units stacked'><thead><tr><th>{e(first)}</th>"
           + "".join(f"<th>{h}</th>" for h, _, _ in PRINT_BREAKDOWN) + "</tr></thead><tbody>"]
    for m in [*rows, total.model_copy(update={"unit_name": "合计"})]:
        out.append(f"<tr><td class='l'>{e(m.unit_name or '')}</td>"
                   + "".join(cell(m, g, f) for _, g, f in PRINT_BREAKDOWN) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def bulletin_html(session: Session, user: User, period: Period, rules: RankRules, *, worst: int = 10,
                  computed: Figures | None = None) -> str:
    """The printable A4 bulletin: headline figures with 环比 and 累计, red/black list, worst overdue with photos,
    unit table, units' 环比, breakdowns by category class and district."""
    f = computed or figures(session, user, period, rules, overdue_limit=worst)
    now, s, ranking = f.now, f.summary, f.ranking
    t = s.total
    e = html.escape
    title = _title(period)
    parts = [f"<h1>创建文明城市工作 {title}</h1>",
             f'<div class="sub">{e(period.label)}　统计截至 {e(_local(now))}</div>',
             "<h2>一、总体情况</h2>",
             (f"<p>本期发现问题 <b>{t.reported}</b> 件，交办 <b>{t.handed_over}</b> 件"
              f"（其中作废 {t.handed_over_voided} 件），应结案 <b>{t.due}</b> 件，"
              f"已结案 <b>{t.closed}</b> 件，其中按期结案 <b>{t.closed_on_time}</b> 件、超期结案 "
              f"<b>{t.closed_late}</b> 件；超期未结案 <b>{t.overdue_unclosed}</b> 件。"
              f"结案率 <b>{_pct(t.closure_rate)}</b>，按期结案率 <b>{_pct(t.on_time_rate)}</b>，"
              f"整改率 <b>{_pct(t.rectification_rate)}</b>，返工率 <b>{_pct(t.rework_rate, 2)}</b>"
              f"（返工 {t.rework_times} 次，涉及 {t.reworked} 件）；"
              f"当前全市超期未整改 <b>{t.overdue_now}</b> 件。</p>"),
             (f"<p>本期批准延期 <b>{t.extended}</b> 件次（延期率 {_pct(t.extension_rate)}），"
              f"回退 <b>{t.returned}</b> 件次（回退率 {_pct(t.return_rate)}），"
              f"挂账 <b>{t.suspended}</b> 件次（挂账率 {_pct(t.suspension_rate)}），"
              f"作废 <b>{t.voided}</b> 件（作废率 {_pct(t.void_rate)}）；"
              f"催办 <b>{t.urged}</b> 次，督办 <b>{t.supervised}</b> 件。</p>"),
             (f'<p class="muted">{e(FORMULAS["cohort"]["zh"])}。{e(FORMULAS["office_deadline"]["zh"])}；'
              f'{e(FORMULAS["due"]["zh"])}；{e(FORMULAS["closure_rate"]["zh"])}；'
              f'{e(FORMULAS["on_time_rate"]["zh"])}；{e(FORMULAS["rectification_rate"]["zh"])}；'
              f'{e(FORMULAS["rework_rate"]["zh"])}。</p>'),
             (f"<p>创城办工作：本期派遣 <b>{t.dispatched}</b> 件，其中上报后 {s.timeliness.dispatch_within_hours:g} "
              f"小时内按时派遣 <b>{t.dispatched_on_time}</b> 件（按时派遣率 {_pct(t.dispatch_on_time_rate)}）；"
              f"完成核查 <b>{t.verified}</b> 次，其中整改后 {s.timeliness.verify_within_hours:g} 小时内按时核查 "
              f"<b>{t.verified_on_time}</b> 次（按时核查率 {_pct(t.verify_on_time_rate)}），核查用时中位数 "
              f"{_cell(t.hours_rectify_verify.p50, '0.0')} 小时。</p>") if s.timeliness else "",
             _total_table(s),
             (f'<p class="muted">{e(s.formulas["previous"]["zh"])}；{e(s.formulas["to_date"]["zh"])}；'
              f'{e(s.formulas["dispatched_on_time"]["zh"])}；{e(s.formulas["verified_on_time"]["zh"])}；'
              f'{e(s.formulas["office_figures"]["zh"])}。</p>'),
             "<h2>二、红黑榜</h2>"]
    if not ranking.groups:
        parts.append("<p>本期无应结案件，暂无排名。</p>")
    numerals = "一二三四五六七八九十"
    for i, group in enumerate(ranking.groups):
        parts.append(f"<h3>（{numerals[i]}）{e(group.name)}</h3>"
                     "<table><thead><tr><th>名次</th><th>单位</th><th>应结案</th><th>结案</th><th>结案率</th>"
                     "<th>按期结案率</th><th>超期未结案</th><th>上期</th><th>榜单</th><th>连续上黑榜</th>"
                     "</tr></thead><tbody>")
        for r in group.rows:
            lst = {"red": '<span class="red">红榜</span>',
                   "black": '<span class="black">黑榜</span>'}.get(r.list or "", "")
            parts.append(f"<tr><td>{r.rank}</td><td class='l'>{e(r.unit_name)}</td><td>{r.due}</td>"
                         f"<td>{r.closed}</td><td>{_pct(r.closure_rate)}</td><td>{_pct(r.on_time_rate)}</td>"
                         f"<td>{r.overdue_unclosed}</td><td>{rank_change_text(r.prev_rank, r.movement)}</td>"
                         f"<td>{lst}</td><td>{f'{r.black_streak} 期' if r.black_streak else ''}</td></tr>")
        parts.append("</tbody></table>")
    rules_zh = rule_text(rules)
    parts.append(f'<p class="muted">{e(_zh(rules_zh["groups"]))}；{e(_zh(rules_zh["red"]))}；'
                 f'{e(_zh(rules_zh["black"]))}</p>')

    overdue = f.overdue[:worst]
    parts.append(f"<h2>三、超期未整改问题（截至统计时点，不限本期派遣；超期最久的 {len(overdue)} 件）</h2>")
    photos = _photos_by_stage(session, [o.id for o in overdue])
    for o in overdue:
        p = photos.get(o.id, {})
        before = _figure(session, user, (p.get("report") or [None])[0], "整改前", "无照片")
        after = _figure(session, user, (p.get("rectify") or [None])[-1], "整改后", "尚未整改")
        late = days_hours(now - o.deadline_at) if o.deadline_at else "—"
        parts.append(
            f'<div class="case"><div><b>{e(o.case_number)}</b>　{e(o.category_name_zh)}<br>'
            f"{e(o.description)}<br><span class='muted'>{e(o.address or '')}</span><br>"
            f"责任单位：<b>{e(o.unit_name or '—')}</b><br>整改时限：{e(_local(o.deadline_at))}"
            f"（已超期 {late}）{'　返工 ' + str(o.rework_count) + ' 次' if o.rework_count else ''}</div>"
            f"{before}{after}</div>")
    parts.append("<h2>四、各单位情况</h2><table class='units'><thead><tr><th>单位</th><th>发现</th><th>交办</th>"
                 "<th>应结案</th><th>结案</th><th>按期</th><th>超期结案</th><th>超期未结案</th><th>返工次数</th>"
                 "<th>返工案件</th><th>当前超期</th><th>延期</th><th>回退</th><th>挂账</th><th>作废</th>"
                 "<th>催办</th><th>督办</th><th>结案率</th><th>按期结案率</th><th>整改率</th><th>返工率</th></tr>"
                 "</thead><tbody>")
    for m in [*_unit_rows(s), t.model_copy(update={"unit_name": "合计"})]:
        parts.append(f"<tr><td class='l'>{e(m.unit_name or '')}</td><td>{m.reported}</td><td>{m.handed_over}</td>"
                     f"<td>{m.due}</td><td>{m.closed}</td><td>{m.closed_on_time}</td><td>{m.closed_late}</td>"
                     f"<td>{m.overdue_unclosed}</td><td>{m.rework_times}</td><td>{m.reworked}</td>"
                     f"<td>{m.overdue_now}</td><td>{m.extended}</td><td>{m.returned}</td><td>{m.suspended}</td>"
                     f"<td>{m.voided}</td><td>{m.urged}</td><td>{m.supervised}</td><td>{_pct(m.closure_rate)}</td>"
                     f"<td>{_pct(m.on_time_rate)}</td><td>{_pct(m.rectification_rate)}</td>"
                     f"<td>{_pct(m.rework_rate, 2)}</td></tr>")
    parts.append("</tbody></table>")
    parts.append(f'<p class="muted">{e(FORMULAS["handed_over"]["zh"])}；{e(FORMULAS["closed_late"]["zh"])}；'
                 f'{e(FORMULAS["overdue_unclosed"]["zh"])}；{e(FORMULAS["rework_times"]["zh"])}；'
                 f'{e(FORMULAS["overdue"]["zh"])}。</p>')
    if t.previous is not None:
        parts.append(f"<h2>五、各单位环比（较上期 {e(_previous_label(s))}）</h2>{_change_table(s)}")
    if s.breakdowns:
        parts.append("<h2>六、分类统计</h2>")
        for i, b in enumerate(s.breakdowns):
            parts.append(f"<h3>（{numerals[i]}）{e(b.name)}</h3>"
                         f"{_breakdown_table(b.rows, t, BREAKDOWN_SHEETS[b.kind][1])}")
        parts.append(f'<p class="muted">{e(s.formulas["breakdowns"]["zh"])}。</p>')
    return _page(f"{title} {period.label}", "".join(parts), landscape=True)


def notice_html(session: Session, user: User, ticket_id: uuid.UUID) -> str:
    """The 督办通知书 for one ticket: case number, unit, problem, photos, deadline.

    A closed or cancelled ticket has nothing left to rectify: no notice demands it (409). Unit staff print one
    only for a ticket that is their unit's now: one their unit had before is another unit's business (403).
    """
    ticket = tickets_access.get_visible(session, user, ticket_id)
    if user.role == Role.unit_staff and not tickets_access.own_unit(user, ticket):
        raise Forbidden("只能打印本单位案件的督办通知书 Units print notices of their own tickets only")
    if ticket.status in (Status.closed, Status.cancelled):
        state = "已结案" if ticket.status == Status.closed else "已不予立案（作废）"
        raise Conflict(f"案件{state}，无需督办，不能出具督办通知书", code="notice_not_applicable")
    d = tickets_read.detail(session, user, ticket)
    e = html.escape
    now = utcnow()
    before = [p.id for p in d.photos if p.stage == "report"][:3]
    imgs = "".join(_figure(session, user, pid, f"现场照片 {i + 1}", "无照片", "display")
                   for i, pid in enumerate(before))
    overdue = ticket.is_overdue_at(now)
    body = (
        f'<div class="notice"><h1>督 办 通 知 书</h1>'
        f'<div class="sub">编号：{e(d.case_number)}　签发日期：{now.astimezone(get_settings().tz):%Y年%m月%d日}</div>'
        f"<p><b>{e(d.unit_name or '（待派遣）')}：</b></p>"
        f"<p>经创建文明城市督查，发现你单位责任范围内存在以下问题，现予督办。请于整改时限前完成整改，"
        f"并通过巡查系统上传整改后照片；逾期未整改的，将在每周通报中予以通报并列入黑榜。</p>"
        f"<table><tr><th style='width:28mm'>案件编号</th><td>{e(d.case_number)}</td></tr>"
        f"<tr><th>问题类别</th><td>{e(d.category_name_zh)}</td></tr>"
        f"<tr><th>问题描述</th><td>{e(d.description)}</td></tr>"
        f"<tr><th>地点</th><td>{e(d.address or '')}（{d.lat:.6f}, {d.lng:.6f}）</td></tr>"
        f"<tr><th>发现时间</th><td>{e(_local(d.reported_at))}</td></tr>"
        f"<tr><th>责任单位</th><td>{e(d.unit_name or '—')}</td></tr>"
        f"<tr><th>整改时限</th><td><b>{e(_local(d.deadline_at) or '—')}</b>"
        f"{'　<span class=red>已超期</span>' if overdue else ''}</td></tr>"
        f"<tr><th>返工次数</th><td>{d.rework_count}</td></tr></table>"
        f'<div class="photos">{imgs}</div>'
        f'<div class="sign">创建文明城市工作指挥部办公室（创城办）<br>'
        f"{now.astimezone(get_settings().tz):%Y年%m月%d日}</div></div>"
    )
    return _page(f"督办通知书 {d.case_number}", body)


def supervision_notice_html(session: Session, user: User, ticket_id: uuid.UUID) -> str:
    """The 督办通知书 of a supervised ticket: the leader's 督办意见 (each time), the ticket, its deadline, photos.

    The office prints any; unit staff only for a ticket that is their unit's now (another unit's: 404 as
    everywhere, one their unit had before: 403), with the 督办 of their own time with it. A ticket never
    supervised (for a unit: not while it was the unit's) has no such notice (409).
    """
    ticket = tickets_access.get_visible(session, user, ticket_id)
    if user.role == Role.unit_staff and not tickets_access.own_unit(user, ticket):
        raise Forbidden("只能打印本单位案件的督办通知书 Units print notices of their own tickets only")
    if ticket.supervised_at is None:
        raise Conflict("案件未被督办，没有督办通知书 This ticket was never supervised", code="not_supervised")
    d = tickets_read.detail(session, user, ticket)
    # The timeline as this user sees it: a unit's notice holds the 督办 of its own time with the ticket.
    supervisions = [ev for ev in d.events if ev.action == Action.supervise]
    if not supervisions:
        raise Conflict("案件未在本单位办理期间被督办，没有督办通知书 This ticket was not supervised while your unit's",
                       code="not_supervised")
    e = html.escape
    now = utcnow()
    tz = get_settings().tz
    opinions = "".join(f"<tr><th>{e(_local(s.at))}</th><td>{e(s.note or '')}</td></tr>" for s in supervisions)
    before = [p.id for p in d.photos if p.stage == "report"][:3]
    imgs = "".join(_figure(session, user, pid, f"现场照片 {i + 1}", "无照片", "display")
                   for i, pid in enumerate(before))
    overdue = ticket.is_overdue_at(now)
    state = {Status.closed: "已结案", Status.voided: "已作废", Status.suspended: "挂账中",
             Status.rectified: "已整改，待核查"}.get(Status(ticket.status), "")
    body = (
        f'<div class="notice"><h1>督 办 通 知 书</h1>'
        f'<div class="sub">编号：{e(d.case_number)}　督办日期：{supervisions[0].at.astimezone(tz):%Y年%m月%d日}</div>'
        f"<p><b>{e(d.unit_name or '（待派遣）')}：</b></p>"
        f"<p>你单位承办的下列问题，经创建文明城市工作指挥部领导督办，现将督办意见通知如下。请高度重视，"
        f"于整改时限前整改到位，并通过巡查系统上传整改后照片；逾期未整改的，将在每周通报中予以通报并列入黑榜。</p>"
        f"<h2>督办意见</h2><table>{opinions}</table>"
        f"<h2>案件情况</h2>"
        f"<table><tr><th style='width:28mm'>案件编号</th><td>{e(d.case_number)}</td></tr>"
        f"<tr><th>问题类别</th><td>{e(d.category_name_zh)}</td></tr>"
        f"<tr><th>问题描述</th><td>{e(d.description)}</td></tr>"
        f"<tr><th>地点</th><td>{e(d.address or '')}（{d.lat:.6f}, {d.lng:.6f}）</td></tr>"
        f"<tr><th>发现时间</th><td>{e(_local(d.reported_at))}</td></tr>"
        f"<tr><th>责任单位</th><td>{e(d.unit_name or '—')}</td></tr>"
        f"<tr><th>整改时限</th><td><b>{e(_local(d.deadline_at) or '—')}</b>"
        f"{'　<span class=red>已超期</span>' if overdue else ''}{'　' + state if state else ''}</td></tr>"
        f"<tr><th>延期次数</th><td>{d.extension_count}</td></tr>"
        f"<tr><th>催办次数</th><td>{d.urge_count}</td></tr>"
        f"<tr><th>返工次数</th><td>{d.rework_count}</td></tr></table>"
        f'<div class="photos">{imgs}</div>'
        f'<div class="sign">创建文明城市工作指挥部办公室（创城办）<br>'
        f"{now.astimezone(tz):%Y年%m月%d日}</div></div>"
    )
    return _page(f"督办通知书 {d.case_number}", body)
