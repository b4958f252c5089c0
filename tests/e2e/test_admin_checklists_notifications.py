"""测评细则, 通知对象 and 通知规则 in the admin console: the admin does the real thing through the screens (a checklist
edited and saved as its next version, a person texted, the schedule, routes and a template changed), a 422 is
shown in place and writes nothing, and each change is checked through the API and the 操作日志. Screenshots at
1366×900 and 390×844: XUNCHA_CONSOLE_SHOTS (default /tmp/shots-console)."""

import json
import os
import uuid
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_console import admin_get, confirm_dialog, desktop, ui_login

pytestmark = pytest.mark.e2e

SHOTS = Path(os.environ.get("XUNCHA_CONSOLE_SHOTS", "/tmp/shots-console"))
SITE_TYPE = "bus_stop"


def _send(api, method: str, path: str, body=None) -> httpx.Response:
    return httpx.request(method, f"{api.base}{path}", json=body, timeout=20,
                         headers={"Authorization": f"Bearer {api.token('admin')}"})


def _audit(api, entity_type: str, entity_id: str | None = None) -> list[dict]:
    q = f"/api/admin/audit?entity_type={entity_type}&limit=50" + (f"&entity_id={entity_id}" if entity_id else "")
    return admin_get(api, q)["items"]


def _phone(new_context):
    return new_context(device_scale_factor=1)


def _shoot(page, name: str):
    """A screenshot once the success toast is gone; nothing wider than the screen (a phone scrolls only down)."""
    page.locator(".van-toast").wait_for(state="hidden")
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"], name
    page.screenshot(path=str(SHOTS / name))


def _loaded(page):
    page.wait_for_function("() => !document.querySelector('.admin-table td.muted') || document.querySelector('.admin-table td.muted').textContent.indexOf('…') < 0")


def _item_in(i: dict) -> dict:
    """A stored item as the POST takes it."""
    return {"code": i["code"], "text_zh": i["text_zh"], "text_en": i["text_en"], "dimension": i["dimension"],
            "points": i["points"], "rule": i["rule"],
            "deduction": i["deduction"] if i["rule"] == "per_occurrence" else None,
            "photos_required": i["photos_required"], "category_code": i["category_code"]}


