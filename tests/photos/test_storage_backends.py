"""One storage suite, run against local disk and against a real S3-compatible server (moto, tests/s3server.py)."""

import hashlib
import os
import threading
from pathlib import Path

import pytest

from app.photos.storage import (
    CHUNK,
    InvalidKeyError,
    LocalPhotoStorage,
    PhotoNotFoundError,
    PhotoStorage,
    RangeNotSatisfiableError,
    S3PhotoStorage,
)
from tests.s3server import ACCESS_KEY, REGION, SECRET_KEY

KEY = "ab/cd/3f2b8c1e-0d4a-4c5e-9a7b-1c2d3e4f5a6b/0123456789abcdef-original"
UNSAFE_KEYS = ["../etc/passwd", "ab/../../etc/passwd", "ab/cd/..", "/etc/passwd", "ab//cd", "ab/cd/", "", ".hidden",
               "ab/./cd", "ab\\cd", "ab/cd\x00.jpg", "C:/Windows/x", "ab/cd/e f.jpg", "a/" * 9 + "x", "ab/cd?x=1",
               "ab/cd#x", "ab/%2e%2e/x"]


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path: Path) -> PhotoStorage:
    if request.param == "local":
        yield LocalPhotoStorage(tmp_path / "media", fsync=False)
        return
    server = request.getfixturevalue("s3_server")
    bucket = server.new_bucket()
    store = S3PhotoStorage(bucket, endpoint_url=server.endpoint, region=REGION, access_key=ACCESS_KEY,
                           secret_key=SECRET_KEY, path_style=True)
    yield store
    server.empty(bucket)
    server.client.delete_bucket(Bucket=bucket)


def _stored_keys(store: PhotoStorage) -> list[str]:
    if isinstance(store, LocalPhotoStorage):
        return sorted(p.relative_to(store.root).as_posix() for p in store.root.rglob("*") if p.is_file()) \
            if store.root.exists() else []
    pages = store.client.get_paginator("list_objects_v2").paginate(Bucket=store.bucket)
    return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))


def test_put_get_delete_roundtrip(store: PhotoStorage):
    store.put(KEY, b"\xff\xd8 original bytes")
    assert store.get(KEY) == b"\xff\xd8 original bytes"
    assert _stored_keys(store) == [KEY]
    store.delete(KEY)
    with pytest.raises(PhotoNotFoundError):
        store.get(KEY)
    store.delete(KEY)  # deleting twice is fine: cleanup must be retryable
    assert _stored_keys(store) == []


def test_put_all_stores_each_object_and_raises_a_refused_key(store: PhotoStorage):
    items = [(KEY.replace("original", name), name.encode() * 1000) for name in ("thumb", "display", "original")]
    store.put_all(items)
    assert _stored_keys(store) == sorted(key for key, _ in items)
    assert all(store.get(key) == data for key, data in items)
    with pytest.raises(InvalidKeyError):
        store.put_all([(KEY.replace("original", "other"), b"x"), ("../escape", b"y")])
    assert "../escape" not in _stored_keys(store)


def test_missing_key_raises_not_found(store: PhotoStorage):
    with pytest.raises(PhotoNotFoundError):
        store.get(KEY)
    with pytest.raises(PhotoNotFoundError):
        store.open(KEY)
    with pytest.raises(PhotoNotFoundError):
        store.open(KEY, 0, 9)
    store.delete(KEY)


def test_an_empty_object_is_stored_and_read(store: PhotoStorage):
    store.put(KEY, b"")
    assert store.get(KEY) == b""
    stream = store.open(KEY)
    assert (stream.size, stream.length, b"".join(stream)) == (0, 0, b"")


def test_overwrite_replaces_the_whole_object_and_readers_never_see_a_mix(store: PhotoStorage):
    old, new = b"o" * 300_000, b"n" * 200_000
    store.put(KEY, old)
    seen: set[bytes] = set()
    errors: list[BaseException] = []
    done = threading.Event()

    def read():
        try:
            while not done.is_set():
                data = store.get(KEY)
                seen.add(data[:1] * len(data))
                assert data in (old, new), (len(data), set(data))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for t in readers:
        t.start()
    try:
        for i in range(20):
            store.put(KEY, new if i % 2 == 0 else old)
    finally:
        done.set()
        for t in readers:
            t.join()
    assert errors == []
    assert seen <= {old, new}
    assert store.get(KEY) == old
    assert _stored_keys(store) == [KEY]  # no temp or part objects are left


@pytest.mark.parametrize("key", UNSAFE_KEYS)
def test_invalid_keys_are_refused_before_any_io(store: PhotoStorage, key: str):
    with pytest.raises(InvalidKeyError):
        store.put(key, b"x")
    with pytest.raises(InvalidKeyError):
        store.get(key)
    with pytest.raises(InvalidKeyError):
        store.open(key)
    with pytest.raises(InvalidKeyError):
        store.delete(key)
    assert _stored_keys(store) == []


def test_large_object_is_streamed_in_bounded_chunks(store: PhotoStorage):
    data = os.urandom(24 * 1024 * 1024 + 123)  # a little over the upload limit
    store.put(KEY, data)
    stream = store.open(KEY)
    assert (stream.size, stream.start, stream.end, stream.length) == (len(data), 0, len(data) - 1, len(data))
    digest, chunks = hashlib.sha256(), 0
    for chunk in stream:
        assert 0 < len(chunk) <= CHUNK
        digest.update(chunk)
        chunks += 1
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
    assert chunks >= len(data) // CHUNK
    assert store.get(KEY) == data
    tail = store.open(KEY, len(data) - 1000, None)
    assert b"".join(tail) == data[-1000:]


@pytest.mark.parametrize("start,end,expected", [
    (0, 9, (0, 9)), (10, None, (10, 99)), (None, 5, (95, 99)), (None, 1000, (0, 99)), (90, 5000, (90, 99)),
    (99, 99, (99, 99)), (None, None, (0, 99)),
])
def test_byte_ranges(store: PhotoStorage, start, end, expected):
    data = bytes(range(100))
    store.put(KEY, data)
    stream = store.open(KEY, start, end)
    assert (stream.start, stream.end, stream.size) == (*expected, 100)
    assert b"".join(stream) == data[expected[0]:expected[1] + 1]


@pytest.mark.parametrize("start,end", [(100, None), (100, 200), (5000, None), (None, 0)])
def test_unsatisfiable_ranges_name_the_size(store: PhotoStorage, start, end):
    store.put(KEY, bytes(100))
    with pytest.raises(RangeNotSatisfiableError) as info:
        store.open(KEY, start, end)
    assert info.value.size == 100
