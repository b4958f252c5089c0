"""A `kill -9` of `python -m app.serve` leaves no process of it behind (app/core/orphans.py): not its photo workers
and their forkserver (one process), not its uvicorn workers, which kept the port and served the old code so
that the restart failed with "address already in use" (several). Real processes, read from /proc."""

import os
import signal
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.dbutil import fresh_database_url
from tests.fixtures.images import make_jpeg
from tests.load.server import seed, token
from tests.servers import uvicorn_server

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")  # a zombie has exited; only its parent's wait is missing


def descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _env(url: str, media: Path, workers: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
    env.update(XUNCHA_DATABASE_URL=url, XUNCHA_MEDIA_DIR=str(media), XUNCHA_WORKERS=str(workers),
               XUNCHA_PHOTO_WORKERS="2", XUNCHA_LOGIN_MAX_FAILURES="1000", PYTHONUNBUFFERED="1")
    return env


@pytest.mark.parametrize("workers", [1, 2])
def test_kill_9_of_the_server_leaves_no_process_of_it(tmp_path, workers):
    url = fresh_database_url("xuncha_orphans")
    city = seed(url, inspectors=1, dispatchers=0, units=1)
    with uvicorn_server(_env(url, tmp_path / "media", workers), tmp_path / "server.log", module=("app.serve",),
                        start_timeout=120) as server:
        h = token(server.base, city.inspectors[0])
        for _ in range(2 * workers):  # photo workers in every app process that answers one
            r = httpx.post(server.base + "/api/photos", headers=h, data={"id": str(uuid.uuid4())},
                           files={"file": ("a.jpg", make_jpeg(640, 480, lat=30.27, lng=120.15), "image/jpeg")},
                           timeout=60)
            assert r.status_code == 201, r.text
        family = descendants(server.pid)
        assert len(family) >= (3 if workers == 1 else 4), family  # forkserver + photo workers (+ uvicorn's)
        os.kill(server.pid, signal.SIGKILL)
        server.proc.wait()
        deadline = time.monotonic() + 20
        while (left := {p for p in family if _alive(p)}) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not left, f"still running after the server's kill -9: {left}"
        with pytest.raises(httpx.ConnectError):  # the port is free for the restart
            httpx.get(server.base + "/api/health", timeout=2)
