"""一张图, the leader's big screen, at a wall's 1920×1080 and a laptop's 1366×900: the leader opens it from the
desktop navigation; its figures, lists and map are the API's; nothing scrolls; a minute later it has refreshed
itself without a reload and shows a ticket that has just turned overdue and one near its deadline; a failed
refresh keeps the figures and says they are stale; a unit's user never reaches it. Screenshots go to
XUNCHA_SCREEN_SHOTS (default /work/shots)."""

import os
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import login, pct

pytestmark = pytest.mark.e2e

WALL = {"width": 1920, "height": 1080}
LAPTOP = {"width": 1366, "height": 900}
SHOTS = Path(os.environ.get("XUNCHA_SCREEN_SHOTS", "/work/shots"))
PANELS = ["screen-figures", "screen-ranking", "screen-trend", "screen-map", "screen-overdue", "screen-rounds"]


def desktop_page(new_context, viewport):
    page = new_context(viewport=viewport, is_mobile=False, has_touch=False, device_scale_factor=1).new_page()
    # Fake timers (time still flows): the test moves the screen's one-minute refresh forward instead of waiting.
    page.clock.install()
    return page


def open_screen(page):
    login(page, "leader")
    page.locator("[data-testid=desk-nav]").wait_for()
    page.click("[data-testid=nav-screen]")
    page.wait_for_url("**/screen")
    page.locator("[data-testid=screen-week-closure_rate]").wait_for()
    page.locator("[data-testid=screen-map] .leaflet-marker-icon").first.wait_for()
    page.wait_for_function("() => document.querySelector('[data-testid=screen-live-near]')?.textContent.trim() !== '—'")
    page.locator("[data-testid=screen-trend] canvas").wait_for()
    page.wait_for_selector("[data-testid=screen-round], [data-testid=screen-rounds] .s-empty")
    page.wait_for_selector("[data-testid=screen-overdue-ticket], [data-testid=screen-overdue] .s-empty")
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=screen-overdue-ticket] img')].length"
                           " === document.querySelectorAll('[data-testid=screen-overdue-ticket]').length")


def text(page, testid) -> str:
    return page.locator(f"[data-testid={testid}]").first.inner_text().strip()


def check_figures(page, api):
    """Every figure on the screen against the API's answer now."""
    for period in ("week", "month"):
        s = api.get("leader", "/api/stats/summary", period=period).json()
        for key in ("closure_rate", "on_time_rate", "rectification_rate", "rework_rate"):
            shown = pct(s["total"][key], 2 if key == "rework_rate" else 1)
            assert text(page, f"screen-{period}-{key}").split("%")[0] + "%" == shown, (period, key)
        for key in ("reported", "due", "closed", "overdue_unclosed"):
            assert text(page, f"screen-{period}-{key}").split()[0] == str(s["total"][key]), (period, key)
    week = api.get("leader", "/api/stats/summary", period="week").json()
    points = api.get("leader", "/api/stats/open-points", limit=5000).json()
    assert text(page, "screen-live-open") == str(len(points))
    assert text(page, "screen-live-overdue") == str(week["total"]["overdue_now"])
    near = sum(p["near_deadline"] for p in points)
    assert text(page, "screen-live-near") == str(near)
    overdue = sum(p["overdue"] for p in points)
    assert text(page, "screen-legend-overdue").endswith(f" {overdue}")
    assert text(page, "screen-legend-near").endswith(f" {near}")
    assert text(page, "screen-legend-ok").endswith(f" {len(points) - overdue - near}")
    # The overdue tickets, newest dispatched first, as the drill-down lists them.
    listed = api.get("leader", "/api/stats/tickets", period="week", metric="overdue_now", limit=8).json()["items"]
    shown = page.locator("[data-testid=screen-overdue-ticket]").evaluate_all("els => els.map(e => e.dataset.case)")
    assert shown == [t["case_number"] for t in listed]
    return week, points


