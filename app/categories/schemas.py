from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.core.types import DbId


class CategoryPublic(BaseModel):
    code: str
    parent_code: str | None
    name_zh: str
    name_en: str
    default_deadline_hours: int  # resolved: the configured default where the taxonomy has none
    default_unit_id: int | None = None
    enabled: bool = True  # false: shown on existing tickets, not offered for new reports


class CategoryPatch(BaseModel):
    """Only the fields given change; null deadline hours: the configured default; null unit: none."""

    model_config = ConfigDict(extra="forbid")

    default_deadline_hours: Annotated[int, Field(ge=1, le=8760)] | None = None
    default_unit_id: DbId | None = None
    enabled: bool = None  # type: ignore[assignment]
