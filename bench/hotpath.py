"""The ticket list's hot path (issue 15, item 4): where `GET /api/tickets` spends its CPU, against its floor.

    .venv/bin/python bench/hotpath.py                  # SQLite; --db postgres for PostgreSQL
    .venv/bin/python bench/hotpath.py --profile        # and cProfile's top functions of the service call

A fresh database with the small city of tests/load/server.py and `--tickets` tickets (bench/load.py's prefill,
two thirds dispatched), then, for the dispatcher's and a unit's first page of 20:

- request: the server's CPU per request (a real uvicorn process, one request at a time, /proc CPU time of the
  process divided by the requests; as bench/cost.py), less nothing: everything the app does for it;
- request path, no listing: the same request to bench/request_path_app.py's route (the list's very route, its
  token lookup, session, query model and worker-thread hop, answering the page the list answered from a file
  instead of querying): the part of a list request the list's own code does not spend;
- service: `listing.list_tickets` called in this process (CPU time of this thread per call);
- SQL floor: the statements that call sent, replayed on the DBAPI cursor with the same parameters, rows fetched;
- JSON floor: the same page through FastAPI and pydantic, as the issue puts it: bench/floor_app.py, a bare
  FastAPI app served by uvicorn as the app is, answering the page the app answered through the same response
  model from an `async def` route (server CPU per request, as above); a plain `def` route (one thread hop, as
  any endpoint that touches the database) is printed beside it;
- response path: FastAPI's serialize_response alone for the page (validation and JSON, no request), in-process.

The floor is SQL + the JSON floor (async route); the issue's aim is a request within 3x of it.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load import Shared, cpu_seconds, login, new_client, photo_bytes, prefill  # noqa: E402
from tests.load.server import live_server, seed  # noqa: E402
from tests.servers import uvicorn_server  # noqa: E402


def per_call_ms(fn, n: int) -> float:
    fn()  # warm: compiled statements, caches
    started = time.thread_time()
    for _ in range(n):
        fn()
    return (time.thread_time() - started) / n * 1000


ROLES = {"dispatcher": "dispatcher", "unit": "unit_staff"}


async def server_cpu(base: str, city, n: int, tickets: int, pages: dict[str, bytes], pages_dir: Path
                     ) -> dict[str, float]:
    async with new_client(base, 4) as client:
        shared = Shared([photo_bytes(800, 600, 100 * 1024, 1)], city.unit_ids)
        await prefill(client, city, shared, tickets)
        who = {"dispatcher": await login(client, city.dispatchers[0]),
               "unit": await login(client, city.unit_staff[0][0])}
        out: dict[str, float] = {}

        async def measure(name: str, path: str, headers: dict, params: dict) -> None:
            for _ in range(20):  # warm
                (await client.get(path, headers=headers, params=params)).raise_for_status()
            cpu0 = cpu_seconds(server_pid)
            for _ in range(n):
                (await client.get(path, headers=headers, params=params)).raise_for_status()
            out[name] = (cpu_seconds(server_pid) - cpu0) / n * 1000

        await measure("health", "/api/health", {}, {})
        for name, headers in who.items():
            await measure(f"list ({name})", "/api/tickets", headers, {"limit": 20})
        for name, headers in who.items():
            pages[name] = (await client.get("/api/tickets", headers=headers, params={"limit": 20})).content
            (pages_dir / f"page-{ROLES[name]}.json").write_bytes(pages[name])
        for name, headers in who.items():
            await measure(f"request path ({name})", "/api/bench/page", headers, {"limit": 20})
        return out


async def floor_cpu(base: str, pid: int, n: int) -> dict[str, float]:
    """Server CPU ms per request of bench/floor_app.py's two routes."""
    async with new_client(base, 4) as client:
        out = {}
        for route in ("async", "sync"):
            for _ in range(20):
                (await client.get(f"/page/{route}")).raise_for_status()
            cpu0 = cpu_seconds(pid)
            for _ in range(n):
                (await client.get(f"/page/{route}")).raise_for_status()
            out[route] = (cpu_seconds(pid) - cpu0) / n * 1000
        return out


def json_through_fastapi(pages: dict[str, bytes], n: int, workdir: Path) -> dict[str, dict[str, float]]:
    out = {}
    for who, body in pages.items():
        page_file = workdir / f"page-{who}.json"
        page_file.write_bytes(body)
        env = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
        env.update(XUNCHA_BENCH_FLOOR_PAGE=str(page_file), PYTHONUNBUFFERED="1")
        with uvicorn_server(env, workdir / f"floor-{who}.log", ("--no-access-log",),
                            module=("uvicorn", "bench.floor_app:app")) as server:
            out[who] = asyncio.run(floor_cpu(server.base, server.pid, n))
    return out


server_pid: int | None = None


