"""The exceptions ledger (台账) as an Excel workbook: the same rows and filters as GET /api/exceptions.

An official document: Chinese headers and labels, the city's local wall-clock times as real Excel dates.
"""

import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlmodel import Session

from app.core.types import utcnow
from app.exceptions import service
from app.exceptions.schemas import ExceptionKind, Outcome
from app.stats import exports as stats_exports
from app.users.models import User

MAX_ROWS = 10_000
KIND_ZH = {ExceptionKind.extension: "延期申请", ExceptionKind.return_: "回退申请",
           ExceptionKind.suspension: "挂账申请", ExceptionKind.void: "作废", ExceptionKind.urge: "催办",
           ExceptionKind.supervise: "督办"}
OUTCOME_ZH = {Outcome.pending: "待审批", Outcome.approved: "已批准", Outcome.rejected: "已驳回",
              Outcome.reassigned: "已批准并改派"}
ROLE_ZH = {"dispatcher": "派遣员", "leader": "领导", "admin": "管理员", "unit_staff": "单位人员", "inspector": "督查员"}
HEADERS = ["类型", "时间", "案件编号", "责任单位", "问题类别", "问题描述", "地址", "申请/操作人", "事由/意见",
           "结果", "原整改时限", "申请时限/复查日期", "审批人", "审批时间", "审批意见", "批准时限/复查日期", "改派单位"]
DATE_COLUMNS = (1, 10, 11, 13, 15)  # 0-based: 时间, 原整改时限, 申请时限, 审批时间, 批准时限
WIDTHS = [10, 17, 17, 20, 16, 30, 24, 14, 30, 12, 17, 17, 12, 17, 24, 17, 18]


def ledger_xlsx(session: Session, user: User, *, kind: ExceptionKind | None, unit_id: int | None,
                start: date | None, end: date | None) -> tuple[bytes, str]:
    """The workbook (sheet 台账) and its file name."""
    now = utcnow()
    rows, more = service.all_rows(session, user, kind=kind, unit_id=unit_id, start=start, end=end, limit=MAX_ROWS)
    wb = Workbook()
    ws = wb.active
    ws.title = "台账"
    span = f"{start or '开始'} 至 {end or '今'}" if start or end else "全部"
    what = KIND_ZH[kind] if kind else "全部类型"
    title = f"延期、回退、挂账、作废、催办、督办台账（{what}，{span}；导出于 {stats_exports._local(now)}）"
    stats_exports._append(ws, [title])
    ws["A1"].font = Font(bold=True, size=13)
    stats_exports._header(ws, HEADERS)
    t = stats_exports._excel_time
    for r in rows:
        actor = r.actor_name or ROLE_ZH.get(r.actor_role, "")
        row = stats_exports._append(ws, [  # its cells: ws[ws.max_row] scanned the sheet per row (quadratic)
            KIND_ZH[r.kind], t(r.at), r.ticket.case_number, r.unit_name, r.ticket.category_name_zh,
            r.ticket.description, r.ticket.address, actor, r.reason, OUTCOME_ZH.get(r.outcome, "") if r.outcome else "",
            t(r.deadline_before), t(r.requested_deadline), r.decided_by_name, t(r.decided_at), r.decision_note,
            t(r.decided_deadline), r.reassigned_unit_name])
        for i in DATE_COLUMNS:
            row[i].number_format = stats_exports.DATETIME_FORMAT
        for i in (5, 8, 14):
            row[i].alignment = Alignment(wrap_text=True, vertical="top")
    if more:
        stats_exports._append(ws, [f"仅导出最近 {MAX_ROWS} 条，请缩小时段或按单位、类型筛选后再导出"])
    stats_exports._widths(ws, WIDTHS)
    stats_exports._print_setup(ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), f"异常台账_{now.astimezone(stats_exports.get_settings().tz):%Y%m%d}.xlsx"
