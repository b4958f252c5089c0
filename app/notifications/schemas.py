import uuid
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.core.types import DbId, SingleLine, UserText
from app.notifications import targets


class NotificationOut(BaseModel):
    id: int
    kind: str  # dispatched | resumed | rework | urged | supervised | voided | request_decided | request_waiting |
    #            verification_waiting | near_deadline | overdue | digest | office_digest
    ticket_id: uuid.UUID | None
    text: str  # the message in Chinese, as the channels send it
    data: dict[str, Any]  # case_number, category (+ category_code), action (the event's), address, deadline_at,
    #                       note, decision, request, unit_name;
    #                       a digest: date, open, due_today, overdue; office_digest: date, reported, requests, rectified
    created_at: datetime
    read_at: datetime | None
    settled: bool | None = Field(None, description="for a message asking something of the reader (a task, a request "
                                                    "to decide, a rectification to verify): whether that is done now "
                                                    "(or no longer the reader's); None for a message that only tells")


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


# ---- outbound channels (admin) ----------------------------------------------------------------------

ChannelKind = Literal["wecom", "dingtalk", "webhook", "sms"]
Phone = Annotated[str, StringConstraints(pattern=r"^1[3-9][0-9]{9}$")]  # a mainland mobile number


def _http_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("应为 http(s) 地址 must be an http(s) URL")
    targets.check_saved(url)  # a BlockedTarget is a ValueError: a 422 on the field
    return url


HttpUrl = Annotated[UserText, StringConstraints(strip_whitespace=True, max_length=1000), AfterValidator(_http_url)]


class ChannelIn(BaseModel):
    """A channel for one unit's messages (unit_id), or for the office's (unit_id null: requests waiting,
    rectifications waiting for verification)."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[SingleLine, StringConstraints(min_length=1, max_length=64)]
    kind: ChannelKind
    unit_id: DbId | None = None
    url: HttpUrl = Field(description="the robot's webhook (with its key), the city's endpoint or the SMS gateway; "
                                     "never returned")
    secret: Annotated[UserText, StringConstraints(max_length=200)] | None = Field(
        None, description="钉钉 加签 secret, or a bearer token for a webhook / SMS gateway; never returned")
    phones: list[Phone] = Field(default_factory=list, max_length=50, description="SMS: the numbers to text "
                                              "(none: the gateway only texts people who subscribed)")
    template: Annotated[UserText, StringConstraints(max_length=500)] | None = Field(
        None, description="SMS text with {case_number}, {category}, {address}, {deadline_at}, {text}, {link}")
    rate_per_minute: int = Field(20, ge=1, le=600)
    enabled: bool = True


class ChannelPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Annotated[SingleLine, StringConstraints(min_length=1, max_length=64)] | None = None
    url: HttpUrl | None = None
    secret: Annotated[UserText, StringConstraints(max_length=200)] | None = Field(None, description="\"\" removes it")
    phones: list[Phone] | None = Field(None, max_length=50)
    template: Annotated[UserText, StringConstraints(max_length=500)] | None = None
    rate_per_minute: int | None = Field(None, ge=1, le=600)
    enabled: bool | None = None


class ChannelOut(BaseModel):
    id: int
    name: str
    kind: str
    unit_id: int | None
    url_host: str  # only the host: the whole URL holds the robot's key
    has_secret: bool
    phones: list[str]  # masked: 138****5678
    template: str | None
    rate_per_minute: int
    enabled: bool
    created_at: datetime
    updated_at: datetime
    queued: int
    sent: int
    failed: int
    last_error: str | None


class DeliveryOut(BaseModel):
    id: int
    kind: str
    ticket_id: uuid.UUID | None
    text: str
    state: str
    attempts: int
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    next_cursor: str | None


# ---- a person's own SMS (admin) ----------------------------------------------------------------------

MessageKind = Literal["dispatched", "resumed", "rework", "urged", "supervised", "voided", "request_decided",
                      "request_waiting", "verification_waiting", "near_deadline", "overdue", "digest",
                      "office_digest"]


class SubscriptionIn(BaseModel):
    """Text this person the kinds of message they are told (their inbox's), through an SMS gateway channel."""

    model_config = ConfigDict(extra="forbid")
    channel_id: DbId = Field(description="an SMS channel (the gateway); one without phones texts only people")
    phone: Phone | None = Field(None, description="the person's mobile; may be left out to keep the one set; "
                                                  "shown masked")
    kinds: list[MessageKind] = Field(max_length=13, description="e.g. dispatched, rework, supervised")
    enabled: bool = True


class SubscriptionOut(BaseModel):
    user_id: int
    channel_id: int
    phone: str  # masked: 138****5678
    kinds: list[str]
    enabled: bool
    updated_at: datetime


# ---- schedules, routing and templates (admin) --------------------------------------------------------

ChannelKindList = Annotated[list[ChannelKind], Field(max_length=4)]


class SettingsIn(BaseModel):
    """Only the fields sent change; null restores a field's default."""

    model_config = ConfigDict(extra="forbid")
    digest_hour: int | None = Field(None, ge=0, le=23, description="city time; null: XUNCHA_DIGEST_HOUR")
    near_deadline_hours: list[Annotated[int, Field(ge=1, le=720)]] | None = Field(
        None, max_length=5, description="预超期 reminders this many hours before the deadline, e.g. [72, 24]; "
                                        "null: the one moment the lists call 预超期")
    routes: dict[MessageKind, ChannelKindList | None] | None = Field(
        None, description="message kind → the channel kinds that send it (merged into the stored ones; a kind "
                          "null: back to all, as for kinds never listed); null: every kind to all")
    templates: dict[MessageKind, Annotated[UserText, StringConstraints(min_length=1, max_length=500)] | None] | None \
        = Field(None, description="message kind → text with {placeholders} (see `placeholders`), merged into the "
                                  "stored ones; a kind null: back to the built-in text; null: every kind's")


class SettingsOut(BaseModel):
    digest_hour: int
    digest_hour_default: int
    near_deadline_hours: list[int] | None
    routes: dict[str, list[str]]
    templates: dict[str, str]
    placeholders: dict[str, list[str]]  # what each kind's template may use
    builtin: dict[str, str] = Field(description="each kind's built-in text (used while it has no template), "
                                                "shown with example values")
