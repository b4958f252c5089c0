"""A city's load against a real server (issue 7): a shift start, saturation, reads during 12 MP uploads.

    .venv/bin/python bench/load.py                      # all three, SQLite then PostgreSQL, 5-minute shift
    .venv/bin/python bench/load.py --duration 30 --db sqlite --only shift
    .venv/bin/python bench/load.py --target http://127.0.0.1:8000   # an already running, seeded server

Each database gets a fresh one (SQLite file; PostgreSQL `xuncha_bench_load` on --pg-url), a small seeded
city (tests/load/server.py) and `uvicorn app.main:app` as `make run` starts it. With --target the city
must exist already (users insp0…, disp0…, staff0… with tests/load/server.py's password).

- shift: 200 phones, each one request every 2–4 s (≈ 70/s offered): 70 % reads (ticket list 30 %, detail
  20 %, statistics 15 % — a dispatcher's every third one a published bulletin, its snapshot or its Excel file —,
  the exceptions queue or ledger 5 %, the inbox 3 %, a dispatcher's workbench under its filters 4 %), 30 % writes
  (800 KB photo uploads, reports, dispatches — a quarter of a dispatcher's as a bulk dispatch of 3–5 reports —,
  rectifications). 2 % of the clients are office desks instead of phones (`desk`): the leader's big screen and
  dashboard (summary, ranking, trend, open points, overdue list, an evaluation round's report) and the
  administrator's console (users, units, audit log, grid check, notification settings and channels, /api/ready).
  Besides, every phone polls its unread count once a minute (`unread`, as the PWA's badge does).
  Targets: 0 × 500, 0 client timeouts (10 s), reads p95 < 500 ms, no 503.
- saturation: 200 clients in a closed loop (no think time; after a 503 a client waits its Retry-After as
  the PWA's outbox does, or with --no-backoff comes straight back): every request must be answered
  within 10 s, served or shed at once with 503 + Retry-After (counted apart). Throughput.
- uploads: 16 clients upload 12 MP photos (--upload-photo phone: the PWA's 2048 px) without pause while a
  dispatcher reads the ticket list:
  list p95 (aim < 100 ms) and /api/health, against the same reads on an idle server.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import sys
import tempfile
import time
import uuid
from collections import defaultdict, deque
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import httpx  # noqa: E402

from app.core.config import get_settings  # noqa: E402
from tests.fixtures.images import make_image, make_jpeg  # noqa: E402
from tests.load.server import PASSWORD, City, live_server, make_run_args, seed  # noqa: E402

TIMEOUT_S = 10.0
PHONES = 200
READ_OPS = {"list": 27, "detail": 20, "stats": 15, "exceptions": 5, "inbox": 3, "workbench": 4}
BULK_SHARE = 0.25  # of a dispatcher's writes: a bulk dispatch of 3–5 reports from the workbench
DESK_SHARE = 0.02  # of the clients: office desks (the leader's big screen, the administrator's console)
INBOX_POLL_S = 60  # every phone asks for its unread count (the tab bar's badge) each minute
CENTER = (30.2741, 120.1551)


# ---- measurements -------------------------------------------------------------------------------

@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    shed_latencies: list[float] = field(default_factory=list)
    loop_lag: list[float] = field(default_factory=list)  # the phones' own event loop: how late a 50 ms sleep wakes
    retry_after_missing: int = 0
    timeouts: int = 0
    errors: list[str] = field(default_factory=list)
    started: float = 0.0
    ended: float = 0.0

    def record(self, op: str, status: int | None, seconds: float, response=None):
        if status is None:
            self.timeouts += 1
            return
        self.statuses[str(status)] += 1
        if status == 503:
            self.shed_latencies.append(seconds)
            if response is not None and not response.headers.get("retry-after", "").isdigit():
                self.retry_after_missing += 1
        elif status < 500:
            self.latencies[op].append(seconds)
        if status >= 500 and status != 503 and len(self.errors) < 5:
            self.errors.append(f"{op} {status} {response.text[:200] if response is not None else ''}")

    def count(self, predicate) -> int:
        return sum(n for s, n in self.statuses.items() if predicate(int(s)))

    def all_latencies(self, ops) -> list[float]:
        return [t for op in ops for t in self.latencies.get(op, [])]


def city_today() -> date:
    """Today in the city's time zone (the server's setting), as the API reads a bare date; not the machine's."""
    return datetime.now(get_settings().tz).date()


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))] * 1000


