"""`python -m app.cli storage-migrate`: a local media directory copied into a bucket, every SHA-256 read back."""

import uuid

import pytest

from app import cli
from app.core.config import get_settings
from app.photos import service
from app.photos.storage import TEMP_DIR, LocalPhotoStorage, make_key


@pytest.fixture
def bucket(s3_server):
    """The S3 settings point at a fresh bucket; XUNCHA_STORAGE itself is left as it is (migrate first, switch after)."""
    name = s3_server.new_bucket()
    with pytest.MonkeyPatch.context() as mp:
        for key, value in s3_server.env(name).items():
            if key != "XUNCHA_STORAGE":
                mp.setenv(key, value)
        get_settings.cache_clear()
        try:
            yield name
        finally:
            get_settings.cache_clear()
    get_settings.cache_clear()


@pytest.fixture
def media(tmp_path):
    root = tmp_path / "media"
    local = LocalPhotoStorage(root, fsync=False)
    files = {make_key(uuid.uuid4(), f"{uuid.uuid4().hex[:16]}-{v}"): f"{v}-{i}".encode() * (1000 + i)
             for i in range(6) for v in ("thumb", "display", "original")}
    files[make_key(uuid.uuid4(), "big-original")] = bytes(range(256)) * 40_000  # 10 MB
    for key, data in files.items():
        local.put(key, data)
    (root / TEMP_DIR).mkdir(exist_ok=True)
    (root / TEMP_DIR / ".tmp-x.part").write_bytes(b"half a photo")
    (root / ".DS_Store").write_bytes(b"junk")
    return root, files


def _bucket_contents(server, bucket) -> dict[str, bytes]:
    return {k: server.client.get_object(Bucket=bucket, Key=k)["Body"].read() for k in server.keys(bucket)}


def test_copies_verifies_and_is_idempotent(s3_server, bucket, media, capsys):
    root, files = media
    assert cli.main(["storage-migrate", "--source", str(root), "--jobs", "4"]) == 0
    out = capsys.readouterr()
    assert f"{len(files) + 2} files: {len(files)} uploaded, 0 already there, 2 skipped, 0 failed" in out.out
    assert ".DS_Store" in out.err and f"{TEMP_DIR}/.tmp-x.part" in out.err
    assert _bucket_contents(s3_server, bucket) == files

    assert cli.main(["storage-migrate", "--source", str(root)]) == 0
    assert f"0 uploaded, {len(files)} already there, 2 skipped, 0 failed" in capsys.readouterr().out

    # An object that differs in the bucket (an earlier, broken copy) is sent again; the others are left.
    damaged = sorted(files)[0]
    s3_server.client.put_object(Bucket=bucket, Key=damaged, Body=b"truncated")
    assert cli.main(["storage-migrate", "--source", str(root)]) == 0
    assert f"1 uploaded, {len(files) - 1} already there" in capsys.readouterr().out
    assert _bucket_contents(s3_server, bucket) == files


def test_the_default_source_is_the_media_dir_and_the_app_then_serves_from_the_bucket(s3_server, bucket, media,
                                                                                   monkeypatch, capsys):
    root, files = media
    monkeypatch.setenv("XUNCHA_MEDIA_DIR", str(root))
    get_settings.cache_clear()
    assert cli.main(["storage-migrate"]) == 0
    assert f"{len(files)} uploaded" in capsys.readouterr().out
    monkeypatch.setenv("XUNCHA_STORAGE", "s3")
    get_settings.cache_clear()
    service.get_storage.cache_clear()
    try:
        storage = service.get_storage()
        assert all(storage.get(k) == v for k, v in files.items())
    finally:
        service.get_storage.cache_clear()


def test_a_missing_bucket_or_directory_is_an_error_not_a_traceback(s3_server, bucket, media, monkeypatch, capsys):
    root, _ = media
    assert cli.main(["storage-migrate", "--source", str(root / "nope")]) == 2
    assert "no media directory" in capsys.readouterr().err
    monkeypatch.setenv("XUNCHA_S3_BUCKET", "no-such-bucket")
    get_settings.cache_clear()
    assert cli.main(["storage-migrate", "--source", str(root)]) == 1
    captured = capsys.readouterr()
    assert "0 uploaded" in captured.out and "NoSuchBucket" in captured.err
    monkeypatch.delenv("XUNCHA_S3_BUCKET")
    get_settings.cache_clear()
    assert cli.main(["storage-migrate", "--source", str(root)]) == 2
    assert "XUNCHA_S3_BUCKET" in capsys.readouterr().err
