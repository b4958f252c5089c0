"""The dispatcher's desktop workbench: filter to one grid's reports, select five (a click, then shift-click),
press d and dispatch them to one unit with one deadline in one action; the API shows all five dispatched
with their timeline events. Screenshots at 1366×900 and 1920×1080."""

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.e2e.conftest import login
from tests.fixtures.images import make_jpeg

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1366, "height": 900}
WALL = {"width": 1920, "height": 1080}


def _report(api, lat: float, lng: float, description: str) -> dict:
    """A patrol report made through the API (photo, then ticket) by the demo inspector."""
    h = {"Authorization": f"Bearer {api.token('inspector')}"}
    photo = httpx.post(f"{api.base}/api/photos", headers=h, data={"id": str(uuid.uuid4())},
                       files={"file": ("p.jpg", make_jpeg(640, 480, lat=lat, lng=lng), "image/jpeg")}, timeout=20)
    assert photo.status_code in (200, 201), photo.text
    r = httpx.post(f"{api.base}/api/tickets", headers=h, timeout=20, json={
        "id": str(uuid.uuid4()), "category_code": "06010", "description": description, "lat": lat, "lng": lng,
        "accuracy_m": 5, "address": "工作台测试路", "photo_ids": [photo.json()["id"]]})
    assert r.status_code == 201, r.text
    return r.json()


def _grid_centre(grid: dict) -> tuple[float, float]:
    ring = grid["geometry"]["coordinates"][0]
    return sum(p[1] for p in ring[:-1]) / (len(ring) - 1), sum(p[0] for p in ring[:-1]) / (len(ring) - 1)


