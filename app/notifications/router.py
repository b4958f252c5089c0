"""The inbox (消息): every user's own notifications, newest first; read on one device, read on all."""

from typing import Annotated

from fastapi import APIRouter, Query

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
def create_channel(session: SessionDep, body: ChannelIn):
    """Add a 企业微信 / 钉钉 group robot, a webhook or an SMS gateway for a unit's (or the office's) messages."""
    return channels.create(session, body)


@router.patch("/channels/{channel_id}", response_model=ChannelOut, dependencies=[_admin])
def update_channel(session: SessionDep, channel_id: DbId, body: ChannelPatch):
    """Change a channel (a new URL or secret replaces the old one; `enabled: false` stops it)."""
    return channels.update(session, channel_id, body)


@router.get("/channels/{channel_id}/deliveries", response_model=DeliveryPage, dependencies=[_admin])
def channel_deliveries(session: SessionDep, channel_id: DbId,
                       state: Annotated[str | None, Query(pattern="^(queued|sent|failed)$")] = None,
                       limit: Annotated[int, Query(ge=1, le=200)] = 50,
                       cursor: Annotated[str | None, Query(max_length=200)] = None):
    """The delivery log of a channel, newest first: state, attempts, last error."""
    return channels.deliveries(session, channel_id, state=state, limit=limit, cursor=cursor)
