"""消息 on a unit's phone: a dispatch shows as an unread badge on the 消息 tab and an item in the inbox; tapping
it opens the ticket and the message is read (server-side, so on every device of that person)."""

import re
import uuid
from datetime import datetime, timedelta

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.e2e.test_exceptions import _dispatched, _post

pytestmark = pytest.mark.e2e


def test_a_dispatch_reaches_the_units_inbox_and_opens_the_ticket(new_context, api, photos, shots):
    ctx = new_context()
    page = ctx.new_page()
    login(page, "unit_cgj", "/tasks")
    # Read what the demo city left, so the badge counts this dispatch alone.
    token = api.token("unit_cgj")
    httpx.post(f"{api.base}/api/notifications/read", json={}, headers={"Authorization": f"Bearer {token}"},
               timeout=10).raise_for_status()
    t = _dispatched(api, photos, "楼道堆放杂物 <img src=x onerror=alert(1)>")

    page.goto("/tasks")  # a tab change refreshes the badge
    badge = page.locator("[data-testid=tab-inbox] .van-badge")
    badge.wait_for()
    assert badge.inner_text().strip() == "1"
    page.click("[data-testid=tab-inbox]")
    item = page.locator("[data-testid=inbox-item]").first
    item.wait_for()
    assert item.get_attribute("data-kind") == "dispatched" and item.get_attribute("data-read") == "no"
    text = item.inner_text()
    assert t["case_number"] in text and "新任务" in text and "向阳路 8 号" in text
    page.screenshot(path=str(shots / "inbox-unit.png"))
    item.click()
    page.wait_for_url(f"**/tickets/{t['id']}")
    page.wait_for_selector("[data-testid=case-number], .van-nav-bar")
    for _ in range(50):  # marking read is sent as the ticket opens, without holding the page
        if api.get("unit_cgj", "/api/notifications/unread-count").json() == {"unread": 0}:
            break
        page.wait_for_timeout(100)
    assert api.get("unit_cgj", "/api/notifications/unread-count").json() == {"unread": 0}
    page.go_back()
    page.locator("[data-testid=inbox-item][data-read=yes]").first.wait_for()
    assert page.locator("[data-testid=tab-inbox] .van-badge").count() == 0


def test_the_office_inbox_in_english_says_the_request_kind_and_category_in_english(new_context):
    """A message's data is Chinese (it also feeds SMS); the English inbox translates the request kind
    (延期/回退/挂账) and the category instead of showing "asks for 挂账"."""
    page = new_context().new_page()
    page.goto("/login")
    page.get_by_text("English", exact=True).click()
    login(page, "dispatcher", "/inbox")
    item = page.locator("[data-testid=inbox-item][data-kind=request_waiting]").first
    item.wait_for()
    asks = re.search(r"asks for (\S+)", item.inner_text())
    assert asks and asks.group(1) in ("extension", "return", "suspension"), item.inner_text()
    # The category names come with the categories list, a moment later.
    expect(item.locator(".case")).not_to_contain_text(re.compile(r"[\u4e00-\u9fff]"))  # XC-… Exposed garbage


def test_a_request_decided_by_another_dispatcher_says_done_in_the_inbox(new_context, api, photos):
    """The 待审批 of a request decided since (by anyone) is marked 已处理, not left asking."""
    t = _dispatched(api, photos, "待处理的申请")
    later = (datetime.fromisoformat(t["deadline_at"].replace("Z", "+00:00")) + timedelta(days=3)).isoformat()
    asked = _post(api.base, "unit_cgj", f"/api/tickets/{t['id']}/requests",
                  {"action_id": str(uuid.uuid4()), "kind": "extension", "reason": "材料未到", "deadline": later})
    page = new_context().new_page()
    login(page, "dispatcher", "/inbox")
    item = page.locator(f"[data-testid=inbox-item][data-kind=request_waiting]:has-text('{t['case_number']}')")
    item.wait_for()
    assert item.locator("[data-testid=inbox-settled]").count() == 0
    rid = asked["requests"][0]["id"]
    _post(api.base, "dispatcher", f"/api/tickets/{t['id']}/requests/{rid}/decision",
          {"action_id": str(uuid.uuid4()), "approve": True})
    page.reload()
    item.locator("[data-testid=inbox-settled]:has-text('已处理')").wait_for()
