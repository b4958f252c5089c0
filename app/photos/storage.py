"""Where photo bytes live: a small key/value interface, on local disk or in an S3-compatible bucket."""

import base64
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

# Segments start with a letter or digit, so ".", "..", hidden files and empty segments are impossible.
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9][A-Za-z0-9._-]{0,127}){0,7}")


class PhotoNotFoundError(LookupError):
    """No object is stored under this key."""


class InvalidKeyError(ValueError):
    """A key that could escape the storage root or is not in the expected shape."""


def check_key(key: str) -> str:
    """Return `key` if it is a safe relative key like 'ab/cd/<uuid>/original.jpg', else raise InvalidKeyError."""
    if not isinstance(key, str) or not _KEY.fullmatch(key) or ".." in key.split("/"):
        raise InvalidKeyError(f"invalid storage key: {key!r}")
    return key


def make_key(photo_id: UUID, name: str) -> str:
    """A sharded key 'ab/cd/<uuid>/<name>'; shards come from a hash so time-ordered UUIDs spread too."""
    shard = hashlib.sha256(photo_id.bytes).hexdigest()
    return check_key(f"{shard[:2]}/{shard[2:4]}/{photo_id}/{name}")


class RangeNotSatisfiableError(ValueError):
    """A byte range that starts beyond the object's end."""

    def __init__(self, size: int):
        super().__init__(f"range not satisfiable for an object of {size} bytes")
        self.size = size


# Bytes per chunk when an object is streamed: a photo is sent without holding it whole in memory.
CHUNK = 64 * 1024


@dataclass
class ObjectStream:
    """Bytes start..end (inclusive) of an object of `size` bytes, read chunk by chunk; close() when done."""

    size: int
    start: int
    end: int
    chunks: Iterator[bytes]
    close: Callable[[], None]
    read_all: Callable[[], bytes] | None = None  # the whole rest in one read, where the store has one

    def __post_init__(self):
        if self.read_all is None:
            self.read_all = lambda: b"".join(self.chunks)

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self.chunks
        finally:
            self.close()


def resolve_range(size: int, start: int | None, end: int | None) -> tuple[int, int]:
    """An HTTP byte range (start-end, start-, or -suffix with start None) as inclusive offsets within `size`."""
    if start is None:
        if end is None:
            return 0, size - 1
        if end <= 0 or size == 0:
            raise RangeNotSatisfiableError(size)
        return max(size - end, 0), size - 1
    if start >= size or (end is not None and end < start):
        raise RangeNotSatisfiableError(size)
    return start, size - 1 if end is None else min(end, size - 1)


