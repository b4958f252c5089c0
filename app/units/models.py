from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class Unit(SQLModel, table=True):
    """A responsible unit (责任单位): department, district, street office or company."""

    __tablename__ = "units"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    kind: str = Field(default="department", max_length=20)  # district | department | street | company
    parent_id: int | None = Field(default=None, foreign_key="units.id", index=True)
    is_active: bool = True  # a deactivated unit is kept for its history but gets no new tickets or grids
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class Grid(SQLModel, table=True):
    """A polygon owned by a unit (网格); decides routing by location."""

    __tablename__ = "grids"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    unit_id: int = Field(foreign_key="units.id", index=True)
    geometry: dict = Field(sa_column=Column(JSON, nullable=False))  # GeoJSON Polygon, WGS-84 [lng, lat]
    # Bounding box for a cheap prefilter before the exact point-in-polygon test.
    min_lat: float
    min_lng: float
    max_lat: float
    max_lng: float
    is_active: bool = True  # an inactive grid routes nothing and is left out of the overlap check
