"""/api/ready: 200 when the database answers and the photo store takes writes; 503 naming what failed, in
bounded time, while /api/health (liveness) still answers."""

import os
import socket
import time
from datetime import datetime

import httpx

from app.photos import service as photos_service
from app.photos.storage import LocalPhotoStorage
from tests.servers import free_port, uvicorn_server


def test_ready_when_the_database_and_the_store_are(client):
    r = client.get("/api/ready")
    assert r.status_code == 200
    assert r.json() == {"ok": True, "checks": {"database": "ok", "storage": "ok"}}


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