@dataclass
class Answer:
    status_code: int
    headers: dict
    body: bytes

    def json(self):
        import json
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")


async def call(client: aiohttp.ClientSession, results: Results, op: str, method: str, url: str, *,
               headers=None, params=None, json=None, data=None, files=None):
    """One exchange, timed as the PWA counts it: the whole of it, over 10 s is a timeout."""
    if files:
        form = aiohttp.FormData()
        for k, v in (data or {}).items():
            form.add_field(k, v)
        for k, (filename, blob, content_type) in files.items():
            form.add_field(k, blob, filename=filename, content_type=content_type)
        data = form
    started = time.perf_counter()
    try:
        async with asyncio.timeout(TIMEOUT_S):
            async with client.request(method, url, headers=headers, params=params, json=json, data=data) as r:
                answer = Answer(r.status, {k.lower(): v for k, v in r.headers.items()}, await r.read())
    except TimeoutError:
        results.record(op, None, time.perf_counter() - started)
        return None
    except aiohttp.ClientError as exc:
        results.record(op, 599, time.perf_counter() - started)
        if len(results.errors) < 5:
            results.errors.append(f"{op} transport {exc!r}")
        return None
    results.record(op, answer.status_code, time.perf_counter() - started, answer)
    return answer


# ---- the city's phones --------------------------------------------------------------------------

def photo_bytes(width: int, height: int, target: int, seed_: int) -> bytes:
    """A photo-like JPEG of about `target` bytes (the PWA sends ~800 KB after its phone-side downscale)."""
    im = make_image(width, height, pattern="noise", seed=seed_)
    lo, hi, best = 30, 95, b""
    while lo <= hi:
        q = (lo + hi) // 2
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=q)
        best = buf.getvalue()
        if len(best) > target:
            hi = q - 1
        else:
            lo = q + 1
    return best


@dataclass
class Shared:
    """What the phones know of each other's work: reports to dispatch, dispatched tickets per unit."""

    photos: list[bytes]
    unit_ids: list[int]
    reported: deque = field(default_factory=deque)
    dispatched: dict[int, deque] = field(default_factory=lambda: defaultdict(deque))
    known: deque = field(default_factory=lambda: deque(maxlen=500))
    bulletin_id: int | None = None
    round_id: int | None = None


