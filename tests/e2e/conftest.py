"""End-to-end harness: the real backend (fresh migrated + seeded SQLite DB, temp media dir) serving the
built PWA on a free loopback port, driven by Debian's Chromium through Playwright for Python.

Without Chromium or a built frontend the e2e tests are skipped with the reason; with
XUNCHA_E2E_REQUIRED=1 (CI) they fail instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from app.stats.exports import half_up
from tests.dbutil import fresh_database_url
from tests.fixtures.images import make_jpeg
from tests.servers import uvicorn_server

ROOT = Path(__file__).resolve().parents[2]
DIST = Path(os.environ.get("XUNCHA_FRONTEND_DIST", ROOT / "frontend" / "dist"))
CHROMIUM = os.environ.get("XUNCHA_CHROMIUM", "/usr/bin/chromium")
OUTPUT = Path(os.environ.get("XUNCHA_E2E_OUTPUT", ROOT / "tests" / "e2e" / "output"))
REQUIRED = os.environ.get("XUNCHA_E2E_REQUIRED") == "1"
CHROME_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PASSWORD = "demo1234"
# Accounts a test makes with a password of their own (the demo's is too common to be given to a new one).
PASSWORDS: dict[str, str] = {}
CENTER = {"latitude": 30.2741, "longitude": 120.1551, "accuracy": 8}
PHONE = {"width": 390, "height": 844}


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "python playwright is not installed"
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if not (DIST / "index.html").exists():
        return f"frontend not built: {DIST}/index.html missing (make frontend)"
    return None


@pytest.fixture(scope="session")
def _e2e_ready():
    reason = _missing()
    if reason:
        if REQUIRED:
            pytest.fail(f"XUNCHA_E2E_REQUIRED=1 but {reason}", pytrace=False)
        pytest.skip(f"e2e skipped: {reason}")


@pytest.fixture(scope="session")
def server_env(tmp_path_factory) -> dict[str, str]:
    """The backend's environment (database, media): tests can run the admin CLI against it."""
    tmp = tmp_path_factory.mktemp("xuncha-e2e")
    env = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
    env.update(
        # A fresh database of the suite's kind: SQLite by default, PostgreSQL in the CI's second pass.
        XUNCHA_DATABASE_URL=fresh_database_url("xuncha_e2e"),
        XUNCHA_MEDIA_DIR=str(tmp / "media"),
        XUNCHA_FRONTEND_DIST=str(DIST),
        XUNCHA_LOGIN_MAX_FAILURES="1000",
        PYTHONUNBUFFERED="1",
        XUNCHA_E2E_TMP=str(tmp),
    )
    return env


@pytest.fixture(scope="session")
def server(_e2e_ready, server_env):
    """The real backend on a free port: migrate, seed the demo city, serve the built PWA."""
    env = server_env
    tmp = Path(env["XUNCHA_E2E_TMP"])
    bindir = Path(sys.executable).parent
    run = lambda *cmd: subprocess.run(cmd, cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)  # noqa: E731
    run(str(bindir / "alembic"), "upgrade", "head")
    run(sys.executable, "-m", "app.demo.seed")
    with uvicorn_server(env, tmp / "server.log", ("--log-level", "warning")) as backend:
        yield backend.base