def test_dispatcher_bulk_dispatches_five_of_one_grid(new_context, api, shots):
    grids = api.get("dispatcher", "/api/grids").json()
    grid = next(g for g in grids if "新华" in g["name"])
    lat, lng = _grid_centre(grid)
    marker = f"工作台-{uuid.uuid4().hex[:6]}"
    made = [_report(api, lat + i * 0.0004, lng + i * 0.0003, f"{marker} 垃圾散落 {i}") for i in range(6)]
    outside = _report(api, lat + 0.05, lng + 0.05, f"{marker} 网格外")
    units = api.get("dispatcher", "/api/units").json()
    unit = next(u for u in units if u["name"] == "新华街道办事处")

    page = new_context(viewport=DESKTOP, is_mobile=False, has_touch=False, device_scale_factor=1).new_page()
    login(page, "dispatcher")
    page.wait_for_url("**/workbench")  # at a desk, the dispatcher's first screen
    page.wait_for_selector("[data-testid=wb-row]")
    # The finding of the demo's round under way says it waits for the round (it is not dispatched before).
    waiting = {t["case_number"] for t in api.tickets("dispatcher", status="reported") if t["awaiting_round"]}
    assert waiting
    tagged = page.locator("[data-testid=wb-row]", has=page.locator("[data-testid=wb-awaiting-round]"))
    assert set(tagged.locator("td.mono").all_inner_texts()) == waiting
    # Dispatching it is refused on the spot (its own page offers no dispatch; the server would refuse it).
    tagged.first.locator("[data-testid=wb-check]").click()
    page.keyboard.press("d")
    page.wait_for_selector(".van-toast:has-text('测评任务发布后才能派遣')")
    assert not page.locator("[data-testid=wb-dispatch-dialog]").is_visible()
    tagged.first.locator("[data-testid=wb-check]").click()
    # Every column in sight on a 1366 px laptop (整改时限 and 更新时间 were behind a sideways scroll).
    assert page.evaluate("() => { const w = document.querySelector('.table-wrap'); return w.scrollWidth <= w.clientWidth + 1 }")

    page.select_option("[data-testid=wb-grid]", str(grid["id"]))
    page.fill("[data-testid=wb-q]", marker)
    page.wait_for_function(
        "n => document.querySelectorAll('[data-testid=wb-row]').length === n", arg=len(made))
    shown = page.locator("[data-testid=wb-row] td.mono").all_inner_texts()
    assert sorted(shown) == sorted(t["case_number"] for t in made)
    assert outside["case_number"] not in shown
    page.wait_for_selector(".leaflet-marker-icon")
    assert page.locator(".wb-map .leaflet-marker-icon").count() == len(made)

    # Keyboard and mouse: j moves the cursor, Enter opens the drawer, Escape closes it; a click on the first
    # checkbox and a shift-click on the fifth select five.
    page.locator("[data-testid=wb-table]").click(position={"x": 5, "y": 5})
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=wb-drawer] [data-testid=timeline]")
    page.keyboard.press("Escape")
    page.wait_for_selector("[data-testid=wb-drawer]", state="hidden")
    checks = page.locator("[data-testid=wb-check]")
    checks.nth(0).click()
    checks.nth(4).click(modifiers=["Shift"])
    page.wait_for_selector("text=已选 5 件")
    chosen = page.locator("[data-testid=wb-row].checked").evaluate_all("els => els.map(e => e.dataset.id)")
    assert len(chosen) == 5
    page.screenshot(path=str(shots / "workbench-1366x900.png"))

    page.keyboard.press("d")
    dialog = page.locator("[data-testid=wb-dispatch-dialog]")
    dialog.wait_for()
    # What an empty deadline gives, before it is given: the category's limit and, on the clock, when it ends
    # (the dialog only said "留空则按各案件类别的默认时限"; a 4-hour limit at 05:09 ends at 09:09).
    category = next(c for c in api.get("dispatcher", "/api/categories").json() if c["code"] == "06010")
    hours = category["default_deadline_hours"]
    limits = page.locator("[data-testid=wb-default-limits]").inner_text()
    if hours <= 24:
        ends = [(datetime.now(UTC) + timedelta(hours=hours, minutes=m)).astimezone(ZoneInfo("Asia/Shanghai"))
                for m in (-1, 0)]
        assert any(f"{category['name_zh']} {hours}小时，至 {e:%m/%d %H:%M}" in limits for e in ends), limits
    else:
        assert f"{category['name_zh']} {-(-hours // 8)}个工作日" in limits, limits
    assert limits.count(category["name_zh"]) == 1  # five tickets of one category: said once
    dialog.locator("[data-testid=wb-default-limits]").screenshot(path=str(shots / "workbench-dispatch-default-limits.png"))
    page.select_option("[data-testid=wb-dispatch-unit]", str(unit["id"]))
    deadline = (datetime.now(UTC) + timedelta(days=3)).astimezone(ZoneInfo("Asia/Shanghai"))
    page.fill("[data-testid=wb-dispatch-deadline]", deadline.strftime("%Y-%m-%dT%H:%M"))
    assert page.locator("[data-testid=wb-default-limits]").count() == 0  # a deadline given: no default to tell
    page.fill("[data-testid=wb-dispatch-note]", "批量派遣：工作台")
    page.screenshot(path=str(shots / "workbench-dispatch-dialog-1366x900.png"))
    dialog.locator(".van-dialog__confirm").click()
    page.wait_for_selector("text=已派遣 5 件")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=wb-row]').length === 1")

    # The server's truth: the five are dispatched to the unit with that deadline and a dispatch event each.
    for tid in chosen:
        t = api.ticket(tid)
        assert t["status"] == "dispatched" and t["unit_id"] == unit["id"], t["case_number"]
        assert t["deadline_at"][:16] == deadline.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")
        events = [e for e in t["events"] if e["action"] == "dispatch"]
        assert len(events) == 1 and events[0]["note"] == "批量派遣：工作台" and events[0]["unit_id"] == unit["id"]
    left = [t for t in made if t["id"] not in chosen]
    assert [api.ticket(t["id"])["status"] for t in left] == ["reported"]

    # The same filter at wall-screen size, with every status, and the drawer open.
    wall = new_context(viewport=WALL, is_mobile=False, has_touch=False, device_scale_factor=1).new_page()
    login(wall, "dispatcher", "/workbench")
    wall.wait_for_selector("[data-testid=wb-row]")
    wall.select_option("[data-testid=wb-status]", "")
    wall.select_option("[data-testid=wb-grid]", str(grid["id"]))
    wall.fill("[data-testid=wb-q]", marker)
    wall.wait_for_function("n => document.querySelectorAll('[data-testid=wb-row]').length === n", arg=len(made))
    wall.locator("[data-testid=wb-row] td.mono a").first.click()
    wall.wait_for_selector("[data-testid=wb-drawer] [data-testid=timeline]")
    wall.wait_for_timeout(500)
    wall.screenshot(path=str(shots / "workbench-1920x1080.png"))


