"""/api/ready: 200 when the database answers, the photo store takes writes and the local disks have room; 503
naming what failed, in bounded time, while /api/health (liveness) still answers."""

import json
import os
import socket
import time
from datetime import datetime

import httpx
import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings, get_settings
from app.core.health import local_disks
from app.main import app
from app.photos import service as photos_service
from app.photos.storage import LocalPhotoStorage
from tests.core.test_metrics import sample
from tests.servers import free_port, uvicorn_server


@pytest.fixture
def deployed(request, monkeypatch, tmp_path):
    """use(storage, **env): settings as a deployment sets them (XUNCHA_ variables), read afresh, photos in
    the S3 test server's new bucket or in a directory of this test's."""
    def use(storage: str, **env: str) -> None:
        if storage == "s3":
            server = request.getfixturevalue("s3_server")
            env = server.env(server.new_bucket()) | env
        else:
            env = {"XUNCHA_STORAGE": "local", "XUNCHA_MEDIA_DIR": str(tmp_path / "media")} | env
        monkeypatch.delenv("XUNCHA_MIN_FREE_DISK_BYTES", raising=False)  # unless given: the default
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        photos_service.get_storage.cache_clear()
        photos_service.get_storage()  # made now, as a process's startup makes it (photos_service.start)

    yield use
    get_settings.cache_clear()
    photos_service.get_storage.cache_clear()


def _on_sqlite() -> bool:
    return get_settings().database_url.startswith("sqlite")


def test_ready_when_the_database_and_the_store_are(client, deployed):
    deployed("local", XUNCHA_MIN_FREE_DISK_BYTES="1024")
    r = client.get("/api/ready")
    assert r.status_code == 200
    assert r.json() == {"ok": True, "checks": {"database": "ok", "storage": "ok", "disk": "ok"}}


def test_a_disk_under_the_minimum_is_named_without_its_path(client, deployed):
    """The minimum set above any real disk's free space: 503 naming the disk check, free bytes vs the minimum
    per disk by name — the SQLite file's disk only on SQLite (PostgreSQL's is its server's) — and no path,
    to whoever may read /metrics (here: the metrics token). Liveness still answers: a full disk is no reason to
    restart."""
    deployed("local", XUNCHA_MIN_FREE_DISK_BYTES=str(10**18), XUNCHA_METRICS_TOKEN="t0k")
    r = client.get("/api/ready", headers={"Authorization": "Bearer t0k"})
    assert r.status_code == 503 and int(r.headers["retry-after"]) >= 1
    error = r.json()["error"]
    assert error["code"] == "not_ready" and "disk" in error["message"]
    assert error["details"]["failed"] == {"disk": "LowDiskSpace"}
    disks = error["details"]["disk"]
    assert set(disks) == ({"database_disk", "media_disk"} if _on_sqlite() else {"media_disk"})
    for figures in disks.values():
        assert figures["min_free_bytes"] == 10**18 and 0 < figures["free_bytes"] < 10**18
    assert "/" not in json.dumps(error["details"]) and str(get_settings().media_dir) not in r.text
    assert client.get("/api/health").status_code == 200


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "t0k"])
def test_anyone_else_learns_only_which_check_failed(client, deployed, authorization):
    """/api/ready answers anyone (a load balancer has no token): without the metrics token, or from another
    machine, the 503 names the failed check and nothing of the machine's figures."""
    deployed("local", XUNCHA_MIN_FREE_DISK_BYTES=str(10**18), XUNCHA_METRICS_TOKEN="t0k")
    r = client.get("/api/ready", headers={"Authorization": authorization} if authorization else {})
    assert r.status_code == 503 and int(r.headers["retry-after"]) >= 1
    error = r.json()["error"]
    assert error["code"] == "not_ready" and error["details"] == {"failed": {"disk": "LowDiskSpace"}}
    assert "free_bytes" not in r.text


def test_a_disk_with_room_or_no_minimum_is_ready(client, deployed):
    deployed("local", XUNCHA_MIN_FREE_DISK_BYTES="0")  # 0: no disk check at all
    r = client.get("/api/ready")
    assert r.status_code == 200 and r.json()["checks"] == {"database": "ok", "storage": "ok"}
    deployed("local")  # the default, 512 MiB: the test machine has that much free
    r = client.get("/api/ready")
    assert r.status_code == 200 and r.json()["checks"] == {"database": "ok", "storage": "ok", "disk": "ok"}


def test_photos_in_a_bucket_leave_only_the_sqlite_disk(client, deployed):
    """With the photos in S3 the media directory is not checked (the bucket's disk is its store's); on
    PostgreSQL nothing the app writes is on this machine's disks and the disk check is left out."""
    deployed("s3", XUNCHA_MIN_FREE_DISK_BYTES=str(10**18), XUNCHA_METRICS_TOKEN="t0k")
    r = client.get("/api/ready", headers={"Authorization": "Bearer t0k"})
    if _on_sqlite():
        assert r.status_code == 503 and set(r.json()["error"]["details"]["disk"]) == {"database_disk"}, r.text
    else:
        assert r.status_code == 200 and r.json()["checks"] == {"database": "ok", "storage": "ok"}, r.text


