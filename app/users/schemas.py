from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.core.types import DbId, text_line
from app.users.roles import Role


class UserPublic(BaseModel):
    id: int
    username: str
    display_name: str
    role: Role
    unit_id: int | None
    unit_name: str | None = None


Username = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=64,
                                            pattern=r"^[A-Za-z0-9_.\-]+$")]
DisplayName = text_line(64)
Password = Annotated[str, StringConstraints(max_length=128)]


class UserCreate(BaseModel):
    """A unit_staff user needs a unit; for the other roles unit_id must be left out (422)."""

    model_config = ConfigDict(extra="forbid")

    username: Username = Field(description="letters, digits, _ . -")
    display_name: DisplayName
    role: Role
    unit_id: DbId | None = None
    password: Password = Field(
        description="≥ 8 characters of two kinds (letters, digits, symbols; a phrase of 16 may be one), "
                    "not a common password, not the username")


class UserPatch(BaseModel):
    """Only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    display_name: DisplayName = None  # type: ignore[assignment]
    role: Role = None  # type: ignore[assignment]
    unit_id: DbId | None = None
    is_active: bool = None  # type: ignore[assignment]


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Password = Field(
        description="≥ 8 characters of two kinds (letters, digits, symbols; a phrase of 16 may be one), "
                    "not a common password, not the username")


class UserAdmin(UserPublic):
    is_active: bool
    created_at: datetime
    last_login_at: datetime | None
    live_tokens: int = Field(description="tokens neither expired nor revoked (devices logged in)")


class TokensRevoked(BaseModel):
    revoked: int
