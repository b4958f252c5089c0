"""A new version deployed while the app is open: a page whose code was not cached (the dashboard, the office's
desktop pages) is asked for by its old name, which the server no longer has. Before, the app said "refresh" and
refreshing never helped (the old service worker served the old shell); now it fetches the new version, switches
to it and the page opens. The "new version" is the build with one page's file renamed as a rebuild renames it:
the page, every file naming it (renamed in turn), the shell's revision in the service worker."""

import re
import secrets
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import DIST, context_options, login, wait_sw
from tests.servers import free_port, uvicorn_server

pytestmark = pytest.mark.e2e


def redeploy(v1: Path, v2: Path, page_prefix: str) -> str:
    """v2: v1 with the page's chunk renamed, as a rebuild that changed it would name it; answers the new name."""
    shutil.copytree(v1, v2)
    for packed in [*v2.rglob("*.gz"), *v2.rglob("*.br")]:
        packed.unlink()  # the server would serve these in place of the files changed below
    [chunk] = (v2 / "assets").glob(f"{page_prefix}-*.js")
    renamed = {chunk.name: f"{page_prefix}-v2{secrets.token_hex(3)}.js"}
    chunk.rename(chunk.with_name(renamed[chunk.name]))
    texts = [p for p in v2.rglob("*") if p.is_file() and p.suffix in (".js", ".html", ".css", ".webmanifest")]
    changed_shell: set[str] = set()
    while True:
        more = False
        for path in list(texts):
            text = path.read_text(errors="surrogateescape")
            new = text
            for old, name in renamed.items():
                new = new.replace(old, name)
            if new == text:
                continue
            path.write_text(new, errors="surrogateescape")
            if path.parent.name == "assets" and path.name not in renamed.values():  # hashed: renamed in turn
                target = path.with_name(path.stem + "v2" + path.suffix)
                renamed[path.name] = target.name
                path.rename(target)
                texts[texts.index(path)] = target
                more = True
            elif path.parent == v2 and path.name != "sw.js":
                changed_shell.add(path.name)
        if not more:
            break
    sw = v2 / "sw.js"
    text = sw.read_text()
    for name in changed_shell:  # a file of the shell with new content gets a new revision, as a build gives it
        text = re.sub(rf'(url:"{re.escape(name)}",revision:")[0-9a-f]+', rf"\g<1>{secrets.token_hex(16)}", text)
    sw.write_text(text)
    return renamed[chunk.name]


def test_a_page_of_an_old_version_loads_after_a_deployment(browser, server, server_env, tmp_path):
    v1, v2 = tmp_path / "v1", tmp_path / "v2"
    shutil.copytree(DIST, v1)
    new_name = redeploy(v1, v2, "DashboardPage")
    port = free_port()
    env = dict(server_env)

    def serve(dist: Path):
        return uvicorn_server(env | {"XUNCHA_FRONTEND_DIST": str(dist)}, tmp_path / f"{dist.name}.log", port=port)

    ctx = browser.new_context(base_url=f"http://127.0.0.1:{port}", **context_options())
    ctx.set_default_timeout(30_000)
    try:
        page = ctx.new_page()
        said: list[str] = []
        page.on("console", lambda m: said.append(f"{m.type}: {m.text}"))
        ctx.on("response", lambda r: said.append(f"{r.status} {r.url}") if r.status >= 400 or "sw.js" in r.url else None)
        with serve(v1):
            login(page, "dispatcher", "/triage")  # the dashboard's code is not fetched yet
            wait_sw(page)
            page.wait_for_selector("[data-testid=tab-dashboard]")
        with serve(v2):
            page.evaluate("window.__oldVersion = true")
            page.click("[data-testid=tab-dashboard]")
            # The old name is gone: the app installs the new version and switches to it (the page reloads) …
            try:
                page.wait_for_function("() => window.__oldVersion !== true", timeout=60_000, polling=500)
            except Exception:
                state = page.evaluate("navigator.serviceWorker.getRegistration().then((r) => ({waiting: !!r.waiting, "
                                      "installing: !!r.installing, active: r.active && r.active.state}))")
                raise AssertionError(f"no switch to the new version: {state}; " + "; ".join(said[-20:])) from None
            # … and then the page opens, with the new version's code.
            page.wait_for_selector("[data-testid=tab-dashboard]")
            if "/dashboard" not in page.url:
                page.click("[data-testid=tab-dashboard]")
            page.wait_for_url("**/dashboard**")
            page.wait_for_selector("[data-testid=fig-overdue_now]")
            assert page.evaluate(f"() => performance.getEntriesByType('resource').some((e) => "
                                 f"e.name.endsWith('{new_name}'))")
            assert "页面加载失败" not in page.inner_text("body")
    finally:
        ctx.close()