class Phone:
    def __init__(self, role: str, headers: dict, unit_id: int | None, shared: Shared, rng: random.Random):
        self.role, self.headers, self.unit_id, self.shared, self.rng = role, headers, unit_id, shared, rng
        self.pending_photo: str | None = None
        self.seen: deque = deque(maxlen=50)
        self.retry_after = 0.0  # set by a 503: the PWA waits this long before its next request

    async def call(self, client, results, op, method, url, **kw):
        r = await call(client, results, op, method, url, **kw)
        if r is not None and r.status_code == 503:
            self.retry_after = float(r.headers.get("retry-after", "0") or 0)
        return r

    async def step(self, client: httpx.AsyncClient, results: Results) -> None:
        if self.role in ("leader", "admin"):
            return await self.desk(client, results)
        if self.rng.random() < 0.7:
            op = self.rng.choices(list(READ_OPS), weights=list(READ_OPS.values()))[0]
            await getattr(self, op)(client, results)
        else:
            await self.write(client, results)

    async def list(self, client, results):
        r = await self.call(client, results, "list", "GET", "/api/tickets", headers=self.headers,
                       params={"limit": 20} if self.rng.random() < 0.5 else {"status": "dispatched", "limit": 20})
        if r is not None and r.status_code == 200:
            self.seen.extend(t["id"] for t in r.json()["items"])

    async def workbench(self, client, results):
        """The dispatcher's workbench: the ticket list under the console's filters (预超期, source, date range)."""
        if self.role != "dispatcher":
            return await self.list(client, results)
        params = self.rng.choice([
            {"due_within_hours": 24, "limit": 100},
            {"origin": "patrol", "status": "reported", "limit": 100},
            {"reported_after": (city_today() - timedelta(days=7)).isoformat(),
             "reported_before": (city_today() + timedelta(days=1)).isoformat(), "limit": 100},
            {"district_id": self.rng.choice(self.shared.unit_ids), "limit": 100},
        ])
        await self.call(client, results, "workbench", "GET", "/api/tickets", headers=self.headers, params=params)

    async def desk(self, client, results):
        """An office desk: the leader's big screen and dashboard, or the administrator's console."""
        if self.role == "leader":
            paths = ["/api/stats/summary", "/api/stats/ranking", "/api/stats/trend", "/api/stats/open-points",
                     "/api/tickets?overdue=true&limit=20"]
            if self.shared.round_id is not None:
                paths.append(f"/api/evaluation/rounds/{self.shared.round_id}/report")
        else:
            paths = ["/api/admin/users", "/api/admin/units", "/api/admin/audit?limit=50", "/api/admin/grids/check",
                     "/api/notifications/settings", "/api/notifications/channels", "/api/ready"]
        await self.call(client, results, "desk", "GET", self.rng.choice(paths), headers=self.headers)

    async def detail(self, client, results):
        pool = self.seen or (self.shared.known if self.role != "unit_staff" else None)
        if not pool:
            return await self.list(client, results)
        await self.call(client, results, "detail", "GET", f"/api/tickets/{self.rng.choice(pool)}", headers=self.headers)

    async def exceptions(self, client, results):
        """The deadline exceptions' reads: the dispatcher's queue or the ledger (台帐); a unit's own requests."""
        if self.role == "inspector":  # neither is an inspector's
            return await self.list(client, results)
        if self.role == "dispatcher" and self.rng.random() < 0.5:
            return await self.call(client, results, "exceptions", "GET", "/api/exceptions", headers=self.headers,
                              params={"limit": 20})
        await self.call(client, results, "exceptions", "GET", "/api/requests", headers=self.headers,
                   params={"state": "pending", "limit": 20})

    async def stats(self, client, results):
        bulletin = self.shared.bulletin_id
        if self.role == "dispatcher" and bulletin is not None and self.rng.random() < 0.3:
            # The published bulletins: the list, one snapshot, or its Excel file (as stored, never recomputed).
            path = self.rng.choice(["/api/bulletins", f"/api/bulletins/{bulletin}", f"/api/bulletins/{bulletin}.xlsx"])
            return await self.call(client, results, "bulletins", "GET", path, headers=self.headers)
        await self.call(client, results, "stats", "GET", "/api/stats/summary", headers=self.headers)

    async def inbox(self, client, results):
        """The inbox (消息): the newest page of one's own messages."""
        await self.call(client, results, "inbox", "GET", "/api/notifications", headers=self.headers,
                        params={"limit": 20})

    async def poll_unread(self, client, results, deadline: float):
        """The tab bar's badge: the unread count once a minute, from a random moment of the first minute."""
        at = time.perf_counter() + self.rng.uniform(0, INBOX_POLL_S)
        while at < deadline:
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            await call(client, results, "unread", "GET", "/api/notifications/unread-count", headers=self.headers)
            at += INBOX_POLL_S

    async def bulk_dispatch(self, client, results):
        ids = [self.shared.reported.popleft() for _ in range(self.rng.randint(3, 5))]
        unit_id = self.rng.choice(self.shared.unit_ids)
        r = await self.call(client, results, "bulk", "POST", "/api/tickets/bulk/dispatch", headers=self.headers,
                            json={"action_id": str(uuid.uuid4()), "ticket_ids": ids, "unit_id": unit_id})
        if r is not None and r.status_code == 200:
            self.shared.dispatched[unit_id].extend(ids)

    async def upload(self, client, results) -> str | None:
        photo_id = str(uuid.uuid4())
        lat, lng = CENTER[0] + self.rng.uniform(-0.01, 0.01), CENTER[1] + self.rng.uniform(-0.01, 0.01)
        r = await self.call(client, results, "upload", "POST", "/api/photos", headers=self.headers,
                       data={"id": photo_id, "lat": str(lat), "lng": str(lng)},
                       files={"file": ("p.jpg", self.rng.choice(self.shared.photos), "image/jpeg")})
        return photo_id if r is not None and r.status_code in (200, 201) else None

    async def write(self, client, results):
        if self.role == "dispatcher":
            if not self.shared.reported:
                return await self.list(client, results)
            if len(self.shared.reported) >= 5 and self.rng.random() < BULK_SHARE:
                return await self.bulk_dispatch(client, results)
            ticket_id = self.shared.reported.popleft()
            unit_id = self.rng.choice(self.shared.unit_ids)
            r = await self.call(client, results, "dispatch", "POST", f"/api/tickets/{ticket_id}/dispatch",
                           headers=self.headers, json={"action_id": str(uuid.uuid4()), "unit_id": unit_id})
            if r is not None and r.status_code == 200:
                self.shared.dispatched[unit_id].append(ticket_id)
            return
        if self.pending_photo is None:
            self.pending_photo = await self.upload(client, results)
            return
        photo_id, self.pending_photo = self.pending_photo, None
        if self.role == "inspector":
            body = {"id": str(uuid.uuid4()), "category_code": "06010", "description": "巡查发现暴露垃圾",
                    "lat": CENTER[0] + self.rng.uniform(-0.01, 0.01), "lng": CENTER[1] + self.rng.uniform(-0.01, 0.01),
                    "accuracy_m": 8.0, "address": "示例路 1 号", "photo_ids": [photo_id]}
            r = await self.call(client, results, "report", "POST", "/api/tickets", headers=self.headers, json=body)
            if r is not None and r.status_code in (200, 201):
                self.shared.reported.append(body["id"])
                self.shared.known.append(body["id"])
            return
        queue = self.shared.dispatched[self.unit_id]
        if not queue:
            self.pending_photo = photo_id  # nothing to rectify yet; keep the photo for later
            return await self.list(client, results)
        ticket_id = queue.popleft()
        await self.call(client, results, "rectify", "POST", f"/api/tickets/{ticket_id}/rectify", headers=self.headers,
                   json={"action_id": str(uuid.uuid4()), "note": "已清理", "photo_ids": [photo_id]})


