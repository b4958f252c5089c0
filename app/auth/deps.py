"""Who is calling: bearer-token dependencies and role guards."""

from typing import Annotated

from fastapi import Depends
from fastapi.security import OAuth2PasswordBearer

from app.auth import service
from app.auth.models import AccessToken
from app.core.db import DatabaseSlot, new_session
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
    with new_session() as session:
        return service.authenticate(session, token)


# Pure functions of what get_token_and_user found: async, so FastAPI runs them on the event loop instead of
# sending each through the thread pool (under load every hop queues behind the other requests).
async def get_current_user(pair: Annotated[tuple[User, AccessToken], Depends(get_token_and_user)]) -> User:
    return pair[0]


CurrentUser = Annotated[User, Depends(get_current_user)]
CurrentToken = Annotated[tuple[User, AccessToken], Depends(get_token_and_user)]


def require_roles(*roles: Role):
    """A dependency that lets only these roles through (403 otherwise)."""

    async def guard(user: CurrentUser) -> User:
        if user.role not in roles:
            raise Forbidden("无权执行此操作 Your role may not do this")
        return user

    return Depends(guard)
