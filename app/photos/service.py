"""Photo uploads: validate and process, store original + display + thumb, record the row."""

import hashlib
import logging
import math
import os
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import ColumnElement, Select, bindparam, delete, exists, func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from app import jobs
from app.core import metrics
from app.core.config import get_settings
from app.core.db import get_gate, new_session
from app.core.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, Unavailable
from app.core.types import utcnow
from app.jobs.models import QUEUED, Job
from app.photos import processing
from app.photos.models import Photo
from app.photos.schemas import PhotoPublic, PhotoUrls
from app.photos.storage import LocalPhotoStorage, PhotoStorage, S3PhotoStorage, StorageUnavailableError, make_key
from app.photos.workers import PhotoWorkers
from app.tickets import access as tickets_access
from app.tickets.models import TicketPhoto
from app.users.models import User
from app.users.roles import Role

log = logging.getLogger(__name__)
VARIANTS = ("thumb", "display", "original")
# What a display photo's watermark says of who took it. A unit sees the office's photos, and who found a
# problem is not its business (四不两直): office staff are named by their role, unit staff by name.
OFFICE_UPLOADER_LABELS = {Role.inspector: "督查员", Role.dispatcher: "派遣员"}


def uploader_label(user: User) -> str:
    return OFFICE_UPLOADER_LABELS.get(user.role, user.display_name)


@lru_cache
def get_storage() -> PhotoStorage:
    settings = get_settings()
    return s3_storage() if settings.storage == "s3" else LocalPhotoStorage(settings.media_dir)


def s3_storage() -> S3PhotoStorage:
    """The bucket the S3 settings name (also for `storage-migrate`, before XUNCHA_STORAGE is switched)."""
    s = get_settings()
    if not s.s3_bucket:
        raise Invalid("未设置照片存储桶（XUNCHA_S3_BUCKET） No bucket set (XUNCHA_S3_BUCKET)", code="s3_not_configured")
    return S3PhotoStorage(s.s3_bucket, endpoint_url=s.s3_endpoint_url, region=s.s3_region,
                          access_key=s.s3_access_key,
                          secret_key=s.s3_secret_key.get_secret_value() if s.s3_secret_key else None,
                          path_style=s.s3_path_style, max_connections=s.worker_threads)


def unavailable(exc: StorageUnavailableError) -> Unavailable:
    """The 503 for a photo store that does not answer (logged: the office's IT has to look at it)."""
    log.error("photo storage unavailable: %s", exc)
    return Unavailable("照片存储暂不可用，请稍后重试 Photo storage unavailable, try again shortly",
                       get_settings().retry_after_seconds, code="storage_unavailable")


def url(photo_id: uuid.UUID, variant: str) -> str:
    return f"/api/photos/{photo_id}/{variant}"


def to_public(photo: Photo) -> PhotoPublic:
    return PhotoPublic(
        id=photo.id, sha256=photo.sha256, content_type=photo.content_type, size_bytes=photo.size_bytes,
        width=photo.width, height=photo.height, taken_at=photo.taken_at, exif_lat=photo.exif_lat,
        exif_lng=photo.exif_lng, urls=PhotoUrls(**{v: url(photo.id, v) for v in VARIANTS}),
    )


def storage_key(photo_id: uuid.UUID, sha256: str, variant: str) -> str:
    # The digest is part of the key, so a conflicting upload under the same id never overwrites the first.
    return make_key(photo_id, f"{sha256[:16]}-{variant}")


@lru_cache
def get_workers() -> PhotoWorkers:
    settings = get_settings()
    workers = settings.photo_workers or os.cpu_count() or 1
    return PhotoWorkers(workers, settings.photo_queue, settings.photo_worker_max_tasks)


def storage_ready() -> None:
    """The photo store's readiness probe (GET /api/ready); raises when it cannot take a photo now. A store
    without a probe of its own counts as ready."""
    probe = getattr(get_storage(), "ready", None)
    if probe is not None:
        probe()


def start() -> None:
    """At startup: remove temp files of writes a killed process left behind."""
    storage = get_storage()
    if isinstance(storage, LocalPhotoStorage):
        storage.remove_stale_temp_files()


@jobs.chore("photos.temp_files")
def sweep_temp_files() -> int:
    """Hourly too (a job worker's chore): a process restarted within a minute of a crash saw that crash's
    partial files as live writes at its start, and nothing looked again until the next restart."""
    storage = get_storage()
    return storage.remove_stale_temp_files() if isinstance(storage, LocalPhotoStorage) else 0


def stop() -> None:
    """At shutdown: stop the photo worker processes."""
    get_workers().shutdown()


# How long after an upload its files wait before the orphan check: far longer than any request runs.
ORPHAN_GRACE = timedelta(minutes=10)


