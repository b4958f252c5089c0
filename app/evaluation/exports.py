"""A round's report as an Excel workbook and as a printable A4 page (Chinese only, like the bulletins).

Both are rendered from the one RoundReportOut the API answers (app/evaluation/reports.py), so the screen, the
workbook and the printout show the same figures. The workbook and page helpers are the bulletins' (A4
landscape, the header row repeated on every printed page, fit to width, real dates; photos inline as data:
URIs read with the caller's rights, escaped text everywhere).
"""

import html
import io

from openpyxl import Workbook
from sqlmodel import Session

from app.core.config import get_settings
from app.evaluation.schemas import RoundReportOut
from app.stats.exports import XLSX, attachment  # noqa: F401 (the router answers with these)
from app.stats.exports import _append as append
from app.stats.exports import _excel_time as excel_time
from app.stats.exports import _figure as figure
from app.stats.exports import _header as header
from app.stats.exports import _page as page
from app.stats.exports import _pct as pct
from app.stats.exports import _photos_by_stage as photos_by_stage
from app.stats.exports import _print_setup as print_setup
from app.stats.exports import _widths as widths
from app.users.models import User

STATE_ZH = {"draft": "草稿", "active": "进行中", "closed": "已结束", "published": "已发布"}
SITE_STATUS_ZH = {"evaluated": "已测评", "unable": "无法调查", "pending": "未提交"}
TICKET_STATUS_ZH = {"reported": "待派遣", "dispatched": "整改中", "rectified": "待核查", "closed": "已结案（销号）",
                    "cancelled": "不予立案", "suspended": "挂账", "voided": "已作废", None: "待交办"}
CHANGE_ZH = {"fixed": "已整改", "still_failing": "仍未整改", "newly_failing": "新增问题", "still_passing": "保持达标",
             "fail_to_na": "不达标→不适用", "pass_to_na": "达标→不适用", "na_to_fail": "不适用→不达标",
             "na_to_pass": "不适用→达标", "still_na": "仍不适用", "item_added": "新增测评项",
             "item_removed": "删除测评项", "fail_to_unable": "不达标→无法调查", "pass_to_unable": "达标→无法调查",
             "na_to_unable": "不适用→无法调查", "unable_to_fail": "无法调查→不达标", "unable_to_pass": "无法调查→达标",
             "unable_to_na": "无法调查→不适用", "still_unable": "仍无法调查"}
VERDICT_ZH = {"pass": "达标", "fail": "不达标", "na": "不适用", "unable": "无法调查", None: "—"}
# The printable 问题清单 shows photos for this many findings at most (a page of thousands of photos helps no one
# and costs memory); the workbook lists every finding.
MAX_PRINT_PHOTOS = 300

GROUP_HEADERS = ["名称", "已测评点位", "无法调查点位", "应得分", "扣分", "得分", "得分率", "点位平均得分率", "不适用项",
                 "无法调查项"]
GROUP_FORMATS = [None, "0", "0", "0.0", "0.0", "0.0", "0.0%", "0.0%", "0", "0"]


def _row(ws, values: list, formats: list[str | None]) -> None:
    for cell, fmt in zip(append(ws, values), formats, strict=True):
        if fmt:
            cell.number_format = fmt


def _sheet(wb: Workbook, title: str, headers: list[str], col_widths: list[int], *, first: bool = False):
    ws = wb.active if first else wb.create_sheet(title)
    ws.title = title
    print_setup(ws)
    widths(ws, col_widths)
    header(ws, headers)
    return ws


def filename(report: RoundReportOut, ext: str) -> str:
    return f"实地测评报告-{report.round.name}.{ext}".replace("/", "-").replace("\\", "-")


