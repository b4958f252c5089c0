"""Outbound messages (企业微信 / 钉钉 group robots, a city's webhook, an SMS gateway): an outbox row per message
and channel, written in the event's transaction, sent afterwards by the job worker (app/jobs).

Delivery is AT LEAST ONCE. A worker killed after the receiver accepted a message and before it recorded
that leaves the job's lease to expire, and the message is sent again with the same key: the webhook gets it
as the `Idempotency-Key` header and the body's `id`, the SMS gateway as `id`, so a receiver that keeps keys
for a day drops the repeat. The robots of 企业微信 and 钉钉 keep no keys: there a crash in that window (one
HTTP call long) can show a message twice; nothing is ever lost.

Failures (a 5xx, a timeout, a robot's errcode) retry with the job worker's backoff (5 s doubling, up to an
hour) for MAX_ATTEMPTS tries; then the delivery is `failed` with its last error in the log an admin reads.
A channel's rate (企业微信 and 钉钉 robots: 20 a minute) defers what is over it to when the minute allows:
queued, never dropped. Nothing here runs in a request: a hanging receiver slows only its own deliveries
(each call times out after SEND_TIMEOUT_S).
"""

import base64
import hashlib
import hmac
import logging
import re
import time
import urllib.parse
import uuid
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app import jobs
from app.core.db import new_session
from app.core.types import utcnow
from app.notifications import settings, targets
from app.notifications.models import Channel, Delivery, Subscription
from app.notifications.texts import TITLES, deadline_label, link, local_time

log = logging.getLogger(__name__)

JOB = "notifications.deliver"
MAX_ATTEMPTS = 10
SEND_TIMEOUT_S = 5.0
KINDS = ("wecom", "dingtalk", "webhook", "sms")


def queue(session: Session, *, unit_id: int | None, kind: str, key: str, ticket_id: uuid.UUID | None,
          at: datetime, text: str, fields: dict[str, Any], conf: settings.Current | None = None,
          channels: list[Channel] | None = None) -> None:
    """One delivery per enabled channel of the unit (None: the office's channels) that the settings route this
    kind of message to, in the caller's transaction. `key` names the message (an event and kind, a reminder's
    threshold); with the channel it is the delivery's unique key, so a message queued twice (two reminder
    jobs) is sent once. `channels`: the unit's enabled channels, when the caller read them already."""
    conf = conf or settings.current(session)
    if channels is None:
        channels = session.exec(select(Channel).where(
            col(Channel.unit_id).is_(None) if unit_id is None else Channel.unit_id == unit_id,
            col(Channel.enabled).is_(True))).all()
    for channel in channels:
        if not conf.routed(kind, channel.kind) or (channel.kind == "sms" and not channel.phones):
            continue  # not this kind's route; an SMS gateway without numbers only texts people (Subscription)
        _add(session, Delivery(channel_id=channel.id, key=f"xc-{key}-{channel.id}", kind=kind,
                               ticket_id=ticket_id, text=text, data=fields, created_at=at))


def queue_person(session: Session, subscription: Subscription, *, kind: str, key: str,
                 ticket_id: uuid.UUID | None, at: datetime, text: str, fields: dict[str, Any]) -> None:
    """A person's own SMS of a message they are told (their subscription's gateway, their number)."""
    _add(session, Delivery(channel_id=subscription.channel_id, subscription_id=subscription.id,
                           key=f"xc-{key}-u{subscription.user_id}", kind=kind, ticket_id=ticket_id, text=text,
                           data=fields, created_at=at))


def _add(session: Session, delivery: Delivery) -> None:
    try:
        with session.begin_nested():
            session.add(delivery)
            session.flush()
    except IntegrityError:
        return  # already queued
    jobs.enqueue(session, JOB, {"delivery_id": delivery.id}, max_attempts=MAX_ATTEMPTS * 3)