def upload(session: Session, user: User, photo_id: uuid.UUID, data: bytes, *, lat: float | None = None,
           lng: float | None = None, captured_at: datetime | None = None) -> tuple[Photo, bool]:
    """Store one photo; answers (photo, created). Same id + same bytes replays; other bytes → 409.

    The phases, in one thread (the demo city, tests); the upload endpoint runs them apart (`upload_async`)."""
    if (existing := prepare(user, photo_id, data, captured_at)) is not None:
        return existing, False
    watermark = evidence_watermark(user, captured_at=captured_at, lat=lat, lng=lng)
    started = time.perf_counter()
    result = get_workers().run(processing.process_photo, data, **processing_kwargs(watermark))
    metrics.observe_photo(time.perf_counter() - started)
    guard_files(photo_id, result.sha256)
    keys = store(photo_id, result, data)
    return record(session, user, photo_id, result, data, keys, lat=lat, lng=lng)


# Uploads in processing per account in this process; read and changed only on the event loop (no lock).
_in_flight: Counter[int] = Counter()
BUSY_ACCOUNT_RETRY_S = 2


@contextmanager
def _account_turn(user: User) -> Iterator[None]:
    """429 when this account already has `upload_account_concurrency` uploads in processing here."""
    cap = get_settings().upload_account_concurrency
    if cap and _in_flight[user.id] >= cap:
        raise DomainError(f"本账号同时上传的照片过多（最多 {cap} 张），请稍后重试 "
                          f"Too many uploads at once from this account (at most {cap}); retry shortly",
                          code="too_many_uploads", status=429,
                          details={"limit": cap, "retry_after": BUSY_ACCOUNT_RETRY_S},
                          headers={"Retry-After": str(BUSY_ACCOUNT_RETRY_S)})
    _in_flight[user.id] += 1
    try:
        yield
    finally:
        _in_flight[user.id] -= 1
        if not _in_flight[user.id]:
            del _in_flight[user.id]


async def upload_async(user: User, photo_id: uuid.UUID, data: bytes, *, lat: float | None = None,
                       lng: float | None = None, captured_at: datetime | None = None) -> tuple[Photo, bool]:
    """The upload endpoint's way: a database slot only for the short reads and writes, none while the photo
    is processed (a worker process, awaited on the event loop: no thread either) or its files written.

    An upload used to hold its slot through the processing: at a shift start the uploads waiting for a
    photo worker held most slots, and the dispatcher's list waited behind them."""
    with _account_turn(user):
        return await _upload(user, photo_id, data, lat=lat, lng=lng, captured_at=captured_at)


async def _upload(user: User, photo_id: uuid.UUID, data: bytes, *, lat: float | None, lng: float | None,
                  captured_at: datetime | None) -> tuple[Photo, bool]:
    gate = get_gate()
    async with gate.slot():
        existing = await run_in_threadpool(prepare, user, photo_id, data, captured_at)
    if existing is not None:
        return existing, False
    watermark = evidence_watermark(user, captured_at=captured_at, lat=lat, lng=lng)
    started = time.perf_counter()
    result = await get_workers().run_async(processing.process_photo, data, **processing_kwargs(watermark))
    metrics.observe_photo(time.perf_counter() - started)
    async with gate.slot(finishing=True):
        await run_in_threadpool(guard_files, photo_id, result.sha256)
    keys = await run_in_threadpool(store, photo_id, result, data)
    async with gate.slot(finishing=True):  # the photo is processed and stored: record it ahead of newcomers
        return await run_in_threadpool(_record_committed, user, photo_id, result, data, keys, lat, lng)


def prepare(user: User, photo_id: uuid.UUID, data: bytes, captured_at: datetime | None) -> Photo | None:
    """Validate; answer the stored photo of a replay, or guard the files about to be written.

    The replay check and the orphan job use short sessions of their own: no transaction (on SQLite: no
    write lock) stays open while the photo is processed."""
    if captured_at is not None and not processing.is_plausible_capture_time(captured_at):
        raise Invalid("拍摄时间不合理 captured_at must lie between 2000-01-01 and tomorrow",
                      code="invalid_captured_at")
    with new_session() as reader:
        existing = reader.get(Photo, photo_id)
        if existing is None:
            _within_budget(reader, user, len(data))
    if existing is not None:
        return _replay(existing, user, data)
    return None


def guard_files(photo_id: uuid.UUID, sha256: str) -> None:
    """Before a processed photo's files are written: they are written before the row commits (or it never does:
    the request may still fail, the process die), so a job committed at once, on its own, removes them later
    unless the row exists by then. Only a photo that passed processing gets one: a refused upload writes no file
    and leaves no row of any kind (it used to leave a job per try)."""
    jobs.enqueue_committed(DROP_IF_ORPHANED, {"photo_id": str(photo_id), "sha256": sha256},
                           run_after=utcnow() + ORPHAN_GRACE)


