"""A burst of concurrent requests against a real server: every one answered promptly, none with a 500.

Before the fix the connection pool (15 on SQLite, 30 on PostgreSQL) was smaller than the 40 worker threads:
requests holding a connection waited for a thread that was itself waiting for a connection, so nothing
moved until the pool's 30 s timeout answered 500.
"""

import asyncio
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.dbutil import fresh_database_url
from tests.fixtures.images import make_jpeg
from tests.load.server import live_server, seed, token

READS = 110
DETAILS = 20
CREATES = 30
BOUND_S = 10.0
HARD_BOUND_S = 20.0


def run_in_fresh_loop(make_coro):
    """asyncio.run on a thread of its own: Playwright's sync API (the e2e tests) leaves a loop running here."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(make_coro())).result()


async def _timed(client: httpx.AsyncClient, method: str, url: str, **kw):
    started = time.perf_counter()
    try:
        r = await client.request(method, url, **kw)
    except httpx.TimeoutException as exc:
        return None, time.perf_counter() - started, repr(exc)
    return r, time.perf_counter() - started, None


def _burst(base, inspector, dispatcher, ticket_ids, photo_ids):
    async def run():
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
        async with httpx.AsyncClient(base_url=base, timeout=HARD_BOUND_S + 5, limits=limits) as client:
            calls = [_timed(client, "GET", "/api/tickets", headers=dispatcher) for _ in range(READS)]
            calls += [_timed(client, "GET", f"/api/tickets/{ticket_ids[i % len(ticket_ids)]}", headers=dispatcher)
                      for i in range(DETAILS)]
            calls += [_timed(client, "POST", "/api/tickets", headers=inspector, json=_report(pid)) for pid in photo_ids]
            return await asyncio.gather(*calls)

    return run_in_fresh_loop(run)


def _report(photo_id: str) -> dict:
    return {"id": str(uuid.uuid4()), "category_code": "06010", "description": "负载测试", "lat": 30.2741,
            "lng": 120.1551, "accuracy_m": 8.0, "address": "示例路 1 号", "photo_ids": [photo_id]}


def test_a_burst_of_150_requests_is_answered_without_500(city_server):
    server, city = city_server
    inspector = token(server.base, city.inspectors[0])
    dispatcher = token(server.base, city.dispatchers[0])
    jpeg = make_jpeg(640, 480)
    with httpx.Client(base_url=server.base, timeout=30) as c:
        def upload(i):
            r = c.post("/api/photos", headers=inspector, data={"id": str(uuid.uuid4())},
                       files={"file": ("p.jpg", jpeg[:-2] + bytes([i % 256, i // 256]) + jpeg[-2:], "image/jpeg")})
            assert r.status_code == 201, r.text
            return r.json()["id"]
        photo_ids = [upload(i) for i in range(CREATES + 5)]
        ticket_ids = []
        for pid in photo_ids[CREATES:]:
            r = c.post("/api/tickets", headers=inspector, json=_report(pid))
            assert r.status_code == 201, r.text
            ticket_ids.append(r.json()["id"])

    started = time.perf_counter()
    results = _burst(server.base, inspector, dispatcher, ticket_ids, photo_ids[:CREATES])
    wall = time.perf_counter() - started

    timeouts = [err for r, _, err in results if r is None]
    assert not timeouts, f"{len(timeouts)} requests got no answer in {HARD_BOUND_S + 5} s: {timeouts[:2]}"
    times = sorted(t for _, t, _ in results)
    # The server aims to answer within 10 s; the test machine is shared by several test runs at once (p95
    # 11 s at load 15 on 2 cores), so the bound has room. The stall it guards against lasted 30 s, then 500.
    assert times[-1] < HARD_BOUND_S, f"slowest answers: {times[-5:]}"
    statuses = [r.status_code for r, _, _ in results]
    errors = [r.text for r in (r for r, _, _ in results) if r.status_code >= 500 and r.status_code != 503]
    assert not errors, f"{len(errors)} server errors: {errors[:3]}"
    for r, _, _ in results:
        if r.status_code == 503:  # shed: at once, with a time to come back
            assert r.headers.get("Retry-After", "").isdigit(), r.headers
            assert r.json()["error"]["code"] == "overloaded"
    served = statuses.count(200) + statuses.count(201)
    # Most are served within the 2 s wait, the rest shed. How many depends on the machine's speed that day:
    # 98–160 of 160 on PostgreSQL on this 2-core VM (it ran twice as slow on 2026-11-22 as the day before,
    # same code, by bench/cost.py), 72 on 2026-12-07 when the whole PostgreSQL pass ran 32 min instead of 18
    # (load average 4-5). The stall this guards against served none; a quarter still tells the two apart.
    assert served >= 0.25 * len(results), f"only {served} of {len(results)} served: {sorted(set(statuses))}"
    others = sorted({r.status_code for r, _, _ in results} - {200, 201, 503})
    assert not others, [r.text for r, _, _ in results if r.status_code in others][:3]
    print(f"{len(results)} requests in {wall:.1f} s: {served} served, {statuses.count(503)} shed, "
          f"p95 {times[int(len(times) * 0.95)]:.1f} s")


@pytest.fixture(scope="module")
def tight_server(tmp_path_factory):
    """A server with little capacity, so that a burst saturates it: 2 database slots, a 0.3 s wait for one,
    at most 60 requests in flight."""
    url = fresh_database_url("xuncha_load_tight")
    city = seed(url, inspectors=1, dispatchers=1, units=1)
    env = {"XUNCHA_DB_SLOTS": "2", "XUNCHA_DB_WAIT_SECONDS": "0.3", "XUNCHA_MAX_IN_FLIGHT": "60",
           "XUNCHA_RETRY_AFTER_SECONDS": "3"}
    with live_server(url, tmp_path_factory.mktemp("tight"), env=env) as server:
        yield server, city


def test_a_saturated_server_sheds_at_once_with_retry_after(tight_server):
    server, city = tight_server
    dispatcher = token(server.base, city.dispatchers[0])

    health_times = []
    done = threading.Event()

    def probe_health():  # exempt from shedding, and needs no thread: answered while saturated
        with httpx.Client(base_url=server.base, timeout=BOUND_S) as c:
            while not done.is_set():
                started = time.perf_counter()
                assert c.get("/api/health").status_code == 200
                health_times.append(time.perf_counter() - started)
                time.sleep(0.05)

    async def run():
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
        async with httpx.AsyncClient(base_url=server.base, timeout=BOUND_S + 5, limits=limits) as client:
            return await asyncio.gather(*[_timed(client, "GET", "/api/stats/summary", headers=dispatcher)
                                          for _ in range(150)])

    prober = threading.Thread(target=probe_health)
    prober.start()
    try:
        results = run_in_fresh_loop(run)
    finally:
        done.set()
        prober.join()
    assert health_times and max(health_times) < 5.0, health_times
    assert all(r is not None for r, _, _ in results)
    assert max(t for _, t, _ in results) < HARD_BOUND_S
    statuses = [r.status_code for r, _, _ in results]
    assert set(statuses) <= {200, 503}, sorted(set(statuses))
    assert statuses.count(200) > 0 and statuses.count(503) > 0, statuses
    shed = [(r, t) for r, t, _ in results if r.status_code == 503]
    for r, _ in shed:
        assert r.headers["Retry-After"] == "3"
        assert r.json()["error"] == {"code": "overloaded", "message": r.json()["error"]["message"],
                                     "details": {"retry_after": 3}}
    # Shed, not stalled: a refused request waited at most for its database slot (0.3 s) plus queueing on a
    # machine shared with other test runs (median up to 6.7 s seen there; well under 1 s when quiet).
    assert sorted(t for _, t in shed)[len(shed) // 2] < BOUND_S


@pytest.fixture(scope="module")
def few_slots_server(tmp_path_factory):
    """Two database slots (so ten worker threads) and an 8 s wait for a slot: long enough that a slow machine
    (CI's PostgreSQL pass beside the browser tests) still lets uploads through instead of shedding them all,
    so the circular wait this guards against is really set up."""
    url = fresh_database_url("xuncha_load_few")
    city = seed(url, inspectors=1, dispatchers=1, units=1)
    env = {"XUNCHA_DB_SLOTS": "2", "XUNCHA_DB_WAIT_SECONDS": "8"}
    with live_server(url, tmp_path_factory.mktemp("few"), env=env) as server:
        yield server, city


def test_uploads_and_reads_together_never_wait_on_each_other(few_slots_server):
    """Every worker thread busy with an upload that waits for a database slot, every slot held by a read
    that waits for a thread: a circular wait, and nothing answers. Uploads once gave their slot away while
    the photo was processed and took one back afterwards, and a burst of uploads and reads hung like this.
    Now an upload keeps its slot: every slot holder finds a thread (threads = slots + 8)."""
    server, city = few_slots_server
    inspector = token(server.base, city.inspectors[0])
    dispatcher = token(server.base, city.dispatchers[0])
    photo = make_jpeg(1600, 1200, pattern="noise")

    async def run():
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)
        async with httpx.AsyncClient(base_url=server.base, timeout=HARD_BOUND_S, limits=limits) as client:
            uploads = [_timed(client, "POST", "/api/photos", headers=inspector, data={"id": str(uuid.uuid4())},
                              files={"file": ("p.jpg", photo, "image/jpeg")}) for _ in range(60)]
            reads = [_timed(client, "GET", "/api/tickets", headers=dispatcher) for _ in range(80)]
            return await asyncio.gather(*uploads, *reads)

    results = run_in_fresh_loop(run)
    timeouts = [err for r, _, err in results if r is None]
    assert not timeouts, f"{len(timeouts)} of {len(results)} requests got no answer in {HARD_BOUND_S} s"
    statuses = [r.status_code for r, _, _ in results]
    assert set(statuses) <= {200, 201, 503}, sorted(set(statuses))
    assert statuses.count(201) > 0 and statuses.count(200) > 0, statuses
