"""Schedules, routing and message templates as data an admin edits (PUT /api/notifications/settings).

Each value is one row of `notification_settings`, read from the database whenever it is used (a reminder job,
the digest, an event's messages): one small primary-key read, and a change holds at once in every process with
no cache to expire. A key without a row has its default, which for the digest hour is XUNCHA_DIGEST_HOUR.

- `digest_hour` (0–23, city time): when each unit's daily digest and the office's go out.
- `near_deadline_hours`: 预超期 reminders at these hours before the deadline (e.g. [72, 24]), each once per
  ticket and deadline; null: the one moment the lists call 预超期 (XUNCHA_NEAR_DEADLINE_FRACTION / _HOURS).
- `routes`: message kind → the channel kinds (wecom, dingtalk, webhook, sms) a unit's or the office's channels
  send it through; a kind not listed goes to all. The inbox and a person's own SMS are not routed.
- `templates`: message kind → the text of the message (inbox, webhook `text`, SMS `{text}`) with `{name}`
  placeholders from PLACEHOLDERS[kind]; nothing is evaluated, an unknown name or a stray brace is refused (422).
"""

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from app.core.config import get_settings
from app.core.errors import Invalid
from app.core.types import utcnow
from app.notifications.models import Setting
from app.notifications.texts import _TOKEN, TITLES

CHANNEL_KINDS = ("wecom", "dingtalk", "webhook", "sms")
MESSAGE_KINDS = tuple(TITLES)

_TICKET = ("title", "case_number", "category", "address", "deadline", "note", "link")
PLACEHOLDERS: dict[str, tuple[str, ...]] = {kind: _TICKET for kind in MESSAGE_KINDS} | {
    "request_waiting": _TICKET + ("unit_name", "request"),
    "request_decided": _TICKET + ("decision",),
    "digest": ("title", "date", "open", "due_today", "overdue"),
    "office_digest": ("title", "date", "reported", "requests", "rectified"),
}


@dataclass(frozen=True)
class Current:
    digest_hour: int
    near_deadline_hours: tuple[int, ...] | None = None
    routes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)

    def routed(self, kind: str, channel_kind: str) -> bool:
        allowed = self.routes.get(kind)
        return allowed is None or channel_kind in allowed


def current(session: Session) -> Current:
    values = {row.key: row.value.get("v") for row in session.exec(select(Setting)).all()}
    hour = values.get("digest_hour")
    near = values.get("near_deadline_hours")
    return Current(digest_hour=get_settings().digest_hour if hour is None else int(hour),
                   near_deadline_hours=None if near is None else tuple(int(h) for h in near),
                   routes={k: tuple(v) for k, v in (values.get("routes") or {}).items()},
                   templates=dict(values.get("templates") or {}))


def store(session: Session, key: str, value: Any) -> None:
    row = session.get(Setting, key)
    if row is None:
        row = Setting(key=key, value={"v": value}, updated_at=utcnow())
    else:
        row.value, row.updated_at = {"v": value}, utcnow()
    session.add(row)
    session.flush()


def check_template(kind: str, template: str) -> None:
    """422 unless every `{…}` names a placeholder of the kind and no brace stands alone."""
    allowed = PLACEHOLDERS.get(kind)
    if allowed is None:
        raise Invalid(f"未知消息类型 {kind} Unknown message kind", code="unknown_kind")
    unknown = sorted({m.group(1) for m in _TOKEN.finditer(template)} - set(allowed))
    if unknown:
        raise Invalid(f"模板含未知占位符：{'、'.join(unknown)}（可用：{'、'.join(allowed)}） "
                      f"Unknown placeholders in the {kind} template: {', '.join(unknown)}; "
                      f"allowed: {', '.join(allowed)}", code="unknown_placeholder")
    if "{" in _TOKEN.sub("", template) or "}" in _TOKEN.sub("", template):
        raise Invalid(f"模板括号不配对 Unbalanced brace in the {kind} template", code="bad_template")