def check_ranking(page, api):
    ranking = api.get("leader", "/api/stats/ranking", period="week").json()
    if not any(g["rows"] for g in ranking["groups"]):
        ranking = api.get("leader", "/api/stats/ranking", period="month").json()
    red = [r["unit_id"] for g in ranking["groups"] for r in g["rows"] if r["list"] == "red"][:3]
    shown_red = page.locator("[data-testid=screen-red-unit]").evaluate_all("els => els.map(e => +e.dataset.unitId)")
    assert set(shown_red) <= {r["unit_id"] for g in ranking["groups"] for r in g["rows"] if r["list"] == "red"}
    if red:
        assert shown_red, "the red list is shown"
    blacks = {r["unit_id"] for g in ranking["groups"] for r in g["rows"] if r["list"] == "black"}
    shown_black = page.locator("[data-testid=screen-black-unit]").evaluate_all("els => els.map(e => +e.dataset.unitId)")
    assert set(shown_black) <= blacks and (not blacks or shown_black)


def check_rounds(page, api):
    rounds = [r for r in api.get("leader", "/api/evaluation/rounds", limit=20).json()["items"] if r["state"] != "draft"][:3]
    shown = page.locator("[data-testid=screen-round]").evaluate_all("els => els.map(e => +e.dataset.id)")
    assert shown == [r["id"] for r in rounds]
    for r in rounds:
        report = api.get("leader", f"/api/evaluation/rounds/{r['id']}/report").json()
        row = page.locator(f"[data-testid=screen-round][data-id='{r['id']}']")
        if report["total"]["rate"] is not None:
            assert row.locator("[data-testid=screen-round-rate]").inner_text() == pct(report["total"]["rate"])


def check_fits(page, viewport):
    """No scrolling, every panel inside the window, the figures and the red/black list not cut."""
    sizes = page.evaluate("() => [document.documentElement.scrollHeight, document.documentElement.scrollWidth,"
                          " innerHeight, innerWidth]")
    assert sizes[0] <= sizes[2] and sizes[1] <= sizes[3], sizes
    assert sizes[2] == viewport["height"]
    for testid in PANELS:
        box = page.locator(f"[data-testid={testid}]").bounding_box()
        assert box and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"] + 0.5, (testid, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] + 0.5, (testid, box)
        assert box["height"] > 80, (testid, box)
    for testid in ("screen-figures", "screen-ranking"):
        over = page.locator(f"[data-testid={testid}]").evaluate("el => el.scrollHeight - el.clientHeight")
        assert over <= 1, (testid, over)
    check_names_whole(page)


def check_names_whole(page):
    """A unit's name on the red/black list is whole (wrapped if need be, never cut with "…"), and titled."""
    names = page.locator("[data-testid=screen-red-unit] .u, [data-testid=screen-black-unit] .u")
    assert names.count() > 0
    for i in range(names.count()):
        n = names.nth(i)
        assert n.evaluate("el => el.scrollWidth <= el.clientWidth + 1 && el.scrollHeight <= el.clientHeight + 1"), n.inner_text()
        assert n.evaluate("el => getComputedStyle(el).textOverflow") != "ellipsis"
        assert n.get_attribute("title") == n.inner_text().strip()


def check_overdue_note(page, unclosed: str, now: str, words: list[str]):
    """超期未结案 beside 当前超期: the screen says what each counts, under both figures."""
    note = page.locator("[data-testid=screen-overdue-note]")
    assert note.is_visible()
    said = note.inner_text()
    assert unclosed in said and now in said and all(w in said for w in words), said
    box, figs = note.bounding_box(), page.locator("[data-testid=screen-figures]").bounding_box()
    assert box["y"] + box["height"] <= figs["y"] + figs["height"] + 0.5, (box, figs)


def dispatch(api, ticket, unit_id, deadline):
    r = httpx.post(f"{api.base}/api/tickets/{ticket['id']}/dispatch", timeout=20,
                   headers={"Authorization": f"Bearer {api.token('dispatcher')}"},
                   json={"action_id": str(uuid.uuid4()), "unit_id": unit_id, "deadline": deadline.isoformat()})
    assert r.status_code == 200, r.text


