from enum import StrEnum
from typing import Annotated, Any, Literal

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
    has_staff: bool | None = Field(None, description="the office's view only: whether any active account belongs to "
                                                      "the unit (a ticket sent to a unit without one reaches nobody); "
                                                      "null for other roles")


class GridPublic(BaseModel):
    id: int
    name: str
    unit_id: int
    geometry: dict


UnitName = text_line(100)
GridName = text_line(100)


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


class GridAdmin(GridPublic):
    unit_name: str | None
    is_active: bool
    area_m2: float


class GridImport(BaseModel):
    """A GeoJSON FeatureCollection; each feature's properties: name, and unit_id or unit (a unit's name)."""

    type: Literal["FeatureCollection"]
    features: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=500)]


class GridPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: GridName = None  # type: ignore[assignment]
    unit_id: DbId = None  # type: ignore[assignment]
    geometry: dict[str, Any] = Field(None, description="a GeoJSON Polygon or MultiPolygon, WGS-84 [lng, lat]")
    is_active: bool = None  # type: ignore[assignment]


class GridOverlap(BaseModel):
    grid_ids: tuple[int, int]
    names: tuple[str, str]
    area_m2: float
    geometry: dict[str, Any] = Field(description="the shared area (GeoJSON)")


class GridGap(BaseModel):
    area_m2: float
    geometry: dict[str, Any] = Field(description="a hole inside the grids' union that no grid covers (GeoJSON)")


class GridCheck(BaseModel):
    active_grids: int
    overlaps: list[GridOverlap] = Field(description="pairs of active grids sharing ≥ 1 m², largest first")
    gaps: list[GridGap] = Field(description="holes ≥ 1 m² enclosed by active grids, largest first")
