from datetime import datetime

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
