"""The office console at desktop width (1366×900, 1920×1080): the side navigation, the administration screens
(an admin creates a unit and a user, that user logs in, the admin logs them out everywhere and their next
request is refused; an admin imports a grid and a report inside it goes to the grid's unit), the server's
refusals shown on screen, and screenshots of every admin screen (XUNCHA_CONSOLE_SHOTS, default
/tmp/shots-console)."""

import json
import os
import uuid
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import CENTER, PASSWORD
from tests.fixtures.images import make_jpeg

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1366, "height": 900}
WALL = {"width": 1920, "height": 1080}
SHOTS = Path(os.environ.get("XUNCHA_CONSOLE_SHOTS", "/tmp/shots-console"))
SCREENS = ["admin", "admin-units", "admin-users", "admin-categories", "admin-grids", "admin-sites", "admin-checklists",
           "admin-channels", "admin-subscriptions", "admin-notifications", "admin-settings", "admin-audit"]


def desktop(new_context, viewport=DESKTOP):
    return new_context(viewport=viewport, is_mobile=False, has_touch=False, device_scale_factor=1)


def ui_login(page, username, password=PASSWORD):
    page.goto("/login")
    page.fill("[data-testid=username] input", username)
    page.fill("[data-testid=password] input", password)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(lambda u: "/login" not in u)


def admin_get(api, path):
    r = api.get("admin", path)
    r.raise_for_status()
    return r.json()


def confirm_dialog(page):
    page.locator(".van-dialog__confirm").click()
    page.locator(".van-dialog").wait_for(state="hidden")


