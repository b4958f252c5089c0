"""How long a small write waits on SQLite while 12 MP photo uploads run (a benchmark, not a test).

    .venv/bin/python bench/uploads.py

Two threads upload 12 MP JPEGs without pause through the real app (TestClient, a fresh SQLite file);
meanwhile a third logs out and in again 30 times, and each logout (a one-row write) is timed.
"""

import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="xuncha-bench-uploads-"))
os.environ["XUNCHA_DATABASE_URL"] = f"sqlite:///{WORK / 'bench.db'}"
os.environ["XUNCHA_MEDIA_DIR"] = str(WORK / "media")

from fastapi.testclient import TestClient  # noqa: E402

from app.categories import service as categories_service  # noqa: E402
from app.core.db import new_session  # noqa: E402
from app.demo import seed  # noqa: E402
from app.main import app  # noqa: E402
from tests.dbutil import migrate  # noqa: E402
from tests.fixtures.images import make_jpeg  # noqa: E402

UPLOADERS = 2
WRITES = 30


def login(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/auth/token", data={"username": username, "password": seed.DEMO_PASSWORD})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def main() -> None:
    migrate(os.environ["XUNCHA_DATABASE_URL"])
    with new_session(write=True) as session:
        categories_service.sync_taxonomy(session)
        session.commit()
        seed.seed_city(session)
    photo = make_jpeg(4000, 3000, pattern="noise")
    stop = threading.Event()
    uploads = []

    def upload_forever() -> None:
        with TestClient(app) as client:
            headers = login(client, "inspector")
            while not stop.is_set():
                client.post("/api/photos", headers=headers, data={"id": str(uuid.uuid4())},
                            files={"file": ("a.jpg", photo, "image/jpeg")})
                uploads.append(1)

    threads = [threading.Thread(target=upload_forever) for _ in range(UPLOADERS)]
    for thread in threads:
        thread.start()
    time.sleep(1)
    waits = []
    with TestClient(app) as client:
        for _ in range(WRITES):
            headers = login(client, "inspector2")
            started = time.perf_counter()
            client.post("/api/auth/logout", headers=headers)
            waits.append((time.perf_counter() - started) * 1000)
    stop.set()
    for thread in threads:
        thread.join()
    print(f"{len(uploads)} uploads of a 12 MP photo by {UPLOADERS} threads; meanwhile a one-row write took "
          f"median {statistics.median(waits):.0f} ms, max {max(waits):.0f} ms")


if __name__ == "__main__":
    main()
