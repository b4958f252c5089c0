"""Published bulletins: what a dispatcher or leader sends to publish one, and what is read back."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.stats.schemas import MAX_MIN_DISPATCHED, MAX_RANK_PLACES, PeriodKind


class RulesIn(BaseModel):
    """The red/black list rules to publish under; any left out are the city's settings."""

    model_config = ConfigDict(extra="forbid")
    red_min_rate: float | None = Field(None, ge=0, le=1)
    red_top: int | None = Field(None, ge=0, le=MAX_RANK_PLACES)
    black_max_rate: float | None = Field(None, ge=0, le=1)
    black_bottom: int | None = Field(None, ge=0, le=MAX_RANK_PLACES)
    min_dispatched: int | None = Field(None, ge=1, le=MAX_MIN_DISPATCHED)


class BulletinIn(BaseModel):
    """The period to publish: the week or month containing `on`, or a custom run of days from … to."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    period: PeriodKind = PeriodKind.week
    on: date | None = Field(None, description="any day of the week/month (local)")
    from_: date | None = Field(None, alias="from", description="custom period: first day (local)")
    to: date | None = Field(None, description="custom period: last day (local), inclusive")
    rules: RulesIn | None = None


class BulletinOut(BaseModel):
    """A published bulletin's metadata (its figures are in the detail)."""

    id: int
    kind: PeriodKind
    start_date: date
    end_date: date
    label: str
    as_of: datetime
    published_at: datetime
    published_by: int
    published_by_name: str
    definitions_version: int
    xlsx_sha256: str
    xlsx_filename: str
    html_sha256: str


class BulletinDetail(BulletinOut):
    """The metadata and the stored snapshot, exactly as published: figures (`summary`), the red/black list
    (`ranking`), the overdue tickets listed (`overdue`), the rules and formulas in force. Its shape is the
    statistics' shape of its day (`definitions_version`), so it is handed back as stored, not re-validated."""

    snapshot: dict[str, Any]


class BulletinPage(BaseModel):
    items: list[BulletinOut]
    next_cursor: str | None
