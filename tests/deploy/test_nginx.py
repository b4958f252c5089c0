"""deploy/nginx.conf in front of a real app process: `nginx -t`, then a proxied page and API call, the request
id passed through, a photo-sized upload let through and a larger one refused as JSON, JSON gzipped, hashed
assets served from nginx's cache, /metrics refused. Skipped where nginx is not installed (`apt-get install
nginx-light`)."""

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from app.core.config import get_settings
from tests.servers import ROOT, free_port, uvicorn_server

NGINX = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed (apt-get install nginx-light)")

CONF = ROOT / "deploy" / "nginx.conf"


def local_conf(tmp: Path, app_port: int, port: int) -> str:
    """The deployment's file with only what ties it to the compose network and to /var swapped for this test."""
    text = CONF.read_text()
    swaps = {
        "server app1:8000 ": f"server 127.0.0.1:{app_port} ",
        "server app2:8000 ": f"server 127.0.0.1:{app_port} ",
        "listen 80;\n        # TLS": f"listen 127.0.0.1:{port};\n        # TLS",
        "error_log /var/log/nginx/error.log warn;": f"error_log {tmp}/error.log warn;",
        "pid /var/run/nginx.pid;": f"pid {tmp}/nginx.pid;",
        "access_log /var/log/nginx/access.log xuncha;": f"access_log {tmp}/access.log xuncha;\n"
                                                         f"    client_body_temp_path {tmp}/body;\n"
                                                         f"    proxy_temp_path {tmp}/proxy;\n"
                                                         f"    fastcgi_temp_path {tmp}/fastcgi;\n"
                                                         f"    uwsgi_temp_path {tmp}/uwsgi;\n"
                                                         f"    scgi_temp_path {tmp}/scgi;",
        "proxy_cache_path /var/cache/nginx/xuncha ": f"proxy_cache_path {tmp}/cache ",
    }
    for old, new in swaps.items():
        assert old in text, f"deploy/nginx.conf no longer has {old!r}: update this test with it"
        text = text.replace(old, new)
    if os.geteuid() == 0:  # workers would run as nobody, who cannot write the test's temp directories
        text = "user root;\n" + text
    return text


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """(nginx URL, app server) — the app started as `make serve` starts it, trusting nginx's X-Forwarded-For."""
    tmp = tmp_path_factory.mktemp("nginx")
    env = os.environ | {"XUNCHA_TRUSTED_PROXIES": "127.0.0.1", "XUNCHA_PHOTO_WORKERS": "1", "XUNCHA_JOBS_EMBEDDED": "0"}
    with uvicorn_server(env, tmp / "app.log", module=("app.serve",)) as server:
        port = free_port()
        conf = tmp / "nginx.conf"
        conf.write_text(local_conf(tmp, int(server.base.rsplit(":", 1)[1]), port))
        check = subprocess.run([NGINX, "-t", "-p", str(tmp), "-c", str(conf)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        proc = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(conf), "-g", "daemon off;"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 20
            while True:
                try:
                    if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                assert time.time() < deadline, "nginx did not start"
                time.sleep(0.1)
            yield base, server
        finally:
            proc.terminate()
            proc.wait(10)


def test_pages_and_the_api_through_nginx(proxied):
    base, _ = proxied
    page = httpx.get(f"{base}/")
    assert page.status_code == 200 and "<html" in page.text.lower()
    checks = httpx.get(f"{base}/api/ready").json()["checks"]
    assert checks.items() >= {"database": "ok", "storage": "ok"}.items() and set(checks.values()) == {"ok"}


def test_the_request_id_passes_through_to_the_app_log(proxied):
    base, server = proxied
    r = httpx.get(f"{base}/api/ready", headers={"X-Request-ID": "edge-4711"})
    assert r.headers["x-request-id"] == "edge-4711"
    own = httpx.get(f"{base}/api/ready", headers={"X-Request-ID": "bad id; drop table"})
    assert re.fullmatch(r"[0-9a-f]{32}", own.headers["x-request-id"])  # nginx's own $request_id
    time.sleep(0.2)
    log = server.log()
    assert "[edge-4711] GET /api/ready 200" in log
    assert f"[{own.headers['x-request-id']}] GET /api/ready 200" in log


def test_a_photo_sized_upload_passes_and_a_larger_one_is_refused_as_json(proxied):
    base, _ = proxied
    limit = get_settings().upload_max_bytes
    body = os.urandom(limit - 1024)
    r = httpx.post(f"{base}/api/photos", files={"file": ("p.jpg", body, "image/jpeg")}, data={"id": "x"}, timeout=60)
    assert r.status_code == 401, r.text  # reached the app, which wants a login first
    assert r.json()["error"]["code"] == "not_authenticated"
    big = httpx.post(f"{base}/api/photos", files={"file": ("p.jpg", os.urandom(limit + 2 * 1024 * 1024), "image/jpeg")},
                     timeout=60)
    assert big.status_code == 413
    assert big.json()["error"]["code"] == "too_large"


def test_json_is_gzipped(proxied):
    base, _ = proxied
    r = httpx.get(f"{base}/api/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in r.headers["vary"].lower()
    assert r.json()["paths"]  # httpx un-gzipped it
    plain = httpx.get(f"{base}/api/openapi.json", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.json() == r.json()


def test_hashed_assets_come_from_nginx_cache_still_precompressed(proxied):
    base, _ = proxied
    dist = get_settings().frontend_dist
    script = max((dist / "assets").glob("*.js"), key=lambda p: p.stat().st_size)
    url = f"{base}/assets/{script.name}"
    statuses = []
    for _ in range(3):
        r = httpx.get(url, headers={"Accept-Encoding": "gzip"})
        assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert r.content == script.read_bytes()
        statuses.append(r.headers["x-cache-status"])
    assert statuses[0] == "MISS" and statuses[-1] == "HIT"
    assert int(r.headers["content-length"]) == len(script.with_name(script.name + ".gz").read_bytes())


def test_metrics_are_not_served_through_nginx(proxied):
    base, _ = proxied
    r = httpx.get(f"{base}/metrics")
    assert r.status_code == 404 and "xuncha_" not in r.text
