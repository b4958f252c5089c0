"""What a new user meets on the first day, walked on a phone: each role's home after logging in from "/",
a dashboard that says "loading" rather than "none", leaving it mid-animation, the drill-down list, the
返工 deadline, what a toast says, the red/black list, the timeline and the 督办通知书."""

import re
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import PASSWORD, login, snap

pytestmark = pytest.mark.e2e
SHANGHAI = timedelta(hours=8)


@pytest.mark.parametrize("username,home", [("inspector", "/capture"), ("dispatcher", "/triage"),
                                           ("unit_cgj", "/tasks"), ("leader", "/dashboard")])
def test_root_leads_each_role_to_its_own_home(new_context, username, home):
    page = new_context().new_page()
    page.goto("/")
    page.wait_for_url("**/login**")
    assert "next=" not in page.url, page.url
    page.fill("[data-testid=username] input", username)
    page.fill("[data-testid=password] input", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(lambda u: "/login" not in u)
    page.wait_for_url(f"**{home}")


def test_leaving_the_dashboard_while_its_map_moves_raises_no_error(new_context, shots):
    page = new_context().new_page()
    login(page, "leader")
    page.wait_for_url("**/dashboard**")
    for delay in (0, 30, 60, 100, 150, 220, 400):
        page.goto("/dashboard?period=month")
        # Leave from inside the page the moment the map exists (+ delay): no test-driver latency in between.
        page.evaluate("""delay => new Promise((done) => { const iv = setInterval(() => {
            if (!document.querySelector('[data-testid=map] .leaflet-map-pane')) return
            clearInterval(iv); setTimeout(() => { document.querySelector('[data-testid=tab-me]').click(); done() }, delay)
        }, 2) })""", delay)
        page.wait_for_url("**/me")
        page.wait_for_timeout(600)  # Leaflet's zoom-end timer (250 ms) and the cluster's (200 ms) have run
    # the page_errors fixture fails the test on any uncaught error


def test_dashboard_looks_like_loading_until_its_data_arrives(new_context, shots):
    page = new_context(service_workers="block").new_page()  # routing sees the page's own requests
    login(page, "leader")
    page.wait_for_url("**/dashboard**")
    page.wait_for_selector("[data-testid=fig-overdue_now]")
    held, hold = [], {"on": True}

    def stats(route):
        if hold["on"]:
            held.append(route)
        else:
            route.continue_()

    page.route("**/api/stats/**", stats)
    page.goto("/dashboard?period=month")
    page.wait_for_selector("[data-testid=dash-loading]")
    page.wait_for_timeout(500)
    assert held, "the dashboard's requests are held"
    body = page.locator("body").inner_text()
    for none in ("没有超期案件", "0 件未结案", "0 件超期"):
        assert none not in body, f"{none!r} shown before any data arrived"
    assert page.locator("[data-testid=overdue-loading]").is_visible()
    assert page.locator("[data-testid=map-loading]").is_visible()
    page.screenshot(path=str(shots / "dashboard-loading.png"))

    hold["on"] = False
    for route in held:
        route.continue_()
    page.wait_for_selector("[data-testid=fig-overdue_now]")
    page.wait_for_selector("[data-testid=dash-loading]", state="detached")
    page.wait_for_selector("[data-testid=overdue-loading]", state="detached")
    page.wait_for_selector("[data-testid=map-loading]", state="detached")
    overdue_now = int(page.locator("[data-testid=fig-overdue_now] .val").inner_text())
    text = page.locator("body").inner_text()
    assert ("没有超期案件" in text) == (overdue_now == 0)


def test_dashboard_labels_its_table_export_and_black_list(new_context, api, shots):
    on = api.busy("month")
    page = new_context(service_workers="block").new_page()
    login(page, "leader")
    page.wait_for_url("**/dashboard**")
    # The real API with stricter rules: no unit makes the red list, so every ranked unit may be black.
    page.route("**/api/stats/ranking?**", lambda r: r.continue_(url=r.request.url + "&red_min_rate=1.0&red_top=0"))
    page.goto(f"/dashboard?period=month&on={on}")
    page.wait_for_selector("[data-testid=rank-black]")
    assert page.locator("[data-testid=rank-no-red]").first.inner_text().find("没有单位达到红榜标准") >= 0
    assert page.locator("[data-testid=export]").inner_text().strip() == "导出"
    head = page.locator("[data-testid=units-head]").inner_text()
    for col in ("单位", "结案/应结案", "结案率", "当前超期"):
        assert col in head
    # The units' rows and 暂无责任单位 add up to the 合计 row a leader checks them against.
    assert page.locator("[data-testid=units-total] .uname").inner_text() == "合计"
    rows = page.locator(".units button.urow, [data-testid=units-unassigned]").all()
    counts = [[int(x) for x in r.locator(":nth-child(2)").inner_text().split("/")] for r in rows]
    total = [int(x) for x in page.locator("[data-testid=units-total] > :nth-child(2)").inner_text().split("/")]
    assert len(rows) > 1 and total[1] > 0
    assert [sum(c[0] for c in counts), sum(c[1] for c in counts)] == total
    # Each black-listed unit with its rank in its group, the worst first.
    labels = page.locator("[data-testid=rank-black]").first.locator("[data-testid=rank-place]").all_inner_texts()
    numbers = [int(re.search(r"\d+", x).group()) for x in labels]
    assert labels and numbers == sorted(numbers, reverse=True)
    page.locator("[data-testid=rank-black]").first.screenshot(path=str(shots / "dashboard-black-list.png"))
    page.locator("[data-testid=units-head]").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "dashboard-units-table.png"))


