"""Uploads against a real single-process server (as `make run` starts it): reads, writes and memory.

    .venv/bin/python bench/uploads.py writes            # a one-row write while 2 threads upload 12 MP photos
    .venv/bin/python bench/uploads.py reads             # dispatcher's list p50/p95, alone and during 16 uploads
    .venv/bin/python bench/uploads.py memory            # peak RSS (server + children), 16 worst-case uploads
    .venv/bin/python bench/uploads.py reads --app-dir /tmp/old-checkout   # the same against other code

Each run seeds the demo city into a fresh SQLite file and starts uvicorn on it. Upload clients honour
503 + Retry-After (counted apart). The memory run uploads, from 16 clients at once, the allowed worst
cases: a 1-bit PNG of 7999x7999 (8 KB), a WebP of 8000x8000 (170 KB) and a HEIC at the HEIC limit
(and one at the general 64 MP limit, which the server refuses or, before its own limit, decoded).
"""

import argparse
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEMO_PASSWORD = "demo1234"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(app_dir: Path, work: Path) -> tuple[subprocess.Popen, str]:
    from app.categories import service as categories_service
    from app.core import config
    from app.core.db import new_session
    from app.demo import seed
    from tests.dbutil import migrate

    env = os.environ | {"XUNCHA_DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
                        "XUNCHA_MEDIA_DIR": str(work / "media"), "XUNCHA_DEMO_DATA": "0"}
    os.environ.update(env)
    config.get_settings.cache_clear()
    migrate(env["XUNCHA_DATABASE_URL"])
    with new_session(write=True) as session:
        categories_service.sync_taxonomy(session)
        session.commit()
        seed.seed_city(session)
    from app.photos import service as photos_service

    photos_service.stop()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port),
                               "--log-level", "warning"], cwd=app_dir, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                return server, base
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def login(base: str, username: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def upload(client: httpx.Client, headers: dict, data: bytes, outcomes: dict[str, int]) -> None:
    """One photo, retried after 503 + Retry-After as the PWA does."""
    photo_id = str(uuid.uuid4())
    for _ in range(100):
        r = client.post("/api/photos", headers=headers, data={"id": photo_id},
                        files={"file": ("p", data, "application/octet-stream")}, timeout=120)
        outcomes[str(r.status_code)] = outcomes.get(str(r.status_code), 0) + 1
        if r.status_code != 503:
            return
        time.sleep(float(r.headers.get("Retry-After", "1")))


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def time_reads(base: str, headers: dict, seconds: float) -> list[float]:
    times = []
    with httpx.Client(base_url=base) as client:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            client.get("/api/tickets", headers=headers, timeout=30).raise_for_status()
            times.append((time.perf_counter() - started) * 1000)
            time.sleep(0.05)
    return times


def reads(base: str, uploaders: int, seconds: float) -> None:
    from tests.fixtures.images import make_jpeg

    dispatcher = login(base, "dispatcher")
    quiet = time_reads(base, dispatcher, 10)
    photo = make_jpeg(4000, 3000, pattern="noise")
    inspector = login(base, "inspector")
    stop, outcomes, done = threading.Event(), {}, []

    def upload_forever() -> None:
        with httpx.Client(base_url=base) as client:
            while not stop.is_set():
                upload(client, inspector, photo, outcomes)
                done.append(1)

    threads = [threading.Thread(target=upload_forever) for _ in range(uploaders)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    busy = time_reads(base, dispatcher, seconds)
    stop.set()
    for thread in threads:
        thread.join()
    print(f"dispatcher's list alone: p50 {p(quiet, 50):.0f} ms, p95 {p(quiet, 95):.0f} ms ({len(quiet)} reads)")
    print(f"during {uploaders} concurrent 12 MP uploads: p50 {p(busy, 50):.0f} ms, p95 {p(busy, 95):.0f} ms "
          f"({len(busy)} reads); {len(done)} photos stored, responses {outcomes}")


def worst_cases() -> dict[str, bytes]:
    from PIL import Image

    from tests.fixtures.images import make_big_webp, make_bomb_png

    cache = ROOT / "bench" / "output"
    cache.mkdir(parents=True, exist_ok=True)
    files = {"png-7999x7999-1bit": make_bomb_png(7999, 7999), "webp-8000x8000": make_big_webp()}
    for name, side in (("heic-4898x4898", 4898), ("heic-8000x8000", 8000)):
        path = cache / f"{name}.heic"
        if not path.exists():
            buf = io.BytesIO()
            Image.new("RGB", (side, side), (90, 130, 170)).save(buf, "HEIF", quality=30)
            path.write_bytes(buf.getvalue())
        files[name] = path.read_bytes()
    return files


def rss_tree(pid: int) -> int:
    proc = psutil.Process(pid)
    total = proc.memory_info().rss
    for child in proc.children(recursive=True):
        try:
            total += child.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def memory(base: str, server: subprocess.Popen, clients: int) -> None:
    files = worst_cases()
    inspector = login(base, "inspector")
    with httpx.Client(base_url=base) as client:  # one small upload first: workers up, caches warm
        from tests.fixtures.images import make_jpeg

        upload(client, inspector, make_jpeg(800, 600), {})
    time.sleep(1)
    baseline = rss_tree(server.pid)
    peak, stop = [baseline], threading.Event()

    def sample() -> None:
        while not stop.is_set():
            try:
                peak.append(rss_tree(server.pid))
            except psutil.NoSuchProcess:
                return
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    outcomes: dict[str, int] = {}

    def client_run() -> None:
        with httpx.Client(base_url=base) as client:
            for data in files.values():
                upload(client, inspector, data, outcomes)

    started = time.perf_counter()
    threads = [threading.Thread(target=client_run) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    time.sleep(5)
    stop.set()
    sampler.join()
    after = rss_tree(server.pid)
    mb = 1024 * 1024
    print(f"{clients} clients x {list(files)}: {elapsed:.1f} s, responses {outcomes}")
    print(f"RSS server + children: baseline {baseline / mb:.0f} MB, peak {max(peak) / mb:.0f} MB, "
          f"5 s after {after / mb:.0f} MB")


def writes(base: str) -> None:
    from tests.fixtures.images import make_jpeg

    photo = make_jpeg(4000, 3000, pattern="noise")
    inspector = login(base, "inspector")
    stop, done = threading.Event(), []

    def upload_forever() -> None:
        with httpx.Client(base_url=base) as client:
            while not stop.is_set():
                upload(client, inspector, photo, {})
                done.append(1)

    threads = [threading.Thread(target=upload_forever) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(1)
    waits = []
    for _ in range(30):
        headers = login(base, "inspector2")
        started = time.perf_counter()
        httpx.post(f"{base}/api/auth/logout", headers=headers)
        waits.append((time.perf_counter() - started) * 1000)
    stop.set()
    for thread in threads:
        thread.join()
    print(f"{len(done)} uploads of a 12 MP photo by 2 threads; meanwhile a one-row write took "
          f"median {statistics.median(waits):.0f} ms, max {max(waits):.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", choices=["writes", "reads", "memory"])
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="the checkout whose app is served")
    parser.add_argument("--uploaders", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="xuncha-bench-uploads-"))
    server, base = start_server(args.app_dir, work)
    print(f"server {args.app_dir} pid {server.pid}; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs")
    try:
        if args.scenario == "reads":
            reads(base, args.uploaders, args.seconds)
        elif args.scenario == "memory":
            memory(base, server, args.uploaders)
        else:
            writes(base)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
