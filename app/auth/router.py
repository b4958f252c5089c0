from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from pydantic import BaseModel, Field

from app.auth import service
from app.auth.deps import CurrentToken
from app.auth.schemas import TokenResponse
from app.core.db import SessionDep, TransactionRoute
from app.core.responses import COMMON, errors
from app.core.types import UserText
from app.users import service as users_service

router = APIRouter(prefix="/api/auth", tags=["auth"], route_class=TransactionRoute)


class LoginForm(BaseModel):
    """The OAuth2 password form (grant_type, scope and client fields are accepted and ignored)."""

    username: UserText = Field(min_length=1, max_length=64)
    password: str = Field(max_length=1024)
    # What an earlier login on this device answered for this username (app/auth/devices.py). Not bounded
    # here: any string that is no valid token, however long, is no token (a token never refuses a login).
    device_token: str | None = None


@router.post("/token", response_model=TokenResponse, responses=COMMON | errors(401, 413, 429))
def login(session: SessionDep, request: Request, form: Annotated[LoginForm, Form()]):
    """Log in with the OAuth2 password form; answers a bearer token, the user and a device token, which
    this device sends with this username's next logins: others' failed logins never lock it out."""
    # The peer, or the client a trusted proxy named (uvicorn --forwarded-allow-ips, XUNCHA_TRUSTED_PROXIES).
    client = request.client.host if request.client else "?"
    token, row, user, device_token = service.login(session, form.username, form.password, client=client,
                                                   user_agent=request.headers.get("user-agent"),
                                                   device_token=form.device_token)
    return TokenResponse(access_token=token, expires_at=row.expires_at, device_token=device_token,
                         user=users_service.to_public(session, user))


@router.post("/logout", status_code=204, responses=errors(401, 503))
def logout(session: SessionDep, pair: CurrentToken):
    """Revoke the token this request was made with."""
    service.revoke(session, pair[1])
    return Response(status_code=204)