def _overlap(a, b) -> bool:
    return a and b and a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"] \
        and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"]


def test_drill_down_timeline_link_covers_no_text(new_context, api, shots):
    page = new_context().new_page()
    login(page, "leader", f"/stats/tickets?period=month&on={api.busy('month')}&metric=dispatched")
    page.wait_for_selector("[data-testid=drill-list] .item")
    page.wait_for_load_state("networkidle")  # the header above the list (period, formula, count) settles first
    # Every box of a card measured in one go: measured one by one, a header that grew in between moved the card
    # text under a link box read before it.
    cards = page.evaluate("""() => [...document.querySelectorAll('[data-testid=drill-list] .item')].slice(0, 6)
        .map((item) => {
          const box = (el) => { const r = el.getBoundingClientRect(); return {x: r.x, y: r.y, width: r.width, height: r.height} }
          return {link: box(item.querySelector('.tl')), texts: [...item.querySelectorAll(
            '.desc, .meta, .cat, [data-testid=deadline], .case')].map((el) => ({sel: el.className, box: box(el)}))}
        })""")
    checked = 0
    for i, card in enumerate(cards):
        for text in card["texts"]:
            assert not _overlap(card["link"], text["box"]), f"办理时间轴 covers {text['sel']} of card {i}"
            checked += 1
    assert checked >= 6
    page.screenshot(path=str(shots / "dashboard-drill-list.png"))


def _rectified_with_clock_hours(api) -> dict:
    """A ticket waiting for verification whose category's limit is ≤ 24 h (clock hours, easy to check)."""
    hours = {c["code"]: c.get("default_deadline_hours") for c in api.get("dispatcher", "/api/categories").json()}
    for t in api.tickets("dispatcher", status="rectified"):
        h = hours.get(t["category_code"])
        if h and h <= 24:
            return t | {"limit_hours": h}
    pytest.skip("the demo city has no rectified ticket of a category with a limit of 24 h or less")


