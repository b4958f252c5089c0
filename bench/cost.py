"""Server CPU per request, one request at a time (issue 7): where a shift start's CPU goes.

    .venv/bin/python bench/cost.py                 # SQLite; --db postgres for PostgreSQL
    .venv/bin/python bench/cost.py --n 300 --uvicorn-args "--workers 1"   # one process (PostgreSQL: else one per CPU)

A real uvicorn process as `make run` starts it, on a fresh database with the small city of
tests/load/server.py and 150 tickets (bench/load.py's prefill). Each operation is sent `--n` times in a row
from one client; the figure is the server's process-tree CPU time (user + system, from /proc) divided by
the number of requests, so it hardly depends on what else the machine is doing. Latency is reported too,
but that one does.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import CENTER, Shared, cpu_seconds, login, new_client, pct, photo_bytes, prefill  # noqa: E402
from tests.load.server import live_server, make_run_args, seed  # noqa: E402


async def measure(base: str, city, n: int) -> list[str]:
    async with new_client(base, 4) as client:
        shared = Shared([photo_bytes(2048, 1536, 800 * 1024, 1)], city.unit_ids)
        await prefill(client, city, shared, 150)
        disp = await login(client, city.dispatchers[0])
        insp = await login(client, city.inspectors[0])
        staff_name, staff_unit = city.unit_staff[0]
        staff = await login(client, staff_name)
        known = list(shared.known)
        unit_tickets = list(shared.dispatched[staff_unit])
        photo = shared.photos[0]
        # A list page's thumbnails: the request a phone sends most (one per ticket it shows).
        page = (await client.get("/api/tickets", headers=staff, params={"limit": 20})).json()["items"]
        thumbs = [t["thumb_url"] for t in page if t["thumb_url"]]

        def report_body(i: int, photo_id: str) -> dict:
            return {"id": str(uuid.uuid4()), "category_code": "06010", "description": f"成本测量 {i}",
                    "lat": CENTER[0] + i * 1e-5, "lng": CENTER[1], "accuracy_m": 5.0, "address": "示例路",
                    "photo_ids": [photo_id]}

        async def upload(i: int):
            pid = str(uuid.uuid4())
            await client.post("/api/photos", headers=insp, data={"id": pid},
                              files={"file": ("p.jpg", photo, "image/jpeg")})
            return pid

        ops = {
            "health": lambda i: client.get("/api/health"),
            "list (dispatcher, 20)": lambda i: client.get("/api/tickets", headers=disp, params={"limit": 20}),
            "list (unit, 20)": lambda i: client.get("/api/tickets", headers=staff, params={"limit": 20}),
            "thumbnail (unit)": lambda i: client.get(thumbs[i % len(thumbs)], headers=staff),
            "detail (dispatcher)": lambda i: client.get(f"/api/tickets/{known[i % len(known)]}", headers=disp),
            "detail (unit)": lambda i: client.get(f"/api/tickets/{unit_tickets[i % len(unit_tickets)]}",
                                                  headers=staff),
            "stats summary (dispatcher)": lambda i: client.get("/api/stats/summary", headers=disp),
            "stats summary (unit)": lambda i: client.get("/api/stats/summary", headers=staff),
            "unread count (unit)": lambda i: client.get("/api/notifications/unread-count", headers=staff),
            "inbox (unit, 20)": lambda i: client.get("/api/notifications", headers=staff, params={"limit": 20}),
            "upload 800 KB": upload,
        }
        lines = []
        for name, op in ops.items():
            cpu0, times = cpu_seconds(server_pid), []
            for i in range(n):
                t = time.perf_counter()
                r = await op(i)
                times.append(time.perf_counter() - t)
                if not isinstance(r, str) and r.status_code >= 400:
                    raise RuntimeError(f"{name}: {r.status_code} {r.text[:200]}")
            cpu = (cpu_seconds(server_pid) - cpu0) / n * 1000
            lines.append(f"| {name} | {cpu:.1f} | {pct(times, 50):.1f} / {pct(times, 95):.1f} |")
            print(lines[-1], flush=True)
        # Writes: a report needs a photo of its own, uploaded first and not counted.
        photos = [await upload(i) for i in range(n)]
        cpu0, times = cpu_seconds(server_pid), []
        for i in range(n):
            t = time.perf_counter()
            r = await client.post("/api/tickets", headers=insp, json=report_body(i, photos[i]))
            times.append(time.perf_counter() - t)
            r.raise_for_status()
            shared.reported.append(r.json()["id"])
        lines.append(f"| report | {(cpu_seconds(server_pid) - cpu0) / n * 1000:.1f} | "
                     f"{pct(times, 50):.1f} / {pct(times, 95):.1f} |")
        print(lines[-1], flush=True)
        cpu0, times = cpu_seconds(server_pid), []
        for i in range(n):
            t = time.perf_counter()
            r = await client.post(f"/api/tickets/{shared.reported.popleft()}/dispatch", headers=disp,
                                  json={"action_id": str(uuid.uuid4()), "unit_id": city.unit_ids[i % 4]})
            times.append(time.perf_counter() - t)
            r.raise_for_status()
        lines.append(f"| dispatch | {(cpu_seconds(server_pid) - cpu0) / n * 1000:.1f} | "
                     f"{pct(times, 50):.1f} / {pct(times, 95):.1f} |")
        print(lines[-1], flush=True)
        return lines


server_pid: int | None = None


def main() -> None:
    global server_pid
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--uvicorn-args", help="default: the process count app/serve.py chooses, as `make run`")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    if args.db == "postgres":
        os.environ["XUNCHA_TEST_DATABASE_URL"] = args.pg_url
    else:
        os.environ.pop("XUNCHA_TEST_DATABASE_URL", None)
    from tests.dbutil import fresh_database_url
    url = fresh_database_url("xuncha_bench_cost")
    city = seed(url, inspectors=4, dispatchers=2, units=4)
    with live_server(url, Path(tempfile.mkdtemp(prefix="xuncha-bench-cost-")),
                     uvicorn_args=tuple(args.uvicorn_args.split()) if args.uvicorn_args else make_run_args(url)) as server:
        server_pid = server.pid
        print(f"{args.db}, {args.n} requests each, one at a time\n| operation | server CPU ms / request | "
              "latency p50 / p95 ms |\n|---|---|---|", flush=True)
        asyncio.run(measure(server.base, city, args.n))


if __name__ == "__main__":
    main()
