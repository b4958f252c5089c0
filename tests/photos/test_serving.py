"""Photos served through the API from local disk and from an S3-compatible bucket: streamed, with ETag, 304
and byte ranges, after the visibility check."""

import errno
import hashlib
import logging
import uuid

import pytest

from app.core.config import get_settings
from app.photos import service
from app.photos import storage as storage_module
from app.photos.storage import TEMP_DIR, LocalPhotoStorage, S3PhotoStorage
from app.users.roles import Role
from tests.conftest import login, make_user, upload_photo
from tests.fixtures.images import make_jpeg


@pytest.fixture(params=["local", "s3"])
def backend(request, tmp_path):
    """Settings switched to this storage (XUNCHA_STORAGE and friends), as a deployment would set them."""
    with pytest.MonkeyPatch.context() as mp:
        if request.param == "s3":
            server = request.getfixturevalue("s3_server")
            bucket = server.new_bucket()
            for name, value in server.env(bucket).items():
                mp.setenv(name, value)
        else:
            mp.setenv("XUNCHA_STORAGE", "local")
            mp.setenv("XUNCHA_MEDIA_DIR", str(tmp_path / "media"))
        get_settings.cache_clear()
        service.get_storage.cache_clear()
        # Made now, as a process's startup makes it (photos_service.start): building a boto3 client inside the
        # readiness check's 2 s took longer than that in a CI run beside the browser tests.
        service.get_storage()
        try:
            yield request.param
        finally:
            get_settings.cache_clear()
            service.get_storage.cache_clear()
    get_settings.cache_clear()
    service.get_storage.cache_clear()


def _key(photo: dict, variant: str) -> str:
    return service.storage_key(uuid.UUID(photo["id"]), photo["sha256"], variant)


def test_upload_stores_in_the_selected_storage_and_serves_each_variant(client, db, backend, request):
    storage = service.get_storage()
    assert isinstance(storage, S3PhotoStorage if backend == "s3" else LocalPhotoStorage)
    headers = login(client, make_user(db, Role.inspector))
    original = make_jpeg(1200, 900, lat=30.27, lng=120.15)
    photo = upload_photo(client, headers, original)
    if backend == "s3":
        server = request.getfixturevalue("s3_server")
        assert server.keys(storage.bucket) == sorted(_key(photo, v) for v in service.VARIANTS)
    for variant in service.VARIANTS:
        r = client.get(photo["urls"][variant], headers=headers)
        assert r.status_code == 200, r.text
        assert r.content == storage.get(_key(photo, variant))
        assert r.headers["content-length"] == str(len(r.content))
        assert r.headers["etag"] == f'"{photo["sha256"][:16]}-{variant}"'
        assert r.headers["accept-ranges"] == "bytes"
        assert r.headers["content-type"].startswith("image/jpeg")
    r = client.get(photo["urls"]["original"], headers=headers)
    assert hashlib.sha256(r.content).hexdigest() == photo["sha256"] == hashlib.sha256(original).hexdigest()


def test_a_matching_etag_answers_304_without_reading_the_store(client, db, backend):
    headers = login(client, make_user(db, Role.inspector))
    photo = upload_photo(client, headers)
    etag = client.get(photo["urls"]["display"], headers=headers).headers["etag"]
    service.get_storage().delete(_key(photo, "display"))  # a 304 must not need the bytes
    r = client.get(photo["urls"]["display"], headers=headers | {"If-None-Match": etag})
    assert r.status_code == 304 and r.content == b"" and r.headers["etag"] == etag
    # A list of tags, a weak one, or any (RFC 9110): all match.
    for given in (f'"other", {etag}', f"W/{etag}", "*"):
        assert client.get(photo["urls"]["display"], headers=headers | {"If-None-Match": given}).status_code == 304
    r = client.get(photo["urls"]["display"], headers=headers | {"If-None-Match": '"other"'})
    assert r.status_code == 404 and r.json()["error"]["code"] == "photo_file_missing"


def test_byte_ranges(client, db, backend):
    headers = login(client, make_user(db, Role.inspector))
    photo = upload_photo(client, headers)
    url = photo["urls"]["original"]
    whole = client.get(url, headers=headers).content
    size = len(whole)
    etag = f'"{photo["sha256"][:16]}-original"'
    cases = {"bytes=0-99": (0, 99), "bytes=100-": (100, size - 1), "bytes=-10": (size - 10, size - 1),
             f"bytes=10-{size + 1000}": (10, size - 1), "bytes=10-" + "9" * 5000: (10, size - 1),
             "bytes=-" + "9" * 5000: (0, size - 1)}
    for value, (first, last) in cases.items():
        r = client.get(url, headers=headers | {"Range": value})
        assert r.status_code == 206, (value, r.text)
        assert r.content == whole[first:last + 1]
        assert r.headers["content-range"] == f"bytes {first}-{last}/{size}"
        assert r.headers["content-length"] == str(last - first + 1)
    r = client.get(url, headers=headers | {"Range": "bytes=0-9", "If-Range": etag})
    assert r.status_code == 206 and r.content == whole[:10]
    # Ignored: a stale If-Range, several ranges, nonsense, a reversed range: the whole photo.
    for extra in ({"Range": "bytes=0-9", "If-Range": '"stale"'}, {"Range": "bytes=0-1,5-6"},
                  {"Range": "pages=1"}, {"Range": "bytes=9-2"}, {"Range": "bytes=-"}):
        r = client.get(url, headers=headers | extra)
        assert r.status_code == 200 and r.content == whole, extra
    for value in (f"bytes={size}-", f"bytes={size + 5}-{size + 10}", "bytes=-0", "bytes=" + "9" * 5000 + "-"):
        r = client.get(url, headers=headers | {"Range": value})
        assert r.status_code == 416, (value, r.text)
        assert r.json()["error"]["code"] == "range_not_satisfiable"
        assert r.headers["content-range"] == f"bytes */{size}"


