"""A published bulletin (通报): what the statistics said about a period at the moment it was published, kept
as it was. Nothing here is ever updated; a later figure or definition never touches a row."""

from datetime import date, datetime

from sqlalchemy import JSON, Column, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime


class Bulletin(SQLModel, table=True):
    __tablename__ = "bulletins"
    __table_args__ = (
        UniqueConstraint("kind", "start_date", "end_date", name="uq_bulletins_period"),  # one per period
        Index("ix_bulletins_published_at_id", "published_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # week | month | custom
    start_date: date  # local dates, inclusive both ends
    end_date: date
    label: str = Field(max_length=64)
    period: dict = Field(sa_column=Column(JSON, nullable=False))  # the Period as the statistics gave it
    as_of: datetime = Field(sa_type=UTCDateTime, nullable=False)  # the "now" every figure was computed at
    published_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    published_by: int = Field(foreign_key="users.id")
    published_by_name: str = Field(max_length=64)  # as the publisher was called then
    definitions_version: int
    rules: dict = Field(sa_column=Column(JSON, nullable=False))
    formulas: dict = Field(sa_column=Column(JSON, nullable=False))
    summary: dict = Field(sa_column=Column(JSON, nullable=False))
    ranking: dict = Field(sa_column=Column(JSON, nullable=False))
    overdue: list = Field(sa_column=Column(JSON, nullable=False))  # the overdue tickets the bulletin lists
    xlsx: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    xlsx_sha256: str = Field(max_length=64)
    xlsx_filename: str = Field(max_length=128)
    html: bytes = Field(sa_column=Column(LargeBinary, nullable=False))  # UTF-8, as served
    html_sha256: str = Field(max_length=64)