async def json_floor(field, page, n: int) -> float:
    """CPU ms per call of FastAPI's response path for `page`, on one event loop (a loop per call, as this bench
    had it before stop 28, added the loop's start and its worker threads to the floor)."""
    from fastapi.routing import serialize_response

    async def once():
        await serialize_response(field=field, response_content=page, is_coroutine=False)
    await once()  # warm: the thread pool's first worker
    started = time.process_time()
    for _ in range(n):
        await once()
    return (time.process_time() - started) / n * 1000


def in_process(url: str, city, n: int, profile: bool) -> dict[str, dict[str, float]]:
    from fastapi.utils import create_model_field
    from sqlalchemy import event
    from sqlmodel import Session, select

    from app.core.db import make_engine
    from app.tickets import listing
    from app.tickets.schemas import TicketPage
    from app.users.models import User

    engine = make_engine(url)
    field = create_model_field("Response_list_tickets", TicketPage, mode="serialization")
    out = {}
    for who, username in (("dispatcher", city.dispatchers[0]), ("unit", city.unit_staff[0][0])):
        with Session(engine) as session:
            user = session.exec(select(User).where(User.username == username)).one()
            statements: list[tuple[str, object]] = []

            def capture(conn, cursor, statement, parameters, context, executemany, statements=statements):
                statements.append((statement, parameters))

            event.listen(engine, "before_cursor_execute", capture)
            page = listing.list_tickets(session, user, limit=20)
            event.remove(engine, "before_cursor_execute", capture)
            service = per_call_ms(lambda user=user: listing.list_tickets(session, user, limit=20), n)
            if profile:
                prof = cProfile.Profile()
                prof.enable()
                for _ in range(n):
                    listing.list_tickets(session, user, limit=20)
                prof.disable()
                print(f"\ncProfile of the service call ({who}), top 25 by cumulative time:")
                pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
            raw = session.connection().connection.dbapi_connection

            def replay(raw=raw, statements=statements):
                cur = raw.cursor()
                for statement, parameters in statements:
                    cur.execute(statement, parameters)
                    cur.fetchall()
                cur.close()

            sql = per_call_ms(replay, n)
            json = asyncio.run(json_floor(field, page, n))
            out[who] = {"service": service, "sql": sql, "statements": len(statements), "json": json,
                        "items": len(page.items)}
    return out


def main() -> None:
    global server_pid
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--n", type=int, default=300)
    parser.add_argument("--tickets", type=int, default=150)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    if args.db == "postgres":
        os.environ["XUNCHA_TEST_DATABASE_URL"] = args.pg_url
    else:
        os.environ.pop("XUNCHA_TEST_DATABASE_URL", None)
    from tests.dbutil import fresh_database_url
    url = fresh_database_url("xuncha_bench_hotpath")
    city = seed(url, inspectors=4, dispatchers=2, units=4)
    workdir = Path(tempfile.mkdtemp(prefix="xuncha-bench-hotpath-"))
    pages: dict[str, bytes] = {}
    pages_dir = workdir / "pages"
    pages_dir.mkdir()
    # The app as tests/load/server.py serves it, with bench/request_path_app.py's one route added.
    with live_server(url, workdir, env={"XUNCHA_BENCH_PAGES": str(pages_dir)}, uvicorn_args=("--workers", "1"),
                     app="bench.request_path_app:app") as server:
        server_pid = server.pid
        request = asyncio.run(server_cpu(server.base, city, args.n, args.tickets, pages, pages_dir))
    print("server CPU ms per request:", {k: round(v, 2) for k, v in request.items()}, flush=True)
    through_fastapi = json_through_fastapi(pages, args.n, workdir)
    print("bare FastAPI, server CPU ms per request:", through_fastapi, flush=True)
    parts = in_process(url, city, args.n, args.profile)
    print(f"\n{args.db}, {args.tickets} tickets, first page of 20, {args.n} calls each; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (CPU time, ms per call)")
    print("| list | request (server CPU) | request path, no listing | service call | SQL floor (statements) "
          "| JSON floor: async / def route | response path alone | floor | request / floor |\n"
          "|---|---|---|---|---|---|---|---|---|")
    health = request["health"]
    for who, p in parts.items():
        bare = through_fastapi[who]
        floor = p["sql"] + bare["async"]
        total = request[f"list ({who})"]
        print(f"| {who} | {total:.2f} | {request[f'request path ({who})']:.2f} | {p['service']:.2f} | "
              f"{p['sql']:.2f} ({p['statements']}) | "
              f"{bare['async']:.2f} / {bare['sync']:.2f} | {p['json']:.2f} | {floor:.2f} | {total / floor:.1f}x |")
    print(f"(/api/health, the request path's own cost: {health:.2f} ms)")


if __name__ == "__main__":
    main()