@pytest.mark.parametrize(("database_url", "storage", "expected"), [
    ("sqlite:////srv/xuncha/data/xuncha.db", "local", {"database_disk": "/srv/xuncha/data", "media_disk": "/m"}),
    ("sqlite:///./data/xuncha.db", "s3", {"database_disk": "data"}),
    ("postgresql://postgres@db:5432/xuncha", "local", {"media_disk": "/m"}),
    ("postgresql+psycopg://postgres@db/xuncha", "s3", {}),
    ("sqlite://", "local", {"media_disk": "/m"}),  # in memory: no file, no disk
    ("sqlite:///:memory:", "s3", {}),
])
def test_which_disks_are_checked(database_url, storage, expected):
    settings = Settings(database_url=database_url, storage=storage, s3_bucket="b", media_dir="/m")
    assert {name: str(path) for name, path in local_disks(settings).items()} == expected


def test_free_bytes_per_checked_disk_are_a_gauge(deployed):
    deployed("local")
    with TestClient(app, client=("127.0.0.1", 50124)) as local:
        text = local.get("/metrics").text
    assert sample(text, "xuncha_disk_free_bytes", disk="media_disk") > 0
    assert (sample(text, "xuncha_disk_free_bytes", disk="database_disk") > 0) == _on_sqlite()


def test_the_store_probe_leaves_nothing_behind(tmp_path):
    storage = LocalPhotoStorage(tmp_path / "media")
    storage.ready()
    assert [p for p in (tmp_path / "media").rglob("*") if p.is_file()] == []


def test_a_store_that_cannot_take_writes_is_named(client, tmp_path, monkeypatch):
    blocker = tmp_path / "media"
    blocker.write_text("a file where the photo directory should be")
    monkeypatch.setattr(photos_service, "get_storage", lambda: LocalPhotoStorage(blocker))
    r = client.get("/api/ready")
    assert r.status_code == 503 and int(r.headers["retry-after"]) >= 1
    error = r.json()["error"]
    assert error["code"] == "not_ready"
    assert set(error["details"]["failed"]) == {"storage"}
    assert client.get("/api/health").status_code == 200


def test_a_hung_database_answers_503_within_the_timeout(tmp_path):
    """A real server process whose database, once the process is up, accepts connections and never answers (a
    silent socket), and whose photo directory was replaced by a file: both are named, in about the check's
    timeout. (At start the port is closed here; a database silent from the start is the test below.)"""
    port = free_port()
    silent = socket.socket()
    media = tmp_path / "media"
    # Photos on local disk even in the suite's S3 pass: the broken store here is the directory made a file.
    env = os.environ | {"XUNCHA_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/x", "XUNCHA_STORAGE": "local",
                        "XUNCHA_MEDIA_DIR": str(media), "XUNCHA_JOBS_EMBEDDED": "0", "XUNCHA_PHOTO_WORKERS": "1"}
    try:
        with uvicorn_server(env, tmp_path / "server.log") as server:
            silent.bind(("127.0.0.1", port))
            silent.listen(16)  # connections complete in the kernel's backlog; nothing is read or answered
            if media.exists():
                media.rename(tmp_path / "media-gone")
            media.write_text("not a directory")
            started = time.perf_counter()
            r = httpx.get(f"{server.base}/api/ready", timeout=30)
            took = time.perf_counter() - started
            assert r.status_code == 503, r.text
            failed = r.json()["error"]["details"]["failed"]
            assert failed["database"] == "timeout"
            assert failed["storage"] in ("FileExistsError", "NotADirectoryError")
            assert took < 5, took
            assert httpx.get(f"{server.base}/api/health", timeout=5).status_code == 200
    finally:
        silent.close()


def test_the_app_starts_when_its_database_hangs(tmp_path):
    """A database that accepts connections and never answers, from before the app starts: the office settings
    read at start gives up after the connection timeout (PG_CONNECT_TIMEOUT_S), the app starts, liveness
    answers and readiness names the database — instead of hanging at start for as long as TCP allows."""
    from app.core.db import PG_CONNECT_TIMEOUT_S
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # connections complete in the kernel's backlog; nothing is read or answered
    port = silent.getsockname()[1]
    env = os.environ | {"XUNCHA_DATABASE_URL": f"postgresql://postgres@127.0.0.1:{port}/x",
                        "XUNCHA_MEDIA_DIR": str(tmp_path / "media"), "XUNCHA_JOBS_EMBEDDED": "0",
                        "XUNCHA_PHOTO_WORKERS": "1"}
    try:
        # Before the timeout the server never became healthy; its start-up now includes the connect timeout.
        with uvicorn_server(env, tmp_path / "server.log", start_timeout=120) as server:
            log = server.log()
            assert "office settings not read at start" in log
            stamps = {}
            for line in log.splitlines():
                for event in ("Waiting for application startup", "Application startup complete"):
                    if event in line:
                        stamps[event] = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
            took = (stamps["Application startup complete"] - stamps["Waiting for application startup"]).total_seconds()
            assert PG_CONNECT_TIMEOUT_S <= took < PG_CONNECT_TIMEOUT_S + 10, took  # the start-up itself
            assert httpx.get(f"{server.base}/api/health", timeout=5).status_code == 200
            r = httpx.get(f"{server.base}/api/ready", timeout=30)
            assert r.status_code == 503 and r.json()["error"]["details"]["failed"]["database"] == "timeout"
    finally:
        silent.close()
