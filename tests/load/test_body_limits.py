"""Request bodies are limited as they stream in, also when sent chunked (no Content-Length): a real uvicorn
process, bodies from a generator, the server's peak memory read from /proc.

Before the fix only the Content-Length header was checked: 400 MB of chunked JSON was read whole into
memory, and a 300 MB chunked multipart was spooled to disk in full before the 401.
"""

import uuid

import httpx
import pytest

from tests.dbutil import fresh_database_url
from tests.load.server import live_server, seed, token

MB = 1024 * 1024
CHUNK = b"x" * (64 * 1024)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    url = fresh_database_url("xuncha_limits")
    city = seed(url, inspectors=1, dispatchers=0, units=1)
    work = tmp_path_factory.mktemp("limits")
    (work / "tmp").mkdir()
    with live_server(url, work, env={"TMPDIR": str(work / "tmp")}) as srv:
        srv.tmp = work / "tmp"
        srv.inspector = token(srv.base, city.inspectors[0])
        yield srv


class Body:
    """A chunked body of up to `total` bytes; remembers how much the server let us send."""

    def __init__(self, total: int, head: bytes = b"", tail: bytes = b""):
        self.total, self.head, self.tail, self.sent = total, head, tail, 0

    def __iter__(self):
        yield self.head
        self.sent += len(self.head)
        while self.sent < self.total:
            yield CHUNK
            self.sent += len(CHUNK)
        yield self.tail


def post_chunked(srv, path, body: Body, content_type: str, headers=None) -> httpx.Response:
    # A generator body has no length: httpx sends it with Transfer-Encoding: chunked.
    return httpx.post(srv.base + path, content=iter(body), timeout=60,
                      headers={"Content-Type": content_type, **(headers or {})})


def _peak_growth_mb(srv, before_kb: int) -> float:
    return (srv.rss_kb("VmHWM") - before_kb) / 1024


def test_chunked_json_is_cut_off_at_the_json_limit(server):
    before = server.rss_kb("VmHWM")
    body = Body(400 * MB, head=b'{"description": "')
    r = post_chunked(server, "/api/tickets", body, "application/json")
    assert r.status_code == 413, r.text
    assert r.json()["error"]["code"] == "too_large"
    assert r.json()["error"]["details"]["max_bytes"] == MB
    assert body.sent < 64 * MB, f"the server read {body.sent / MB:.0f} MB before answering"
    assert _peak_growth_mb(server, before) < 64


def test_chunked_multipart_is_cut_off_at_the_photo_limit(server):
    before = server.rss_kb("VmHWM")
    boundary = "xunchaboundary"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="id"\r\n\r\n{uuid.uuid4()}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
            f"Content-Type: image/jpeg\r\n\r\n").encode()
    body = Body(300 * MB, head=head, tail=f"\r\n--{boundary}--\r\n".encode())
    r = post_chunked(server, "/api/photos", body, f"multipart/form-data; boundary={boundary}", server.inspector)
    assert r.status_code == 413, r.text
    assert r.json()["error"]["code"] == "too_large"
    limit_mb = 25 + 64 / 1024
    assert body.sent < (limit_mb + 32) * MB, f"the server read {body.sent / MB:.0f} MB before answering"
    assert _peak_growth_mb(server, before) < 64
    assert list(server.tmp.iterdir()) == []  # the spooled part is gone


def test_a_declared_length_over_the_limit_is_refused_before_reading(server):
    r = httpx.post(server.base + "/api/tickets", content=b"{" + b" " * (2 * MB), timeout=30,
                   headers={"Content-Type": "application/json", **server.inspector})
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "too_large"


def test_bodies_under_the_limits_still_work(server):
    # Just under the JSON limit, chunked: read in full, then judged on its content (422), not its size.
    filler = b" " * (MB - 100)
    r = post_chunked(server, "/api/tickets", Body(0, head=b'{"id": 1' + filler, tail=b"}"), "application/json",
                     server.inspector)
    assert r.status_code == 422, r.text
    from tests.fixtures.images import make_jpeg
    r = httpx.post(server.base + "/api/photos", headers=server.inspector, data={"id": str(uuid.uuid4())},
                   files={"file": ("p.jpg", make_jpeg(800, 600), "image/jpeg")}, timeout=30)
    assert r.status_code == 201, r.text
