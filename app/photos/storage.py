"""Where photo bytes live: a small key/value interface, and its local-disk implementation."""

import hashlib
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Protocol
from uuid import UUID

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


class PhotoStorage(Protocol):
    """Byte storage for photos (local disk here; S3-compatible storage can implement the same)."""

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key` atomically: readers see the old object or the new one, never a part."""
        ...

    def get(self, key: str) -> bytes:
        """The bytes stored under `key`; raises PhotoNotFoundError."""
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
        """Write `data` to a temp file under the root, optionally fsync, then rename over the target."""
        path = self.path(key)
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

    def get(self, key: str) -> bytes:
        """The stored bytes; raises PhotoNotFoundError."""
        try:
            return self.path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise PhotoNotFoundError(key) from exc

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
