"""A database that is away (stopped, unreachable, its file not openable): a real server answers every request with
the JSON 503 the PWA backs off on, /api/ready names the database, and the server serves again once it is back."""

import os
import uuid

import httpx
import pytest

from tests.dbutil import migrate
from tests.fixtures.images import make_jpeg
from tests.servers import free_port, uvicorn_server


def _requests(base: str) -> dict[str, httpx.Response]:
    bearer = {"Authorization": "Bearer not-checked-while-the-database-is-away"}
    return {
        "login": httpx.post(f"{base}/api/auth/token", data={"username": "inspector", "password": "x"}, timeout=30),
        "list": httpx.get(f"{base}/api/tickets", headers=bearer, timeout=30),
        "report": httpx.post(f"{base}/api/tickets", headers=bearer, timeout=30, json={
            "id": str(uuid.uuid4()), "category_code": "03005", "lat": 30.27, "lng": 120.15,
            "photo_ids": [str(uuid.uuid4())]}),
        "upload": httpx.post(f"{base}/api/photos", headers=bearer, data={"id": str(uuid.uuid4())},
                             files={"file": ("p.jpg", make_jpeg(320, 240), "image/jpeg")}, timeout=30),
    }


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_requests_answer_json_503_while_the_database_is_away_and_recover(tmp_path, kind):
    if kind == "sqlite":
        # The database file cannot be opened (a directory in its place: a volume not mounted, a restore in
        # progress); the migrated file is put there afterwards.
        path = tmp_path / "x.db"
        path.mkdir()
        url, ready_copy = f"sqlite:///{path}", tmp_path / "ready.db"
        migrate(f"sqlite:///{ready_copy}")
    else:
        url = f"postgresql://postgres@127.0.0.1:{free_port()}/x"  # nothing listens: connection refused
    env = os.environ | {"XUNCHA_DATABASE_URL": url, "XUNCHA_STORAGE": "local", "XUNCHA_MEDIA_DIR": str(tmp_path / "m"),
                        "XUNCHA_JOBS_EMBEDDED": "0", "XUNCHA_PHOTO_WORKERS": "1"}
    with uvicorn_server(env, tmp_path / "server.log") as server:
        ready = httpx.get(f"{server.base}/api/ready", timeout=30)
        assert ready.status_code == 503 and set(ready.json()["error"]["details"]["failed"]) == {"database"}
        for name, r in _requests(server.base).items():
            assert r.status_code == 503, (name, r.status_code, r.text)
            assert r.headers["content-type"].startswith("application/json"), (name, r.text)
            assert r.json()["error"]["code"] == "database_unavailable" and int(r.headers["retry-after"]) >= 1, name
        assert "database unavailable" in server.log()
        if kind == "sqlite":
            path.rmdir()
            ready_copy.rename(path)
            assert httpx.get(f"{server.base}/api/ready", timeout=30).status_code == 200
            answers = _requests(server.base)
            assert answers["login"].status_code == 401  # the database answers again: a wrong password
            assert answers["list"].status_code == 401 and answers["upload"].status_code == 401
