from datetime import datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class AuditLog(SQLModel, table=True):
    """One administrative change (操作日志): who, when, what, before → after; written in the change's transaction."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_entity", "entity_type", "entity_id", "at"),
        Index("ix_audit_log_actor", "actor_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    actor_id: int | None = Field(default=None, foreign_key="users.id")  # null: the admin CLI
    actor_name: str = Field(max_length=64)  # the username then (or "cli:<login>"), kept if the user is renamed
    action: str = Field(max_length=40)       # e.g. unit.create, user.reset_password
    entity_type: str = Field(max_length=20)  # app.audit.schemas.EntityType: unit, user, grid, site, channel, …
    entity_id: str = Field(max_length=64)
    before: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    request_id: str | None = Field(default=None, max_length=64)