class Api:
    """Server-side truth for assertions: the API as a given user sees it."""

    def __init__(self, base: str):
        self.base = base
        self._tokens: dict[str, str] = {}

    def token(self, username: str) -> str:
        if username not in self._tokens:
            r = httpx.post(f"{self.base}/api/auth/token",
                           data={"username": username, "password": PASSWORDS.get(username, PASSWORD)}, timeout=10)
            r.raise_for_status()
            self._tokens[username] = r.json()["access_token"]
        return self._tokens[username]

    def get(self, username: str, path: str, **params):
        # params=None, not {}: httpx drops a query written into `path` when it is given empty params
        r = httpx.get(f"{self.base}{path}", params=params or None, headers={"Authorization": f"Bearer {self.token(username)}"}, timeout=20)
        return r

    def tickets(self, username: str = "dispatcher", **params) -> list[dict]:
        out, cursor = [], None
        while True:
            q = {"limit": 100, **params}
            if cursor:
                q["cursor"] = cursor
            r = self.get(username, "/api/tickets", **q)
            r.raise_for_status()
            body = r.json()
            out += body["items"]
            cursor = body.get("next_cursor")
            if not cursor:
                return out

    def ticket(self, tid: str, username: str = "dispatcher") -> dict:
        r = self.get(username, f"/api/tickets/{tid}")
        r.raise_for_status()
        return r.json()

    def busy(self, period: str = "week", need=None) -> str:
        """A day of the newest week or month with tickets dispatched and a red or black list (and `need(ranking)`
        if given): this one, or the one before while this one has only begun (a run crossing midnight in the
        office's time zone on a Monday or a 1st, or a demo seeded just then)."""
        this = self.get("leader", "/api/stats/summary", period=period).json()["period"]["start_date"]
        for on in (this, (date.fromisoformat(this) - timedelta(days=1)).isoformat()):
            summary = self.get("leader", "/api/stats/summary", period=period, on=on).json()
            ranking = self.get("leader", "/api/stats/ranking", period=period, on=on).json()
            listed = any(row["list"] in ("red", "black") for g in ranking["groups"] for row in g["rows"])
            if summary["total"]["dispatched"] and listed and (need is None or need(ranking)):
                return on
        raise AssertionError(f"neither the {period} of {this} nor the one before has what the test needs")


@pytest.fixture(scope="session")
def api(server) -> Api:
    return Api(server)


@pytest.fixture(scope="session")
def playwright_instance(_e2e_ready):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance):
    b = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROME_ARGS, headless=True)
    yield b
    b.close()


def context_options(**extra) -> dict:
    opts = dict(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        geolocation=CENTER,
        permissions=["geolocation"],
        service_workers="allow",
    )
    opts.update(extra)
    return opts


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call":
        item.failed_call = rep.failed


def _dump_on_failure(request, contexts):
    """On failure, keep a screenshot of every open page (tests/e2e/output/FAILED-*.png)."""
    if not getattr(request.node, "failed_call", False):
        return
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for ci, ctx in enumerate(contexts):
        try:
            for pi, page in enumerate(ctx.pages):
                page.screenshot(path=str(OUTPUT / f"FAILED-{request.node.name}-{ci}-{pi}.png"))
        except Exception:
            pass


def watch_csp(ctx, violations: list[str]) -> None:
    """Collect the browser's Content-Security-Policy violations: the app must work under its CSP."""
    ctx.on("console", lambda m: violations.append(f"{m.type}: {m.text}")
           if "Content Security Policy" in m.text else None)


def _fail_on_csp(violations: list[str]) -> None:
    if violations:
        pytest.fail("CSP violations in the browser:\n" + "\n".join(violations[:20]), pytrace=False)


@pytest.fixture
def page_errors():
    """Uncaught errors of every page the test opened; any of them fails the test at teardown."""
    errors: list[str] = []
    yield errors
    if errors:
        pytest.fail("uncaught page error(s):\n" + "\n".join(errors), pytrace=False)


def watch_errors(ctx, errors: list[str]) -> None:
    """Record uncaught exceptions of the context's pages, present and future."""
    def attach(page):
        page.on("pageerror", lambda e: errors.append(f"{page.url}: {e}"))

    for page in ctx.pages:
        attach(page)
    ctx.on("page", attach)


@pytest.fixture
def new_context(browser, server, request, page_errors):
    """Fresh (non-persistent) browser contexts, one per role; closed after the test. A CSP violation in
    any of them fails the test."""
    made = []
    violations: list[str] = []

    def make(**extra):
        ctx = browser.new_context(base_url=server, **context_options(**extra))
        ctx.set_default_timeout(20_000)
        watch_errors(ctx, page_errors)
        watch_csp(ctx, violations)
        made.append(ctx)
        return ctx

    yield make
    _dump_on_failure(request, made)
    for c in made:
        c.close()
    _fail_on_csp(violations)


@pytest.fixture
def persistent(playwright_instance, server, tmp_path, request, page_errors):
    """launch(offline=False) → a persistent context on one profile dir: a 'phone' that can restart."""
    profile = tmp_path / "profile"
    made = []
    violations: list[str] = []

    def launch(offline: bool = False):
        ctx = playwright_instance.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=CHROME_ARGS, headless=True, base_url=server,
            offline=offline, **context_options(),
        )
        ctx.set_default_timeout(20_000)
        watch_errors(ctx, page_errors)
        watch_csp(ctx, violations)
        made.append(ctx)
        return ctx

    yield launch
    _dump_on_failure(request, [c for c in made if c.pages])
    for c in made:
        try:
            c.close()
        except Exception:
            pass
    _fail_on_csp(violations)