def report_xlsx(report: RoundReportOut) -> tuple[bytes, str]:
    """The workbook: 汇总, 点位得分, 单位排名, 失分(维度), 失分(条目), 问题清单 (by unit), 回头看, 计算公式."""
    wb = Workbook()
    ws = _sheet(wb, "汇总", ["分组"] + GROUP_HEADERS, [12, 28, 11, 12, 10, 10, 10, 10, 14, 9, 10],
                first=True)
    for kind, groups in (("本轮", [report.total]), ("点位类型", report.by_site_type), ("区", report.by_district)):
        for g in groups:
            _row(ws, [kind, g.name or "", g.sites_evaluated, g.sites_unable, g.possible, g.deducted, g.earned, g.rate,
                      g.mean_site_rate, g.na_items, g.unable_items], [None] + GROUP_FORMATS)
    append(ws, [])
    append(ws, ["测评任务", report.round.name])
    append(ws, ["状态", STATE_ZH.get(report.round.state, report.round.state)])
    for label, dt in (("开始", report.round.starts_at), ("结束", report.round.ends_at),
                      ("发布", report.round.published_at), ("统计时间", report.generated_at)):
        cells = append(ws, [label, excel_time(dt)])
        cells[1].number_format = "yyyy-mm-dd hh:mm"
    append(ws, ["未提交点位", report.sites_pending])
    if not report.complete:
        append(ws, ["范围", "仅含本人可见的点位"])

    ws = _sheet(wb, "点位得分", ["点位编号", "点位名称", "点位类型", "责任单位", "区", "状态", "应得分", "扣分", "得分",
                               "得分率", "达标项", "不达标项", "不适用项", "无法调查原因", "无法调查项"],
                [12, 26, 14, 22, 14, 10, 9, 9, 9, 9, 8, 9, 9, 24, 10])
    for s in report.sites:
        _row(ws, [s.site_code or "", s.site_name, s.site_type_name, s.unit_name, s.district_name or "",
                  SITE_STATUS_ZH[s.status], s.possible, s.deducted, s.earned, s.rate, s.pass_count, s.fail_count,
                  s.na_count, s.unable_reason or "", s.unable_count],
             [None] * 6 + ["0.0", "0.0", "0.0", "0.0%", "0", "0", "0", None, "0"])

    ws = _sheet(wb, "单位排名", ["排名", "责任单位", "得分率", "点位平均得分率", "得分", "应得分", "已测评点位"],
                [8, 28, 10, 14, 10, 10, 11])
    for u in report.ranking:
        _row(ws, [u.rank, u.unit_name, u.rate, u.mean_site_rate, u.earned, u.possible, u.sites_evaluated],
             ["0", None, "0.0%", "0.0%", "0.0", "0.0", "0"])
    for g in report.unranked:
        append(ws, ["不排名", g.name or "", None, None, None, None, g.sites_evaluated])

    ws = _sheet(wb, "失分(维度)", ["维度", "失分", "占总失分", "不达标项次"], [16, 10, 10, 12])
    for d in report.dimensions:
        _row(ws, [d.dimension, d.lost, d.share, d.failures], [None, "0.0", "0.0%", "0"])

    ws = _sheet(wb, "失分(条目)", ["点位类型", "编号", "测评标准", "维度", "分值", "失分", "占总失分", "不达标点位",
                                 "适用点位", "问题次数"], [14, 9, 50, 12, 8, 8, 10, 11, 10, 10])
    for i in report.items:
        _row(ws, [i.site_type_name, i.code, i.text, i.dimension, i.points, i.lost, i.share, i.sites_failed,
                  i.sites_applicable, i.occurrences], [None] * 4 + ["0.0", "0.0", "0.0%", "0", "0", "0"])

    ws = _sheet(wb, "问题清单", ["责任单位", "案件编号", "状态", "点位", "编号", "测评标准", "问题次数", "扣分",
                               "整改时限", "结案时间"], [22, 17, 14, 22, 9, 44, 9, 8, 17, 17])
    for f in report.findings:
        _row(ws, [f.unit_name, f.case_number or "", TICKET_STATUS_ZH.get(f.status, f.status), f.site_name, f.item_code,
                  f.item_text, f.occurrences, f.loss, excel_time(f.deadline_at), excel_time(f.closed_at)],
             [None] * 6 + ["0", "0.0", "yyyy-mm-dd hh:mm", "yyyy-mm-dd hh:mm"])
    p = report.progress
    append(ws, [])
    cells = append(ws, ["销号进度", f"{p.closed}/{p.total - p.cancelled}", p.rate])
    cells[2].number_format = "0.0%"

    if report.review is not None:
        r = report.review
        ws = _sheet(wb, "回头看", ["点位", "责任单位", "编号", "测评标准", "变化", "上轮", "本轮"],
                    [22, 22, 9, 44, 14, 9, 9])
        for c in r.changes:
            append(ws, [c.site_name, c.unit_name, c.item_code, c.item_text, CHANGE_ZH.get(c.change, c.change),
                        VERDICT_ZH.get(c.before, c.before), VERDICT_ZH.get(c.after, c.after)])
        append(ws, [])
        append(ws, [f"对比：{r.of_round_name}"])
        for k in ("fixed", "still_failing", "newly_failing"):
            append(ws, [CHANGE_ZH[k], r.counts.get(k, 0)])

    ws = _sheet(wb, "计算公式", ["项目", "公式"], [18, 110])
    for key, f in report.formulas.items():
        append(ws, [key, f["zh"]])

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), filename(report, "xlsx")


