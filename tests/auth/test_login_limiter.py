"""The login limit: atomic, in the database (shared by every app process), fair to an office behind one NAT,
and counting the address uvicorn resolved, which believes X-Forwarded-For only from configured proxies."""

import os
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlmodel import func, select

from app.auth import ratelimit
from app.auth.models import LoginAttempt
from app.core.config import get_settings
from app.users.roles import Role
from tests.conftest import PASSWORD, make_user
from tests.servers import free_port
from tests.tickets.test_concurrency import race

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "/api/auth/token"


def attempt(client, username: str, password: str = "wrong", **kw) -> int:
    return client.post(TOKEN, data={"username": username, "password": password}, **kw).status_code


def test_forty_parallel_wrong_passwords_check_at_most_the_limit(client, db):
    user = make_user(db, Role.inspector)
    results = race([lambda c: c.post(TOKEN, data={"username": user.username, "password": "wrong"})] * 40)
    codes = Counter(r.status_code for r in results)
    assert set(codes) <= {401, 429} and codes[401] <= get_settings().login_max_failures, codes
    db.rollback()  # a new snapshot: see what the app committed since
    checked = db.exec(select(func.count()).select_from(LoginAttempt).where(LoginAttempt.outcome == "failed")).one()
    assert checked == codes[401]
    # Attempts refused at once count toward nothing: the account has exactly its budget left.
    for _ in range(get_settings().login_max_failures - checked):
        assert attempt(client, user.username) == 401
    assert attempt(client, user.username, PASSWORD) == 429


def test_forty_parallel_wrong_passwords_with_one_device_token_check_at_most_the_limit(client, db):
    user = make_user(db, Role.inspector)
    stolen = client.post(TOKEN, data={"username": user.username, "password": PASSWORD}).json()["device_token"]
    form = {"username": user.username, "password": "wrong", "device_token": stolen}
    results = race([lambda c: c.post(TOKEN, data=form)] * 40)
    codes = Counter(r.status_code for r in results)
    assert set(codes) <= {401, 429} and codes[401] <= get_settings().login_max_failures, codes


def test_a_colleague_behind_the_same_nat_can_still_log_in(client, db):
    typist, colleague = make_user(db, Role.inspector), make_user(db, Role.unit_staff)
    for _ in range(get_settings().login_max_failures):
        assert attempt(client, typist.username) == 401
    assert attempt(client, typist.username, PASSWORD) == 429
    assert attempt(client, colleague.username, PASSWORD) == 200


def test_the_address_budget_stops_spraying_but_not_known_colleagues(client, db, monkeypatch):
    monkeypatch.setattr(get_settings(), "login_max_failures_per_address", 8)
    regular, newcomer = make_user(db, Role.inspector), make_user(db, Role.inspector)
    assert attempt(client, regular.username, PASSWORD) == 200  # has logged in from this address before
    for i in range(8):
        assert attempt(client, f"guess-{i}") == 401
    assert attempt(client, "guess-9") == 429
    assert attempt(client, newcomer.username, PASSWORD) == 429
    assert attempt(client, regular.username, PASSWORD) == 200


def test_a_success_clears_the_account_failures(client, db):
    user = make_user(db, Role.inspector)
    for _ in range(get_settings().login_max_failures - 1):
        assert attempt(client, user.username) == 401
    assert attempt(client, user.username, PASSWORD) == 200
    for _ in range(get_settings().login_max_failures - 1):
        assert attempt(client, user.username) == 401
    assert attempt(client, user.username, PASSWORD) == 200


# ---- real server processes, started as `make serve` starts them --------------------------------------