@jobs.handler(JOB)
def deliver(session: Session, payload: dict) -> None:
    # Read and send outside `session`: on SQLite its transaction holds the write lock, which must never wait
    # on a receiver. `session` only records the outcome (and marks the job done with it).
    with new_session() as reader:
        delivery = reader.get(Delivery, payload["delivery_id"])
        if delivery is None or delivery.state != "queued":
            return  # sent (or given up) by an earlier run of this job
        channel = reader.get(Channel, delivery.channel_id)
        if channel is None or not channel.enabled:
            _record(session, delivery.id, state="failed", error="通道已停用 channel disabled")
            return
        phones = None
        if delivery.subscription_id is not None:
            subscription = reader.get(Subscription, delivery.subscription_id)
            if subscription is None or not subscription.enabled:
                _record(session, delivery.id, state="failed", error="个人短信已停用 subscription disabled")
                return
            phones = [subscription.phone]
        _hold_rate(reader, channel)
    url = None
    try:
        request = build_request(channel, delivery, phones=phones)
        url = request["url"]
        to = targets.route(url)
        with httpx.Client(timeout=SEND_TIMEOUT_S, trust_env=to.trust_env) as client:
            response = client.post(to.url, json=request["json"], headers=request.get("headers", {}) | to.headers,
                                   extensions=to.extensions)
        _check(channel, response)
    except targets.BlockedTarget as exc:  # no retry will change where the name points to: failed at once
        _record(session, delivery.id, state="failed", error=str(exc), attempt=True)
        log.warning("delivery %s to channel %s refused: %s", delivery.id, channel.id, exc)
        return
    except Exception as exc:  # a refusal, a timeout, a bad URL: all retried until MAX_ATTEMPTS
        error = error_text(exc, channel, url)
        if delivery.attempts + 1 >= MAX_ATTEMPTS:
            _record(session, delivery.id, state="failed", error=error, attempt=True)
            log.warning("delivery %s to channel %s failed for good: %s", delivery.id, channel.id, error)
            return
        with new_session(write=True) as writer:  # kept although this run fails and its session rolls back
            _record(writer, delivery.id, error=error, attempt=True)
            writer.commit()
        raise DeliveryFailed(error) from None  # not exc: the job log would print its URL
    _record(session, delivery.id, state="sent", attempt=True)


class DeliveryFailed(Exception):
    """A delivery that did not go through, told without the channel's URL or secret."""


