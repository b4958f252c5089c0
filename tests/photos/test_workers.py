"""The photo worker pool: same results as in-process, bounded concurrency, 503 when full, memory returned."""

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import psutil
import pytest

from app.photos import service
from app.photos.processing import EvidenceWatermark, PhotoError, process_photo
from app.photos.workers import PhotoWorkers, PhotoWorkersBusy
from app.users.roles import Role
from tests.conftest import login, make_user
from tests.fixtures.images import make_bomb_png, make_heic, make_jpeg, make_png, make_webp
from tests.photos.worker_tasks import busy_window, decode_at_full_size

LIMITS = {"max_bytes": 25 * 1024 * 1024, "max_pixels": 64_000_000, "max_heic_pixels": 24_000_000,
          "camera_tz": ZoneInfo("Asia/Shanghai")}
WATERMARK = EvidenceWatermark(uploader="张三", timezone="Asia/Shanghai",
                              uploaded_at=datetime(2026, 3, 1, 1, 30, tzinfo=UTC), lat=30.2741, lng=120.1551)


@pytest.fixture
def workers():
    pool = PhotoWorkers(workers=2, queue=1, max_tasks=50)
    yield pool
    pool.shutdown()


def test_processing_through_the_pool_gives_the_same_result(workers):
    sources = [make_jpeg(1200, 900, lat=30.1, lng=120.2, taken_at="2026:01:02 03:04:05", orientation=6),
               make_png(640, 480, transparent_box=True), make_webp(800, 600), make_heic(640, 480)]
    for data in sources:
        here = process_photo(data, watermark=WATERMARK, **LIMITS)
        assert workers.run(process_photo, data, watermark=WATERMARK, **LIMITS) == here


def test_photo_errors_come_back_from_the_pool_intact(workers):
    with pytest.raises(PhotoError) as err:
        workers.run(process_photo, make_jpeg(1200, 900), **(LIMITS | {"max_pixels": 1000}))
    assert (err.value.code, err.value.status) == ("too_many_pixels", 413)
    assert "1200x900" in err.value.message


