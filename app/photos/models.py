import uuid
from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from app.core.types import UTCDateTime, utcnow


class Photo(SQLModel, table=True):
    """An uploaded photo. The original bytes are kept untouched; display and thumb are derived."""

    __tablename__ = "photos"
    # One account's uploads of the last 24 hours (the daily upload budget, app/photos/service.py); also every
    # look-up by uploader, which the single-column index it replaced served.
    __table_args__ = (Index("ix_photos_uploader_created", "uploader_id", "created_at"),)

    id: uuid.UUID = Field(primary_key=True)  # the phone's client UUID
    sha256: str = Field(max_length=64)
    content_type: str = Field(max_length=32)
    size_bytes: int
    width: int
    height: int
    taken_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    exif_lat: float | None = None
    exif_lng: float | None = None
    lat: float | None = None  # position the phone sent with the upload
    lng: float | None = None
    uploader_id: int = Field(foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