def error_text(exc: Exception, channel: Channel, url: str | None) -> str:
    """What went wrong, for the delivery log, the admin and the logs, without the robot's key: httpx names the
    whole URL in its errors, and a 企业微信 / 钉钉 URL carries the key (钉钉's signed one the sign too)."""
    if isinstance(exc, httpx.HTTPStatusError):
        text = f"HTTP {exc.response.status_code} {exc.response.reason_phrase}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    secrets = {channel.secret}
    for u in (channel.url, url):
        if u:
            query = urllib.parse.urlsplit(u).query
            secrets |= {u, query, *(v for _, v in urllib.parse.parse_qsl(query))}
    for secret in sorted((x for x in secrets if x and len(x) >= 4), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text[:1000]


def _hold_rate(reader: Session, channel: Channel) -> None:
    """Defer when the channel sent its rate within the last minute: until the oldest of those is a minute old."""
    since = utcnow() - timedelta(minutes=1)
    sent = reader.exec(select(func.count(), func.min(Delivery.sent_at)).where(
        Delivery.channel_id == channel.id, col(Delivery.sent_at) > since)).one()
    if sent[0] >= channel.rate_per_minute:
        raise jobs.Defer(sent[1] + timedelta(minutes=1, seconds=1), f"rate {channel.rate_per_minute}/min reached")


def _record(session: Session, delivery_id: int, *, state: str | None = None, error: str | None = None,
            attempt: bool = False) -> None:
    values: dict[str, Any] = {}
    if state:
        values["state"] = state
    if state == "sent":
        values |= {"sent_at": utcnow(), "last_error": None}
    if error:
        values["last_error"] = error
    if attempt:
        values["attempts"] = Delivery.attempts + 1
    session.execute(update(Delivery).where(col(Delivery.id) == delivery_id).values(**values)
                    .execution_options(synchronize_session=False))


def _check(channel: Channel, response: httpx.Response) -> None:
    response.raise_for_status()
    if channel.kind in ("wecom", "dingtalk"):
        body = response.json()  # {"errcode": 0, "errmsg": "ok"}; anything else is a refusal to retry
        if body.get("errcode") != 0:
            raise RuntimeError(f"errcode {body.get('errcode')}: {body.get('errmsg')}")


# ---- what each channel is sent --------------------------------------------------------------------

_MARKDOWN = str.maketrans({"[": "［", "]": "］", "(": "（", ")": "）", "*": "＊", "_": "＿", "`": "｀",
                           "<": "＜", ">": "＞", "#": "＃",
                           # Every line break (CR ends a markdown line as LF does): no heading, list or code block
                           # of the user's making.
                           "\n": " ", "\r": " ", "\u2028": " ", "\u2029": " "})


def _md(text: object) -> str:
    """User text inside a robot's markdown: no links, emphasis, tags or headings of its own."""
    return str(text).translate(_MARKDOWN)


def markdown(delivery: Delivery) -> tuple[str, str]:
    """(title, markdown) of a robot message: the message line by line, user text neutralised."""
    f = delivery.data
    title = f"【{TITLES.get(delivery.kind, delivery.kind)}】{_md(f.get('case_number', ''))}"
    lines = [f"**{title} {_md(f.get('category', ''))}**"]
    if f.get("address"):
        lines.append(f"> 地点：{_md(f['address'])}")
    if f.get("decision"):
        lines.append(f"> 结果：{_md(f['decision'])}")
    if f.get("request"):
        lines.append(f"> 申请：{_md(f.get('unit_name') or '')}申请{_md(f['request'])}")
    if f.get("deadline_at"):
        lines.append(f"> {deadline_label(f)}：{local_time(f['deadline_at'])}")
    if f.get("note"):
        lines.append(f"> 说明：{_md(f['note'])}")
    if url := link(delivery.ticket_id):
        lines.append(f"[查看案件]({url})")
    return title, "\n".join(lines)


def build_request(channel: Channel, delivery: Delivery, phones: list[str] | None = None) -> dict[str, Any]:
    """The HTTP POST for this channel: {url, json, headers}; SMS to `phones` (a person's) or the channel's."""
    if channel.kind == "wecom":
        return {"url": channel.url, "json": {"msgtype": "markdown", "markdown": {"content": markdown(delivery)[1]}}}
    if channel.kind == "dingtalk":
        title, text = markdown(delivery)
        return {"url": dingtalk_signed_url(channel.url, channel.secret), "json": {
            "msgtype": "markdown", "markdown": {"title": title, "text": text}}}
    fields = {k: v for k, v in delivery.data.items() if v is not None}
    if channel.kind == "sms":
        template = channel.template or "{text}"
        return {"url": channel.url, "headers": _bearer(channel), "json": {
            "id": delivery.key, "phones": phones or channel.phones, "text": render_template(template, delivery),
            "params": fields}}
    return {"url": channel.url, "headers": {"Idempotency-Key": delivery.key, **_bearer(channel)}, "json": {
        "id": delivery.key, "kind": delivery.kind, "text": delivery.text, "ticket_id": str(delivery.ticket_id)
        if delivery.ticket_id else None, "link": link(delivery.ticket_id), "fields": fields,
        "created_at": delivery.created_at.isoformat()}}


def _bearer(channel: Channel) -> dict[str, str]:
    return {"Authorization": f"Bearer {channel.secret}"} if channel.secret else {}


def render_template(template: str, delivery: Delivery) -> str:
    """An SMS template's {placeholders}: the message's fields, {text} and {link}; unknown ones stay as typed."""
    values = {k: "" if v is None else str(v) for k, v in delivery.data.items()}
    values |= {"text": delivery.text, "link": link(delivery.ticket_id) or ""}
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), template)


def dingtalk_signed_url(url: str, secret: str | None, timestamp_ms: int | None = None) -> str:
    """钉钉 加签: timestamp and sign = urlencode(base64(HmacSHA256(secret, f"{timestamp}\\n{secret}")))."""
    if not secret:
        return url
    timestamp = str(timestamp_ms or int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"
