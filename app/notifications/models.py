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
