"""Grids drawn on the map (admin, 1366×900 and 1920×1080): the admin clicks a polygon's vertices on the map,
names it and gives it a unit, saves; a report inside it goes to that unit; an edit that makes the polygon cross
itself is refused by the server with its message shown beside the map and nothing written, Cancel restores the
stored polygon; the 操作日志 shows the change. Screenshots: XUNCHA_GRID_SHOTS (default /tmp/shots-grid)."""

import os
import uuid
from pathlib import Path

import httpx
import pytest
from shapely.geometry import shape

from tests.e2e.test_console import DESKTOP, WALL, _photo, admin_get, desktop, ui_login

pytestmark = pytest.mark.e2e

SHOTS = Path(os.environ.get("XUNCHA_GRID_SHOTS", "/tmp/shots-grid"))
UNIT = "市市场监督管理局"  # not the default unit of the category reported below: the grid decides


def _vertices(page):
    """Centres of Geoman's vertex handles (not the edge midpoints) on the page, in pixels."""
    boxes = page.eval_on_selector_all(
        "[data-testid=grid-map] .marker-icon:not(.marker-icon-middle)",
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2] })")
    return boxes


@pytest.mark.parametrize("label,viewport", [("1366", DESKTOP), ("1920", WALL)])
def test_admin_draws_a_grid_a_report_inside_goes_to_its_unit_and_a_crossing_edit_is_refused(
        new_context, api, page_errors, label, viewport):
    SHOTS.mkdir(parents=True, exist_ok=True)
    name = f"绘制网格{uuid.uuid4().hex[:6]}"
    unit = next(u for u in admin_get(api, "/api/admin/units") if u["name"] == UNIT)
    before = len(admin_get(api, "/api/admin/grids"))
    # The suite empties tables between tests but keeps the audit trail, and SQLite hands a freed id out again:
    # this test's rows are those written after it started.
    latest = admin_get(api, "/api/admin/audit?limit=1")["items"]
    first_audit_id = latest[0]["id"] if latest else 0
    page = desktop(new_context, viewport).new_page()
    ui_login(page, "admin")
    page.click("[data-testid=nav-admin-grids]")
    page.locator("[data-testid=grid-row]").first.wait_for()
    page.locator("[data-testid=grid-map] path.leaflet-interactive").first.wait_for(state="attached")
    page.locator("[data-testid=grid-check-result]").wait_for()

    # Zoom in twice so the drawn square is smaller than any grid around it (the smallest grid routes).
    for _ in range(2):
        page.click("[data-testid=grid-map] .leaflet-control-zoom-in")
        page.wait_for_timeout(400)
    page.click("[data-testid=grid-draw]")
    page.locator("[data-testid=grid-draw-hint]").wait_for()
    box = page.locator("[data-testid=grid-map]").bounding_box()
    cx, cy, s = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, 40
    corners = [(cx - s, cy - s), (cx + s, cy - s), (cx + s, cy + s), (cx - s, cy + s)]
    for x, y in corners:
        page.mouse.click(x, y)
        page.wait_for_timeout(150)
    page.mouse.click(*corners[0])  # a click on the first vertex closes the polygon
    save = page.locator("[data-testid=grid-draw-save]")
    page.wait_for_function("() => !document.querySelector('[data-testid=grid-draw-save]').disabled")
    page.fill("[data-testid=grid-new-name]", name)
    page.select_option("[data-testid=grid-new-unit]", str(unit["id"]))
    page.screenshot(path=str(SHOTS / f"grid-drawn-{label}.png"))
    save.click()
    row = page.locator(f"[data-testid=grid-row][data-grid='{name}']")
    row.wait_for()
    page.locator("[data-testid=grid-draw-form]").wait_for(state="detached")
    grids = admin_get(api, "/api/admin/grids")
    assert len(grids) == before + 1
    grid = next(g for g in grids if g["name"] == name)
    assert grid["unit_id"] == unit["id"] and grid["is_active"]
    poly = shape(grid["geometry"])
    assert grid["geometry"]["type"] == "Polygon" and len(grid["geometry"]["coordinates"][0]) == 5 and poly.is_valid
    assert 1_000 < grid["area_m2"] < 2_000_000, grid["area_m2"]

    # A report inside the drawn grid goes to its unit.
    inside = poly.representative_point()
    body = {"id": str(uuid.uuid4()), "category_code": "06005", "description": f"绘制网格路由 {name}",
            "lat": inside.y, "lng": inside.x, "accuracy_m": 5, "photo_ids": [_photo(api, "inspector")]}
    r = httpx.post(f"{api.base}/api/tickets", json=body, headers={"Authorization": f"Bearer {api.token('inspector')}"},
                   timeout=30)
    assert r.status_code == 201, r.text
    ticket = api.ticket(r.json()["id"])
    assert ticket["suggested_unit_id"] == unit["id"], ticket

    # Edit: the top-right vertex dragged below the square's bottom edge makes the outline cross itself.
    row.click()
    page.click("[data-testid=grid-edit]")
    page.locator("[data-testid=grid-draw-hint]").wait_for()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=grid-map] .marker-icon:not(.marker-icon-middle)').length === 4")
    handles = _vertices(page)
    tr = max(handles, key=lambda p: p[0] - p[1])
    left, right = min(p[0] for p in handles), max(p[0] for p in handles)
    top, bottom = min(p[1] for p in handles), max(p[1] for p in handles)
    page.mouse.move(*tr)
    page.mouse.down()
    page.mouse.move((left + right) / 2, bottom + (bottom - top) / 2, steps=8)
    page.mouse.up()
    page.wait_for_timeout(200)
    page.click("[data-testid=grid-draw-save]")
    err = page.locator("[data-testid=grid-draw-error]")
    err.wait_for()
    assert "Self-intersection" in err.inner_text() or "自相交" in err.inner_text() or "无效" in err.inner_text(), err.inner_text()
    page.screenshot(path=str(SHOTS / f"grid-refused-{label}.png"))
    assert next(g for g in admin_get(api, "/api/admin/grids") if g["id"] == grid["id"])["geometry"] == grid["geometry"], \
        "nothing written"
    page.click("[data-testid=grid-draw-cancel]")
    page.locator("[data-testid=grid-draw-form]").wait_for(state="detached")
    assert page.locator("[data-testid=grid-map] .marker-icon").count() == 0, "no handles left after Cancel"

    # A good edit: the same vertex moved outwards, saved; the check runs again.
    page.click("[data-testid=grid-edit]")
    page.wait_for_function("() => document.querySelectorAll('[data-testid=grid-map] .marker-icon:not(.marker-icon-middle)').length === 4")
    tr = max(_vertices(page), key=lambda p: p[0] - p[1])
    page.mouse.move(*tr)
    page.mouse.down()
    page.mouse.move(tr[0] + 20, tr[1] - 20, steps=6)
    page.mouse.up()
    page.wait_for_timeout(200)
    page.click("[data-testid=grid-draw-save]")
    page.locator("[data-testid=grid-draw-form]").wait_for(state="detached")
    after = next(g for g in admin_get(api, "/api/admin/grids") if g["id"] == grid["id"])
    assert after["geometry"] != grid["geometry"] and after["area_m2"] > grid["area_m2"]
    page.locator("[data-testid=grid-check-result]").wait_for()
    page.screenshot(path=str(SHOTS / f"grid-edited-{label}.png"))

    # The 操作日志 shows the drawing (an import of one feature) and the redraw, before → after.
    page.click("[data-testid=nav-admin-audit]")
    page.select_option("[data-testid=audit-type]", "grid")
    table = page.locator("[data-testid=audit-table]")
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=audit-row] td[title]')]"
                           ".some((td) => td.title === 'grid.redraw')")
    text = table.inner_text()
    said = set(page.locator("[data-testid=audit-row] td[title]").evaluate_all(
        "tds => tds.map((td) => td.title + '=' + td.innerText.trim())"))
    assert name in text and {"grid.import=导入", "grid.redraw=重绘边界"} <= said, said
    page.screenshot(path=str(SHOTS / f"grid-audit-{label}.png"))
    rows = [r for r in admin_get(api, f"/api/admin/audit?entity_type=grid&entity_id={grid['id']}")["items"]
            if r["id"] > first_audit_id]
    assert [r["action"] for r in rows] == ["grid.redraw", "grid.import"], rows
    assert rows[0]["before"]["geometry"] == grid["geometry"] and rows[0]["after"]["geometry"] == after["geometry"]