def _fits(page) -> None:
    """The table inside its box (no sideways scroll), 整改时限 and 更新时间 wholly in sight, long texts titled."""
    sizes = page.evaluate("() => { const w = document.querySelector('.table-wrap'); return [w.scrollWidth, w.clientWidth] }")
    assert sizes[0] <= sizes[1] + 1, sizes
    box = page.locator(".table-wrap").bounding_box()
    for sort in ("wb-sort-deadline", "wb-sort-updated"):
        th = page.locator(f"[data-testid={sort}]").bounding_box()
        assert th["x"] + th["width"] <= box["x"] + box["width"] + 1, (sort, th, box)
    # A cell that cannot show all of its text says it in its title (a native tooltip, plain text).
    cut = page.evaluate(
        "() => [...document.querySelectorAll('[data-testid=wb-row] td')].filter(td => !td.classList.contains('sel'))"
        ".filter(td => [td, ...td.querySelectorAll('.clamp')].some(e => e.scrollWidth > e.clientWidth + 1"
        " || e.scrollHeight > e.clientHeight + 1) && !td.title).map(td => td.className + ': ' + td.textContent)")
    assert not cut, cut


@pytest.mark.parametrize("locale", ["en", "zh-CN"])
def test_workbench_with_any_status_fits_a_laptop(new_context, locale):
    """A desk walk found the English table, every status shown, wider than its box at 1366 px (整改时限 half hidden)."""
    for viewport in (DESKTOP, WALL):
        page = new_context(viewport=viewport, is_mobile=False, has_touch=False, device_scale_factor=1).new_page()
        login(page, "dispatcher")
        page.evaluate(f"() => localStorage.setItem('xuncha.locale', '{locale}')")
        page.goto("/workbench")
        page.wait_for_selector("[data-testid=wb-row]")
        page.select_option("[data-testid=wb-status]", "")
        # Every status: more than reports (the default filter) are in the page.
        page.wait_for_function("() => new Set([...document.querySelectorAll('[data-testid=wb-row] [data-status]')]"
                               ".map(e => e.dataset.status)).size > 1")
        _fits(page)
        page.close()


def test_the_offline_notice_at_a_desk_sits_over_the_navigation_not_the_page(new_context):
    """While the app downloads for offline use, its notice floated in the page's bottom right corner, over the
    workbench's 下一页 and the rows' time left; it now sits at the foot of the side navigation."""
    page = new_context(viewport=DESKTOP, is_mobile=False, has_touch=False, device_scale_factor=1).new_page()
    login(page, "dispatcher", "/workbench")
    notice = page.locator("[data-testid=offline-status]")
    notice.wait_for(timeout=30_000)
    box, nav = notice.bounding_box(), page.locator("[data-testid=desk-nav]").bounding_box()
    assert box["x"] >= nav["x"] and box["x"] + box["width"] <= nav["x"] + nav["width"], (box, nav)
    assert box["y"] + box["height"] <= 900
