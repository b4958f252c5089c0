"""Outbound channels as an admin configures them (API now, the console's forms later): the URL and secret
are written, never read back; the delivery log says what was sent and the last error."""

from urllib.parse import urlsplit

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from app.core import pagination
from app.core.errors import Invalid, NotFound
from app.core.types import utcnow
from app.notifications.models import Channel, Delivery
from app.notifications.schemas import ChannelIn, ChannelOut, ChannelPatch, DeliveryOut, DeliveryPage
from app.units.models import Unit


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


def _check(session: Session, kind: str, unit_id: int | None, phones: list[str]) -> None:
    if unit_id is not None and session.get(Unit, unit_id) is None:
        raise Invalid("单位不存在 Unknown unit", code="unknown_unit")
    if kind == "sms" and not phones:
        raise Invalid("短信通道需要手机号 An SMS channel needs phone numbers", code="phones_required")


def create(session: Session, body: ChannelIn) -> ChannelOut:
    _check(session, body.kind, body.unit_id, body.phones)
    now = utcnow()
    channel = Channel(**body.model_dump(), created_at=now, updated_at=now)
    session.add(channel)
    session.flush()
    return out(session, channel)


def get(session: Session, channel_id: int) -> Channel:
    channel = session.get(Channel, channel_id)
    if channel is None:
        raise NotFound("通道不存在 Channel not found")
    return channel


def update(session: Session, channel_id: int, body: ChannelPatch) -> ChannelOut:
    channel = get(session, channel_id)
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
