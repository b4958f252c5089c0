"""Who is calling: bearer-token dependencies and role guards."""

from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.auth import service
from app.auth.models import AccessToken
from app.core.db import DatabaseSlot, get_gate, new_session
from app.core.errors import Forbidden, Unauthorized
from app.users.models import User
from app.users.roles import Role

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def get_token_and_user(_: DatabaseSlot, token: Annotated[str | None, Depends(oauth2_scheme)]
                       ) -> tuple[User, AccessToken]:
    if not token:
        raise Unauthorized("请先登录 Not authenticated", code="not_authenticated")
    # A short read on a session of its own, closed before the endpoint runs: inside the request's session it
    # began a POST's write transaction, so on SQLite every token lookup queued behind the writers.
    return _lookup(token)


async def get_current_user_briefly(token: Annotated[str | None, Depends(oauth2_scheme)]) -> User:
    """The caller, looked up under a database slot that is given back at once: for an endpoint that then
    works long without the database (a photo upload), instead of holding a slot all the while."""
    if not token:
        raise Unauthorized("请先登录 Not authenticated", code="not_authenticated")
    async with get_gate().slot():
        return (await run_in_threadpool(_lookup, token))[0]


BearerToken = Annotated[str | None, Depends(oauth2_scheme)]


def authenticate(session: Session, token: str | None) -> User:
    """The caller, for an endpoint that looks the token up in its own session (a read: the ticket list)."""
    if not token:
        raise Unauthorized("请先登录 Not authenticated", code="not_authenticated")
    return service.authenticate(session, token)[0]


def _lookup(token: str) -> tuple[User, AccessToken]:
    with new_session() as session:
        return service.authenticate(session, token)


# Pure functions of what get_token_and_user found: async, so FastAPI runs them on the event loop instead of
# sending each through the thread pool (under load every hop queues behind the other requests).
async def get_current_user(pair: Annotated[tuple[User, AccessToken], Depends(get_token_and_user)]) -> User:
    return pair[0]


CurrentUser = Annotated[User, Depends(get_current_user)]
CurrentToken = Annotated[tuple[User, AccessToken], Depends(get_token_and_user)]


def require_roles(*roles: Role, briefly: bool = False):
    """A dependency that lets only these roles through (403 otherwise); `briefly`: the caller was found by
    get_current_user_briefly (no database slot held)."""
    current = get_current_user_briefly if briefly else get_current_user

    async def guard(user: Annotated[User, Depends(current)]) -> User:
        if user.role not in roles:
            raise Forbidden("无权执行此操作 Your role may not do this")
        return user

    return Depends(guard)
