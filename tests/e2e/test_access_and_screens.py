"""Scenario 4: a unit cannot open another unit's ticket (deep link → not found).
Scenario 5: screenshots of the main screens at 390×844, saved under tests/e2e/output/."""

import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def _unit_id(api, name):
    return next(u["id"] for u in api.get("dispatcher", "/api/units").json() if u["name"] == name)


def test_unit_deep_link_to_other_units_ticket_is_not_found(new_context, api, shots):
    cgj = _unit_id(api, "市城市管理局")
    other = api.tickets(status="dispatched", unit_id=cgj)
    assert other, "demo data has tickets dispatched to 市城市管理局"
    tid = other[0]["id"]
    # Server truth: 向阳街道 staff get 404 for it, 城管局 staff can read it.
    assert api.get("unit_xyjd", f"/api/tickets/{tid}").status_code == 404
    assert api.get("unit_cgj", f"/api/tickets/{tid}").status_code == 200

    page = new_context().new_page()
    login(page, "unit_xyjd")
    page.goto(f"/tickets/{tid}")
    nf = page.locator("[data-testid=not-found]")
    nf.wait_for()
    assert "案件不存在或无权查看" in nf.inner_text()
    assert other[0]["case_number"] not in page.content()
    assert page.locator("[data-testid=timeline]").count() == 0
    page.screenshot(path=str(shots / "unit-deeplink-not-found.png"))
    # A path that is no page says so in words, not a bare "404".
    page.goto("/no/such/page")
    assert "页面不存在" in page.locator("[data-testid=not-found]").inner_text()
    # And it is not in that unit's own list either.
    page.goto("/tasks")
    page.wait_for_selector(".van-list", state="attached")
    page.wait_for_function("() => !document.querySelector('.van-list[aria-busy=true]')")
    page.wait_for_timeout(500)
    assert page.locator(f".ticket-card[data-case='{other[0]['case_number']}']").count() == 0


def _shot(page, shots, name, full=False):
    page.wait_for_timeout(700)  # let images/fonts settle
    page.screenshot(path=str(shots / f"{name}.png"), full_page=full)


def _no_horizontal_overflow(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "horizontal overflow"


def test_screenshots_phone_viewport(new_context, api, photos, shots):
    # Login
    page = new_context().new_page()
    page.goto("/login")
    page.wait_for_selector("[data-testid=login-submit]")
    _shot(page, shots, "01-login")
    _no_horizontal_overflow(page)

    # Inspector: capture (with a photo and a category), verify queue, map, outbox, me
    login(page, "inspector")
    page.wait_for_selector("[data-testid=location] .muted")
    page.set_input_files("[data-testid=photo-input]", [str(photos[0]), str(photos[1])])
    page.wait_for_function("() => document.querySelectorAll('[data-testid=picked-photo]').length === 2")
    page.click("[data-testid=category-field]")
    page.wait_for_selector(".cat-option")
    _shot(page, shots, "02b-category-picker")
    page.click(".cat-option >> nth=0")
    page.wait_for_selector(".van-popup .cat-option", state="hidden")
    page.fill("[data-testid=description] textarea", "人行道上垃圾桶满溢，周边有散落垃圾")
    _shot(page, shots, "02-capture")
    _no_horizontal_overflow(page)
    page.goto("/verify")
    page.wait_for_selector(".vq")
    _shot(page, shots, "03-verify-queue")
    page.goto("/map")
    page.wait_for_selector(".xc-dot, .marker-cluster, .xc-cluster")
    _shot(page, shots, "04-map")
    page.goto("/me")
    page.wait_for_selector("[data-testid=logout]")
    # 消息's unread badge shows whole (it was shifted up and right, out of the cell's clipped value).
    badge = page.locator("[data-testid=me-inbox] .van-badge")
    badge.wait_for()
    b, v = badge.bounding_box(), page.locator("[data-testid=me-inbox] .van-cell__value").bounding_box()
    assert b["y"] >= v["y"] and b["x"] + b["width"] <= v["x"] + v["width"] + 1
    _shot(page, shots, "05-me")
    page.goto("/outbox")
    page.wait_for_selector("[data-testid=reachability]")
    _shot(page, shots, "06-outbox")

    # Dispatcher: triage and a reported ticket's detail with actions
    d = new_context().new_page()
    login(d, "dispatcher")
    d.wait_for_selector(".ticket-card")
    _shot(d, shots, "07-triage")
    _no_horizontal_overflow(d)
    # A report, not a finding of the demo's round under way (dispatched only once the round is published).
    d.locator(".ticket-card", has_not=d.locator("[data-testid=awaiting-round]")).first.click()
    d.wait_for_selector("[data-testid=timeline]")
    _shot(d, shots, "08-detail-dispatcher")
    d.click("[data-testid=act-dispatch]")
    d.wait_for_selector("[data-testid=action-form-dispatch]")
    _shot(d, shots, "09-dispatch-form")
    # An icon in a nav-bar button takes the button's colour (Vant painted it white, on the white button).
    d.goto("/ledger")
    icon = d.locator(".van-nav-bar .van-button .van-icon").first
    icon.wait_for()
    assert icon.evaluate("e => getComputedStyle(e).color") != "rgb(255, 255, 255)"

    # Unit: my tasks with countdowns (overdue in red)
    u = new_context().new_page()
    login(u, "unit_cgj")
    u.wait_for_selector(".ticket-card")
    _shot(u, shots, "10-unit-tasks")
    _no_horizontal_overflow(u)

    # Leader: ticket list; English UI
    lp = new_context(locale="en-US").new_page()
    login(lp, "leader", "/tickets")
    lp.wait_for_selector(".ticket-card")
    _shot(lp, shots, "11-leader-list")
    lp.goto("/me")
    lp.get_by_text("English", exact=True).click()
    lp.goto("/tickets")
    lp.wait_for_selector(".ticket-card")
    _shot(lp, shots, "12-leader-list-en")
    assert "Tickets" in lp.inner_text(".van-nav-bar")


def test_the_ticket_list_searches_as_typed(new_context, api):
    """案件列表 searched only on Enter (a desk's reader looked for a 搜索 button that was not there)."""
    ticket = api.tickets("dispatcher", limit=1)[0]
    page = new_context().new_page()
    login(page, "dispatcher", "/tickets")
    page.locator(".ticket-card").first.wait_for()
    page.locator(".van-search input").fill(ticket["case_number"])  # typed, no Enter
    page.wait_for_function("n => { const c = [...document.querySelectorAll('.ticket-card')]; "
                           "return c.length === 1 && c[0].dataset.case === n }", arg=ticket["case_number"], timeout=10_000)