def test_the_pool_runs_at_most_its_size_and_refuses_beyond_its_queue(workers):
    workers.run(busy_window, 0)  # start the processes first, so start-up time does not blur the windows
    windows, refused = [], []

    def upload():
        try:
            windows.append(workers.run(busy_window, 0.8))
        except PhotoWorkersBusy as exc:
            refused.append(exc.retry_after)

    threads = [threading.Thread(target=upload) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 2 workers + 1 waiting were admitted; the other 3 were refused at once with a retry hint.
    assert len(windows) == 3 and refused == [2, 2, 2]
    for started, _ in windows:
        running = sum(1 for s, e in windows if s <= started < e)
        assert running <= 2
    assert max(e for _, e in windows) - min(s for s, _ in windows) >= 1.5  # the third waited its turn


def test_workers_are_replaced_and_give_memory_back():
    workers = PhotoWorkers(workers=1, queue=0, max_tasks=3)
    try:
        first = workers.run(os.getpid)
        worker = psutil.Process(first)
        assert workers.run(decode_at_full_size, make_jpeg(64, 48)) == 64 * 48 * 3
        baseline = worker.memory_info().rss
        assert workers.run(decode_at_full_size, make_bomb_png(7999, 7999)) == 7999 * 7999 * 3  # ~400 MB at peak
        assert worker.memory_info().rss - baseline < 60 * 1024 * 1024  # freed pixel buffers went back
        assert worker.is_running()
        third = workers.run(os.getpid)
        assert third != first  # after max_tasks photos a fresh process takes over ...
        worker.wait(timeout=10)  # ... and the old one exits
        assert not psutil.pid_exists(first) or worker.status() == psutil.STATUS_ZOMBIE
    finally:
        workers.shutdown()


def test_upload_answers_503_with_retry_after_when_the_pool_is_full(client, db, monkeypatch):
    small = PhotoWorkers(workers=1, queue=0, max_tasks=50)
    monkeypatch.setattr(service, "get_workers", lambda: small)
    headers = login(client, make_user(db, Role.inspector))
    blocker = threading.Thread(target=small.run, args=(busy_window, 3))
    blocker.start()
    try:
        time.sleep(1)  # let the blocker take the only worker
        photo_id = str(uuid.uuid4())
        r = client.post("/api/photos", headers=headers, data={"id": photo_id},
                        files={"file": ("p.jpg", make_jpeg(640, 480), "image/jpeg")})
        assert r.status_code == 503 and r.headers["Retry-After"] == "2"
        assert r.json()["error"]["code"] == "busy"
    finally:
        blocker.join()
    r = client.post("/api/photos", headers=headers, data={"id": photo_id},
                    files={"file": ("p.jpg", make_jpeg(640, 480), "image/jpeg")})
    assert r.status_code == 201  # nothing half-written: the retry is a first upload
    small.shutdown()


def test_an_async_upload_is_refused_at_once_when_the_photos_ahead_would_take_too_long():
    """One worker, photos of ~0.8 s, a 1.5 s limit on the expected wait: the second waits (0.8 s ahead),
    the third (1.6 s ahead) is refused in milliseconds, although the queue has room for it."""
    import asyncio

    pool = PhotoWorkers(workers=1, queue=5, max_tasks=50)
    pool.MAX_EXPECTED_WAIT_S = 1.5
    outcomes: list = []

    async def upload(seconds: float):
        started = time.perf_counter()
        try:
            await pool.run_async(busy_window, seconds)
            outcomes.append("done")
        except PhotoWorkersBusy:
            outcomes.append(("refused", time.perf_counter() - started))

    async def main():
        await pool.run_async(busy_window, 0.8)  # measures a photo's time
        assert 0.7 < pool.mean_seconds < 1.5
        first = asyncio.create_task(upload(0.8))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(upload(0.8))
        await asyncio.sleep(0.05)
        await upload(0.8)
        await asyncio.gather(first, second)

    # In a thread of its own: after a browser test this thread's event loop is taken (asyncio.run refuses).
    thread = threading.Thread(target=lambda: asyncio.run(main()))
    try:
        thread.start()
        thread.join(30)
    finally:
        pool.shutdown()
    refused = [o for o in outcomes if o != "done"]
    assert outcomes.count("done") == 2 and len(refused) == 1 and refused[0][1] < 0.05, outcomes


def test_a_worker_logs_as_the_app_does_and_leaves_libvips_chatter_out(tmp_path):
    """A cut-off phone photo through a real pool: libjpeg warns per damaged tile inside the worker, which must
    not reach stderr; what the worker does log comes out in the app's format (here JSON)."""
    script = tmp_path / "upload.py"
    script.write_text(
        "import io, logging\n"
        "from PIL import Image\n"
        "from app.photos.processing import PhotoError, process_photo\n"
        "from app.photos.workers import PhotoWorkers\n"
        "def cut_and_log(data, limits):\n"
        "    logging.getLogger('xuncha.photos').warning('processed in the worker')\n"
        "    return process_photo(data, **limits)\n"
        "if __name__ == '__main__':\n"
        "    photo = io.BytesIO()\n"
        "    Image.effect_noise((2048, 1536), 60).convert('RGB').save(photo, 'JPEG', quality=80)\n"
        "    pool = PhotoWorkers(workers=1, queue=1, max_tasks=5)\n"
        "    limits = dict(max_bytes=25 * 1024 * 1024, max_pixels=64_000_000, camera_tz=None)\n"
        "    try:\n"
        "        pool.run(cut_and_log, photo.getvalue()[: len(photo.getvalue()) // 2], limits)\n"
        "    except PhotoError as exc:\n"
        "        print('refused', exc.code)\n"
        "    finally:\n"
        "        pool.shutdown()\n")
    env = {**os.environ, "XUNCHA_LOG_FORMAT": "json", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.strip() == "refused corrupt_image", done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert [(line["logger"], line["message"]) for line in lines] == [("xuncha.photos", "processed in the worker")]


@pytest.mark.parametrize("how", ["run", "run_async"])
def test_a_pool_that_cannot_start_a_worker_answers_busy_and_starts_afresh(how):
    """Starting a worker can fail (its forkserver was killed: Ctrl-C or a stop that signals the whole group, the
    OOM killer): 503 busy, which the phone retries, not a bare 500; the next photo gets a new pool."""
    import asyncio

    pool = PhotoWorkers(workers=1, queue=1, max_tasks=50)
    try:
        pool.run(busy_window, 0)
        broken = pool._checkout()
        pool._tasks -= 1

        def dead_forkserver(*args, **kwargs):
            raise EOFError("unexpected EOF")  # what multiprocessing's forkserver client raises

        broken.submit = dead_forkserver
        outcome: list = []

        def call():
            try:
                pool.run(busy_window, 0) if how == "run" else asyncio.run(pool.run_async(busy_window, 0))
            except Exception as exc:
                outcome.append(exc)

        thread = threading.Thread(target=call)  # a loop of its own, as above
        thread.start()
        thread.join(30)
        assert len(outcome) == 1 and isinstance(outcome[0], PhotoWorkersBusy), outcome
        assert pool._executor is not broken
        started, ended = pool.run(busy_window, 0)  # a fresh pool serves the next photo
        assert ended >= started
    finally:
        pool.shutdown()
