from enum import StrEnum

from pydantic import BaseModel


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


class GridPublic(BaseModel):
    id: int
    name: str
    unit_id: int
    geometry: dict
