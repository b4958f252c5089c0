"""测评点位 and 通知渠道 in the admin console at 1366×900: the server's refusal shown in place and nothing written,
then a site and a channel created, changed and switched off, each change in the 操作日志. Screenshots:
XUNCHA_GRID_SHOTS (default /tmp/shots-grid)."""

import os
import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import CENTER
from tests.e2e.test_console import admin_get, desktop, ui_login

pytestmark = pytest.mark.e2e

SHOTS = Path(os.environ.get("XUNCHA_GRID_SHOTS", "/tmp/shots-grid"))


def test_admin_manages_sites_and_channels_with_refusals_shown_and_audited(new_context, api, page_errors):
    SHOTS.mkdir(parents=True, exist_ok=True)
    suffix = uuid.uuid4().hex[:6]
    page = desktop(new_context).new_page()
    ui_login(page, "admin")

    # 测评点位: a latitude out of range is the server's 422, shown; then a good one; then switched off.
    page.click("[data-testid=nav-admin-sites]")
    page.locator("[data-testid=site-table]").wait_for()
    page.wait_for_function("() => !document.querySelector('.admin-table td.muted') || document.querySelector('.admin-table td.muted').textContent.indexOf('…') < 0")
    sites_before = admin_get(api, "/api/evaluation/sites?limit=500")["total"]
    page.click("[data-testid=site-add]")
    name = f"测试菜场{suffix}"
    page.fill("[data-testid=site-name]", name)
    page.fill("[data-testid=site-code]", f"T-{suffix}")
    page.select_option("[data-testid=site-type]", "farmers_market")
    page.select_option("[data-testid=site-unit]", label="向阳街道办事处")
    page.fill("[data-testid=site-lat]", "95")
    page.fill("[data-testid=site-lng]", str(CENTER["longitude"]))
    page.click("[data-testid=site-save]")
    err = page.locator("[data-testid=admin-error]")
    err.wait_for()
    assert "lat" in err.inner_text()
    assert admin_get(api, "/api/evaluation/sites?limit=500")["total"] == sites_before
    page.fill("[data-testid=site-lat]", str(CENTER["latitude"]))
    page.click("[data-testid=site-save]")
    row = page.locator(f"[data-testid=site-row][data-site='{name}']")
    row.wait_for()
    row.locator("[data-testid=site-deactivate]").click()
    row.locator(".admin-tag.off").wait_for()
    page.screenshot(path=str(SHOTS / "grid-sites-1366.png"))

    # 通知渠道: a URL that is not http(s) is refused in place; a robot is added, then switched off.
    page.click("[data-testid=nav-admin-channels]")
    page.locator("[data-testid=channel-table]").wait_for()
    channels_before = len(admin_get(api, "/api/notifications/channels"))
    page.click("[data-testid=channel-add]")
    cname = f"环卫群{suffix}"
    page.fill("[data-testid=channel-name]", cname)
    page.select_option("[data-testid=channel-kind]", "dingtalk")
    page.select_option("[data-testid=channel-unit]", label="向阳街道办事处")
    page.fill("[data-testid=channel-url]", "ftp://example.invalid/robot")
    page.locator("[data-testid=channel-url]").evaluate("e => e.type = 'text'")  # past the browser's own check
    page.click("[data-testid=channel-save]")
    page.locator("[data-testid=admin-error]").wait_for()
    assert len(admin_get(api, "/api/notifications/channels")) == channels_before
    page.fill("[data-testid=channel-url]", "https://oapi.dingtalk.com/robot/send?access_token=SECRETKEY")
    page.fill("[data-testid=channel-secret]", "SEC-e2e")
    page.click("[data-testid=channel-save]")
    crow = page.locator(f"[data-testid=channel-row][data-channel='{cname}']")
    crow.wait_for()
    assert "oapi.dingtalk.com" in crow.inner_text() and "SECRETKEY" not in page.content()
    crow.locator("[data-testid=channel-disable]").click()
    crow.locator(".admin-tag.off").wait_for()
    page.screenshot(path=str(SHOTS / "grid-channels-1366.png"))

    # Both in the 操作日志.
    page.click("[data-testid=nav-admin-audit]")
    page.wait_for_function("() => [...document.querySelectorAll('[data-testid=audit-row] td[title]')]"
                           ".some((td) => td.title === 'channel.disable')")
    text = page.locator("[data-testid=audit-table]").inner_text()
    # Each action in words (it read "channel.disable"), its code kept in the cell's title.
    said = set(page.locator("[data-testid=audit-row] td[title]").evaluate_all(
        "tds => tds.map((td) => td.title + '=' + td.innerText.trim())"))
    for action, words in (("site.create", "新建"), ("site.deactivate", "停用"), ("channel.create", "新建"),
                          ("channel.disable", "停用")):
        assert f"{action}={words}" in said, (action, said)
    assert "channel.disable" not in text
    assert "SECRETKEY" not in text and "SEC-e2e" not in text
    page.screenshot(path=str(SHOTS / "grid-audit-channels-1366.png"))


