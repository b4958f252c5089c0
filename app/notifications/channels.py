"""Outbound channels as an admin configures them (the API and the console's 通知渠道 screen): the URL and
secret are written, never read back; the delivery log says what was sent and the last error. Every change
writes an audit row in its own transaction, with the URL's host only and whether a secret is set (the URL
holds a robot's key), and phone numbers masked."""

from urllib.parse import urlsplit

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from app.audit import service as audit
from app.core import pagination
from app.core.config import get_settings
from app.core.errors import Invalid, NotFound
from app.core.types import utcnow
from app.notifications import reminders, settings, texts
from app.notifications.models import Channel, Delivery, Subscription
from app.notifications.schemas import (
    ChannelIn,
    ChannelOut,
    ChannelPatch,
    DeliveryOut,
    DeliveryPage,
    SettingsIn,
    SettingsOut,
    SubscriptionIn,
    SubscriptionOut,
)
from app.units.models import Unit
from app.users.models import User


def _mask(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:]


def out(session: Session, channel: Channel) -> ChannelOut:
    counts = session.exec(select(
        func.count(case((Delivery.state == "queued", 1))), func.count(case((Delivery.state == "sent", 1))),
        func.count(case((Delivery.state == "failed", 1))),
    ).where(Delivery.channel_id == channel.id)).one()
    last_error = session.exec(select(Delivery.last_error).where(
        Delivery.channel_id == channel.id, col(Delivery.last_error).is_not(None))
        .order_by(col(Delivery.created_at).desc(), col(Delivery.id).desc()).limit(1)).first()
    return ChannelOut(id=channel.id, name=channel.name, kind=channel.kind, unit_id=channel.unit_id,
                      url_host=urlsplit(channel.url).hostname or "", has_secret=bool(channel.secret),
                      phones=[_mask(p) for p in channel.phones], template=channel.template,
                      rate_per_minute=channel.rate_per_minute, enabled=channel.enabled,
                      created_at=channel.created_at, updated_at=channel.updated_at,
                      queued=counts[0], sent=counts[1], failed=counts[2], last_error=last_error)


def _snapshot(channel: Channel) -> dict:
    return {"name": channel.name, "kind": channel.kind, "unit_id": channel.unit_id,
            "url_host": urlsplit(channel.url).hostname or "", "has_secret": bool(channel.secret),
            "phones": [_mask(p) for p in channel.phones], "template": channel.template,
            "rate_per_minute": channel.rate_per_minute, "enabled": channel.enabled}


def _check(session: Session, kind: str, unit_id: int | None, phones: list[str]) -> None:
    if unit_id is not None and session.get(Unit, unit_id) is None:
        raise Invalid("单位不存在 Unknown unit", code="unknown_unit")


def create(session: Session, actor: audit.Actor, body: ChannelIn) -> ChannelOut:
    _check(session, body.kind, body.unit_id, body.phones)
    now = utcnow()
    channel = Channel(**body.model_dump(), created_at=now, updated_at=now)
    session.add(channel)
    session.flush()
    audit.record(session, actor, "channel.create", "channel", channel.id, None, _snapshot(channel))
    return out(session, channel)


def get(session: Session, channel_id: int) -> Channel:
    channel = session.get(Channel, channel_id)
    if channel is None:
        raise NotFound("通道不存在 Channel not found")
    return channel


def update(session: Session, actor: audit.Actor, channel_id: int, body: ChannelPatch) -> ChannelOut:
    channel = get(session, channel_id)
    before, old_url, old_secret = _snapshot(channel), channel.url, channel.secret
    changes = body.model_dump(exclude_unset=True)
    if changes.get("secret") == "":
        changes["secret"] = None
    for name in ("name", "url", "phones", "rate_per_minute", "enabled"):
        if name in changes and changes[name] is None:
            raise Invalid(f"{name} 不能为空 {name} may not be null", code="invalid_value")
    for name, value in changes.items():
        setattr(channel, name, value)
    _check(session, channel.kind, channel.unit_id, channel.phones)
    channel.updated_at = utcnow()
    session.add(channel)
    session.flush()
    after = _snapshot(channel)
    # a new URL or secret on the same host shows only as "changed", never its value
    if channel.url != old_url:
        before["url"], after["url"] = "•", "• (new)"
    if channel.secret != old_secret:
        before["secret_changed"], after["secret_changed"] = False, True
    if after != before:
        verb = "disable" if before["enabled"] and not after["enabled"] else \
            "enable" if after["enabled"] and not before["enabled"] else "update"
        audit.record(session, actor, f"channel.{verb}", "channel", channel.id, before, after)
    return out(session, channel)


def listing(session: Session) -> list[ChannelOut]:
    return [out(session, c) for c in session.exec(select(Channel).order_by(Channel.id)).all()]


def deliveries(session: Session, channel_id: int, *, state: str | None, limit: int,
               cursor: str | None) -> DeliveryPage:
    get(session, channel_id)
    stmt = select(Delivery).where(Delivery.channel_id == channel_id)
    if state:
        stmt = stmt.where(Delivery.state == state)
    rows, next_cursor = pagination.page(session, stmt, col(Delivery.created_at), col(Delivery.id), desc=True,
                                        limit=limit, cursor=cursor, id_type=int)
    return DeliveryPage(items=[DeliveryOut.model_validate(d, from_attributes=True) for d in rows],
                        next_cursor=next_cursor)


# ---- a person's own SMS -----------------------------------------------------------------------------

def _subscription_out(s: Subscription) -> SubscriptionOut:
    return SubscriptionOut(user_id=s.user_id, channel_id=s.channel_id, phone=_mask(s.phone), kinds=list(s.kinds),
                           enabled=s.enabled, updated_at=s.updated_at)


