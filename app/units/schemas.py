from pydantic import BaseModel


class UnitPublic(BaseModel):
    id: int
    name: str
    kind: str
    parent_id: int | None


class GridPublic(BaseModel):
    id: int
    name: str
    unit_id: int
    geometry: dict
