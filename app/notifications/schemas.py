import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel


class NotificationOut(BaseModel):
    id: int
    kind: str  # dispatched | resumed | rework | urged | supervised | voided | request_decided | request_waiting |
    #            verification_waiting
    ticket_id: uuid.UUID | None
    text: str  # the message in Chinese, as the channels send it
    data: dict[str, Any]  # case_number, category, address, deadline_at, note, decision, request, unit_name
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    next_cursor: str | None
    unread: int


class UnreadCount(BaseModel):
    unread: int


class MarkedRead(BaseModel):
    marked: int
    unread: int


class ReadAllIn(BaseModel):
    ticket_id: uuid.UUID | None = None  # only this ticket's messages (opening a ticket reads them)
