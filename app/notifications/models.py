"""A notification (消息): one message to one user about one ticket, written in the transaction of the event
that causes it. The in-app inbox reads these rows; outbound channels (企业微信 / 钉钉 robots, SMS) will send
from them too, so a message exists exactly when its event committed."""

import uuid
from datetime import datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime


class Notification(SQLModel, table=True):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_created", "user_id", "created_at", "id"),  # the inbox, newest first
        Index("ix_notifications_user_unread", "user_id", "read_at"),            # the badge
        # A reminder (预超期, overdue) is sent once per threshold per ticket: its key says which.
        UniqueConstraint("user_id", "dedupe_key", name="uq_notifications_user_dedupe"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id")
    kind: str = Field(max_length=32)
    ticket_id: uuid.UUID | None = Field(default=None, foreign_key="tickets.id", index=True)
    event_id: int | None = Field(default=None, foreign_key="ticket_events.id")
    text: str = Field(max_length=1000)  # the message in Chinese, as a channel sends it
    data: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # fields the app shows
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dedupe_key: str | None = Field(default=None, max_length=120)


class Channel(SQLModel, table=True):
    """An outbound channel (企业微信 / 钉钉 group robot, a city's webhook, an SMS gateway) for one unit's
    messages, or for the office's (unit_id null). `url` and `secret` are write-only: the API never returns them."""

    __tablename__ = "notification_channels"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    kind: str = Field(max_length=16)  # wecom | dingtalk | webhook | sms
    unit_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    url: str = Field(max_length=1000)  # a robot's webhook holds its key: a secret as a whole
    secret: str | None = Field(default=None, max_length=200)  # 钉钉 加签 secret; a gateway's token
    phones: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))  # SMS recipients
    template: str | None = Field(default=None, max_length=500)  # SMS text with {case_number} … placeholders
    rate_per_minute: int = 20  # 企业微信 and 钉钉 robots accept 20 messages a minute
    enabled: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class Delivery(SQLModel, table=True):
    """One message to one channel: the outbox row, written with the event, and its delivery log."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        Index("ix_notification_deliveries_channel_sent", "channel_id", "sent_at"),  # the rate limit
        Index("ix_notification_deliveries_channel_created", "channel_id", "created_at", "id"),  # the log
    )

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="notification_channels.id")
    # A person's own SMS (Subscription): sent to their number instead of the channel's phones.
    subscription_id: int | None = Field(default=None, foreign_key="notification_subscriptions.id")
    # Sent with the message (webhook: the Idempotency-Key header and `id`; SMS: `id`): a receiver that keeps
    # them drops the repeat an at-least-once delivery can make after a crash between sending and recording.
    key: str = Field(max_length=80, unique=True)
    kind: str = Field(max_length=32)
    ticket_id: uuid.UUID | None = Field(default=None, foreign_key="tickets.id")
    text: str = Field(max_length=1000)
    data: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    state: str = Field(default="queued", max_length=16)  # queued | sent | failed
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Subscription(SQLModel, table=True):
    """A person's own SMS (one a user, set by an admin): the kinds of message they are texted, through an SMS
    gateway channel, besides their inbox. Only messages the person is told anyway (the inbox's recipients,
    which follow visibility) are texted; the number is masked whenever the API shows it."""

    __tablename__ = "notification_subscriptions"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", unique=True)
    channel_id: int = Field(foreign_key="notification_channels.id", index=True)  # an SMS gateway
    phone: str = Field(max_length=20)
    kinds: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    enabled: bool = True
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class Setting(SQLModel, table=True):
    """Schedules, routing and templates an admin edits (app/notifications/settings.py): one row a key, read
    from the database on every use, so a change holds at once in every process."""

    __tablename__ = "notification_settings"

    key: str = Field(primary_key=True, max_length=32)
    value: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # {"v": …}
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