HEADER = "点位编号,名称,类型,经度,纬度,地址,责任单位,联系人,电话\n"


def _csv(name: str, text: str) -> dict:
    return {"name": name, "mimeType": "text/csv", "buffer": (HEADER + text).encode("utf-8")}


def test_admin_imports_sites_from_a_csv_and_sees_each_bad_row(new_context, api, page_errors):
    """点位 bulk import in the page: a good sheet's site appears with the counts; a sheet with one bad row shows
    that row's error and imports nothing (not even its good rows)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    suffix = uuid.uuid4().hex[:6]
    page = desktop(new_context).new_page()
    ui_login(page, "admin")
    page.goto("/admin/sites")
    page.locator("[data-testid=site-row]").first.wait_for()
    before = admin_get(api, "/api/evaluation/sites?limit=500")["total"]
    lng, lat = CENTER["longitude"], CENTER["latitude"]

    good = f"导入公交站{suffix}"
    page.set_input_files("[data-testid=site-file]", _csv("good.csv", f"IMP-{suffix},{good},公交站台,{lng},{lat},向阳路 1 号,向阳街道办事处,王五,13800000000\n"))
    result = page.locator("[data-testid=site-import-result]")
    result.wait_for()
    assert "新建 1 个" in result.inner_text() and "更新 0 个" in result.inner_text()
    page.locator(f"[data-testid=site-row][data-site='{good}']").wait_for()
    assert admin_get(api, "/api/evaluation/sites?limit=500")["total"] == before + 1
    assert api.get("admin", "/api/evaluation/sites", q=good).json()["total"] == 1

    ok_row = f"IMP2-{suffix},导入菜场{suffix},farmers_market,{lng},{lat},,向阳街道办事处,,\n"
    bad_row = f"IMP3-{suffix},导入小区{suffix},不存在的类型,{lng},91,,向阳街道办事处,,\n"
    page.set_input_files("[data-testid=site-file]", _csv("bad.csv", ok_row + bad_row))
    errors = page.locator("[data-testid=site-import-errors]")
    errors.wait_for()
    text = errors.inner_text()
    assert "未导入任何点位" in text
    items = errors.locator("li").all_inner_texts()
    assert len(items) == 2, items  # row 3: its type and its latitude; row 2 was fine
    assert all(i.startswith("第 3 行") for i in items), items
    assert any("类型" in i and "不存在的类型" in i for i in items) and any("纬度" in i for i in items)
    assert result.count() == 0
    assert admin_get(api, "/api/evaluation/sites?limit=500")["total"] == before + 1
    assert api.get("admin", "/api/evaluation/sites", q=f"导入菜场{suffix}").json()["total"] == 0
    page.screenshot(path=str(SHOTS / "sites-import-refused-1366.png"))