@pytest.fixture
def start_server():
    """Start `make serve` on the test database with extra settings; answers its base URL."""
    procs = []

    def start(**settings: str) -> str:
        port = free_port()
        env = os.environ | {f"XUNCHA_{k.upper()}": v for k, v in settings.items()}
        proc = subprocess.Popen(["make", "-s", "serve", "HOST=127.0.0.1", f"PORT={port}"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        procs.append(proc)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                    return url
            except httpx.HTTPError:
                time.sleep(0.2)
        pytest.fail(f"server on port {port} did not start")

    yield start
    for proc in procs:
        os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        proc.wait(timeout=30)


def test_the_limit_is_shared_by_two_app_processes(db, start_server):
    user = make_user(db, Role.inspector)
    a, b = start_server(), start_server()
    with httpx.Client(base_url=a) as ca, httpx.Client(base_url=b) as cb:
        for i in range(get_settings().login_max_failures):
            assert attempt((ca, cb)[i % 2], user.username) == 401
        assert attempt(ca, user.username, PASSWORD) == 429
        assert attempt(cb, user.username, PASSWORD) == 429


def test_a_device_token_from_one_process_is_trusted_by_another(db, start_server):
    user = make_user(db, Role.inspector)
    a, b = start_server(), start_server()
    with httpx.Client(base_url=a) as ca, httpx.Client(base_url=b) as cb:
        r = ca.post(TOKEN, data={"username": user.username, "password": PASSWORD})
        phone = r.json()["device_token"]
        for _ in range(get_settings().login_max_failures):
            assert attempt(ca, user.username) == 401
        assert attempt(cb, user.username, PASSWORD) == 429
        assert cb.post(TOKEN, data={"username": user.username, "password": PASSWORD,
                                    "device_token": phone}).status_code == 200


def test_x_forwarded_for_is_ignored_from_an_untrusted_peer(db, start_server):
    url = start_server(trusted_proxies="", login_max_failures_per_address="3")
    with httpx.Client(base_url=url) as c:
        codes = [attempt(c, f"guess-{i}", headers={"X-Forwarded-For": f"203.0.113.{i}"}) for i in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    db.rollback()
    assert set(db.exec(select(LoginAttempt.address)).all()) == {"127.0.0.1"}


def test_x_forwarded_for_is_honoured_from_a_trusted_proxy(db, start_server):
    url = start_server(trusted_proxies="127.0.0.1", login_max_failures_per_address="3")
    with httpx.Client(base_url=url) as c:
        codes = [attempt(c, f"guess-{i}", headers={"X-Forwarded-For": f"203.0.113.{i}"}) for i in range(5)]
    assert codes == [401] * 5
    db.rollback()
    assert set(db.exec(select(LoginAttempt.address)).all()) == {f"203.0.113.{i}" for i in range(5)}


def test_an_ipv6_client_counts_by_its_64_so_rotating_addresses_inside_it_is_no_way_round(db, start_server):
    url = start_server(trusted_proxies="127.0.0.1", login_max_failures_per_address="3")
    with httpx.Client(base_url=url) as c:
        codes = [attempt(c, f"guess-{i}", headers={"X-Forwarded-For": f"2001:db8:1:2::{i + 1:x}"}) for i in range(5)]
        other = attempt(c, "guess-other", headers={"X-Forwarded-For": "2001:db8:1:3::1"})  # the next /64
    assert codes == [401, 401, 401, 429, 429]
    assert other == 401
    db.rollback()
    assert set(db.exec(select(LoginAttempt.address)).all()) == {"2001:db8:1:2::/64", "2001:db8:1:3::/64"}


@pytest.mark.parametrize(("host", "key"), [
    ("203.0.113.7", "203.0.113.7"), ("::ffff:203.0.113.7", "203.0.113.7"),
    ("2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:2::/64"), ("fe80::1%eth0", "fe80::/64"), ("?", "?"),
    ("testclient", "testclient")])
def test_the_address_a_limit_counts(host, key):
    assert ratelimit.address_key(host) == key


@pytest.mark.parametrize("name", ["XUNCHA_LOGIN_MAX_FAILURES", "XUNCHA_LOGIN_WINDOW_SECONDS",
                                  "XUNCHA_LOGIN_MAX_FAILURES_PER_ADDRESS"])
def test_a_limit_of_zero_is_refused_at_start(monkeypatch, name):
    """0 failures refused every login, the right password too (nothing may fail): a setting error, said at start."""
    from pydantic import ValidationError

    from app.core.config import Settings
    monkeypatch.setenv(name, "0")
    with pytest.raises(ValidationError, match=name.removeprefix("XUNCHA_").lower()):
        Settings()
