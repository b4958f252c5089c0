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
    channel = "channel"  # a notification channel (robot, webhook, SMS gateway)
    subscription = "subscription"  # a person's own SMS; entity_id is the user's id
    site = "site"  # an evaluation site (测评点位); a sheet's import is one row, entity_id "import"
    checklist = "checklist"  # a checklist version (测评细则)


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
