from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class AccessToken(SQLModel, table=True):
    """An opaque bearer token; only its SHA-256 is stored, so a database leak leaks no tokens."""

    __tablename__ = "access_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    user_agent: str | None = Field(default=None, max_length=255)


class LoginAttempt(SQLModel, table=True):
    """One login attempt, recorded before its password is checked (app/auth/ratelimit.py)."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_address_at", "address", "at"),
        Index("ix_login_attempts_at", "at"),
        Index("ix_login_attempts_device_at", "device", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64)  # as typed, case-folded; unknown names are limited too
    address: str = Field(max_length=64)   # the client address uvicorn resolved
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    outcome: str = Field(max_length=8)    # pending | failed | ok | blocked | cleared
    # A trusted device's attempt: the SHA-256 of its device token's nonce (app/auth/devices.py).
    device: str | None = Field(default=None, max_length=64)
