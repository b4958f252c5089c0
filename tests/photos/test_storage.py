"""Local photo storage: atomic writes, safe keys, idempotent deletes."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from app.photos import storage as storage_mod
from app.photos.storage import InvalidKeyError, LocalPhotoStorage, PhotoNotFoundError, check_key, make_key

KEY = "ab/cd/3f2b8c1e-0d4a-4c5e-9a7b-1c2d3e4f5a6b/original.jpg"


@pytest.fixture
def store(tmp_path: Path) -> LocalPhotoStorage:
    return LocalPhotoStorage(tmp_path / "media")


def stored(store: LocalPhotoStorage, key: str) -> bool:
    """Whether `get` finds an object under `key` (the storage's only read)."""
    try:
        store.get(key)
    except PhotoNotFoundError:
        return False
    return True


def test_put_get_exists_delete_roundtrip(store: LocalPhotoStorage):
    assert not stored(store, KEY)
    store.put(KEY, b"\xff\xd8 original bytes")
    assert stored(store, KEY)
    assert store.get(KEY) == b"\xff\xd8 original bytes"
    assert store.path(KEY) == store.root / KEY
    store.delete(KEY)
    assert not stored(store, KEY)
    store.delete(KEY)  # deleting twice is fine: cleanup must be retryable


def test_missing_key_raises_not_found(store: LocalPhotoStorage):
    with pytest.raises(PhotoNotFoundError):
        store.get(KEY)


def test_put_replaces_atomically_and_leaves_no_temp_files(store: LocalPhotoStorage):
    store.put(KEY, b"first")
    store.put(KEY, b"second")
    assert store.get(KEY) == b"second"
    assert sorted(p.name for p in store.path(KEY).parent.iterdir()) == ["original.jpg"]


def test_failed_write_keeps_the_old_file_and_removes_the_temp(store: LocalPhotoStorage, monkeypatch):
    store.put(KEY, b"old")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(storage_mod.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        store.put(KEY, b"new")
    monkeypatch.undo()
    assert store.get(KEY) == b"old"
    assert sorted(p.name for p in store.path(KEY).parent.iterdir()) == ["original.jpg"]


def test_fsync_can_be_switched_off(tmp_path: Path, monkeypatch):
    calls: list[int] = []
    monkeypatch.setattr(storage_mod.os, "fsync", lambda fd: calls.append(fd))
    LocalPhotoStorage(tmp_path, fsync=False).put(KEY, b"x")
    assert calls == []
    LocalPhotoStorage(tmp_path, fsync=True).put(KEY, b"y")
    assert len(calls) == 2  # the file, then its directory


@pytest.mark.parametrize("key", [
    "../etc/passwd",
    "ab/../../etc/passwd",
    "ab/cd/..",
    "/etc/passwd",
    "ab//cd",
    "ab/cd/",
    "",
    ".hidden",
    "ab/./cd",
    "ab\\cd",
    "ab/cd\x00.jpg",
    "C:/Windows/x",
    "ab/cd/e f.jpg",
    "a/" * 9 + "x",
])
def test_unsafe_keys_are_rejected(store: LocalPhotoStorage, key: str):
    with pytest.raises(InvalidKeyError):
        store.put(key, b"x")
    with pytest.raises(InvalidKeyError):
        store.get(key)
    with pytest.raises(InvalidKeyError):
        store.delete(key)
    assert not (store.root.parent / "etc").exists()


def test_symlinked_shard_cannot_escape_the_root(tmp_path: Path):
    outside = tmp_path / "outside"
    outside.mkdir()
    store = LocalPhotoStorage(tmp_path / "media")
    store.root.mkdir()
    os.symlink(outside, store.root / "ab")
    with pytest.raises(InvalidKeyError):
        store.put("ab/cd/x.jpg", b"x")
    assert list(outside.iterdir()) == []


def test_keys_used_by_the_service_are_valid():
    photo_id = uuid.uuid4()
    assert check_key(f"{photo_id.hex[:2]}/{photo_id.hex}/{'a' * 16}.display") is not None


def test_make_key_is_sharded_and_stable():
    photo_id = uuid.UUID("018f3a2b-0000-7000-8000-000000000001")
    key = make_key(photo_id, "original.jpg")
    shard1, shard2, name, filename = key.split("/")
    assert (len(shard1), len(shard2), name, filename) == (2, 2, str(photo_id), "original.jpg")
    assert make_key(photo_id, "original.jpg") == key
    # time-ordered ids (UUIDv7) share a prefix; the shards must still spread
    shards = {make_key(uuid.UUID(int=photo_id.int + i), "t.jpg")[:5] for i in range(200)}
    assert len(shards) > 150


_WRITE_THEN_HANG = """
import os, sys, time
from app.photos import storage
def hang(src, dst):
    print("written", flush=True)
    time.sleep(600)
storage.os.replace = hang
storage.LocalPhotoStorage(sys.argv[1]).put(sys.argv[2], b"x" * 1_000_000)
"""


def _temp_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name.startswith(".tmp-"))


def test_temp_file_of_a_writer_killed_mid_write_is_removed_once_stale(tmp_path: Path):
    root = tmp_path / "media"
    writer = subprocess.Popen([sys.executable, "-c", _WRITE_THEN_HANG, str(root), KEY], stdout=subprocess.PIPE,
                              cwd=Path(__file__).resolve().parents[2], text=True)
    try:
        assert writer.stdout.readline().strip() == "written"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    leftovers = _temp_files(root)
    assert len(leftovers) == 1 and not (root / KEY).exists()
    store = LocalPhotoStorage(root)
    # A temp file this young may be another process's live write: it stays.
    assert store.remove_stale_temp_files(older_than_seconds=60) == 0
    assert _temp_files(root) == leftovers
    old = time.time() - 120
    os.utime(leftovers[0], (old, old))
    assert store.remove_stale_temp_files(older_than_seconds=60) == 1
    assert _temp_files(root) == []
    store.put(KEY, b"after")  # the storage still works after the clean-up
    assert store.get(KEY) == b"after" and _temp_files(root) == []


def test_clean_up_on_an_empty_or_missing_root_is_fine(tmp_path: Path):
    assert LocalPhotoStorage(tmp_path / "nothing-here").remove_stale_temp_files() == 0