_tokens: dict[tuple[str, str], dict[str, str]] = {}


async def login(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    """A token per account and server, kept across scenarios; patient, since logins are not measured."""
    key = (str(client.base_url), username)
    if key in _tokens:
        return _tokens[key]
    last = ""
    for _ in range(20):
        try:
            r = await client.post("/api/auth/token", data={"username": username, "password": PASSWORD}, timeout=60)
        except httpx.TransportError as exc:
            last = repr(exc)
        else:
            if r.status_code == 200:
                _tokens[key] = {"Authorization": f"Bearer {r.json()['access_token']}"}
                return _tokens[key]
            last = f"{r.status_code} {r.text[:200]}"
        await asyncio.sleep(1)
    raise RuntimeError(f"login {username}: {last}")


async def make_phones(client: httpx.AsyncClient, city: City, shared: Shared, n: int, seed_: int) -> list[Phone]:
    """60 % inspectors, 10 % dispatchers, 28 % unit staff, 2 % office desks (leader and administrator, when the
    city has them); phones share the seeded accounts."""
    rng = random.Random(seed_)
    tokens: dict[str, dict] = {}
    desks = [("leader", n) for n in city.leaders] + [("admin", n) for n in city.admins]
    for name in city.inspectors + city.dispatchers + [s for s, _ in city.unit_staff] + [n for _, n in desks]:
        tokens[name] = await login(client, name)
    phones = []
    for i in range(n):
        kind = rng.random()
        if desks and kind > 1 - DESK_SHARE:
            role, name = desks[i % len(desks)]
            phones.append(Phone(role, tokens[name], None, shared, random.Random(seed_ + i)))
            continue
        if kind < 0.6:
            phones.append(Phone("inspector", tokens[city.inspectors[i % len(city.inspectors)]], None, shared,
                                random.Random(seed_ + i)))
        elif kind < 0.7:
            phones.append(Phone("dispatcher", tokens[city.dispatchers[i % len(city.dispatchers)]], None, shared,
                                random.Random(seed_ + i)))
        else:
            name, unit_id = city.unit_staff[i % len(city.unit_staff)]
            phones.append(Phone("unit_staff", tokens[name], unit_id, shared, random.Random(seed_ + i)))
    return phones


async def prefill(client: httpx.AsyncClient, city: City, shared: Shared, tickets: int) -> None:
    """Tickets in every early state, so lists, details and statistics have something to read."""
    inspector = await login(client, city.inspectors[0])
    dispatcher = await login(client, city.dispatchers[0])
    small = make_jpeg(800, 600, pattern="noise")
    for i in range(tickets):
        pid = str(uuid.uuid4())
        r = await client.post("/api/photos", headers=inspector, data={"id": pid},
                              files={"file": ("p.jpg", small, "image/jpeg")})
        r.raise_for_status()
        tid = str(uuid.uuid4())
        r = await client.post("/api/tickets", headers=inspector, json={
            "id": tid, "category_code": "06010", "description": f"预置案件 {i}", "lat": CENTER[0] + i * 1e-4,
            "lng": CENTER[1], "accuracy_m": 5.0, "address": "示例路", "photo_ids": [pid]})
        r.raise_for_status()
        shared.known.append(tid)
        if i % 3:
            unit_id = city.unit_ids[i % len(city.unit_ids)]
            r = await client.post(f"/api/tickets/{tid}/dispatch", headers=dispatcher,
                                  json={"action_id": str(uuid.uuid4()), "unit_id": unit_id})
            r.raise_for_status()
            shared.dispatched[unit_id].append(tid)
        else:
            shared.reported.append(tid)
    # Last week's bulletin (通报), published, for the dispatchers' statistics reads to open.
    r = await client.post("/api/bulletins", headers=dispatcher,
                          json={"period": "week", "on": (city_today() - timedelta(days=7)).isoformat()})
    if r.status_code == 201:
        shared.bulletin_id = r.json()["id"]
    # An evaluation round (实地测评) over a dozen sites, for the leader's screen to read its report.
    site_ids = []
    for i in range(12):
        r = await client.post("/api/evaluation/sites", headers=dispatcher, json={
            "name": f"测评点位 {i}", "site_type": "back_alley", "lat": CENTER[0] + i * 1e-4, "lng": CENTER[1],
            "unit_id": city.unit_ids[i % len(city.unit_ids)]})
        r.raise_for_status()
        site_ids.append(r.json()["id"])
    now = datetime.now(UTC)
    r = await client.post("/api/evaluation/rounds", headers=dispatcher, json={
        "name": "负载测试测评", "starts_at": now.isoformat(), "ends_at": (now + timedelta(days=7)).isoformat(),
        "site_ids": site_ids})
    r.raise_for_status()
    shared.round_id = r.json()["id"]


def new_client(base: str, n: int) -> httpx.AsyncClient:
    # Idle connections are dropped before uvicorn's 5 s keep-alive timeout closes them under a new request.
    limits = httpx.Limits(max_connections=n + 10, max_keepalive_connections=n + 10, keepalive_expiry=4)
    return httpx.AsyncClient(base_url=base, timeout=TIMEOUT_S, limits=limits)


# ---- scenarios ----------------------------------------------------------------------------------

def new_session(base: str, n: int) -> aiohttp.ClientSession:
    """The phones' client: aiohttp, whose cost per request stays flat with 200 open connections (httpx's
    pool walks every connection for every request: with 200 phones the simulator itself added seconds)."""
    connector = aiohttp.TCPConnector(limit=n + 10, keepalive_timeout=4)
    return aiohttp.ClientSession(base_url=base, connector=connector)


async def shift(base: str, city: City, shared: Shared, duration: float, think: tuple[float, float] | None,
                phones_n: int = PHONES, honour_retry_after: bool = True) -> Results:
    """think=None: a closed loop without pause (saturation). After a 503 a phone waits its Retry-After, as
    the PWA's outbox does, unless honour_retry_after=False (the harsher loop: shed requests come right back)."""
    results = Results()
    async with new_client(base, 4) as logins:
        phones = await make_phones(logins, city, shared, phones_n, seed_=7 if think else 11)
    async with new_session(base, phones_n) as client:
        deadline = time.perf_counter() + duration

        async def run(phone: Phone, i: int):
            await asyncio.sleep(phone.rng.uniform(0, think[1]) if think else i * 0.005)
            while time.perf_counter() < deadline:
                await phone.step(client, results)
                if phone.retry_after and honour_retry_after:
                    await asyncio.sleep(phone.retry_after)
                elif think:
                    await asyncio.sleep(phone.rng.uniform(*think))
                phone.retry_after = 0.0

        async def lag_probe():
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                await asyncio.sleep(0.05)
                results.loop_lag.append(time.perf_counter() - t - 0.05)

        results.started = time.perf_counter()
        await asyncio.gather(lag_probe(), *(run(p, i) for i, p in enumerate(phones)),
                             *(p.poll_unread(client, results, deadline) for p in phones))
        results.ended = time.perf_counter()
    return results


UPLOAD_PHOTOS = {"camera": "12 MP JPEGs", "phone": "2048 px JPEGs, as the PWA sends them"}


def upload_photo(kind: str) -> bytes:
    return make_jpeg(4000, 3000, pattern="noise") if kind == "camera" else photo_bytes(2048, 1536, 800 * 1024, 7)


async def uploads_vs_reads(base: str, city: City, duration: float, uploaders: int = 16,
                           photo: str = "camera") -> dict:
    big = upload_photo(photo)
    async with new_client(base, uploaders + 4) as client:
        inspectors = [await login(client, name) for name in city.inspectors]
        dispatcher = await login(client, city.dispatchers[0])

        async def reads(seconds: float) -> tuple[list[float], list[float]]:
            lists, healths = [], []
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                t = time.perf_counter()
                try:
                    r = await client.get("/api/tickets", headers=dispatcher, params={"limit": 20})
                    if r.status_code == 200:
                        lists.append(time.perf_counter() - t)
                    t = time.perf_counter()
                    await client.get("/api/health")
                    healths.append(time.perf_counter() - t)
                except httpx.TimeoutException:
                    lists.append(TIMEOUT_S)  # counted as 10 s: an upper bound that keeps the percentile honest
                await asyncio.sleep(0.1)
            return lists, healths

        idle = await reads(min(10.0, duration / 3))
        stop = asyncio.Event()
        done, refused = [0], [0]

        async def upload_forever(i: int):
            while not stop.is_set():
                try:
                    r = await client.post("/api/photos", headers=inspectors[i % len(inspectors)],
                                          data={"id": str(uuid.uuid4())},
                                          files={"file": ("a.jpg", big, "image/jpeg")},
                                          timeout=60)
                except httpx.TransportError:
                    refused[0] += 1
                    continue
                if r.status_code in (200, 201):
                    done[0] += 1
                else:
                    refused[0] += 1

        tasks = [asyncio.create_task(upload_forever(i)) for i in range(uploaders)]
        await asyncio.sleep(2)
        started = time.perf_counter()
        busy = await reads(duration)
        stop.set()
        await asyncio.gather(*tasks)
        return {"idle": idle, "busy": busy, "uploads": done[0], "refused": refused[0],
                "rate": done[0] / (time.perf_counter() - started), "size": len(big)}


# ---- report -------------------------------------------------------------------------------------

def shift_row(name: str, r: Results) -> str:
    reads = r.all_latencies([*READ_OPS, "bulletins", "unread"])
    writes = r.all_latencies(["upload", "report", "dispatch", "rectify"])
    total = sum(r.statuses.values()) + r.timeouts
    wall = r.ended - r.started
    served = r.count(lambda s: s < 500)
    slowest = max(r.all_latencies(list(r.latencies)) + r.shed_latencies + [0])
    return (f"| {name} | {total} | {total / wall:.0f} | {served / wall:.0f} | {r.count(lambda s: s >= 500 and s != 503)} "
            f"| {r.timeouts} | {r.count(lambda s: s == 503)} | {pct(reads, 50):.0f} / {pct(reads, 95):.0f} "
            f"| {pct(writes, 50):.0f} / {pct(writes, 95):.0f} | {pct(r.latencies['upload'], 95):.0f} "
            f"| {slowest * 1000:.0f} | {r.count(lambda s: 400 <= s < 500)} |")


def op_breakdown(r: Results) -> str:
    return "  by operation, p50 / p95 ms: " + ", ".join(
        f"{op} {pct(v, 50):.0f} / {pct(v, 95):.0f} ({len(v)})" for op, v in sorted(r.latencies.items())) + (
        f"; the phones' own event loop late by p50 {pct(r.loop_lag, 50):.0f} / p95 {pct(r.loop_lag, 95):.0f} ms")


SHIFT_HEAD = ("| run | requests | offered/s | served/s | 5xx (not 503) | timeouts 10 s | 503 shed | reads p50 / p95 ms "
              "| writes p50 / p95 ms | upload p95 ms | slowest ms | 4xx |\n|---|---|---|---|---|---|---|---|---|---|---|---|")


def process_tree(pid: int) -> list[int]:
    """A process and its descendants (uvicorn's worker processes, the photo workers)."""
    children: dict[int, list[int]] = defaultdict(list)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children[int(fields[1])].append(int(stat.parent.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


def cpu_seconds(pid: int | None = None) -> float:
    """CPU time used so far by a server's process tree, or by this process (the simulated phones)."""
    if pid is None:
        t = os.times()
        return t.user + t.system
    total = 0.0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def rss_mb(server) -> str:
    return f"{server.rss_kb('VmHWM') / 1024:.0f} MB" if server else "n/a"


def run_db(args, db: str) -> list[str]:
    lines = []
    if args.target:
        base, server_cm = args.target, nullcontext(None)
        city = City(list(range(1, 5)), [f"insp{i}" for i in range(12)], [f"disp{i}" for i in range(4)],
                    [(f"staff{i}", i + 1) for i in range(4)])
    else:
        if db == "postgres":
            os.environ["XUNCHA_TEST_DATABASE_URL"] = args.pg_url
        else:
            os.environ.pop("XUNCHA_TEST_DATABASE_URL", None)
        from tests.dbutil import fresh_database_url
        url = fresh_database_url("xuncha_bench_load")
        city = seed(url, inspectors=12, dispatchers=4, units=4)
        env = dict(kv.split("=", 1) for kv in args.server_env)
        server_cm = live_server(url, Path(tempfile.mkdtemp(prefix="xuncha-bench-load-")), env=env,
                                uvicorn_args=tuple(args.uvicorn_args.split()) if args.uvicorn_args else make_run_args(url))
    photos = [photo_bytes(2048, 1536, 800 * 1024, s) for s in range(6)]
    t0 = time.time()
    with server_cm as server:
        base = server.base if server else base
        shared = Shared(photos, city.unit_ids)

        async def prepare():
            async with new_client(base, 4) as client:
                await prefill(client, city, shared, args.prefill)

        asyncio.run(prepare())
        if "shift" in args.only:
            print(f"[{db}] shift start: {PHONES} phones, think 2–4 s, {args.duration:.0f} s …", flush=True)
            r = asyncio.run(shift(base, city, shared, args.duration, (2.0, 4.0)))
            lines.append(shift_row(f"{db}: shift start, {args.duration:.0f} s", r))
            lines.append(op_breakdown(r))
            lines += [f"  ! {e}" for e in r.errors]
            print("\n".join(lines[-2 - len(r.errors):]), flush=True)
        if "saturation" in args.only:
            print(f"[{db}] saturation: {PHONES} clients, closed loop, {args.saturation:.0f} s …", flush=True)
            r = asyncio.run(shift(base, city, shared, args.saturation, None,
                                  honour_retry_after=not args.no_backoff))
            lines.append(shift_row(f"{db}: saturation (closed loop), {args.saturation:.0f} s", r))
            shed = r.shed_latencies
            lines.append(op_breakdown(r))
            lines.append(f"  503s answered in p50 {pct(shed, 50):.0f} / p95 {pct(shed, 95):.0f} ms; "
                         f"without Retry-After: {r.retry_after_missing}")
            lines += [f"  ! {e}" for e in r.errors]
            print("\n".join(lines[-2 - len(r.errors):]), flush=True)
        if "uploads" in args.only:
            kind = UPLOAD_PHOTOS[args.upload_photo]
            print(f"[{db}] 16 clients upload {kind} while a dispatcher reads …", flush=True)
            u = asyncio.run(uploads_vs_reads(base, city, args.upload_duration, photo=args.upload_photo))
            (il, ih), (bl, bh) = u["idle"], u["busy"]
            lines.append(f"  uploads ({u['size'] / 1e6:.1f} MB {kind}, {u['rate']:.1f}/s, {u['refused']} refused): "
                         f"list p50/p95 idle {pct(il, 50):.0f}/{pct(il, 95):.0f} ms → busy {pct(bl, 50):.0f}/{pct(bl, 95):.0f} ms; "
                         f"/api/health idle {pct(ih, 50):.1f}/{pct(ih, 95):.1f} → busy {pct(bh, 50):.1f}/{pct(bh, 95):.1f} ms")
            print(lines[-1], flush=True)
        cpu = f"server CPU {cpu_seconds(server.pid):.0f} s, " if server else ""
        lines.append(f"  server peak RSS {rss_mb(server)}; {cpu}phones' CPU {cpu_seconds():.0f} s, wall {time.time() - t0:.0f} s")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--duration", type=float, default=300, help="shift start, seconds (README: 300)")
    parser.add_argument("--saturation", type=float, default=60, help="saturation run, seconds")
    parser.add_argument("--upload-duration", type=float, default=30, help="uploads-vs-reads run, seconds")
    parser.add_argument("--only", default="shift,saturation,uploads")
    parser.add_argument("--upload-photo", choices=sorted(UPLOAD_PHOTOS), default="camera",
                        help="what the uploads run sends: a camera's 12 MP photo or the PWA's 2048 px one")
    parser.add_argument("--no-backoff", action="store_true",
                        help="saturation clients ignore Retry-After and come straight back after a 503")
    parser.add_argument("--prefill", type=int, default=150, help="tickets created before measuring")
    parser.add_argument("--target", help="an already running, seeded server instead of starting one")
    parser.add_argument("--server-env", action="append", default=[], metavar="XUNCHA_X=V",
                        help="settings for the started server (e.g. XUNCHA_DB_SLOTS=32)")
    parser.add_argument("--uvicorn-args", help="instead of the process count app/serve.py chooses, as `make run` "
                        "(e.g. --workers 2)")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    args.only = set(args.only.split(","))
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    lines = []
    for db in dbs:
        lines += run_db(args, db)
    print()
    print(SHIFT_HEAD)
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
