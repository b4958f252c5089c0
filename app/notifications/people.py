"""Telling people: each recipient's inbox message and, when they subscribed to its kind, their own SMS. The one
place that writes per-person notifications, for an event's messages (service) and reminders and digests
(reminders) alike; the recipients are chosen by the caller, by visibility."""

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.notifications import delivery
from app.notifications.models import Notification, Subscription


def subscriptions(session: Session, user_ids, kind: str) -> dict[int, Subscription]:
    """These users' enabled subscriptions to this kind of message, by user."""
    return {s.user_id: s for s in session.exec(select(Subscription).where(
        col(Subscription.user_id).in_(user_ids), col(Subscription.enabled).is_(True))).all() if kind in s.kinds}


def tell(session: Session, user_ids: Sequence[int], kind: str, fields: dict[str, Any], *, text: str, key: str,
         ticket_id: uuid.UUID | None, at: datetime, event_id: int | None = None, dedupe: bool = False,
         subscribed: Mapping[int, Subscription] | None = None) -> None:
    """`key` names the message (an event and kind, a reminder's threshold, a digest's day): a person's SMS is
    sent once per key; with `dedupe` the inbox message too (a reminder that two jobs ask for is one message).
    An event's message needs no dedupe: its event is written once. `subscribed`: the recipients' enabled
    subscriptions to this kind, when the caller read them already (a bulk write telling many)."""
    if not user_ids:
        return
    if subscribed is None:
        subscribed = subscriptions(session, user_ids, kind)
    for user_id in user_ids:
        notification = Notification(user_id=user_id, kind=kind, ticket_id=ticket_id, event_id=event_id,
                                    text=text[:1000], data=fields, created_at=at,
                                    dedupe_key=key if dedupe else None)
        if dedupe:
            try:
                with session.begin_nested():
                    session.add(notification)
                    session.flush()
            except IntegrityError:
                continue  # told already
        else:
            session.add(notification)
        if user_id in subscribed:
            delivery.queue_person(session, subscribed[user_id], kind=kind, key=key, ticket_id=ticket_id, at=at,
                                  text=text, fields=fields)
