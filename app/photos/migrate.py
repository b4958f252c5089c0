"""Copy a local media directory into a bucket, verifying each object's SHA-256 by reading it back."""

import hashlib
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from app.photos.storage import InvalidKeyError, LocalPhotoStorage, PhotoNotFoundError, PhotoStorage, check_key

UPLOADED, PRESENT, FAILED = "uploaded", "present", "failed"


@dataclass
class MigrationReport:
    """What a run did: objects uploaded, found already there with the same SHA-256, files skipped, failures."""

    uploaded: int = 0
    present: int = 0
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def scanned(self) -> int:
        return self.uploaded + self.present + len(self.skipped) + len(self.failed)

    def summary(self) -> str:
        return (f"{self.scanned} files: {self.uploaded} uploaded, {self.present} already there, "
                f"{len(self.skipped)} skipped, {len(self.failed)} failed")


def local_keys(root: Path) -> tuple[list[str], list[str]]:
    """The storage keys of the files under `root`, and the files that are not photos (temp files under
    TEMP_DIR, strays such as .DS_Store)."""
    keys, skipped = [], []
    for directory, dirs, files in os.walk(root):  # symlinked directories are not followed
        dirs.sort()
        for name in sorted(files):
            rel = (Path(directory) / name).relative_to(root).as_posix()
            try:
                keys.append(check_key(rel))
            except InvalidKeyError:
                skipped.append(rel)
    return keys, skipped


def sha256_of(storage: PhotoStorage, key: str) -> str | None:
    """The SHA-256 of the stored object, read back in chunks; None when there is none."""
    try:
        stream = storage.open(key)
    except PhotoNotFoundError:
        return None
    digest = hashlib.sha256()
    for chunk in stream:
        digest.update(chunk)
    return digest.hexdigest()


def copy_one(source: LocalPhotoStorage, target: PhotoStorage, key: str) -> tuple[str, str]:
    """(outcome, reason): skipped when the target already holds these bytes, else uploaded and read back."""
    data = source.get(key)
    want = hashlib.sha256(data).hexdigest()
    if sha256_of(target, key) == want:
        return PRESENT, ""
    target.put(key, data)
    got = sha256_of(target, key)
    if got != want:
        return FAILED, f"read back with SHA-256 {got}, expected {want}"
    return UPLOADED, ""


def migrate(root: Path | str, target: PhotoStorage, *, jobs: int = 4,
            progress: Callable[[str, str], None] | None = None) -> MigrationReport:
    """Copy every photo file under `root` into `target`; safe to run again (what is there is not sent twice)."""
    source = LocalPhotoStorage(root, fsync=False)
    keys, skipped = local_keys(source.root)
    report = MigrationReport(skipped=skipped)

    def one(key: str) -> tuple[str, str, str]:
        try:
            return (key, *copy_one(source, target, key))
        except Exception as exc:  # one bad object must not stop the others; it is reported
            return key, FAILED, f"{type(exc).__name__}: {exc}"

    with ThreadPoolExecutor(max(1, jobs)) as pool:
        for key, outcome, reason in pool.map(one, keys):
            if outcome == UPLOADED:
                report.uploaded += 1
            elif outcome == PRESENT:
                report.present += 1
            else:
                report.failed.append((key, reason))
            if progress is not None:
                progress(key, outcome)
    return report
