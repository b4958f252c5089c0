"""发布通报 on a phone: a dispatcher publishes a past week's bulletin from the dashboard (not while offline),
finds it in 已发布通报 and downloads exactly the Excel file that was stored. (The demo city has published last
week's already; the week before it was missed.)"""

import hashlib
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def test_dispatcher_publishes_a_missed_week_and_downloads_it(new_context, api, shots):
    # The week before the demo's published one: read from the bulletins, not from today, which may have moved
    # on to a new week since the demo was seeded (a run crossing Monday 00:00 in the office's time zone).
    listed = api.get("dispatcher", "/api/bulletins").json()["items"]
    demo_week = max(date.fromisoformat(b["start_date"]) for b in listed if b["kind"] == "week")
    last_week_on = (demo_week - timedelta(days=7)).isoformat()
    label = api.get("dispatcher", "/api/stats/summary", period="week", on=last_week_on).json()["period"]["label"]
    before = [b["label"] for b in listed]
    assert label not in before
    ctx = new_context(accept_downloads=True)
    page = ctx.new_page()
    # This week has not ended: nothing to publish yet, and the page says why.
    login(page, "dispatcher", "/dashboard?period=week")
    page.wait_for_selector("[data-testid=publish-not-over]:has-text('本期尚未结束')")
    assert page.locator("[data-testid=publish-bulletin]").is_disabled()
    page.goto(f"/dashboard?period=week&on={last_week_on}")
    page.wait_for_function("([sel, want]) => document.querySelector(sel)?.textContent.trim() === want",
                           arg=["[data-testid=period-label]", label])

    # Offline: said at once, nothing queued.
    ctx.set_offline(True)
    page.click("[data-testid=publish-bulletin]")
    page.wait_for_selector(".van-toast:has-text('发布通报需要联网')")
    assert page.locator(".van-dialog").count() == 0 or not page.locator(".van-dialog").is_visible()
    ctx.set_offline(False)
    assert [b["label"] for b in api.get("dispatcher", "/api/bulletins").json()["items"]] == before

    page.click("[data-testid=publish-bulletin]")
    dialog = page.locator(".van-dialog")
    dialog.wait_for()
    assert label in dialog.inner_text()  # the confirmation names the period
    page.screenshot(path=str(shots / "bulletin-publish-confirm.png"))
    dialog.locator(".van-dialog__confirm").click()
    page.wait_for_url("**/stats/bulletins")
    row = page.locator("[data-testid=bulletin-row]", has=page.locator("[data-testid=bulletin-label]",
                                                                       has_text=label))
    row.wait_for()
    published = [b for b in api.get("dispatcher", "/api/bulletins").json()["items"] if b["label"] not in before]
    assert [b["label"] for b in published] == [label]
    page.screenshot(path=str(shots / "bulletins-list.png"), full_page=True)

    with page.expect_download() as info:
        row.locator("[data-testid=bulletin-xlsx]").click()
    data = Path(info.value.path()).read_bytes()
    assert hashlib.sha256(data).hexdigest() == published[0]["xlsx_sha256"]
    assert info.value.suggested_filename.endswith(".xlsx")
