"""The inbox (消息): every user's own notifications, newest first; read on one device, read on all."""

from typing import Annotated

from fastapi import APIRouter, Query

from app.admin.deps import AdminActor
from app.auth.deps import CurrentUser, require_roles
from app.core.db import SessionDep, TransactionRoute
from app.core.responses import AUTHENTICATED
from app.core.types import DbId
from app.notifications import channels, service
from app.notifications.schemas import (
    ChannelIn,
    ChannelOut,
    ChannelPatch,
    DeliveryPage,
    MarkedRead,
    NotificationOut,
    NotificationPage,
    ReadAllIn,
    SettingsIn,
    SettingsOut,
    SubscriptionIn,
    SubscriptionOut,
    UnreadCount,
)
from app.users.roles import Role

router = APIRouter(prefix="/api/notifications", tags=["notifications"], responses=AUTHENTICATED,
                   route_class=TransactionRoute)


@router.get("", response_model=NotificationPage)
def inbox(session: SessionDep, user: CurrentUser, unread: bool | None = None,
          limit: Annotated[int, Query(ge=1, le=200)] = 50,
          cursor: Annotated[str | None, Query(max_length=200)] = None):
    """My notifications, newest first (`unread=true`: only those not read yet), with the unread count."""
    return service.inbox(session, user, unread=unread, limit=limit, cursor=cursor)


@router.get("/unread-count", response_model=UnreadCount)
def unread_count(session: SessionDep, user: CurrentUser):
    """How many of my notifications are unread (the tab bar's badge)."""
    return UnreadCount(unread=service.unread_count(session, user))


@router.post("/{notification_id}/read", response_model=NotificationOut)
def mark_read(session: SessionDep, user: CurrentUser, notification_id: DbId):
    """Mark one of my notifications read (404 for anyone else's)."""
    return service.mark_read(session, user, notification_id)


@router.post("/read", response_model=MarkedRead)
def mark_all_read(session: SessionDep, user: CurrentUser, body: ReadAllIn):
    """Mark all my unread notifications read, or those of one ticket."""
    marked = service.mark_all_read(session, user, ticket_id=body.ticket_id)
    return MarkedRead(marked=marked, unread=service.unread_count(session, user))


# ---- outbound channels: the admin's ------------------------------------------------------------------

_admin = require_roles(Role.admin)


@router.get("/channels", response_model=list[ChannelOut], dependencies=[_admin])
def list_channels(session: SessionDep):
    """Every outbound channel with its delivery counts and last error (URLs and secrets are never shown)."""
    return channels.listing(session)


@router.post("/channels", response_model=ChannelOut, status_code=201, dependencies=[_admin])
def create_channel(session: SessionDep, actor: AdminActor, body: ChannelIn):
    """Add a 企业微信 / 钉钉 group robot, a webhook or an SMS gateway for a unit's (or the office's) messages."""
    return channels.create(session, actor, body)


@router.patch("/channels/{channel_id}", response_model=ChannelOut, dependencies=[_admin])
def update_channel(session: SessionDep, actor: AdminActor, channel_id: DbId, body: ChannelPatch):
    """Change a channel (a new URL or secret replaces the old one; `enabled: false` stops it)."""
    return channels.update(session, actor, channel_id, body)


@router.get("/channels/{channel_id}/deliveries", response_model=DeliveryPage, dependencies=[_admin])
def channel_deliveries(session: SessionDep, channel_id: DbId,
                       state: Annotated[str | None, Query(pattern="^(queued|sent|failed)$")] = None,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50,
                       cursor: Annotated[str | None, Query(max_length=200)] = None):
    """The delivery log of a channel, newest first: state, attempts, last error."""
    return channels.deliveries(session, channel_id, state=state, limit=limit, cursor=cursor)


# ---- a person's own SMS, and the schedules, routing and templates: the admin's ---------------------------

@router.get("/subscriptions", response_model=list[SubscriptionOut], dependencies=[_admin])
def list_subscriptions(session: SessionDep):
    """Everyone who is texted their own messages, with the kinds (numbers masked)."""
    return channels.subscriptions(session)


@router.get("/subscriptions/{user_id}", response_model=SubscriptionOut, dependencies=[_admin])
def get_subscription(session: SessionDep, user_id: DbId):
    """One person's SMS settings (number masked); 404 when none is set."""
    return channels.subscription(session, user_id)


@router.put("/subscriptions/{user_id}", response_model=SubscriptionOut, dependencies=[_admin])
def set_subscription(session: SessionDep, actor: AdminActor, user_id: DbId, body: SubscriptionIn):
    """Text this person, through an SMS gateway channel, the kinds of message they are told in their inbox
    (e.g. a unit's responsible person: dispatched, rework, supervised). Only what they may see is ever sent."""
    return channels.set_subscription(session, actor, user_id, body)


@router.delete("/subscriptions/{user_id}", status_code=204, dependencies=[_admin])
def remove_subscription(session: SessionDep, actor: AdminActor, user_id: DbId):
    """Stop texting this person (their number is forgotten)."""
    channels.remove_subscription(session, actor, user_id)


@router.get("/settings", response_model=SettingsOut, dependencies=[_admin])
def read_settings(session: SessionDep):
    """The digest hour, the 预超期 thresholds, which channel kinds send each kind of message, the templates
    and the placeholders each template may use."""
    return channels.settings_out(session)


@router.put("/settings", response_model=SettingsOut, dependencies=[_admin])
def update_settings(session: SessionDep, actor: AdminActor, body: SettingsIn):
    """Change the fields sent (null: back to the default). Holds at once in every process: a new digest hour
    moves the queued digest, new 预超期 hours are scheduled for every open task; a template with an unknown
    placeholder is refused (422) and nothing is changed."""
    return channels.update_settings(session, actor, body)