class PhotoStorage(Protocol):
    """Byte storage for photos: LocalPhotoStorage or S3PhotoStorage, chosen by XUNCHA_STORAGE."""

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key` atomically: readers see the old object or the new one, never a part."""
        ...

    def put_all(self, items: Sequence[tuple[str, bytes]]) -> None:
        """`put` each (key, data); S3 sends them at once (a photo's three variants: one round trip, not three)."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes stored under `key`; raises PhotoNotFoundError."""
        ...

    def open(self, key: str, start: int | None = None, end: int | None = None) -> ObjectStream:
        """Stream the whole object or an HTTP-style byte range; raises PhotoNotFoundError, RangeNotSatisfiableError."""
        ...

    def delete(self, key: str) -> None:
        """Remove `key`; removing a missing key is not an error (cleanup must be retryable)."""
        ...

    def ready(self) -> None:
        """Raise OSError when the store cannot take a photo now (GET /api/ready); S3: a HEAD of the bucket."""
        ...


# Writes in progress live in one directory (keys cannot start with a dot), so the temp files of a killed
# process are found without walking every photo's directory.
TEMP_DIR = ".tmp"


class LocalPhotoStorage:
    """Photos as files under `root`, one file per key; writes go through a temp file and os.replace."""

    def __init__(self, root: Path | str, *, fsync: bool = True):
        self.root = Path(root).resolve()
        self.fsync = fsync

    def remove_stale_temp_files(self, older_than_seconds: float = 60) -> int:
        """Delete temp files left by writers that died mid-write; younger ones may be a live write. Answers how many."""
        cutoff = time.time() - older_than_seconds
        removed = 0
        try:
            entries = list(os.scandir(self.root / TEMP_DIR))
        except FileNotFoundError:
            return 0
        for entry in entries:
            try:
                if entry.is_file(follow_symlinks=False) and entry.stat(follow_symlinks=False).st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:  # another process cleaned it up first
                continue
        return removed

    def path(self, key: str) -> Path:
        """The file path for `key` (for FileResponse / X-Accel-Redirect); it may not exist."""
        path = self.root / check_key(key)
        # The key pattern already forbids "..", this also stops a symlinked shard pointing outside.
        if not path.resolve().is_relative_to(self.root):
            raise InvalidKeyError(f"storage key escapes the root: {key!r}")
        return path

    def put(self, key: str, data: bytes) -> None:
        """Write `data` to a temp file under the root, optionally fsync, then rename over the target. A disk
        that refuses the write (full, read-only, gone) raises StorageUnavailableError, as an unreachable bucket
        does: the upload answers 503 and the phone sends it again later."""
        path = self.path(key)
        try:
            self._write(path, data)
        except OSError as exc:
            raise StorageUnavailableError(f"local disk: {exc}") from exc

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp_dir = self.root / TEMP_DIR
        temp_dir.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=temp_dir, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                if self.fsync:
                    f.flush()
                    os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        if self.fsync:
            _fsync_dir(path.parent)  # make the rename itself durable

    def put_all(self, items: Sequence[tuple[str, bytes]]) -> None:
        for key, data in items:
            self.put(key, data)

    def get(self, key: str) -> bytes:
        """The stored bytes; raises PhotoNotFoundError."""
        try:
            return self.path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise PhotoNotFoundError(key) from exc

    def open(self, key: str, start: int | None = None, end: int | None = None) -> ObjectStream:
        """The file read in chunks from an open descriptor (a concurrent replace does not change what is sent)."""
        try:
            f = self.path(key).open("rb")
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            raise PhotoNotFoundError(key) from exc
        try:
            size = os.fstat(f.fileno()).st_size
            first, last = resolve_range(size, start, end)
            f.seek(first)
        except BaseException:
            f.close()
            raise
        return ObjectStream(size, first, last, _read_chunks(f, last - first + 1), f.close)

    def delete(self, key: str) -> None:
        """Remove the file; a missing file is fine."""
        self.path(key).unlink(missing_ok=True)

    def ready(self) -> None:
        """Create and remove a small file where writes go: a missing, read-only or full disk raises OSError."""
        temp_dir = self.root / TEMP_DIR
        temp_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=temp_dir, prefix=".ready-", suffix=".part")
        try:
            os.write(fd, b"ready")
        finally:
            os.close(fd)
            os.unlink(tmp)


def _read_chunks(f, remaining: int) -> Iterator[bytes]:
    while remaining > 0:
        chunk = f.read(min(CHUNK, remaining))
        if not chunk:
            return
        remaining -= len(chunk)
        yield chunk


_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")
_MISSING = {"NoSuchKey", "404", "NotFound"}


class StorageUnavailableError(OSError):
    """The store did not answer as it should (unreachable, a missing bucket, refused keys): not the caller's fault."""


@contextmanager
def _s3_errors(key: str) -> Iterator[None]:
    """botocore's errors as the storage's own: a missing object, an unsatisfiable range, an unavailable store."""
    try:
        yield
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in _MISSING:
            raise PhotoNotFoundError(key) from exc
        raise StorageUnavailableError(f"S3 {code}: {exc}") from exc
    except BotoCoreError as exc:
        raise StorageUnavailableError(f"S3: {exc}") from exc


def _chunks_of(body: Any, key: str) -> Iterator[bytes]:
    with _s3_errors(key):
        yield from body.iter_chunks(CHUNK)


class S3PhotoStorage:
    """Photos as objects in an S3-compatible bucket (AWS, MinIO, OSS, COS, OBS) through boto3; the bucket stays
    private: objects are written without ACLs and read only by the app, which serves them after its own checks."""

    def __init__(self, bucket: str, *, endpoint_url: str | None = None, region: str | None = None,
                 access_key: str | None = None, secret_key: str | None = None, path_style: bool = False,
                 max_connections: int = 32):
        self.bucket = bucket
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": "path" if path_style else "virtual"},
            # boto3's default CRC checksums on every request are unknown to several S3-compatible stores;
            # Content-MD5 (sent by put) is understood by all of them.
            request_checksum_calculation="when_required", response_checksum_validation="when_required",
            retries={"max_attempts": 4, "mode": "standard"},
            connect_timeout=5, read_timeout=30, max_pool_connections=max_connections,
        )
        # Shared by every request of the process: at most `max_connections` PUTs in flight, the pool's size.
        self._senders = ThreadPoolExecutor(max_workers=max_connections, thread_name_prefix="s3-put")
        self.client = boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or None,
            aws_access_key_id=access_key or None, aws_secret_access_key=secret_key or None, config=config)

    def put(self, key: str, data: bytes) -> None:
        """One PUT: S3 makes a whole object visible at once, and the server checks the body's MD5."""
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        with _s3_errors(check_key(key)):
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentMD5=md5)

    def put_all(self, items: Sequence[tuple[str, bytes]]) -> None:
        """The PUTs in parallel (boto3's client is thread-safe); the first failure is raised once all have ended."""
        if len(items) < 2:
            for key, data in items:
                self.put(key, data)
            return
        futures = [self._senders.submit(self.put, key, data) for key, data in items]
        wait(futures)  # none still in flight when the caller hears of a failure
        for future in futures:
            future.result()

    def get(self, key: str) -> bytes:
        """The stored bytes; raises PhotoNotFoundError."""
        stream = self.open(key)
        try:
            with _s3_errors(key):
                return stream.read_all()
        finally:
            stream.close()

    def open(self, key: str, start: int | None = None, end: int | None = None) -> ObjectStream:
        """One GET (with a Range header for a part); the body is read from the connection chunk by chunk."""
        args: dict[str, Any] = {"Bucket": self.bucket, "Key": check_key(key)}
        if start is not None or end is not None:
            if (start is None and (end is None or end <= 0)) or (start is not None and end is not None and end < start):
                raise RangeNotSatisfiableError(self._size(key))
            args["Range"] = f"bytes={'' if start is None else start}-{'' if end is None else end}"
        try:
            with _s3_errors(key):
                response = self.client.get_object(**args)
        except StorageUnavailableError as exc:
            if isinstance(exc.__cause__, ClientError) and \
                    exc.__cause__.response.get("Error", {}).get("Code") in ("InvalidRange", "416"):
                raise RangeNotSatisfiableError(self._size(key)) from None
            raise
        body = response["Body"]
        match = _CONTENT_RANGE.fullmatch(response.get("ContentRange") or "")
        if match:
            first, last, size = (int(g) for g in match.groups())
        else:
            size = response["ContentLength"]
            first, last = 0, size - 1
        return ObjectStream(size, first, last, _chunks_of(body, key), body.close, body.read)

    def delete(self, key: str) -> None:
        """Remove the object; S3 answers a delete of a missing key with success too."""
        with _s3_errors(check_key(key)):
            self.client.delete_object(Bucket=self.bucket, Key=key)

    def ready(self) -> None:
        """A HEAD of the bucket: an unreachable store, a missing bucket or refused keys raise."""
        try:
            with _s3_errors("(bucket)"):
                self.client.head_bucket(Bucket=self.bucket)
        except PhotoNotFoundError:
            raise StorageUnavailableError(f"S3 bucket {self.bucket!r} not found") from None

    def _size(self, key: str) -> int:
        with _s3_errors(check_key(key)):
            return self.client.head_object(Bucket=self.bucket, Key=key)["ContentLength"]


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
