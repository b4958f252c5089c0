import logging
import re
import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response, UploadFile
from fastapi.responses import StreamingResponse

from app.auth.deps import CurrentUser, require_roles
from app.core.config import get_settings
from app.core.db import SessionDep, TransactionRoute
from app.core.errors import DomainError, NotFound, TooLarge
from app.core.responses import AUTHENTICATED, WRITE, ErrorBody, errors, not_modified
from app.core.types import ClientDateTime
from app.photos import service
from app.photos.schemas import PhotoPublic
from app.photos.storage import CHUNK, PhotoNotFoundError, RangeNotSatisfiableError, StorageUnavailableError
from app.users.models import User
from app.users.roles import Role

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/photos", tags=["photos"], responses=AUTHENTICATED, route_class=TransactionRoute)
_uploaders = require_roles(Role.inspector, Role.dispatcher, Role.unit_staff, briefly=True)


@router.post("", response_model=PhotoPublic, status_code=201, responses=WRITE | errors(429))
async def upload(
    user: Annotated[User, _uploaders], response: Response,
    file: UploadFile, id: Annotated[uuid.UUID, Form()],
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    lng: Annotated[float | None, Form(ge=-180, le=180)] = None,
    captured_at: Annotated[ClientDateTime | None, Form()] = None,
):
    """Upload one photo (one request per photo); 201 when stored, 200 when the same upload is replayed; 429 past
    the account's upload budget for 24 hours (XUNCHA_UPLOAD_BUDGET_BYTES_PER_DAY), or with more of its uploads in
    processing at once than XUNCHA_UPLOAD_ACCOUNT_CONCURRENCY."""
    limit = get_settings().upload_max_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(limit)
    photo, created = await service.upload_async(user, id, data, lat=lat, lng=lng, captured_at=captured_at)
    if not created:
        response.status_code = 200
    return service.to_public(photo)


_IMAGE = {"content": {"image/jpeg": {}}}
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


@router.get("/{photo_id}/{variant}", responses={
    200: _IMAGE, 206: {"description": "The byte range asked for (Range)", **_IMAGE},
    304: {"description": "Not modified (If-None-Match)"},
    416: {"model": ErrorBody, "description": "Range not satisfiable"}})
def get_photo(session: SessionDep, user: CurrentUser, request: Request, photo_id: uuid.UUID, variant: str):
    """One photo's thumb, display image (watermarked) or untouched original; streamed, with ETag and Range."""
    key, media_type, etag = service.locate(session, user, photo_id, variant)
    headers = {"ETag": etag, "Cache-Control": "private, max-age=31536000, immutable", "Accept-Ranges": "bytes"}
    if not_modified(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    start, end = _byte_range(request, etag)
    try:
        stream = service.get_storage().open(key, start, end)
    except PhotoNotFoundError:
        # The row exists and the caller may see it, but its file is gone (lost disk, partial restore).
        log.error("photo %s: %s file missing from storage", photo_id, variant)
        raise NotFound("照片文件缺失 Photo file missing", code="photo_file_missing") from None
    except StorageUnavailableError as exc:
        raise service.unavailable(exc) from None
    except RangeNotSatisfiableError as exc:
        raise DomainError("请求的字节范围无效 Range not satisfiable", code="range_not_satisfiable", status=416,
                          headers={"Content-Range": f"bytes */{exc.size}"}) from None
    headers["Content-Length"] = str(stream.length)
    status = 200
    if (start, end) != (None, None):
        status = 206
        headers["Content-Range"] = f"bytes {stream.start}-{stream.end}/{stream.size}"
    if stream.length <= CHUNK:  # a thumbnail: one read here rather than a streamed body's thread hops
        try:
            body = b"".join(stream)
        except StorageUnavailableError as exc:
            raise service.unavailable(exc) from None
        return Response(body, status_code=status, media_type=media_type, headers=headers)
    return StreamingResponse(stream, status_code=status, media_type=media_type, headers=headers)


def _byte_range(request: Request, etag: str) -> tuple[int | None, int | None]:
    """One `bytes=` range from the Range header; anything else (several ranges, a stale If-Range) asks for all."""
    match = _RANGE.fullmatch(request.headers.get("range", "").strip())
    if not match or match.groups() == ("", "") or request.headers.get("if-range", etag) != etag:
        return None, None
    # Past 18 digits a position lies beyond any photo; Python refuses to parse 4,300 digits and more (a 500).
    first, last = (None if not g else int(g) if len(g) <= 18 else 10**18 for g in match.groups())
    if first is not None and last is not None and last < first:
        return None, None  # not a valid range (RFC 9110 §14.1.1): the header is ignored
    return first, last
