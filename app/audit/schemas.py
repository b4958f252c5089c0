from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel


class EntityType(StrEnum):
    unit = "unit"
    user = "user"
    grid = "grid"
    category = "category"
    settings = "settings"


class AuditEntry(BaseModel):
    id: int
    at: datetime
    actor_id: int | None  # null: the admin CLI
    actor_name: str
    action: str  # <entity>.<verb>, e.g. unit.move, user.revoke_tokens
    entity_type: EntityType
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None