# What a removed subscription keeps instead of the number (the column is NOT NULL; no mobile number looks so).
FORGOTTEN_PHONE = "00000000000"


def subscriptions(session: Session) -> list[SubscriptionOut]:
    return [_subscription_out(s) for s in session.exec(select(Subscription).order_by(Subscription.user_id)).all()]


def subscription(session: Session, user_id: int) -> SubscriptionOut:
    s = session.exec(select(Subscription).where(Subscription.user_id == user_id)).first()
    if s is None:
        raise NotFound("此用户未设短信 No SMS set for this user")
    return _subscription_out(s)


def _sub_snapshot(s: Subscription | None) -> dict | None:
    return None if s is None else {"channel_id": s.channel_id, "phone": _mask(s.phone), "kinds": list(s.kinds),
                                   "enabled": s.enabled}


def set_subscription(session: Session, actor: audit.Actor, user_id: int, body: SubscriptionIn) -> SubscriptionOut:
    if session.get(User, user_id) is None:
        raise NotFound("用户不存在 User not found")
    gateway = session.get(Channel, body.channel_id)
    if gateway is None or gateway.kind != "sms":
        raise Invalid("应为短信通道 channel_id must be an SMS channel", code="not_sms_channel")
    s = session.exec(select(Subscription).where(Subscription.user_id == user_id)).first()
    before = _sub_snapshot(s)
    # A removed person's number was forgotten: texting again needs it anew, never the placeholder.
    phone = body.phone or (s.phone if s and s.phone != FORGOTTEN_PHONE else None)
    if phone is None:
        raise Invalid("需要手机号 A phone number is required", code="phone_required")
    now = utcnow()
    if s is None:
        s = Subscription(user_id=user_id, channel_id=body.channel_id, phone=phone, created_at=now, updated_at=now)
    s.channel_id, s.phone, s.kinds, s.enabled, s.updated_at = (body.channel_id, phone, sorted(set(body.kinds)),
                                                               body.enabled, now)
    session.add(s)
    session.flush()
    audit.record(session, actor, "subscription.set", "subscription", user_id, before, _sub_snapshot(s))
    return _subscription_out(s)


def remove_subscription(session: Session, actor: audit.Actor, user_id: int) -> None:
    """Stops a person's SMS: the row stays disabled (its deliveries name it), the number is forgotten."""
    s = session.exec(select(Subscription).where(Subscription.user_id == user_id)).first()
    if s is None:
        raise NotFound("此用户未设短信 No SMS set for this user")
    before = _sub_snapshot(s)
    s.enabled, s.kinds, s.phone, s.updated_at = False, [], FORGOTTEN_PHONE, utcnow()
    session.add(s)
    session.flush()
    audit.record(session, actor, "subscription.remove", "subscription", user_id, before, None)


# ---- schedules, routing and templates ----------------------------------------------------------------

def settings_out(session: Session) -> SettingsOut:
    conf = settings.current(session)
    return SettingsOut(digest_hour=conf.digest_hour, digest_hour_default=get_settings().digest_hour,
                       near_deadline_hours=None if conf.near_deadline_hours is None else list(conf.near_deadline_hours),
                       routes={k: list(v) for k, v in conf.routes.items()}, templates=conf.templates,
                       placeholders={k: list(v) for k, v in settings.PLACEHOLDERS.items()},
                       builtin={k: texts.render(k, _EXAMPLE) for k in settings.MESSAGE_KINDS})


# Example values for showing the built-in texts to an admin (what a template replaces).
_EXAMPLE = {"case_number": "XC-2026-000123", "category": "占道经营", "address": "向阳路 18 号",
            "deadline_at": "2026-06-01T10:00:00+00:00", "note": "请尽快处理", "unit_name": "向阳街道办事处",
            "request": "延期", "decision": "同意", "date": "2026-06-01", "open": 12, "due_today": 3, "overdue": 1,
            "reported": 5, "requests": 2, "rectified": 4}


def _settings_snapshot(conf) -> dict:
    return {"digest_hour": conf.digest_hour, "near_deadline_hours": conf.near_deadline_hours,
            "routes": {k: list(v) for k, v in conf.routes.items()}, "templates": dict(conf.templates)}


def update_settings(session: Session, actor: audit.Actor, body: SettingsIn) -> SettingsOut:
    """Checks everything first (nothing half-written), then stores, then moves what is scheduled."""
    changes = body.model_dump(exclude_unset=True)
    for kind, template in (changes.get("templates") or {}).items():
        if template is not None:
            settings.check_template(kind, template)
    before = settings.current(session)
    if changes.get("near_deadline_hours") is not None:
        changes["near_deadline_hours"] = sorted(set(changes["near_deadline_hours"]), reverse=True)
    if changes.get("routes") is not None:
        routes = {k: list(v) for k, v in before.routes.items()} | changes["routes"]
        changes["routes"] = {k: sorted(set(v)) for k, v in routes.items() if v is not None}
    if changes.get("templates") is not None:
        templates = before.templates | changes["templates"]
        changes["templates"] = {k: v for k, v in templates.items() if v is not None}
    for key, value in changes.items():
        settings.store(session, key, value)
    after = settings.current(session)
    if _settings_snapshot(after) != _settings_snapshot(before):
        audit.record(session, actor, "settings.notifications", "settings", "notifications",
                     _settings_snapshot(before), _settings_snapshot(after))
    if "digest_hour" in changes:
        reminders.ensure_digest_scheduled(session, reschedule=True)
    reminders.reschedule(session, before, after)
    return settings_out(session)