BUDGET_WINDOW = timedelta(days=1)


def _within_budget(session: Session, user: User, size: int) -> None:
    """429 when this upload would take the account past its 24-hour upload budget; Retry-After: until enough
    of the window's uploads have aged out of it (at least the oldest one)."""
    budget = get_settings().upload_budget_bytes_per_day
    if not budget:
        return
    since = utcnow() - BUDGET_WINDOW
    used, oldest = session.execute(
        select(func.coalesce(func.sum(Photo.size_bytes), 0), func.min(Photo.created_at))
        .where(Photo.uploader_id == user.id, Photo.created_at > since)).one()
    if used + size <= budget:
        return
    wait = max(60, math.ceil((oldest + BUDGET_WINDOW - utcnow()).total_seconds())) if oldest else 60
    raise DomainError(f"24 小时内上传的照片已达上限（{budget // 1024 // 1024} MB），请稍后再试 "
                      f"Upload budget of {budget // 1024 // 1024} MB per 24 hours reached; try again later",
                      code="upload_budget_exhausted", status=429,
                      details={"budget_bytes": budget, "used_bytes": used, "retry_after": wait},
                      headers={"Retry-After": str(wait)})


def evidence_watermark(user: User, *, captured_at: datetime | None, lat: float | None,
                       lng: float | None) -> processing.EvidenceWatermark:
    return processing.EvidenceWatermark(uploader=uploader_label(user), timezone=get_settings().timezone,
                                        uploaded_at=utcnow(), captured_at=captured_at, lat=lat, lng=lng)


def processing_kwargs(watermark: processing.EvidenceWatermark) -> dict:
    settings = get_settings()
    return {"watermark": watermark, "max_bytes": settings.upload_max_bytes, "max_pixels": settings.upload_max_pixels,
            "max_heic_pixels": settings.upload_max_heic_pixels, "camera_tz": settings.tz,
            "font_path": processing.find_cjk_font(settings.cjk_font_path)}


def store(photo_id: uuid.UUID, result: processing.ProcessedPhoto, data: bytes) -> list[str]:
    storage = get_storage()
    keys = [storage_key(photo_id, result.sha256, v) for v in VARIANTS]
    try:
        storage.put_all(list(zip(keys, (result.thumb, result.display, data), strict=True)))
    except StorageUnavailableError as exc:
        raise unavailable(exc) from None
    return keys


def record(session: Session, user: User, photo_id: uuid.UUID, result: processing.ProcessedPhoto, data: bytes,
           keys: list[str], *, lat: float | None, lng: float | None) -> tuple[Photo, bool]:
    """The row; a concurrent upload of this id that committed first makes this one a replay of it."""
    photo = Photo(
        id=photo_id, sha256=result.sha256, content_type=result.content_type, size_bytes=len(data),
        width=result.width, height=result.height, taken_at=result.taken_at, exif_lat=result.exif_lat,
        exif_lng=result.exif_lng, lat=lat, lng=lng, uploader_id=user.id,
    )
    try:
        # A concurrent upload with this id may have committed meanwhile; the savepoint keeps the
        # transaction usable to read it.
        with session.begin_nested():
            session.add(photo)
            session.flush()
    except IntegrityError:
        existing = session.get(Photo, photo_id, populate_existing=True)
        if existing is None:
            raise
        if existing.sha256 != result.sha256:
            _remove(get_storage(), keys)  # ours only: the keys carry our digest
        return _replay(existing, user, data), False
    return photo, True


def _record_committed(user: User, photo_id: uuid.UUID, result: processing.ProcessedPhoto, data: bytes,
                      keys: list[str], lat: float | None, lng: float | None) -> tuple[Photo, bool]:
    with new_session(write=True) as session:
        answer = record(session, user, photo_id, result, data, keys, lat=lat, lng=lng)
        session.commit()
        return answer


UNUSED_BATCH = 500
_UNUSED = ~exists().where(TicketPhoto.photo_id == Photo.id)  # on `photos`: no ticket took it


@jobs.chore("photos.unused")
def drop_unused(now: datetime | None = None) -> int:
    """Delete photos no ticket took, uploaded more than `unused_photo_days` ago: rows first (only those still
    unused as the DELETE runs: it returns what it removed), then their files. Answers how many."""
    days = get_settings().unused_photo_days
    if not days:
        return 0
    cutoff = (now or utcnow()) - timedelta(days=days)
    dropped = 0
    while True:
        with new_session(write=True) as session:
            ids = _unused_candidates(session, cutoff)
            if not ids:
                return dropped
            gone = session.execute(delete(Photo).where(col(Photo.id).in_(ids), _UNUSED)
                                   .returning(Photo.id, Photo.sha256)).all()
            session.commit()
        storage = get_storage()
        for photo_id, sha256 in gone:
            _remove(storage, [storage_key(photo_id, sha256, v) for v in VARIANTS])
        dropped += len(gone)
        log.info("deleted %d photos no ticket took within %d days", len(gone), days)
        if len(ids) < UNUSED_BATCH:
            return dropped