def test_admin_edits_a_checklist_and_saves_it_as_the_next_version(new_context, api, page_errors):
    SHOTS.mkdir(parents=True, exist_ok=True)
    versions = admin_get(api, f"/api/evaluation/site-types/{SITE_TYPE}/checklists")
    before = admin_get(api, f"/api/evaluation/site-types/{SITE_TYPE}/checklists/{versions[0]['version']}")
    items = before["items"]
    assert len(items) >= 3
    page = desktop(new_context).new_page()
    ui_login(page, "admin")
    page.click("[data-testid=nav-admin-checklists]")
    page.select_option("[data-testid=ck-type]", SITE_TYPE)
    page.wait_for_function("code => document.querySelector('[data-testid=ck-item] [data-testid=ck-code]')?.value === code",
                           arg=items[0]["code"])
    rows = page.locator("[data-testid=ck-item]")
    assert rows.count() == len(items)
    note = page.locator("[data-testid=ck-note]").inner_text()
    assert f"第 {before['version'] + 1} 版" in note and "已开始的测评任务仍按其开始时的版本评分" in note
    assert "合计 100 分" in page.locator("[data-testid=ck-total]").inner_text()

    # The server's 422: a duplicate code and a deduction above the item's points, each shown beside its item.
    first, second = rows.nth(0), rows.nth(1)
    first.locator("[data-testid=ck-rule]").select_option("per_occurrence")
    first.locator("[data-testid=ck-deduction]").fill("999")
    second.locator("[data-testid=ck-code]").fill(items[0]["code"])
    page.click("[data-testid=ck-save]")
    page.locator("[data-testid=admin-error]").wait_for()
    assert "2 处问题" in page.locator("[data-testid=admin-error]").inner_text()
    assert "每次扣分不能超过分值" in first.locator("[data-testid=ck-problems]").inner_text()
    assert "编号重复" in second.locator("[data-testid=ck-problems]").inner_text()
    assert second.locator("[data-testid=ck-code][aria-invalid=true]").count() == 1
    assert len(admin_get(api, f"/api/evaluation/site-types/{SITE_TYPE}/checklists")) == len(versions)
    _shoot(page, "console-checklists-422-1366.png")
    # Unsaved edits: leaving within the app asks first, and staying keeps them.
    page.click("[data-testid=nav-admin-units]")
    dialog = page.locator(".van-dialog")
    dialog.wait_for()
    assert "放弃尚未保存的修改" in dialog.inner_text()
    dialog.locator(".van-dialog__cancel").click()
    dialog.wait_for(state="hidden")
    assert page.url.endswith("/admin/checklists")
    assert second.locator("[data-testid=ck-code]").input_value() == items[0]["code"]
    # Closing the tab asks the browser's own question first (and nothing is saved).
    asked = []
    page.once("dialog", lambda d: (asked.append(d.type), d.dismiss()))
    page.close(run_before_unload=True)
    page.wait_for_timeout(500)
    assert asked == ["beforeunload"] and not page.is_closed()

    # Fixed, edited, reordered, one item added: the total is 5 over and warned of, and saved all the same.
    first.locator("[data-testid=ck-deduction]").fill("1")
    second.locator("[data-testid=ck-code]").fill(items[1]["code"])
    new_text = f"站台候车亭顶棚完好无破损（e2e {uuid.uuid4().hex[:4]}）"
    first.locator("[data-testid=ck-text-zh]").fill(new_text)
    rows.nth(2).locator("[data-testid=ck-up]").click()  # the third item becomes the second
    page.click("[data-testid=ck-add]")
    added = rows.nth(len(items))
    added.locator("[data-testid=ck-text-zh]").fill("站牌信息清晰，无涂写")
    added.locator("[data-testid=ck-text-en]").fill("Stop sign legible, no graffiti")
    added.locator("[data-testid=ck-code]").fill("BS-E2E")
    added.locator("[data-testid=ck-dimension]").fill("基础设施")
    added.locator("[data-testid=ck-points]").fill("5")
    added.locator("[data-testid=ck-rule]").select_option("all_or_nothing")
    added.locator("[data-testid=ck-photos]").fill("2")
    added.locator("[data-testid=ck-category]").select_option("07001")
    total = page.locator("[data-testid=ck-total]").inner_text()
    assert "105" in total and "不是 100" in total
    page.click("[data-testid=ck-save]")
    page.wait_for_function("n => document.querySelector('[data-testid=ck-save]')?.textContent.includes(`第 ${n} 版`)",
                           arg=before["version"] + 2)
    assert page.locator("[data-testid=admin-error]").count() == 0
    _shoot(page, "console-checklists-1366.png")

    after = admin_get(api, f"/api/evaluation/site-types/{SITE_TYPE}/checklists")
    assert after[0]["version"] == before["version"] + 1 and after[0]["total_points_tenths"] == 1050
    saved = admin_get(api, f"/api/evaluation/site-types/{SITE_TYPE}/checklists/{after[0]['version']}")["items"]
    assert [i["code"] for i in saved] == [items[0]["code"], items[2]["code"], items[1]["code"],
                                           *[i["code"] for i in items[3:]], "BS-E2E"]
    assert saved[0]["text_zh"] == new_text and saved[0]["rule"] == "per_occurrence" and saved[0]["deduction"] == 1
    assert {k: saved[-1][k] for k in ("text_en", "dimension", "points", "rule", "deduction", "photos_required", "category_code")} \
        == {"text_en": "Stop sign legible, no graffiti", "dimension": "基础设施", "points": 5, "rule": "all_or_nothing",
            "deduction": 5, "photos_required": 2, "category_code": "07001"}
    # The version it replaced is kept as it was, and can be viewed.
    old = admin_get(api, f"/api/evaluation/site-types/{SITE_TYPE}/checklists/{before['version']}")
    assert old["items"] == items
    page.click(f"[data-testid=ck-view-{before['version']}]")
    assert items[1]["text_zh"] in page.locator("[data-testid=ck-viewing]").inner_text()

    entry = next(e for e in _audit(api, "checklist") if e["entity_id"] == str(after[0]["id"]))
    assert entry["action"] == "checklist.create" and entry["actor_name"]
    assert entry["after"]["version"] == after[0]["version"] and entry["after"]["items"][0]["text_zh"] == new_text

    _check_version_view_fits(page)

    phone = _phone(new_context).new_page()
    ui_login(phone, "admin")
    phone.goto("/admin/checklists")
    phone.locator("[data-testid=ck-item]").first.wait_for()
    _shoot(phone, "console-checklists-390.png")

    # Other tests score this site type against a 100-point checklist: the original items become the latest again.
    r = _send(api, "POST", f"/api/evaluation/site-types/{SITE_TYPE}/checklists", {"items": [_item_in(i) for i in items]})
    assert r.status_code == 201, r.text