def _table(headers: list[str], rows: list[list[str]], left: set[int] = frozenset()) -> str:
    """`left`: the columns of text, left-aligned and the only ones that wrap (PRINT_CSS table.fit)."""
    e = html.escape
    head = "".join(f'<th class="l">{e(h)}</th>' if i in left else f"<th>{e(h)}</th>" for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(f'<td class="l">{e(v)}</td>' if i in left else f"<td>{e(v)}</td>"
                                    for i, v in enumerate(r)) + "</tr>" for r in rows)
    return f'<table class="fit"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _n(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f}"


def report_html(session: Session, user: User, report: RoundReportOut) -> str:
    """The printable A4 report (landscape): 总体情况, 单位排名, 失分, 点位得分, 回头看, 问题清单 with the photos of
    the failed items (the first MAX_PRINT_PHOTOS findings)."""
    e = html.escape
    t = report.total
    rnd = report.round
    tz = get_settings().tz
    when = f"{rnd.starts_at.astimezone(tz):%Y-%m-%d} 至 {rnd.ends_at.astimezone(tz):%Y-%m-%d}"
    parts = ["<h1>实地测评报告</h1>",
             f'<div class="sub">{e(rnd.name)}　{e(when)}　{e(STATE_ZH.get(rnd.state, rnd.state))}'
             f'　统计于 {report.generated_at.astimezone(tz):%Y-%m-%d %H:%M}</div>',
             "<h2>一、总体情况</h2>",
             (f"<p>本轮测评点位 <b>{len(report.sites)}</b> 个，已测评 <b>{t.sites_evaluated}</b> 个，无法调查 "
              f"<b>{t.sites_unable}</b> 个，未提交 <b>{report.sites_pending}</b> 个。应得分 <b>{_n(t.possible)}</b>，"
              f"扣分 <b>{_n(t.deducted)}</b>，得分 <b>{_n(t.earned)}</b>，得分率 <b>{pct(t.rate)}</b>"
              f"（点位平均得分率 {pct(t.mean_site_rate)}）。已测评点位中不适用项 <b>{t.na_items}</b> 个、"
              f"无法调查项 <b>{t.unable_items}</b> 个，均不计入应得分。发现问题 <b>{report.progress.total}</b> 个，"
              f"已销号 <b>{report.progress.closed}</b> 个，销号进度 <b>{pct(report.progress.rate)}</b>。</p>"),
             f'<p class="muted">{e(report.formulas["site_rate"]["zh"])}；{e(report.formulas["group_rate"]["zh"])}；'
             f'{e(report.formulas["item_loss"]["zh"])}；{e(report.formulas["unable"]["zh"])}。</p>']
    if not report.complete:
        parts.append('<p class="muted">本报告仅含本人可见的点位。</p>')
    parts.append(_table(["点位类型"] + GROUP_HEADERS[1:],
                        [[g.name or "", str(g.sites_evaluated), str(g.sites_unable), _n(g.possible), _n(g.deducted),
                          _n(g.earned), pct(g.rate), pct(g.mean_site_rate), str(g.na_items), str(g.unable_items)]
                         for g in report.by_site_type], {0}))
    parts += ["<h2>二、责任单位排名</h2>", f'<p class="muted">{e(report.formulas["ranking"]["zh"])}</p>',
              _table(["排名", "责任单位", "得分率", "点位平均得分率", "得分", "应得分", "已测评点位"],
                     [[str(u.rank), u.unit_name, pct(u.rate), pct(u.mean_site_rate), _n(u.earned), _n(u.possible),
                       str(u.sites_evaluated)] for u in report.ranking]
                     + [["不排名", g.name or "", "—", "—", "—", "—", str(g.sites_evaluated)]
                        for g in report.unranked], {1})]
    parts += ["<h2>三、失分情况</h2>", f'<p class="muted">{e(report.formulas["dimension_loss"]["zh"])}</p>',
              _table(["维度", "失分", "占总失分", "不达标项次"],
                     [[d.dimension, _n(d.lost), pct(d.share), str(d.failures)] for d in report.dimensions], {0}),
              "<h3>各测评项失分（按失分从多到少，含未失分的项）</h3>",
              _table(["点位类型", "编号", "测评标准", "维度", "失分", "占总失分", "不达标点位", "适用点位"],
                     [[i.site_type_name, i.code, i.text, i.dimension, _n(i.lost), pct(i.share), str(i.sites_failed),
                       str(i.sites_applicable)] for i in report.items], {0, 2})]
    parts += ["<h2>四、点位得分</h2>",
              _table(["点位", "类型", "责任单位", "状态", "应得分", "扣分", "得分", "得分率", "不适用项", "无法调查项"],
                     [[s.site_name, s.site_type_name, s.unit_name, SITE_STATUS_ZH[s.status]
                       + (f"（{s.unable_reason}）" if s.unable_reason else ""), _n(s.possible), _n(s.deducted),
                       _n(s.earned), pct(s.rate), str(s.na_count), str(s.unable_count)] for s in report.sites],
                     {0, 2})]
    section = 5
    if report.review is not None:
        r = report.review
        parts += [f"<h2>五、回头看（对比：{e(r.of_round_name)}）</h2>",
                  f"<p>已整改 <b>{r.counts.get('fixed', 0)}</b> 项，仍未整改 <b>{r.counts.get('still_failing', 0)}</b> "
                  f"项，新增问题 <b>{r.counts.get('newly_failing', 0)}</b> 项。</p>",
                  _table(["点位", "责任单位", "编号", "测评标准", "变化", "上轮", "本轮"],
                         [[c.site_name, c.unit_name, c.item_code, c.item_text, CHANGE_ZH.get(c.change, c.change),
                           VERDICT_ZH.get(c.before, "—"), VERDICT_ZH.get(c.after, "—")] for c in r.changes],
                         {0, 1, 3})]
        section = 6
    numbers = "一二三四五六七"
    parts.append(f"<h2>{numbers[section - 1]}、问题清单</h2>")
    if len(report.findings) > MAX_PRINT_PHOTOS:
        parts.append(f'<p class="muted">问题共 {len(report.findings)} 个，照片仅印前 {MAX_PRINT_PHOTOS} 个；'
                     "完整清单见 Excel 报告。</p>")
    photos = photos_by_stage(session, [f.ticket_id for f in report.findings[:MAX_PRINT_PHOTOS] if f.ticket_id])
    unit = None
    for i, f in enumerate(report.findings):
        if f.unit_name != unit:
            unit = f.unit_name
            parts.append(f"<h3>{e(unit)}</h3>")
        text = (f"<div><b>{e(f.case_number or '')}</b>　{e(TICKET_STATUS_ZH.get(f.status, f.status))}<br>"
                f"{e(f.site_name)}　{e(f.item_code)} {e(f.item_text)}<br>"
                f"问题 {f.occurrences or 1} 处，扣 {_n(f.loss)} 分</div>")
        if i < MAX_PRINT_PHOTOS:
            ids = photos.get(f.ticket_id, {}).get("report", [])[:2]
            figs = [figure(session, user, pid, "不达标照片", "无照片") for pid in ids]
            figs += [figure(session, user, None, "", "无照片")] * (2 - len(figs))
            parts.append(f'<div class="case">{text}{"".join(figs)}</div>')
        else:
            parts.append(f'<div class="case" style="grid-template-columns:1fr">{text}</div>')
    if not report.findings:
        parts.append("<p>无。</p>")
    return page(f"实地测评报告 {rnd.name}", "".join(parts), landscape=True)