def _unused_candidates(session: Session, cutoff: datetime) -> list[uuid.UUID]:
    """Up to a batch of photos unused when read; on PostgreSQL a report may take one before the DELETE runs."""
    return list(session.exec(select(Photo.id).where(Photo.created_at < cutoff, _UNUSED).limit(UNUSED_BATCH)).all())


DROP_IF_ORPHANED = "photos.drop_if_orphaned"


@jobs.handler(DROP_IF_ORPHANED)
def drop_if_orphaned(session: Session, payload: dict) -> None:
    """Remove an upload's files when its row never committed (idempotent: deleting twice deletes once)."""
    photo_id = uuid.UUID(payload["photo_id"])
    photo = session.get(Photo, photo_id)
    if photo is not None and photo.sha256 == payload["sha256"]:
        return
    if _resent_since(session, payload):
        return  # a later try of this upload wrote the same files (same keys), its row may not be in yet
    _remove(get_storage(), [storage_key(photo_id, payload["sha256"], v) for v in VARIANTS])


def _resent_since(session: Session, payload: dict) -> bool:
    """Whether a later try of the same upload (same id and bytes) has a check of its own still to come: every
    try commits its check before it writes a file, so that check, not this one, decides about the files."""
    later = select(Job.id).where(Job.kind == DROP_IF_ORPHANED, Job.state == QUEUED, Job.run_after > utcnow(),
                                 Job.payload["photo_id"].as_string() == payload["photo_id"],
                                 Job.payload["sha256"].as_string() == payload["sha256"])
    return session.exec(later.limit(1)).first() is not None


def _replay(existing: Photo, user: User, data: bytes) -> Photo:
    if existing.uploader_id != user.id or existing.sha256 != hashlib.sha256(data).hexdigest():
        raise Conflict("该照片编号已用于另一张照片 This photo id was already used for other bytes",
                       code="idempotency_conflict")
    return existing


def _remove(storage: PhotoStorage, keys: list[str]) -> None:
    for key in keys:
        storage.delete(key)


def visible_clause(user: User) -> ColumnElement[bool]:
    """The photos this user may see: their own uploads, and those of tickets the user may see."""
    return or_(Photo.uploader_id == user.id, tickets_access.uses_visible_ticket(user, Photo.id))


def read(session: Session, user: User, photo_id: uuid.UUID, variant: str) -> tuple[bytes, str, str]:
    """The bytes of one variant, its media type and ETag; 404 for photos this user may not see."""
    key, media_type, etag = locate(session, user, photo_id, variant)
    return get_storage().get(key), media_type, etag


@lru_cache(maxsize=32)
def _located(kind: tuple[Role, bool]) -> Select:
    """The photo if a user of this kind may see it (visible_clause, its values bound): built per request, the
    statement and its cache key cost a fifth of a thumbnail request's CPU."""
    located = select(Photo.id, Photo.sha256, Photo.content_type, Photo.uploader_id)
    if kind[0] == Role.unit_staff:  # where the photo is used: another unit's after-photos are not a unit's
        located = located.add_columns(TicketPhoto.ticket_id, TicketPhoto.event_id, TicketPhoto.stage) \
            .outerjoin(TicketPhoto, TicketPhoto.photo_id == Photo.id)
    return located.where(Photo.id == bindparam("photo_id"), visible_clause(tickets_access.bound_viewer(kind)))


def locate(session: Session, user: User, photo_id: uuid.UUID, variant: str) -> tuple[str, str, str]:
    """The storage key of one variant, its media type and ETag; 404 for photos this user may not see."""
    photo = session.execute(_located(tickets_access.viewer_kind(user)),
                            {"photo_id": photo_id} | tickets_access.viewer_params(user)).first() \
        if variant in VARIANTS else None
    if photo is not None and user.role == Role.unit_staff and photo.uploader_id != user.id \
            and photo.stage not in (None, "report") \
            and tickets_access.is_others_event(session, user, photo.ticket_id, photo.event_id):
        photo = None  # another unit's time with a ticket that changed hands: hidden as in the ticket's detail
    if photo is None:
        raise NotFound("照片不存在 Photo not found")
    if variant == "original" and user.role == Role.unit_staff and photo.uploader_id != user.id:
        # An untouched original keeps its EXIF, which can name the inspector's phone: units get the display.
        raise Forbidden("原图仅供办公室查看 Originals are for the office only", code="original_withheld")
    media_type = photo.content_type if variant == "original" else "image/jpeg"
    return storage_key(photo.id, photo.sha256, variant), media_type, f'"{photo.sha256[:16]}-{variant}"'