def test_rework_dialog_defaults_to_the_categorys_limit_and_toast_says_submitted(new_context, api, shots):
    t = _rectified_with_clock_hours(api)
    page = new_context().new_page()
    login(page, "dispatcher", f"/tickets/{t['id']}")
    page.click("[data-testid=act-verify_fail]")
    form = page.locator("[data-testid=action-form-verify_fail]")
    form.wait_for()
    shown = datetime.fromisoformat(form.locator("[data-testid=deadline-input] input").input_value())
    want = (datetime.now(UTC) + timedelta(hours=t["limit_hours"]) + SHANGHAI).replace(tzinfo=None)
    assert abs(shown - want) < timedelta(minutes=2), (shown, want, t["limit_hours"])
    form.locator("[data-testid=action-note] textarea").fill(f"仍有残留 {uuid.uuid4().hex[:6]}")
    page.screenshot(path=str(shots / "rework-dialog.png"))
    form.locator("[data-testid=action-submit]").click()
    page.wait_for_selector(".van-toast:has-text('已提交')")
    toast = page.locator(".van-toast:visible")
    assert "联网后" not in toast.inner_text()
    page.screenshot(path=str(shots / "toast-submitted.png"))
    d = api.ticket(t["id"])
    assert d["status"] == "dispatched"
    got = datetime.fromisoformat(d["deadline_at"]) - datetime.fromisoformat(d["dispatched_at"])
    assert abs(got - timedelta(hours=t["limit_hours"])) < timedelta(minutes=1)

    # The timeline: 返工 sends it back to the same unit, it is no new dispatch.
    page.reload()
    fail = page.locator("[data-testid=timeline] [data-action=verify_fail]").first
    fail.wait_for()
    assert "派遣至" not in fail.inner_text() and "新整改时限" in fail.inner_text()
    page.screenshot(path=str(shots / "ticket-after-rework.png"), full_page=True)


def test_rework_from_the_verify_queue_shows_the_server_s_suggestion_not_48_hours(new_context, api):
    """The queue's cards are the list's copies, which carry no suggested deadline: opening 返工 on a card
    whose detail has not arrived fetches it, and shows the category's limit (before: now + 48 h)."""
    t = _rectified_with_clock_hours(api)
    page = new_context().new_page()
    detail = re.compile(rf".*/api/tickets/{t['id']}$")
    page.route(detail, lambda route: route.abort())  # the queue's prefetch of this detail fails
    login(page, "inspector", "/verify")
    card = page.locator(f".vq[data-case='{t['case_number']}']")
    card.wait_for()
    page.unroute(detail)
    card.locator("button:has-text('返工')").click()
    form = page.locator("[data-testid=action-form-verify_fail]")
    form.wait_for()
    shown = datetime.fromisoformat(form.locator("[data-testid=deadline-input] input").input_value())
    want = (datetime.now(UTC) + timedelta(hours=t["limit_hours"]) + SHANGHAI).replace(tzinfo=None)
    assert abs(shown - want) < timedelta(minutes=2), (shown, want, t["limit_hours"])


def test_offline_action_toast_says_saved_and_fits_the_phone(new_context, api, shots):
    # Not a finding that waits for its round: that one cannot be dispatched yet.
    t = next(x for x in api.tickets("dispatcher", status="reported") if not x["awaiting_round"])
    ctx = new_context()
    page = ctx.new_page()
    login(page, "dispatcher", f"/tickets/{t['id']}")
    page.click("[data-testid=act-dispatch]")
    form = page.locator("[data-testid=action-form-dispatch]")
    form.wait_for()
    form.locator("[data-unit]").first.click()
    # The deadline that will be sent is shown beside 提交, whether or not its field is scrolled into view.
    value = form.locator("[data-testid=deadline-input] input").input_value()  # 2026-12-07T14:54
    # Written as every other short date of the app (12/07 14:54), not the field's own 12-07 14:54.
    assert value and form.locator("[data-testid=submit-deadline]").inner_text().strip() == \
        f"整改时限：{value[5:7]}/{value[8:10]} {value[11:16]}"
    assert form.locator("[data-testid=submit-deadline]").is_visible()
    ctx.set_offline(True)
    form.locator("[data-testid=action-submit]").click()
    toast = page.locator(".van-toast:has-text('已保存到本机')")
    toast.wait_for()
    assert "已提交" not in toast.inner_text()
    box = toast.bounding_box()
    assert box["x"] >= 16 and box["x"] + box["width"] <= 390 - 16  # inside the phone's screen, with margins
    # Lines break at the comma, not inside a word: two lines at most for this sentence.
    lines = page.evaluate("""el => { const r = document.createRange(); r.selectNodeContents(el);
        return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size }""",
                          toast.locator(".van-toast__text").element_handle())
    assert lines <= 2
    page.screenshot(path=str(shots / "toast-saved-offline.png"))
    ctx.set_offline(False)


