"""The admin API's caller: an admin, with the request's id for the audit trail."""

import re
from typing import Annotated

from fastapi import Depends, Header

from app.audit.service import Actor
from app.auth.deps import CurrentUser, require_roles
from app.users.models import User
from app.users.roles import Role

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,64}$")


async def admin_actor(user: Annotated[User, require_roles(Role.admin)],
                      x_request_id: Annotated[str | None, Header(max_length=200)] = None) -> Actor:
    """The admin making the change; X-Request-ID (from a proxy or the client) is kept when well-formed."""
    request_id = x_request_id if x_request_id and _REQUEST_ID.match(x_request_id) else None
    return Actor.of(user, request_id)


async def user_actor(user: CurrentUser, x_request_id: Annotated[str | None, Header(max_length=200)] = None) -> Actor:
    """Whoever makes an audited change the route already allowed (e.g. the office's 测评点位: dispatchers and
    leaders too)."""
    request_id = x_request_id if x_request_id and _REQUEST_ID.match(x_request_id) else None
    return Actor.of(user, request_id)


AdminActor = Annotated[Actor, Depends(admin_actor)]
UserActor = Annotated[Actor, Depends(user_actor)]