def post(api, username, path, body):
    r = httpx.post(f"{api.base}{path}", json=body, headers={"Authorization": f"Bearer {api.token(username)}"},
                   timeout=30)
    assert r.status_code in (200, 201), r.text
    return r.json()


def start_round_with_a_result(api) -> int:
    """An active round over two sites, one of them evaluated (every item passes): its score is in."""
    sites = api.get("dispatcher", "/api/evaluation/sites", limit=2).json()["items"]
    inspector = api.get("dispatcher", "/api/evaluation/inspectors").json()[0]
    rnd = post(api, "dispatcher", "/api/evaluation/rounds",
               {"name": "大屏测评", "site_ids": [s["id"] for s in sites], "inspector_ids": [inspector["id"]],
                "starts_at": "2026-12-01T09:00:00+08:00", "ends_at": "2026-12-31T18:00:00+08:00"})
    post(api, "dispatcher", f"/api/evaluation/rounds/{rnd['id']}/transition", {"to": "active"})
    first = next(s for s in rnd["sites"] if s["site"]["id"] == sites[0]["id"])
    items = api.get("dispatcher", f"/api/evaluation/checklists/{first['checklist_id']}").json()["items"]
    username = next(u for u in ("inspector", "inspector2") if api.get(u, "/api/me").json()["id"] == inspector["id"])
    post(api, username, f"/api/evaluation/rounds/{rnd['id']}/sites/{sites[0]['id']}/result",
         {"id": str(uuid.uuid4()), "status": "evaluated",
          "answers": [{"item_code": i["code"], "verdict": "pass"} for i in items]})
    return rnd["id"]


def test_leader_screen_on_a_wall_refreshes_itself(new_context, api, page_errors):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = desktop_page(new_context, WALL)
    open_screen(page)
    assert page.locator("[data-testid=desk-nav]").count() == 0, "the screen takes the whole window"
    assert page.locator(".app-tabbar").count() == 0
    font = page.locator("[data-testid=screen]").evaluate("el => parseFloat(getComputedStyle(el).fontSize)")
    assert font >= 17, f"large type on a wall: {font}px"
    week, points = check_figures(page, api)
    check_ranking(page, api)
    check_rounds(page, api)
    check_fits(page, WALL)
    check_overdue_note(page, "超期未结案", "当前超期", ["本月派遣", "考核时限", "不论何时派遣"])
    assert page.locator("[data-testid=screen-overdue-ticket]").count() == min(8, week["total"]["overdue_now"])
    visible = page.locator("[data-testid=screen-overdue-ticket]").evaluate_all(
        "els => els.filter(e => { const r = e.getBoundingClientRect(), p = e.parentElement.getBoundingClientRect();"
        " return r.right <= p.right + 1 && r.bottom <= p.bottom + 1 }).length")
    assert visible >= min(4, week["total"]["overdue_now"]), visible
    assert "数据截至" in text(page, "screen-asof")
    clock = text(page, "screen-clock")
    assert ":" in clock and datetime.now(timezone(timedelta(hours=8))).strftime("%Y-%m-%d") in clock
    page.wait_for_timeout(600)  # the markers and the chart settle
    page.screenshot(path=str(SHOTS / "screen-1920.png"))

    # The office dispatches a report whose deadline is about to pass; the demo city has one ticket 预超期 (a
    # ticket just dispatched is not: it turns near once half its time is gone).
    units = {u["name"]: u["id"] for u in api.get("dispatcher", "/api/units").json()}
    reported = [t for t in api.tickets(status="reported") if not t["awaiting_round"]][:1]
    assert len(reported) == 1, "the demo city has reports to dispatch"
    (near, *_) = api.tickets(near_deadline="true")
    now = datetime.now(UTC)
    (late,) = reported
    dispatch(api, late, units["市城市管理局"], now + timedelta(seconds=3))
    # An evaluation round is under way: its first site's result lands (all items pass).
    rid = start_round_with_a_result(api)
    page.wait_for_timeout(3500)  # the first one's deadline passes
    page.evaluate("() => { window.__sameDocument = true }")
    before = int(text(page, "screen-live-overdue"))

    # A minute later (the clock moved forward) the screen has refreshed itself: same document, new figures.
    page.clock.fast_forward("01:01")
    page.wait_for_function(f"() => document.querySelector('[data-testid=screen-live-overdue]').textContent.trim() === '{before + 1}'")
    page.locator(f"[data-testid=screen-overdue-ticket][data-case='{late['case_number']}']").wait_for()
    assert page.evaluate("() => window.__sameDocument === true"), "refreshed without a reload"
    page.wait_for_function("() => !document.querySelector('[data-testid=screen-refresh]').disabled")
    _, points = check_figures(page, api)
    page.locator(f"[data-testid=screen-round][data-id='{rid}'] [data-testid=screen-round-rate]").wait_for()
    check_rounds(page, api)
    near_ids = {p["id"] for p in points if p["near_deadline"]}
    assert near["id"] in near_ids and late["id"] in {p["id"] for p in points if p["overdue"]}
    page.screenshot(path=str(SHOTS / "screen-1920-refreshed.png"))

    # The server goes away for a minute: the figures stay and the screen says since when they are stale.
    shown = text(page, "screen-week-closure_rate")
    page.route("**/api/**", lambda route: route.abort())
    page.clock.fast_forward("01:01")
    page.locator("[data-testid=screen-stale]").wait_for()
    assert text(page, "screen-week-closure_rate") == shown
    assert page.locator("[data-testid=screen-overdue-ticket]").count() > 0
    assert page.locator("[data-testid=screen-map] .leaflet-marker-icon").count() > 0
    page.screenshot(path=str(SHOTS / "screen-1920-stale.png"))
    page.unroute("**/api/**")
    page.click("[data-testid=screen-refresh]")
    page.locator("[data-testid=screen-stale]").wait_for(state="detached")
    page.locator("[data-testid=screen-asof]").wait_for()