def test_admin_creates_unit_and_user_then_logs_the_user_out_everywhere(new_context, api, page_errors):
    suffix = uuid.uuid4().hex[:6]
    unit_name = f"测试街道{suffix}"
    username = f"e2e_{suffix}"
    password = f"Xuncha-{suffix}"
    admin = desktop(new_context).new_page()
    ui_login(admin, "admin")
    assert admin.url.endswith("/admin"), "an admin lands on the administration home"
    admin.locator("[data-testid=desk-nav]").wait_for()
    assert admin.locator(".app-tabbar").count() == 0, "no bottom tab bar at desktop width"
    assert admin.locator(".app-main").bounding_box()["width"] > 1000, "the page uses the width"

    # 单位: create a street under a district; a second one with the same name is refused and not written.
    admin.click("[data-testid=nav-admin-units]")
    admin.locator("[data-testid=unit-row]").first.wait_for()
    # The kind follows the name until the admin picks one (光明街道办事处 was created as a top-level 部门).
    kind = admin.locator("[data-testid=unit-kind]")
    for name, guessed in (("光明街道办事处", "street"), ("东城区人民政府", "district"), ("某某物业有限公司", "company"),
                          ("市文化广电旅游局", "department")):
        admin.fill("[data-testid=unit-name]", name)
        assert kind.input_value() == guessed, (name, kind.input_value())
    # A street office's district follows the name too; left at the top, the form says where its figures go.
    parent = admin.locator("[data-testid=unit-parent]")
    admin.fill("[data-testid=unit-name]", "光明街道办事处")
    assert parent.input_value() == "" and admin.locator("[data-testid=unit-parent-hint]").is_visible()
    admin.fill("[data-testid=unit-name]", "东城区光明街道办事处")
    district_id = next(u["id"] for u in admin_get(api, "/api/admin/units") if u["name"] == "东城区人民政府")
    assert parent.input_value() == str(district_id)
    assert admin.locator("[data-testid=unit-parent-hint]").count() == 0
    admin.fill("[data-testid=unit-name]", unit_name)
    admin.select_option("[data-testid=unit-kind]", "street")
    admin.fill("[data-testid=unit-name]", "市文化广电旅游局")
    assert kind.input_value() == "street"  # picked: the name no longer decides
    admin.fill("[data-testid=unit-name]", unit_name)
    admin.select_option("[data-testid=unit-parent]", label="东城区人民政府")
    admin.click("[data-testid=unit-submit]")
    admin.locator(f"[data-testid=unit-row][data-unit='{unit_name}']").wait_for()
    units = [u for u in admin_get(api, "/api/admin/units") if u["name"] == unit_name]
    assert len(units) == 1 and units[0]["kind"] == "street"
    district = next(u for u in admin_get(api, "/api/admin/units") if u["name"] == "东城区人民政府")
    assert units[0]["parent_id"] == district["id"]
    unit_id = units[0]["id"]
    admin.fill("[data-testid=unit-name]", unit_name)
    admin.click("[data-testid=unit-submit]")
    err = admin.locator("[data-testid=admin-error]")
    err.wait_for()
    # In the screen's language only (it read "已有同名单位 A unit named '…' exists" on a Chinese screen).
    assert "已有同名单位" in err.inner_text() and "exists" not in err.inner_text(), err.inner_text()
    assert len([u for u in admin_get(api, "/api/admin/units") if u["name"] == unit_name]) == 1

    # 用户: a weak password is refused with the rule, nothing written; then the user is created.
    admin.click("[data-testid=nav-admin-users]")
    admin.locator("[data-testid=user-row]").first.wait_for()
    admin.fill("[data-testid=user-username]", username)
    admin.fill("[data-testid=user-display-name]", f"测试 {suffix}")
    admin.select_option("[data-testid=user-role]", "unit_staff")
    admin.select_option("[data-testid=user-unit]", str(unit_id))
    admin.fill("[data-testid=user-password]", "12345678")
    admin.click("[data-testid=user-submit]")
    admin.locator("[data-testid=admin-error]").wait_for()
    assert not [u for u in admin_get(api, "/api/admin/users") if u["username"] == username]
    admin.fill("[data-testid=user-password]", password)
    admin.click("[data-testid=user-submit]")
    row = admin.locator(f"[data-testid=user-row][data-user='{username}']")
    row.wait_for()
    assert admin.locator("[data-testid=admin-error]").count() == 0
    assert unit_name in row.inner_text()
    created = next(u for u in admin_get(api, "/api/admin/users") if u["username"] == username)
    assert created["role"] == "unit_staff" and created["unit_id"] == unit_id and created["live_tokens"] == 0

    # That user logs in on a phone (a second browser context) and works.
    phone = new_context().new_page()
    ui_login(phone, username, password)
    phone.wait_for_url("**/tasks")
    token = phone.evaluate("() => JSON.parse(localStorage.getItem('xuncha.auth')).token")
    me = httpx.get(f"{api.base}/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert me.status_code == 200 and me.json()["username"] == username

    # The admin sees the device and logs the user out everywhere (a lost phone).
    admin.reload()
    row.wait_for()
    assert row.locator("[data-testid=user-devices]").inner_text().strip() == "1"
    assert "从未登录" not in row.inner_text()
    row.locator("[data-testid=user-revoke]").click()
    confirm_dialog(admin)
    admin.wait_for_function(f"""() => document.querySelector("[data-user='{username}'] [data-testid=user-devices]")?.textContent.trim() === '0'""")
    assert httpx.get(f"{api.base}/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 401

    # The phone's next request is refused: the app says the session ended and leads back to the login.
    phone.goto("/tasks")
    banner = phone.locator(".banner-warn[role=alert]")
    banner.wait_for()
    banner.click()
    phone.wait_for_url("**/login**")
    phone.locator("[data-testid=login-submit]").wait_for()

    # Every change is in the 操作日志.
    admin.click("[data-testid=nav-admin-audit]")
    admin.locator("[data-testid=audit-row]").first.wait_for()
    text = admin.locator("[data-testid=audit-table]").inner_text()
    assert unit_name in text and username in text
    actions = {e["action"] for e in admin_get(api, "/api/admin/audit")["items"]}
    assert {"unit.create", "user.create"} <= actions, actions


def _square(lat0, lng0, size_deg=0.004):
    return [[[lng0, lat0], [lng0 + size_deg, lat0], [lng0 + size_deg, lat0 + size_deg], [lng0, lat0 + size_deg], [lng0, lat0]]]


def _photo(api, username) -> str:
    pid = str(uuid.uuid4())
    r = httpx.post(f"{api.base}/api/photos", data={"id": pid}, timeout=30,
                   files={"file": ("p.jpg", make_jpeg(800, 600, lat=CENTER["latitude"], lng=CENTER["longitude"]), "image/jpeg")},
                   headers={"Authorization": f"Bearer {api.token(username)}"})
    assert r.status_code == 201, r.text
    return pid


def test_admin_imports_a_grid_and_a_report_inside_goes_to_its_unit(new_context, api, tmp_path, page_errors):
    suffix = uuid.uuid4().hex[:6]
    name = f"测试网格{suffix}"
    lat0, lng0 = CENTER["latitude"] - 0.05, CENTER["longitude"] - 0.05  # far from the demo city's grids
    before = admin_get(api, "/api/admin/grids")
    admin = desktop(new_context).new_page()
    ui_login(admin, "admin")
    admin.click("[data-testid=nav-admin-grids]")
    admin.locator("[data-testid=grid-row]").first.wait_for()
    admin.locator("[data-testid=grid-map] .leaflet-interactive").first.wait_for(state="attached")

    # An invalid polygon (a bow tie) in the file: refused, naming the feature, nothing imported.
    bad = tmp_path / "bad.geojson"
    bow = [[[lng0, lat0], [lng0 + 0.004, lat0 + 0.004], [lng0 + 0.004, lat0], [lng0, lat0 + 0.004], [lng0, lat0]]]
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": name, "unit": "市市场监督管理局"}, "geometry": {"type": "Polygon", "coordinates": bow}}]}))
    admin.set_input_files("[data-testid=grid-file]", str(bad))
    err = admin.locator("[data-testid=admin-error]")
    err.wait_for()
    assert "#1" in err.inner_text()
    assert len(admin_get(api, "/api/admin/grids")) == len(before)

    good = tmp_path / "grid.geojson"
    good.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": name, "unit": "市市场监督管理局"}, "geometry": {"type": "Polygon", "coordinates": _square(lat0, lng0)}}]}))
    admin.set_input_files("[data-testid=grid-file]", str(good))
    admin.locator(f"[data-testid=grid-row][data-grid='{name}']").wait_for()
    admin.locator("[data-testid=grid-check-result]").wait_for()
    grid = next(g for g in admin_get(api, "/api/admin/grids") if g["name"] == name)
    unit = next(u for u in admin_get(api, "/api/admin/units") if u["name"] == "市市场监督管理局")
    assert grid["unit_id"] == unit["id"] and grid["is_active"]

    # A report inside the new grid is routed to the grid's unit (not the category's default unit).
    body = {"id": str(uuid.uuid4()), "category_code": "06005", "description": f"网格路由 {suffix}",
            "lat": lat0 + 0.002, "lng": lng0 + 0.002, "accuracy_m": 5, "photo_ids": [_photo(api, "inspector")]}
    r = httpx.post(f"{api.base}/api/tickets", json=body, headers={"Authorization": f"Bearer {api.token('inspector')}"}, timeout=30)
    assert r.status_code == 201, r.text
    ticket = api.ticket(r.json()["id"])
    assert ticket["suggested_unit_id"] == unit["id"], ticket
    assert ticket.get("grid_id", grid["id"]) == grid["id"]

    # Reassigning the grid in the table sends the next report elsewhere.
    street = next(u for u in admin_get(api, "/api/admin/units") if u["name"] == "新华街道办事处")
    admin.locator(f"[data-testid=grid-row][data-grid='{name}'] select").select_option(str(street["id"]))
    admin.wait_for_function(f"""() => document.querySelector("[data-grid='{name}'] select")?.value === '{street['id']}' && !document.querySelector('[data-testid=admin-error]')""")
    assert next(g for g in admin_get(api, "/api/admin/grids") if g["name"] == name)["unit_id"] == street["id"]


def test_console_screens_at_desktop_sizes(new_context, api, page_errors):
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, vp in (("1366", DESKTOP), ("1920", WALL)):
        page = desktop(new_context, vp).new_page()
        ui_login(page, "admin")
        for name in SCREENS:
            page.click(f"[data-testid=nav-{name}]")
            page.wait_for_function("() => !document.querySelector('.admin-table td.muted') || document.querySelector('.admin-table td.muted').textContent.indexOf('…') < 0")
            page.locator(".admin-page").wait_for()
            page.wait_for_timeout(600)
            assert page.locator("[data-testid=admin-error]").count() == 0, name
            page.screenshot(path=str(SHOTS / f"{name}-{label}.png"))
        for role, path in (("leader", "/dashboard"), ("dispatcher", "/triage")):
            p = desktop(new_context, vp).new_page()
            ui_login(p, role)
            p.wait_for_url("**/workbench" if role == "dispatcher" else f"**{path}")  # a dispatcher's desk opens there
            p.goto(path)
            p.locator("[data-testid=desk-nav]").wait_for()
            p.wait_for_timeout(1500)
            p.screenshot(path=str(SHOTS / f"{role}-{path.strip('/')}-{label}.png"))
    # A phone keeps the bottom tab bar, the admin screens too.
    phone = new_context().new_page()
    ui_login(phone, "admin")
    phone.locator(".app-tabbar").wait_for()
    assert phone.locator("[data-testid=desk-nav]").count() == 0
    phone.goto("/admin/users")
    phone.locator("[data-testid=user-row]").first.wait_for()
    phone.screenshot(path=str(SHOTS / "admin-users-phone.png"))


def test_non_admins_do_not_get_the_admin_screens(new_context, api, page_errors):
    page = desktop(new_context).new_page()
    ui_login(page, "leader")
    page.locator("[data-testid=desk-nav]").wait_for()
    assert page.locator("[data-testid=nav-admin-units]").count() == 0
    page.goto("/admin/users")
    page.wait_for_url("**/dashboard")
    assert api.get("leader", "/api/admin/users").status_code == 403
