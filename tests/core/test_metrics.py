"""/metrics: scraped after real requests, the counters moved; refused to anyone but this machine or the token;
summed over several processes (app/serve.py's multiprocess mode)."""

import json
import os
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.core import metrics
from app.core.errors import Forbidden, Unauthorized
from app.main import app
from app.users.roles import Role
from tests.conftest import login, make_user, upload_photo
from tests.servers import uvicorn_server


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series in an exposition text (0 when absent)."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    return 0.0


@pytest.fixture
def local():
    """A client on this machine (127.0.0.1), as Prometheus on the same host scrapes."""
    with TestClient(app, client=("127.0.0.1", 50123)) as c:
        yield c


def scrape(c: TestClient) -> str:
    r = c.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return r.text


def test_requests_are_counted_per_route_template_and_status_class(local):
    before = scrape(local)
    for _ in range(3):
        assert local.get("/api/health").status_code == 200
    assert local.get("/api/tickets/0192f3a4-0000-7000-8000-000000000001").status_code == 401
    after = scrape(local)
    health = {"method": "GET", "route": "/api/health", "status": "2xx"}
    assert sample(after, "xuncha_http_requests_total", **health) - sample(before, "xuncha_http_requests_total", **health) == 3
    ticket = {"method": "GET", "route": "/api/tickets/{ticket_id}", "status": "4xx"}
    assert sample(after, "xuncha_http_requests_total", **ticket) - sample(before, "xuncha_http_requests_total", **ticket) == 1
    latency = "xuncha_http_request_duration_seconds_count"
    assert sample(after, latency, **health) - sample(before, latency, **health) == 3
    assert "0192f3a4" not in after  # route templates only: no ids in label values


def test_a_photo_upload_moves_the_processing_time_and_the_outbox_depth(local, db):
    headers = login(local, make_user(db, Role.inspector))
    before = scrape(local)
    upload_photo(local, headers)
    after = scrape(local)
    name = "xuncha_photo_processing_seconds"
    assert sample(after, name + "_count") - sample(before, name + "_count") == 1
    assert 0 < sample(after, name + "_sum") - sample(before, name + "_sum") < 30
    # The upload queued its orphan check (a job due in ten minutes): the outbox depth, read from the jobs table.
    queued = {"kind": "photos.drop_if_orphaned", "state": "queued"}
    assert sample(after, "xuncha_jobs", **queued) == sample(before, "xuncha_jobs", **queued) + 1


@pytest.mark.parametrize("role", [None, *Role])
def test_not_served_to_another_machine_whoever_logs_in(db, role):
    """The app's own logins give no access: metrics are for the machine (or the token holder), not a role."""
    with TestClient(app, client=("203.0.113.7", 40000)) as remote:
        headers = login(remote, make_user(db, role)) if role else {}
        r = remote.get("/metrics", headers=headers)
    assert r.status_code == 403 and r.json()["error"]["code"] == "metrics_forbidden"
    assert "xuncha_" not in r.text


def test_the_token_rule():
    metrics.check_access("127.0.0.1", None, "")
    metrics.check_access("::1", None, "")
    metrics.check_access("10.1.2.3", "Bearer s3cret-token", "s3cret-token")
    metrics.check_access("10.1.2.3", "bearer s3cret-token", "s3cret-token")
    for host, auth in [("10.1.2.3", None), ("127.0.0.1", None), ("10.1.2.3", "Bearer wrong"),
                       ("10.1.2.3", "s3cret-token"), ("10.1.2.3", "Basic s3cret-token")]:
        with pytest.raises(Unauthorized):
            metrics.check_access(host, auth, "s3cret-token")
    for host in ("10.1.2.3", "testclient", None, "::ffff:10.0.0.1"):
        with pytest.raises(Forbidden):
            metrics.check_access(host, None, "")


def test_two_processes_are_summed_and_log_json(tmp_path):
    """`python -m app.serve` with two workers: requests spread over both, one scrape counts them all; the
    samples of an earlier run are cleared at start; the log is JSON lines carrying the request ids."""
    prom = tmp_path / "prom"
    prom.mkdir()
    (prom / "counter_999999.db").write_bytes(b"stale samples of an earlier run")
    env = os.environ | {"XUNCHA_WORKERS": "2", "XUNCHA_METRICS_TOKEN": "t0ken", "XUNCHA_LOG_FORMAT": "json",
                        "XUNCHA_PHOTO_WORKERS": "1", "XUNCHA_JOBS_EMBEDDED": "0", "PROMETHEUS_MULTIPROC_DIR": str(prom)}
    token = {"Authorization": "Bearer t0ken"}
    # /api/ready: not the route the start-up wait polls (a poll that timed out may still be answered later).
    ready = {"method": "GET", "route": "/api/ready", "status": "2xx"}
    with uvicorn_server(env, tmp_path / "server.log", module=("app.serve",)) as server:
        assert not (prom / "counter_999999.db").exists()
        before = httpx.get(f"{server.base}/metrics", headers=token, timeout=10).text
        for i in range(40):  # a new connection each: the kernel hands them to either process
            r = httpx.get(f"{server.base}/api/ready", headers={"X-Request-ID": f"mp-{i}"}, timeout=10)
            assert r.status_code == 200 and r.headers["x-request-id"] == f"mp-{i}"
        deadline = time.time() + 10
        while True:
            after = httpx.get(f"{server.base}/metrics", headers=token, timeout=10).text
            moved = sample(after, "xuncha_http_requests_total", **ready) - sample(before, "xuncha_http_requests_total", **ready)
            if moved == 40 or time.time() > deadline:
                break
            time.sleep(0.2)
        assert moved == 40
        assert httpx.get(f"{server.base}/metrics", timeout=10).status_code == 401  # the token is required
        pids = {p.stem.rsplit("_", 1)[1] for p in prom.glob("counter_*.db")}
        assert len(pids) >= 2, pids
        time.sleep(0.3)
        lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("logger") == "xuncha.access" and line["request_id"].startswith("mp-")]
    assert sorted(line["request_id"] for line in access) == sorted(f"mp-{i}" for i in range(40))
    assert all(line["route"] == "/api/ready" and line["status"] == 200 for line in access)
    assert not any(line.get("logger") == "uvicorn.access" for line in lines)


def test_the_multiprocess_directory_is_set_and_emptied_only_for_several_processes(tmp_path):
    from app.serve import prepare_metrics_dir

    environ: dict[str, str] = {}
    assert prepare_metrics_dir(1, environ) is None and environ == {}
    given = tmp_path / "prom"
    given.mkdir()
    (given / "histogram_123.db").write_bytes(b"old")
    (given / "README").write_text("kept")
    environ = {"PROMETHEUS_MULTIPROC_DIR": str(given)}
    assert prepare_metrics_dir(2, environ) == given
    assert sorted(p.name for p in given.iterdir()) == ["README"]
    environ = {}
    made = prepare_metrics_dir(4, environ)
    assert made is not None and made.is_dir() and environ["PROMETHEUS_MULTIPROC_DIR"] == str(made)
    made.rmdir()