def _check_version_view_fits(page):
    """A version viewed read-only fits its panel: no sideways scroll, its last column (问题类别) wholly in sight."""
    wrap = page.locator("[data-testid=ck-viewing] .admin-table-wrap")
    sizes = wrap.evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert sizes[0] <= sizes[1] + 1, sizes
    box = wrap.bounding_box()
    cats = page.locator("[data-testid=ck-view-category]")
    assert cats.count() > 0
    for i in range(min(cats.count(), 5)):
        c = cats.nth(i)
        cell = c.bounding_box()
        assert cell["x"] + cell["width"] <= box["x"] + box["width"] + 1, (i, cell, box)
        assert c.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
        assert c.get_attribute("title") == c.inner_text().strip()


def test_checklist_version_view_fits_a_laptop_in_both_languages(new_context, page_errors):
    """At 1366×900, in Chinese and in English, the version view shows every column, the category cut by nothing
    (a desk walk found it behind a sideways scroll)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = desktop(new_context).new_page()
    ui_login(page, "admin")
    for locale in ("zh-CN", "en"):
        page.evaluate(f"() => localStorage.setItem('xuncha.locale', '{locale}')")
        page.goto("/admin/checklists")
        page.locator("[data-testid=ck-version] button").first.click()
        page.locator("[data-testid=ck-viewing] tbody tr").first.wait_for()
        _check_version_view_fits(page)
        page.screenshot(path=str(SHOTS / f"console-checklist-version-{locale}-1366.png"))


def test_admin_texts_a_person_then_changes_and_removes_it(new_context, api, page_errors):
    SHOTS.mkdir(parents=True, exist_ok=True)
    suffix = uuid.uuid4().hex[:6]
    r = _send(api, "POST", "/api/notifications/channels", {"name": f"短信网关{suffix}", "kind": "sms", "url": "https://sms.example.invalid/send"})
    assert r.status_code == 201, r.text
    channel = r.json()
    user = next(u for u in admin_get(api, "/api/admin/users") if u["username"] == "unit_cgj")
    page = desktop(new_context).new_page()
    ui_login(page, "admin")
    page.click("[data-testid=nav-admin-subscriptions]")
    page.locator("[data-testid=sub-table]").wait_for()
    _loaded(page)

    # A number that is not a mainland mobile: the server's 422 in place, nothing stored.
    page.click("[data-testid=sub-add]")
    page.select_option("[data-testid=sub-user]", str(user["id"]))
    page.select_option("[data-testid=sub-channel]", str(channel["id"]))
    page.fill("[data-testid=sub-phone]", "12345")
    page.click("[data-testid=sub-suggest]")
    page.locator("[data-testid=sub-kinds] input[data-kind=digest]").uncheck()
    page.click("[data-testid=sub-save]")
    err = page.locator("[data-testid=admin-error]")
    err.wait_for()
    assert "phone" in err.inner_text()
    assert _send(api, "GET", f"/api/notifications/subscriptions/{user['id']}").status_code == 404

    page.fill("[data-testid=sub-phone]", "13800138000")
    page.click("[data-testid=sub-save]")
    row = page.locator("[data-testid=sub-row][data-user=unit_cgj]")
    row.wait_for()
    assert "138****8000" in row.inner_text() and f"短信网关{suffix}" in row.inner_text() and "新任务" in row.inner_text()
    assert "13800138000" not in page.content()
    sub = admin_get(api, f"/api/notifications/subscriptions/{user['id']}")
    expected = sorted(["dispatched", "resumed", "rework", "urged", "supervised", "voided", "request_decided",
                       "near_deadline", "overdue"])
    assert sub["kinds"] == expected and sub["phone"] == "138****8000" and sub["enabled"] and sub["channel_id"] == channel["id"]
    _shoot(page, "console-subscriptions-1366.png")

    # Edited without typing the number again: it is kept; one kind fewer.
    row.locator("[data-testid=sub-edit]").click()
    page.locator("[data-testid=sub-kinds] input[data-kind=voided]").uncheck()
    page.click("[data-testid=sub-save]")
    page.locator("[data-testid=sub-form]").wait_for(state="detached")
    sub = admin_get(api, f"/api/notifications/subscriptions/{user['id']}")
    assert sub["kinds"] == [k for k in expected if k != "voided"] and sub["phone"] == "138****8000"

    phone = _phone(new_context).new_page()
    ui_login(phone, "admin")
    phone.goto("/admin/subscriptions")
    phone.locator("[data-testid=sub-row][data-user=unit_cgj]").wait_for()
    phone.click("[data-testid=sub-add]")
    _shoot(phone, "console-subscriptions-390.png")

    # Removed: no more texts, the number forgotten.
    row.locator("[data-testid=sub-remove]").click()
    confirm_dialog(page)
    row.locator(".admin-tag.off").wait_for()
    assert "已移除" in row.inner_text() and "138****8000" not in row.inner_text()
    sub = admin_get(api, f"/api/notifications/subscriptions/{user['id']}")
    assert not sub["enabled"] and sub["kinds"] == []

    actions = [e["action"] for e in _audit(api, "subscription", str(user["id"]))]
    assert actions[:3] == ["subscription.remove", "subscription.set", "subscription.set"]
    assert all("13800138000" not in json.dumps(e) for e in _audit(api, "subscription", str(user["id"])))


def test_admin_changes_the_schedule_routes_and_a_template_sending_only_what_changed(new_context, api, page_errors):
    SHOTS.mkdir(parents=True, exist_ok=True)
    start = admin_get(api, "/api/notifications/settings")
    assert "urged" not in start["templates"]
    page = desktop(new_context).new_page()
    ui_login(page, "admin")
    try:
        page.click("[data-testid=nav-admin-notifications]")
        page.locator("[data-testid=notify-form]").wait_for()
        page.fill("[data-testid=notify-digest-hour]", "7")
        page.fill("[data-testid=notify-near]", "24, 72")
        page.locator("[data-testid=notify-routes] tr[data-kind=urged] input[data-channel=sms]").uncheck()
        page.click("[data-testid=notify-templates] button[data-kind=urged]")
        # No template yet: the built-in wording is shown, as the server words it.
        assert page.locator("[data-testid=notify-builtin]").inner_text() == start["builtin"]["urged"]
        assert start["builtin"]["urged"].startswith("【催办】")
        page.fill("[data-testid=notify-template]", "【{title}】{case_number} {nope}")
        assert "nope" in page.locator("[data-testid=notify-unknown]").inner_text()

        # An unknown placeholder: the server refuses the whole change (422), shown in place; nothing is stored.
        page.click("[data-testid=notify-save]")
        err = page.locator("[data-testid=admin-error]")
        err.wait_for()
        assert "nope" in err.inner_text()
        assert admin_get(api, "/api/notifications/settings") == start

        page.fill("[data-testid=notify-template]", "")
        page.click("[data-testid=notify-templates] [data-ph=title]")
        page.click("[data-testid=notify-templates] [data-ph=case_number]")
        page.locator("[data-testid=notify-template]").press("End")
        page.locator("[data-testid=notify-template]").press_sequentially(" 请于期限前整改")
        assert page.locator("[data-testid=notify-preview]").inner_text() == "催办XC-2026-000123 请于期限前整改"
        with page.expect_request(lambda r: r.url.endswith("/api/notifications/settings") and r.method == "PUT") as req:
            page.click("[data-testid=notify-save]")
        body = req.value.post_data_json
        assert body == {"digest_hour": 7, "near_deadline_hours": [72, 24], "routes": {"urged": ["wecom", "dingtalk", "webhook"]},
                        "templates": {"urged": "{title}{case_number} 请于期限前整改"}}
        page.wait_for_function("() => document.querySelector('[data-testid=notify-changes]')?.textContent.includes('没有修改')")
        now = admin_get(api, "/api/notifications/settings")
        assert now["digest_hour"] == 7 and now["near_deadline_hours"] == [72, 24]
        assert now["routes"]["urged"] == ["dingtalk", "webhook", "wecom"]
        assert now["templates"]["urged"] == "{title}{case_number} 请于期限前整改"
        _shoot(page, "console-notifications-1366.png")

        entry = _audit(api, "settings", "notifications")[0]
        assert entry["action"] == "settings.notifications"
        assert entry["before"]["digest_hour"] == start["digest_hour"] and entry["after"]["digest_hour"] == 7
        assert entry["after"]["templates"]["urged"] == "{title}{case_number} 请于期限前整改"

        # 恢复默认: the template alone goes back to the built-in text (null), nothing else is sent.
        page.click("[data-testid=notify-templates] button[data-kind=urged]")
        page.click("[data-testid=notify-restore]")
        with page.expect_request(lambda r: r.url.endswith("/api/notifications/settings") and r.method == "PUT") as req:
            page.click("[data-testid=notify-save]")
        assert req.value.post_data_json == {"templates": {"urged": None}}
        page.wait_for_function("() => document.querySelector('[data-testid=notify-changes]')?.textContent.includes('没有修改')")
        now = admin_get(api, "/api/notifications/settings")
        assert "urged" not in now["templates"] and now["digest_hour"] == 7

        phone = _phone(new_context).new_page()
        ui_login(phone, "admin")
        phone.goto("/admin/notifications")
        phone.locator("[data-testid=notify-form]").wait_for()
        _shoot(phone, "console-notifications-390.png")
    finally:
        _restore_notification_settings(api, start)


def _restore_notification_settings(api, start: dict) -> None:
    """The settings as they were before the test (they are the session's, read by the tests after it): every field
    back to its default, then what differed from the defaults at the start set again."""
    reset = {"digest_hour": None, "near_deadline_hours": None, "routes": None, "templates": None}
    assert _send(api, "PUT", "/api/notifications/settings", reset).status_code == 200
    defaults = admin_get(api, "/api/notifications/settings")
    again = {k: start[k] for k in ("digest_hour", "near_deadline_hours") if start[k] != defaults[k]}
    routes = {kind: chans for kind, chans in start["routes"].items() if defaults["routes"].get(kind) != chans}
    again |= {"routes": routes} if routes else {}
    again |= {"templates": start["templates"]} if start["templates"] else {}
    if again:
        assert _send(api, "PUT", "/api/notifications/settings", again).status_code == 200
    after = admin_get(api, "/api/notifications/settings")
    assert {k: after[k] for k in ("digest_hour", "near_deadline_hours", "routes", "templates")} == \
        {k: start[k] for k in ("digest_hour", "near_deadline_hours", "routes", "templates")}
