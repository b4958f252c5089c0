"""Scaling out (issue 15): 1 vs 2 vs 4 app processes, SQLite + disk vs PostgreSQL + S3, 20 / 100 / 200 clients.

    .venv/bin/python bench/scale.py                 # the whole table: 2 set-ups x 3 process counts x 3 loads
    .venv/bin/python bench/scale.py --quick         # 8 s a cell, 1 and 2 processes, 20 and 100 clients
    .venv/bin/python bench/scale.py --setups pg-s3 --processes 2,4 --clients 200 --duration 30

Each set-up gets a fresh database with bench/load.py's city (12 inspectors, 4 dispatchers, 4 units) and its
prefill (150 tickets with photos, a bulletin). Each process count is `python -m app.serve` with XUNCHA_WORKERS
as `make run` and the Docker image start it. Each cell is bench/load.py's client mix in a closed loop (no
think time: 70 % reads — lists, details, statistics, exceptions, inbox —, 30 % writes — 800 KB photo uploads,
reports, dispatches, rectifications —, and the unread-count poll); a client told 503 waits its Retry-After, as
the PWA does. Figures: requests answered per second (503s apart), p95 of the answered ones, and errors
(5xx other than 503, transport errors, client timeouts over 10 s).

The S3 store here is moto in server mode (tests/s3server.py), a pure-Python stand-in started on 127.0.0.1:
it shares the cores with everything else and is slower than MinIO or a cloud store, so the PostgreSQL + S3
figures are a floor for the store's part, not a figure for MinIO. SQLite with several processes: its writers
take turns through a lock inside each process, which a second process cannot see (it then waits on SQLite's
own busy lock); `make run` starts one process on SQLite for that reason, and the table shows what more cost.

The clients run on the same machine as the servers (2 cores here): their CPU is reported with each set-up.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import Shared, cpu_seconds, new_client, pct, photo_bytes, prefill, shift  # noqa: E402
from tests.load.server import seed  # noqa: E402
from tests.servers import uvicorn_server  # noqa: E402

SETUPS = {"sqlite-disk": "SQLite + disk", "pg-s3": "PostgreSQL + S3 (moto)"}
READS = ("list", "detail", "stats", "bulletins", "exceptions", "inbox", "unread")


def cell(base: str, city, shared: Shared, clients: int, duration: float) -> dict:
    r = asyncio.run(shift(base, city, shared, duration, None, phones_n=clients))
    seconds = r.ended - r.started
    answered = r.count(lambda s: s != 503)
    errors = r.count(lambda s: s >= 500 and s != 503) + r.timeouts
    return {"rps": answered / seconds, "p95": pct(r.all_latencies(r.latencies), 95),
            "reads_p95": pct(r.all_latencies(READS), 95), "shed": r.count(lambda s: s == 503),
            "errors": errors, "samples": r.errors[:3]}


def run_setup(setup: str, args) -> list[str]:
    if setup == "pg-s3":
        os.environ["XUNCHA_TEST_DATABASE_URL"] = args.pg_url
    else:
        os.environ.pop("XUNCHA_TEST_DATABASE_URL", None)
    from tests.dbutil import fresh_database_url
    rows = []
    photos = [photo_bytes(2048, 1536, 800 * 1024, s) for s in range(6)]
    with ExitStack() as stack:
        store_env: dict[str, str] = {}
        if setup == "pg-s3":
            from tests.s3server import MotoServer
            moto = MotoServer()
            stack.callback(moto.stop)
            store_env = moto.env(moto.new_bucket())
        for processes in args.processes:
            url = fresh_database_url("xuncha_bench_scale")  # each process count starts from the same state
            city = seed(url, inspectors=12, dispatchers=4, units=4)
            work = Path(tempfile.mkdtemp(prefix="xuncha-bench-scale-"))
            env = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
            env.update(XUNCHA_DATABASE_URL=url, XUNCHA_MEDIA_DIR=str(work / "media"), XUNCHA_WORKERS=str(processes),
                       XUNCHA_LOGIN_MAX_FAILURES="100000", XUNCHA_LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1",
                       XUNCHA_UPLOAD_ACCOUNT_CONCURRENCY="0",  # the phones share 12 inspector accounts
                       **store_env)
            try:
                server_cm = uvicorn_server(env, work / "server.log", module=("app.serve",), start_timeout=300)
                server = server_cm.__enter__()
            except RuntimeError as exc:  # a busy box: say so in the table and go on
                rows.append(f"| {SETUPS[setup]} | {processes} | – | did not start: {exc} | | | | | | |")
                print(rows[-1], flush=True)
                continue
            with ExitStack() as running:
                running.push(server_cm.__exit__)
                shared = Shared(photos, city.unit_ids)

                async def prepare(city=city, shared=shared, server=server):
                    async with new_client(server.base, 4) as client:
                        await prefill(client, city, shared, args.prefill)

                asyncio.run(prepare())
                for clients in args.clients:
                    server_cpu, client_cpu = cpu_seconds(server.pid), cpu_seconds()
                    c = cell(server.base, city, shared, clients, args.duration)
                    server_cpu = (cpu_seconds(server.pid) - server_cpu) / args.duration
                    client_cpu = (cpu_seconds() - client_cpu) / args.duration
                    rows.append(f"| {SETUPS[setup]} | {processes} | {clients} | {c['rps']:.0f} | {c['p95']:.0f} | "
                                f"{c['reads_p95']:.0f} | {c['shed']} | {c['errors']} | {server_cpu:.2f} | "
                                f"{client_cpu:.2f} |")
                    print(rows[-1], flush=True)
                    for sample in c["samples"]:
                        print(f"  ! {sample}", flush=True)
    return rows


HEAD = ("| set-up | processes | clients | answered / s | p95 ms | reads p95 ms | 503 | errors | server CPUs | "
        "clients' CPUs |\n|---|---|---|---|---|---|---|---|---|---|")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="8 s cells; 1 and 2 processes; 20 and 100 clients")
    parser.add_argument("--duration", type=float, default=20, help="seconds per cell")
    parser.add_argument("--setups", default="sqlite-disk,pg-s3")
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--clients", default="20,100,200")
    parser.add_argument("--prefill", type=int, default=150)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    if args.quick:
        args.duration, args.processes, args.clients = 8, "1,2", "20,100"
    args.processes = [int(p) for p in args.processes.split(",")]
    args.clients = [int(c) for c in args.clients.split(",")]
    started = time.time()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs; "
          f"{args.duration:.0f} s a cell", flush=True)
    print(HEAD, flush=True)
    rows = []
    for setup in args.setups.split(","):
        rows += run_setup(setup, args)
    print(f"\n{HEAD}")
    print("\n".join(rows))
    print(f"\nwall {time.time() - started:.0f} s; load average after: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
