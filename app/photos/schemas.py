import uuid
from datetime import datetime

from pydantic import BaseModel


class PhotoUrls(BaseModel):
    thumb: str
    display: str
    original: str


class PhotoPublic(BaseModel):
    id: uuid.UUID
    sha256: str
    content_type: str
    size_bytes: int
    width: int
    height: int
    taken_at: datetime | None
    exif_lat: float | None
    exif_lng: float | None
    urls: PhotoUrls