def test_others_get_nothing_from_either_store(client, db, backend):
    owner = login(client, make_user(db, Role.inspector))
    photo = upload_photo(client, owner)
    other = login(client, make_user(db, Role.inspector))
    for variant in service.VARIANTS:
        r = client.get(photo["urls"][variant], headers=other | {"Range": "bytes=0-10"})
        assert r.status_code == 404 and "content-range" not in r.headers
        assert client.get(photo["urls"][variant]).status_code == 401


@pytest.mark.parametrize("backend", ["s3"], indirect=True)
def test_objects_in_the_bucket_are_never_public(client, db, s3_server, backend):
    headers = login(client, make_user(db, Role.inspector))
    photo = upload_photo(client, headers)
    storage = service.get_storage()
    for variant in service.VARIANTS:
        grants = s3_server.client.get_object_acl(Bucket=storage.bucket, Key=_key(photo, variant))["Grants"]
        assert [g for g in grants if "URI" in g["Grantee"]] == [], grants  # no AllUsers / AuthenticatedUsers


def test_settings_refuse_s3_without_a_bucket(monkeypatch):
    monkeypatch.setenv("XUNCHA_STORAGE", "s3")
    monkeypatch.delenv("XUNCHA_S3_BUCKET", raising=False)
    with pytest.raises(ValueError, match="XUNCHA_S3_BUCKET"):
        type(get_settings())()


@pytest.mark.parametrize("backend", ["s3"], indirect=True)
def test_a_store_that_fails_answers_503_not_500(client, db, backend, monkeypatch, caplog):
    headers = login(client, make_user(db, Role.inspector))
    photo = upload_photo(client, headers)
    monkeypatch.setenv("XUNCHA_S3_BUCKET", "no-such-bucket")  # the bucket was removed or renamed
    get_settings.cache_clear()
    service.get_storage.cache_clear()
    with caplog.at_level(logging.ERROR):
        for variant in service.VARIANTS:
            r = client.get(photo["urls"][variant], headers=headers)
            assert r.status_code == 503, r.text
            assert r.json()["error"]["code"] == "storage_unavailable" and r.headers["retry-after"]
        r = client.post("/api/photos", headers=headers, data={"id": str(uuid.uuid4())},
                        files={"file": ("p.jpg", make_jpeg(640, 480), "image/jpeg")})
        assert r.status_code == 503 and r.json()["error"]["code"] == "storage_unavailable", r.text
    assert any("NoSuchBucket" in rec.getMessage() for rec in caplog.records)


@pytest.mark.parametrize("failure", ["disk_full", "read_only"])
def test_a_local_disk_that_refuses_writes_answers_503_and_keeps_nothing_half_written(client, db, tmp_path,
                                                                                     monkeypatch, failure):
    """A full disk (ENOSPC as the photo is flushed) or a media directory that cannot be written (read-only,
    its shard directories not creatable): a clear 503 the phone retries, as for an unreachable bucket, not a
    bare 500; no temp file stays, and the resend stores the photo once the disk takes writes again."""
    monkeypatch.setenv("XUNCHA_STORAGE", "local")
    monkeypatch.setenv("XUNCHA_MEDIA_DIR", str(tmp_path / "media"))
    get_settings.cache_clear()
    service.get_storage.cache_clear()
    headers = login(client, make_user(db, Role.inspector))
    root = service.get_storage().root
    if failure == "disk_full":
        def full(fd):
            raise OSError(errno.ENOSPC, "No space left on device")
        monkeypatch.setattr(storage_module.os, "fsync", full)
    else:
        root.mkdir(parents=True)
        monkeypatch.setattr(storage_module.Path, "mkdir", _read_only_mkdir)
    photo_id, data = str(uuid.uuid4()), make_jpeg(640, 480)
    r = client.post("/api/photos", headers=headers, data={"id": photo_id},
                    files={"file": ("p.jpg", data, "image/jpeg")})
    assert r.status_code == 503, r.text
    assert r.json()["error"]["code"] == "storage_unavailable" and r.headers["retry-after"]
    assert not list((root / TEMP_DIR).glob("*"))
    monkeypatch.undo()
    monkeypatch.setenv("XUNCHA_MEDIA_DIR", str(tmp_path / "media"))
    r = client.post("/api/photos", headers=headers, data={"id": photo_id},
                    files={"file": ("p.jpg", data, "image/jpeg")})
    assert r.status_code == 201, r.text
    get_settings.cache_clear()
    service.get_storage.cache_clear()


def _read_only_mkdir(path, *args, **kwargs):
    raise OSError(errno.EROFS, "Read-only file system", str(path))


def test_readiness_checks_the_selected_store(client, backend, monkeypatch):
    assert client.get("/api/ready").json()["checks"]["storage"] == "ok"
    if backend == "s3":
        monkeypatch.setenv("XUNCHA_S3_BUCKET", "no-such-bucket")
    else:
        blocker = get_settings().media_dir.parent / "a-file"
        blocker.write_text("not a directory")
        monkeypatch.setenv("XUNCHA_MEDIA_DIR", str(blocker))
    get_settings.cache_clear()
    service.get_storage.cache_clear()
    r = client.get("/api/ready")
    assert r.status_code == 503, r.text
    assert set(r.json()["error"]["details"]["failed"]) == {"storage"}