def test_waiting_for_verification_shows_no_countdown(new_context, api):
    t = next(x for x in api.tickets("unit_cgj", status="rectified"))
    page = new_context().new_page()
    login(page, "unit_cgj", f"/tickets/{t['id']}")
    page.wait_for_selector("[data-testid=timeline]")
    assert page.locator("[data-testid=deadline]").count() == 0


def test_no_notice_button_for_a_closed_ticket(new_context, api, shots):
    closed = api.tickets("dispatcher", status="closed")[0]
    open_ = api.tickets("dispatcher", status="dispatched")[0]
    page = new_context().new_page()
    login(page, "dispatcher", f"/stats/tickets/{open_['id']}/timeline")
    page.wait_for_selector("[data-testid=notice]")
    page.goto(f"/stats/tickets/{closed['id']}/timeline")
    page.wait_for_selector("[data-testid=ticket-timeline] .ticket-card")
    assert page.locator("[data-testid=notice]").count() == 0
    page.screenshot(path=str(shots / "timeline-closed-no-notice.png"))
    assert api.get("dispatcher", f"/api/stats/notice/{closed['id']}.html").status_code == 409


def test_offline_start_after_losing_the_network_two_seconds_after_the_first_login(persistent, shots):
    """The first visit, a login, the network gone 2 s later, the phone restarted offline: the app starts, or
    it had said beforehand that it was not ready for offline use yet."""
    ctx = persistent()
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    page.goto("/")
    page.fill("[data-testid=username] input", "inspector")
    page.fill("[data-testid=password] input", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url(lambda u: "/login" not in u)
    t_login = time.monotonic()
    page.wait_for_timeout(max(0, int((2 - (time.monotonic() - t_login)) * 1000) - 300))
    status = page.locator("[data-testid=offline-status]")
    state = status.get_attribute("data-state") if status.count() else None
    told_not_ready = state == "pending" and status.is_visible()
    has_worker = page.evaluate("navigator.serviceWorker.getRegistration().then(r => !!(r && r.active))")
    page.screenshot(path=str(shots / "offline-readiness-after-login.png"))
    assert state in ("pending", "ready"), "the app says whether it is ready for offline use"
    assert (state == "ready") == has_worker or state == "pending", "'ready' is said only with an active worker"
    ctx.set_offline(True)
    ctx.close()

    ctx = persistent(offline=True)
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    try:
        page.goto("/", timeout=15_000)
        page.wait_for_selector(".app-tabbar, [data-testid=login-submit]", timeout=15_000)
        started = True
    except Exception:  # Chromium's own offline error page
        started = False
    snap(page, shots / "offline-restart.png")
    assert started or told_not_ready, f"the app did not start offline, and it had said: {state!r}"
    if state == "ready":
        assert started, "it said 可离线使用 but did not start offline"


def test_offline_readiness_is_said_on_the_first_screen(new_context, shots):
    page = new_context().new_page()
    page.goto("/login")
    page.wait_for_selector("[data-testid=offline-status][data-state=ready]", timeout=30_000)
    assert "可离线使用" in page.locator("[data-testid=offline-status]").inner_text()
    page.screenshot(path=str(shots / "login-offline-ready.png"))