def test_screen_at_laptop_size_in_english_and_no_unit(new_context, api, page_errors):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = desktop_page(new_context, LAPTOP)
    open_screen(page)
    check_figures(page, api)
    check_fits(page, LAPTOP)
    page.wait_for_timeout(600)
    page.screenshot(path=str(SHOTS / "screen-1366.png"))
    # The close button leads back to the dashboard, with the side navigation.
    page.click("[data-testid=screen-exit]")
    page.wait_for_url("**/dashboard**")
    page.locator("[data-testid=desk-nav]").wait_for()

    en = new_context(viewport=WALL, is_mobile=False, has_touch=False, device_scale_factor=1, locale="en-US").new_page()
    login(en, "dispatcher")
    en.evaluate("() => localStorage.setItem('xuncha.locale', 'en')")
    en.goto("/screen")
    en.locator("[data-testid=screen-week-closure_rate]").wait_for()
    en.locator("[data-testid=screen-map] .leaflet-marker-icon").first.wait_for()
    en.wait_for_timeout(600)
    en.screenshot(path=str(SHOTS / "screen-1920-en.png"))
    en.locator("[data-testid=screen-red-unit], [data-testid=screen-black-unit]").first.wait_for()
    for viewport in (WALL, LAPTOP):
        en.set_viewport_size(viewport)
        en.wait_for_timeout(300)
        check_names_whole(en)
        check_overdue_note(en, "Overdue, not closed", "Overdue now", ["this month", "whenever it was dispatched"])
    en.screenshot(path=str(SHOTS / "screen-1366-en.png"))

    # A unit's user is sent to their own home, and the nav has no entry for it.
    unit = new_context(viewport=WALL, is_mobile=False, has_touch=False, device_scale_factor=1).new_page()
    login(unit, "unit_xyjd")
    unit.goto("/screen")
    unit.wait_for_url("**/tasks")
    unit.wait_for_timeout(500)
    assert unit.locator("[data-testid=screen]").count() == 0
    assert unit.locator("[data-testid=nav-screen]").count() == 0
