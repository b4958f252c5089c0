"""Slow request bodies (a real uvicorn process, raw sockets): a body that stops coming, or trickles in a byte at
a time, is cut off with 408; while bodies arrive they count apart from the requests in flight, so a few hundred
slow uploads (a client holding them open on purpose, without even logging in) cannot turn the city's reads into
503s. Before: every such connection took a place of `max_in_flight` from its first byte, for as long as it
liked, and the 257th made every API request answer 503."""

import select
import socket
import time
import uuid
from urllib.parse import urlsplit

import httpx
import pytest

from tests.dbutil import fresh_database_url
from tests.fixtures.images import make_jpeg
from tests.load.server import live_server, seed, token

IDLE_S = 3.0


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    url = fresh_database_url("xuncha_slow_bodies")
    city = seed(url, inspectors=1, dispatchers=1, units=1)
    env = {"XUNCHA_MAX_IN_FLIGHT": "2", "XUNCHA_MAX_RECEIVING": "4", "XUNCHA_BODY_IDLE_SECONDS": str(IDLE_S),
           "XUNCHA_BODY_MIN_BYTES_PER_SECOND": "500"}
    with live_server(url, tmp_path_factory.mktemp("slow"), env=env) as srv:
        srv.inspector = token(srv.base, city.inspectors[0])
        srv.dispatcher = token(srv.base, city.dispatchers[0])
        yield srv


def slow_upload(srv, headers: dict | None = None) -> socket.socket:
    """An upload whose headers promise 1 MB and whose body stops after its first line."""
    parts = urlsplit(srv.base)
    s = socket.create_connection((parts.hostname, parts.port), timeout=30)
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    s.sendall(f"POST /api/photos HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
              f"Content-Length: 1000000\r\n{extra}\r\n--b\r\n".encode())
    return s


def answer(s: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_a_body_that_stops_coming_is_cut_off_with_408(server):
    s = slow_upload(server, server.inspector)
    started = time.monotonic()
    reply = answer(s)
    took = time.monotonic() - started
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
    assert b'"body_timeout"' in reply and b"connection: close" in reply.lower()
    assert IDLE_S - 0.5 < took < IDLE_S + 10


def test_a_body_trickled_a_byte_at_a_time_is_cut_off_with_408(server):
    s = slow_upload(server, server.inspector)
    started = time.monotonic()
    while time.monotonic() - started < IDLE_S + 15:
        s.sendall(b"x")  # never a gap as long as IDLE_S: only the rate gives it away
        if select.select([s], [], [], 0.25)[0]:
            break
    reply = answer(s)
    assert reply.startswith(b"HTTP/1.1 408"), reply[:200]
    assert IDLE_S - 0.5 < time.monotonic() - started < IDLE_S + 10


def test_slow_uploads_do_not_take_the_places_of_reads(server):
    # As many slow uploads as may arrive at once, without logging in; twice what may be in flight.
    held = [slow_upload(server) for _ in range(4)]
    time.sleep(0.3)
    r = httpx.get(server.base + "/api/tickets", headers=server.dispatcher, params={"limit": 5}, timeout=10)
    assert r.status_code == 200, r.text
    # One more upload now finds no place to arrive in: 503 with Retry-After at once, nothing stored.
    photo = make_jpeg(320, 240, lat=30.27, lng=120.15)
    r = httpx.post(server.base + "/api/photos", headers=server.inspector, data={"id": str(uuid.uuid4())},
                   files={"file": ("a.jpg", photo, "image/jpeg")}, timeout=10)
    assert r.status_code == 503 and r.headers["Retry-After"], r.text
    # The slow ones are cut off; their places come back.
    for s in held:
        assert answer(s).startswith(b"HTTP/1.1 408")
    r = httpx.post(server.base + "/api/photos", headers=server.inspector, data={"id": str(uuid.uuid4())},
                   files={"file": ("a.jpg", photo, "image/jpeg")}, timeout=30)
    assert r.status_code == 201, r.text