@pytest.fixture(scope="session")
def photos(tmp_path_factory) -> list[Path]:
    """Real JPEGs with real EXIF (4000×3000 would be slow to generate many of; 2400×1800 still downscales)."""
    d = tmp_path_factory.mktemp("photos")
    out = []
    for i in range(8):
        data = make_jpeg(2400, 1800, lat=30.2741 + i * 1e-4, lng=120.1551, taken_at="2026-11-21T09:00:00",
                         pattern="noise", seed=i)
        p = d / f"photo{i}.jpg"
        p.write_bytes(data)
        out.append(p)
    return out


@pytest.fixture(scope="session")
def shots() -> Path:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    return OUTPUT


# ---- UI helpers shared by the tests ---------------------------------------------------------------

def pct(v: float | None, digits: int = 1) -> str:
    """A rate as the PWA shows it: rounded half away from zero on its decimal value, as the printouts are; 返工率
    to two decimals (`digits`), as the printouts have it too."""
    return "—" if v is None else f"{half_up(Decimal(repr(v)) * 100, digits)}%"


def snap(page, path: Path) -> None:
    """A screenshot kept for a person to look at, of a page that may be Chromium's own offline error page:
    Chromium sometimes refuses to capture that page ("Unable to capture screenshot"), which says nothing
    about the app, so the test's assertions decide and a refused capture is only noted."""
    try:
        page.screenshot(path=str(path))
    except Exception as e:  # noqa: BLE001 - playwright raises its own Error for a refused capture
        print(f"screenshot {path.name} not taken: {e}")


def login(page, username: str, path: str = "/"):
    """Log in through the UI and land on the role's home page."""
    page.goto("/login")
    page.fill("[data-testid=username] input", username)
    page.fill("[data-testid=password] input", PASSWORDS.get(username, PASSWORD))
    page.click("[data-testid=login-submit]")
    page.wait_for_url(lambda u: "/login" not in u)
    if path != "/":
        page.goto(path)


def wait_sw(page):
    """Wait until the service worker controls the page (the shell is then precached)."""
    page.wait_for_function("() => navigator.serviceWorker && navigator.serviceWorker.controller !== null", timeout=30_000)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")


def choose_category(page, code: str = "06005"):
    page.click("[data-testid=category-field]")
    page.fill("[data-testid=category-search] input", code)
    page.click(f".cat-option[data-code='{code}']")
    page.wait_for_selector(".van-popup .cat-option", state="hidden")


def capture(page, photo_paths, description: str, code: str = "06005") -> float:
    """Fill the 随手拍 form and save it (to the phone; the outbox sends it); returns the save time."""
    page.wait_for_selector("[data-testid=photo-input]", state="attached")
    page.set_input_files("[data-testid=photo-input]", [str(p) for p in photo_paths])
    page.wait_for_function(f"() => document.querySelectorAll('[data-testid=picked-photo]').length === {len(photo_paths)}", timeout=30_000)
    page.wait_for_selector("[data-testid=location] .muted")  # a position is shown
    choose_category(page, code)
    page.fill("[data-testid=description] textarea", description)
    t0 = time.monotonic()
    page.click("[data-testid=capture-submit]")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=picked-photo]').length === 0")
    return time.monotonic() - t0  # seconds from the tap to "saved on this phone"


def wait_outbox_empty(page, timeout=60_000):
    if "/outbox" not in page.url:
        page.goto("/outbox")
    deadline = time.time() + timeout / 1000
    while time.time() < deadline:
        if page.locator("[data-testid=outbox-empty]").count():
            return
        # "send now" skips any backoff wait
        btn = page.locator("[data-testid=send-now]")
        try:
            if btn.count() and btn.is_enabled():
                btn.click(timeout=1000)
        except Exception:  # it became disabled/busy between the check and the click: fine
            pass
        page.wait_for_timeout(700)
    raise AssertionError(f"outbox not empty: {page.locator('[data-testid=outbox-item]').all_inner_texts()}")
