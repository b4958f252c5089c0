from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from app.core.types import DbId, text_line


class UnitKind(StrEnum):
    district = "district"      # 区 (人民政府)
    department = "department"  # 市直部门
    street = "street"          # 街道办事处
    company = "company"        # 企业


class UnitPublic(BaseModel):
    id: int
    name: str
    kind: UnitKind
    parent_id: int | None
    is_active: bool = True  # false: kept for history, not offered for dispatch


class GridPublic(BaseModel):
    id: int
    name: str
    unit_id: int
    geometry: dict


UnitName = text_line(100)


class UnitCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: UnitName
    kind: UnitKind = UnitKind.department
    parent_id: DbId | None = None


class UnitPatch(BaseModel):
    """Only the fields given change: rename, kind, move (parent_id; null: to the top), deactivate/reactivate."""

    model_config = ConfigDict(extra="forbid")

    name: UnitName = None  # type: ignore[assignment]
    kind: UnitKind = None  # type: ignore[assignment]
    parent_id: DbId | None = None
    is_active: bool = None  # type: ignore[assignment]


class UnitAdmin(UnitPublic):
    is_active: bool
    depth: int = Field(description="0 at the top of the tree; the list is in depth-first order")
    active_users: int
    active_grids: int
    open_tickets: int = Field(description="dispatched, rectified or suspended tickets the unit holds")
