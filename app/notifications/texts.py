"""The words of a message, shared by the inbox and the outbound channels."""

import re
from datetime import datetime
from typing import Any

from app.core.config import get_settings

TITLES = {"dispatched": "新任务", "resumed": "恢复办理", "rework": "返工", "urged": "催办", "supervised": "督办",
           "voided": "已作废", "request_decided": "申请结果", "request_waiting": "待审批",
           "verification_waiting": "待核查", "near_deadline": "预超期", "overdue": "已超期", "digest": "每日提醒",
          "office_digest": "每日待办"}


_TOKEN = re.compile(r"\{([^{}]*)\}")


def link(ticket_id: object) -> str | None:
    """The ticket in the app (XUNCHA_PUBLIC_URL), for messages sent out."""
    base = get_settings().public_url.rstrip("/")
    return f"{base}/tickets/{ticket_id}" if base and ticket_id else None


def fill(template: str, values: dict[str, Any]) -> str:
    """A checked template (settings.check_template) with each {name} replaced by its text (missing: empty).
    Only the names are looked up: nothing of the template or the values is evaluated."""
    return _TOKEN.sub(lambda m: "" if values.get(m.group(1)) is None else str(values[m.group(1)]), template)


def render(kind: str, f: dict[str, Any], template: str | None = None, ticket_id: object = None) -> str:
    """The message as a channel sends it (Chinese, the office's language): case number, category, place,
    deadline, and what happened; or the admin's template for the kind (settings.templates)."""
    if template:
        values = f | {"title": TITLES.get(kind, kind), "link": link(ticket_id),
                      "deadline": local_time(f["deadline_at"]) if f.get("deadline_at") else None}
        return fill(template, values)
    if kind == "digest":
        return (f"【{TITLES[kind]}】{f['date']}：在办 {f['open']} 件，今日到期 {f['due_today']} 件，"
                f"已超期 {f['overdue']} 件")
    if kind == "office_digest":
        return (f"【{TITLES[kind]}】{f['date']}：待分拨 {f['reported']} 件，待审批 {f['requests']} 件，"
                f"待核查 {f['rectified']} 件")
    parts = [f"【{TITLES.get(kind, kind)}】{f['case_number']} {f['category']}"]
    if f.get("address"):
        parts.append(f["address"])
    if kind == "request_waiting":
        parts.append(f"{f.get('unit_name') or '责任单位'}申请{f['request']}")
    if kind == "request_decided":
        parts.append(f["decision"])
    if kind == "verification_waiting":
        parts.append("已整改，请核查")
    if f.get("deadline_at") and kind in ("dispatched", "resumed", "rework", "request_decided",
                                                            "near_deadline", "overdue"):
        parts.append(f"{deadline_label(f)} {local_time(f['deadline_at'])}")
    if f.get("note"):
        parts.append(f"说明：{f['note']}")
    return "｜".join(parts)


def deadline_label(fields: dict) -> str:
    """What a message's date is: an approved 挂账 carries the date it is to be looked at again, not a deadline."""
    return "复查日期" if fields.get("action") == "approve_suspension" else "整改时限"


def local_time(iso: str) -> str:
    """An ISO time as the city reads it: 12月5日 17:00."""
    at = datetime.fromisoformat(iso).astimezone(get_settings().tz)
    return f"{at.month}月{at.day}日 {at:%H:%M}"
