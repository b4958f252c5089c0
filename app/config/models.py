from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class OfficeSetting(SQLModel, table=True):
    """A deployment setting that belongs to the office (map tiles, a year's working calendar, red/black list
    rules), edited in the admin API; without a row the environment's default applies."""

    __tablename__ = "office_settings"

    key: str = Field(primary_key=True, max_length=40)  # map | rank_rules | calendar:2026
    value: dict = Field(sa_column=Column(JSON, nullable=False))
    version: int = 1  # bumped by every change: processes compare the sum to know their cache is stale
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
