"""The supervision dashboard on a phone: a leader sees the red/black list, opens a black-listed unit, taps
the overdue figure and lands on exactly the tickets the API counts."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest
from playwright.sync_api import expect

from app.stats.exports import half_up
from tests.e2e.conftest import login, pct

pytestmark = pytest.mark.e2e


def _pick_black_unit(api) -> tuple[str, str, dict, dict]:
    """A black-listed unit (preferring one without sub-units and with overdue tickets), for a week or a month
    with tickets."""
    units = api.get("leader", "/api/units").json()
    parents = {u["parent_id"] for u in units if u["parent_id"]}
    best = None
    for period in ("week", "month"):
        on = api.busy(period)
        ranking = api.get("leader", "/api/stats/ranking", period=period, on=on).json()
        for row in (row for group in ranking["groups"] for row in group["rows"]):
            if row["list"] != "black":
                continue
            s = api.get("leader", "/api/stats/summary", period=period, on=on, unit_id=row["unit_id"]).json()
            score = (row["unit_id"] not in parents, s["total"]["overdue_now"] > 0, period == "week")
            if best is None or score > best[0]:
                best = (score, period, on, row, s)
    assert best is not None, "the demo city should have a black-listed unit in a week or a month"
    return best[1:]


def test_leader_drills_from_black_list_to_overdue_tickets(new_context, api, shots):
    period, on, row, summary = _pick_black_unit(api)
    page = new_context().new_page()
    login(page, "leader")
    page.wait_for_url("**/dashboard**")
    page.goto(f"/dashboard?period={period}&on={on}")
    page.wait_for_selector("[data-testid=rank-black]")
    page.wait_for_selector("[data-testid=fig-overdue_now]")
    page.wait_for_selector(".echart canvas")
    page.wait_for_timeout(800)  # let the charts and the map draw
    page.screenshot(path=str(shots / "dashboard-phone.png"), full_page=True)
    page.screenshot(path=str(shots / "dashboard-phone-first-screen.png"))

    page.click(f"[data-testid=rank-black-unit][data-unit-id='{row['unit_id']}']")
    page.wait_for_url(f"**unit_id={row['unit_id']}**")
    # The unit's figures have arrived when its name heads them: the city's figure may equal the unit's (all of
    # the city's overdue tickets can be this unit's), so the figure alone does not say the page moved on.
    expect(page.locator(".section-title").first).to_contain_text(row["unit_name"], timeout=20_000)
    figure = page.locator("[data-testid=fig-overdue_now] .val")
    page.wait_for_function(
        "([sel, want]) => document.querySelector(sel)?.textContent.trim() === want",
        arg=["[data-testid=fig-overdue_now] .val", str(summary["total"]["overdue_now"])],
    )
    assert figure.inner_text().strip() == str(summary["total"]["overdue_now"])
    assert row["unit_name"] in page.locator(".section-title").first.inner_text()

    page.click("[data-testid=fig-overdue_now]")
    page.wait_for_url("**/stats/tickets?**metric=overdue_now**")
    page.wait_for_selector("[data-testid=drill-count]")
    expected = summary["total"]["overdue_now"]
    page.wait_for_function(f"() => document.querySelectorAll('[data-testid=drill-list] [data-case]').length === {expected}")
    shown = sorted(page.locator("[data-testid=drill-list] [data-case]").evaluate_all(
        "els => els.map(e => e.dataset.case)"))
    # The server's truth: the ticket list's own overdue filter for that unit (and its sub-units, if any).
    unit_ids = [row["unit_id"]] + [u["id"] for u in api.get("leader", "/api/units").json()
                                   if u["parent_id"] == row["unit_id"]]
    truth = sorted(t["case_number"] for uid in unit_ids for t in api.tickets("leader", overdue="true", unit_id=uid))
    assert shown == truth
    page.screenshot(path=str(shots / "dashboard-drill-overdue.png"))


def test_drill_page_without_a_metric_lists_the_default_figure(new_context, api):
    """/stats/tickets typed or bookmarked without ?metric= shows 派遣数 (its title) and lists those tickets,
    not an "invalid request" under the right title."""
    on = api.busy("week")
    expected = api.get("leader", "/api/stats/tickets", metric="dispatched", period="week", on=on,
                       limit=200).json()["items"]
    page = new_context().new_page()
    login(page, "leader")
    page.wait_for_url("**/dashboard**")
    page.goto(f"/stats/tickets?period=week&on={on}")
    want = min(len(expected), 50)
    assert want > 0, f"the demo city has tickets dispatched in the week of {on}"
    page.wait_for_function(f"() => document.querySelectorAll('[data-testid=drill-list] [data-case]').length === {want}")
    assert page.get_by_text("请求参数有误").count() == 0


# Stricter rules than the defaults: nobody reaches 100 % with red_top 0, so no group has a red list; black is
# only each group's bottom 1 (with the units tied with it), so every other unit is on neither list.
NO_RED = {"red_min_rate": "1.0", "red_top": "0", "black_max_rate": "0", "black_bottom": "1"}


def test_ranking_without_red_list_per_unit_kind(new_context, api, shots):
    on = api.busy("month", need=lambda ranking: {"department", "territorial"} <= {g["kind"] for g in ranking["groups"]})
    truth = api.get("leader", "/api/stats/ranking", period="month", on=on, **NO_RED).json()
    groups = {g["kind"]: g for g in truth["groups"]}
    # The demo city's districts with their street offices, and its departments, both with tickets that month.
    assert {"department", "territorial"} <= set(groups), list(groups)
    page = new_context(service_workers="block").new_page()
    login(page, "leader")
    page.wait_for_url("**/dashboard**")
    page.route("**/api/stats/ranking?**", lambda r: r.continue_(
        url=r.request.url + "".join(f"&{k}={v}" for k, v in NO_RED.items())))
    page.goto(f"/dashboard?period=month&on={on}")
    page.wait_for_selector("[data-testid=rank-group]")
    shown = page.locator("[data-testid=rank-group]")
    assert shown.evaluate_all("els => els.map(e => e.dataset.kind)") == [g["kind"] for g in truth["groups"]]
    titles = {"department": "职能部门", "territorial": "属地（区、街道）", "company": "企业"}
    for i, g in enumerate(truth["groups"]):
        section = shown.nth(i)
        size = f"{len(g['rows'])} 个单位排名"  # so a lone unit's 第1名 on the 黑榜 reads as what it is
        assert section.locator(".group-title").inner_text().strip() == titles[g["kind"]] + size
        assert section.locator("[data-testid=rank-group-size]").inner_text() == size
        assert "本期没有单位达到红榜标准" in section.locator("[data-testid=rank-no-red]").inner_text()
        assert section.locator("[data-testid=rank-red]").count() == 0

        def listed(name, section=section):
            return [(int(b.get_attribute("data-unit-id")), b.locator("[data-testid=rank-place]").inner_text().strip())
                    for b in section.locator(f"[data-testid=rank-{name}-unit]").all()]

        # Black: the worst first; the rest: in rank order; each with its rank within the group.
        black = [r for r in g["rows"] if r["list"] == "black"][::-1]
        rest = [r for r in g["rows"] if r["list"] is None]
        # A rank several units share reads 并列 (a group all tied, black together, read 第1名 on the 黑榜).
        ranks = [r["rank"] for r in g["rows"]]

        def place(r, ranks=ranks):
            return f"并列第{r['rank']}名" if ranks.count(r["rank"]) > 1 else f"第{r['rank']}名"
        assert listed("black") == [(r["unit_id"], place(r)) for r in black]
        assert listed("rest") == [(r["unit_id"], place(r)) for r in rest]
        assert len(black) + len(rest) == len(g["rows"])
        if g["unranked"]:  # named, not only counted ("另有 1 个单位…" left a leader guessing which)
            names = {u["id"]: u["name"] for u in api.get("leader", "/api/units").json()}
            said = section.locator("[data-testid=rank-unranked]").inner_text()
            assert said.endswith("：" + "、".join(names[i] for i in g["unranked"])), said
        # The bottom 1 of a group is black; a group's only unit only by its rate (black_max_rate 0: never).
        assert bool(black) == (len(g["rows"]) > 1), g["rows"]
        # Units are ranked on closure rate, on-time rate and overdue; units equal on those share a rank, and a tie
        # reaching the bottom is black together (units differing only in rectification rate were all black once).
        if len({r["rank"] for r in g["rows"]}) > 1:
            assert rest, "a group whose units hold different ranks has units on neither list"
    page.locator("[data-testid=rank-group]").first.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "dashboard-ranking-no-red.png"))
    page.locator(".ranklists").screenshot(path=str(shots / "dashboard-ranking-no-red-lists.png"))


def test_closure_timeline_notice_and_printable_bulletin(new_context, api, shots):
    reworked = [t for t in api.tickets("dispatcher", status="closed") if t["rework_count"]]
    tid = (reworked or api.tickets("dispatcher", status="closed"))[0]["id"]
    page = new_context().new_page()
    login(page, "dispatcher")
    page.goto(f"/stats/tickets/{tid}/timeline")
    page.wait_for_selector("[data-testid=ticket-timeline] .echart canvas")
    page.wait_for_timeout(500)
    page.screenshot(path=str(shots / "dashboard-ticket-timeline.png"), full_page=True)
    stages = api.get("dispatcher", f"/api/stats/tickets/{tid}/timeline").json()["stages"]
    if reworked:
        assert max(s["round"] for s in stages) >= 1

    # The printable pages are HTML with inline photos: render them as the browser would print them.
    # A notice only for a ticket still to rectify (a closed one answers 409).
    open_tid = api.tickets("dispatcher", status="dispatched", overdue="true")[0]["id"]
    for name, path, params in (("bulletin", "/api/stats/bulletin.html", {"period": "month"}),
                               ("notice", f"/api/stats/notice/{open_tid}.html", {})):
        r = api.get("dispatcher", path, **params)
        assert r.status_code == 200 and "/api/photos/" not in r.text
        doc = new_context(viewport={"width": 794, "height": 1123}, is_mobile=False, has_touch=False).new_page()
        doc.set_content(r.text)
        doc.emulate_media(media="print")
        doc.screenshot(path=str(shots / f"print-{name}.png"), full_page=True)
        # Opened on a phone (the 打印版 button): the page fits the screen, a wide table scrolls in its own box.
        phone = new_context().new_page()
        phone.set_content(r.text)
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), name
        phone.screenshot(path=str(shots / f"print-{name}-phone.png"))


# The printable width of A4 landscape with the printouts' 12 mm margins (273 mm at 96 px an inch).
A4_LANDSCAPE_PX = 1032
# Cells that must stay on one line: a breakdown's headers, and every header and cell but the text columns of a
# round report's tables (they broke as "按期结/案", "失/分", "BA-/01" when one wide column took the width).
ONE_LINE = "table.stacked th, table.fit th:not(.l), table.fit td:not(.l)"
BROKEN = """sel => [...document.querySelectorAll(sel)].filter(el => {
    const range = document.createRange(); range.selectNodeContents(el);
    return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1;
}).map(el => el.textContent)"""


def test_printouts_keep_headers_and_codes_on_one_line_at_a4_landscape(new_context, api, shots):
    round_id = next(r["id"] for r in api.get("leader", "/api/evaluation/rounds", limit=20).json()["items"]
                    if r["state"] == "published")
    for name, path, params in (("bulletin", "/api/stats/bulletin.html", {"period": "week", "on": api.busy("week")}),
                               ("round", f"/api/evaluation/rounds/{round_id}/report.html", {})):
        r = api.get("leader", path, **params)
        assert r.status_code == 200, r.text
        doc = new_context(viewport={"width": A4_LANDSCAPE_PX, "height": 1400}, is_mobile=False,
                          has_touch=False).new_page()
        doc.set_content(r.text)
        doc.emulate_media(media="print")
        assert doc.locator(ONE_LINE).count() > 20, name
        assert doc.evaluate(BROKEN, ONE_LINE) == [], name
        assert doc.evaluate("document.documentElement.scrollWidth") <= A4_LANDSCAPE_PX, name
        doc.screenshot(path=str(shots / f"print-{name}-a4-landscape.png"), full_page=True)


def test_the_office_s_own_figures_say_what_they_are_out_of(new_context, api):
    """按时派遣 and 按时核查 each say their base (派遣数, 核查次数); 按时核查 read "8 100.0% / 按时核查 / 8"."""
    page = new_context().new_page()
    login(page, "dispatcher", "/dashboard?period=month")
    page.wait_for_selector("[data-testid=office-figures]")
    total = api.get("dispatcher", "/api/stats/summary", period="month").json()["total"]
    assert page.inner_text("[data-testid=dispatched_on_time-of]") == f"共派遣 {total['dispatched']} 件"
    assert page.inner_text("[data-testid=verified_on_time-of]") == f"共核查 {total['verified']} 次"


def test_unit_sees_own_dashboard_and_dispatcher_on_desktop(new_context, api, shots):
    on = api.busy("week")
    page = new_context().new_page()
    login(page, "unit_cgj", f"/dashboard?period=week&on={on}")
    page.wait_for_selector("[data-testid=fig-overdue_now]")
    own = api.get("unit_cgj", "/api/stats/summary", period="week", on=on).json()
    assert own["scope"]["unit_name"] == "市城市管理局"
    assert "市城市管理局" in page.locator(".scope-fixed").inner_text()
    assert page.locator("[data-testid=scope]").count() == 0 and page.locator("[data-testid=export]").count() == 0
    assert page.locator("[data-testid=fig-overdue_now] .val").inner_text().strip() == str(own["total"]["overdue_now"])
    page.wait_for_selector("[data-testid=rank-black], [data-testid=rank-red]")  # the city-wide ranking

    desk = new_context(viewport={"width": 1280, "height": 900}, is_mobile=False, has_touch=False,
                       device_scale_factor=1).new_page()
    login(desk, "dispatcher", "/dashboard?period=month")
    desk.wait_for_selector(".echart canvas")
    desk.wait_for_timeout(800)
    desk.screenshot(path=str(shots / "dashboard-desktop.png"))


def test_change_to_date_and_breakdowns_on_a_360_px_phone(new_context, api, shots):
    """环比 is a small ↑/↓ beside a figure, 本月/本年累计 a short table, the breakdowns a collapsed section that
    loads when opened; nothing is wider than the phone."""
    on = api.busy("month")
    summary = api.get("leader", "/api/stats/summary", period="month", on=on, to_date="true").json()
    page = new_context(viewport={"width": 360, "height": 780}).new_page()
    login(page, "leader")
    page.wait_for_url("**/dashboard**")
    page.goto(f"/dashboard?period=month&on={on}")
    page.wait_for_selector("[data-testid=fig-closure_rate] [data-testid=delta]")
    # 返工率 to two decimals with its change in points to two, as the printout and the Excel file give them
    # (the dashboard said 6.7 % where the printout said 6.67 %); the other rates to one.
    total = summary["total"]
    assert page.locator("[data-testid=fig-rework_rate] .val").inner_text().strip() == pct(total["rework_rate"], 2)
    assert page.locator("[data-testid=fig-closure_rate] .val").inner_text().strip() == pct(total["closure_rate"])
    points = half_up(Decimal(repr(total["rework_rate"])) * 100 - Decimal(repr(total["previous"]["rework_rate"])) * 100, 2)
    rework_delta = page.locator("[data-testid=fig-rework_rate] [data-testid=delta]").inner_text()
    assert rework_delta == "持平" if points == 0 else rework_delta == f"{'↑' if points > 0 else '↓'}{abs(points)}个百分点"
    assert page.locator("[data-testid=to-date-year]").count() == 0  # asked for when the section opens
    page.locator("[data-testid=breakdowns] .van-collapse-item__title").click()
    page.wait_for_selector("[data-testid=to-date-year]")
    year = page.locator("[data-testid=to-date-year] b").first.inner_text().strip()
    assert year == str(summary["year_to_date"]["total"]["reported"])
    page.wait_for_selector("[data-testid=breakdown-district] .urow:not(.uhead)")
    page.wait_for_selector("[data-testid=breakdown-category_class] .urow:not(.uhead)")
    # By grid (the demo city has grids) and by evaluation site type, each row's 结案率 with its 环比 when it moved.
    page.wait_for_selector("[data-testid=breakdown-grid] .urow:not(.uhead)")
    page.wait_for_selector("[data-testid=breakdown-site_type] .urow:not(.uhead)")
    assert page.locator("[data-testid=breakdown-grid] .uhead").inner_text().startswith("网格")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    # 各单位: the header's columns line up with the rows' (the header was wider than its card, its last column cut).
    head = page.locator("[data-testid=units-head] > :last-child").bounding_box()
    cell = page.locator(".units .urow:not(.uhead) > :last-child").first.bounding_box()
    assert abs((head["x"] + head["width"]) - (cell["x"] + cell["width"])) <= 1
    page.locator("[data-testid=breakdowns]").scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "dashboard-360-breakdowns.png"), full_page=True)


def test_a_figure_of_occurrences_says_times_beside_the_tickets_it_lists(new_context, api):
    """催办数 counts urges: one ticket urged twice is 2 次 and listed once. The drill-down says so instead of
    "共 N 件" above fewer tickets."""
    [ticket] = api.tickets("dispatcher", status="dispatched", limit=1)[:1]
    for _ in range(2):
        r = httpx.post(f"{api.base}/api/tickets/{ticket['id']}/urge", json={"action_id": str(uuid.uuid4())},
                       headers={"Authorization": f"Bearer {api.token('dispatcher')}"}, timeout=20)
        assert r.status_code == 200, r.text
    urged = api.get("leader", "/api/stats/summary", period="week").json()["total"]["urged"]
    listed = api.get("leader", "/api/stats/tickets", metric="urged", period="week", limit=200).json()["items"]
    assert urged >= len(listed) + 1  # the second urge of the ticket is one more time, not one more ticket
    page = new_context().new_page()
    login(page, "leader")
    page.wait_for_url("**/dashboard**")
    page.goto("/stats/tickets?metric=urged&period=week")
    expect(page.locator("[data-testid=drill-count]")).to_have_text(f"共 {urged} 次（一件案件多次只列一次）")
    page.wait_for_function(
        f"() => document.querySelectorAll('[data-testid=drill-list] [data-case]').length === {len(listed)}")
    assert ticket["case_number"] in page.locator("[data-testid=drill-list]").inner_text()


def test_a_period_just_begun_points_to_the_one_just_ended(new_context, api, shots):
    """On a Monday morning (or a 1st) the period running has nothing dispatched: every rate is "—". The dashboard
    says why and offers the period just ended in one tap. A unit that has never had a ticket stands in for the
    new week, so the test holds at any hour."""
    r = httpx.post(f"{api.base}/api/admin/units", json={"name": f"新设单位 {uuid.uuid4().hex[:6]}"},
                   headers={"Authorization": f"Bearer {api.token('admin')}"}, timeout=20)
    assert r.status_code == 201, r.text
    unit_id = r.json()["id"]
    page = new_context().new_page()
    login(page, "leader", f"/dashboard?unit_id={unit_id}")
    hint = page.locator("[data-testid=just-begun]")
    expect(hint).to_contain_text("本周尚无派遣的案件")
    page.screenshot(path=str(shots / "dashboard-week-just-begun.png"))
    this = api.get("leader", "/api/stats/summary", period="week", unit_id=unit_id).json()["period"]
    before = date.fromisoformat(this["start_date"]) - timedelta(days=1)
    last = api.get("leader", "/api/stats/summary", period="week", on=before.isoformat()).json()["period"]["label"]
    page.click("[data-testid=see-previous]")
    expect(page.locator("[data-testid=period-label]")).to_have_text(last)
    expect(hint).to_have_count(0)  # an ended period, though as empty for this unit: nothing more to wait for

    page.goto(f"/dashboard?period=month&unit_id={unit_id}")
    expect(hint).to_contain_text("本月尚无派遣的案件")
    page.click("[data-testid=see-previous]")
    this = api.get("leader", "/api/stats/summary", period="month").json()["period"]
    before = date.fromisoformat(this["start_date"]) - timedelta(days=1)
    last = api.get("leader", "/api/stats/summary", period="month", on=before.isoformat()).json()["period"]["label"]
    expect(page.locator("[data-testid=period-label]")).to_have_text(last)

    # A period with tickets says nothing of the kind.
    page.goto(f"/dashboard?period=week&on={api.busy('week')}")
    page.wait_for_selector("[data-testid=fig-overdue_now]")
    expect(hint).to_have_count(0)


def test_dashboard_map_colours_overdue_points_and_names_the_colour(new_context, api, shots):
    """The dashboard's map: a marker in its status's colour (the map page's), an overdue one (and a cluster holding
    one) in the overdue red, which the legend names."""
    points = api.get("leader", "/api/stats/open-points", limit=3000).json()
    overdue = {p["id"] for p in points if p["overdue"]}
    assert overdue, "the demo city has overdue tickets"
    page = new_context(viewport={"width": 1366, "height": 900}, is_mobile=False, has_touch=False,
                       device_scale_factor=1).new_page()
    login(page, "leader", "/dashboard?period=week")
    legend = page.locator("[data-testid=map-legend]")
    legend.wait_for()
    red = legend.locator("[data-testid=map-legend-overdue]")
    assert "超期" in red.inner_text()
    colour = red.locator("i").evaluate("el => getComputedStyle(el).backgroundColor")
    assert colour == "rgb(224, 0, 32)", colour
    page.locator(".mapbox .leaflet-marker-icon").first.wait_for()
    page.locator(".mapbox").scroll_into_view_if_needed()
    drawn = "() => [...document.querySelectorAll('.mapbox .xc-dot span, .mapbox .xc-cluster span')].map(e => getComputedStyle(e).backgroundColor)"
    assert colour in page.evaluate(drawn), "an overdue point (or its cluster) is red"
    page.screenshot(path=str(shots / "dashboard-map-1366.png"))
    # Every status an open problem can have is in the legend, each in the map page's colour, none of them the red.
    statuses = {p["status"] for p in points}
    assert statuses <= set(legend.locator("li[data-status]").evaluate_all("els => els.map(e => e.dataset.status)"))
    legend_colours = legend.locator("li[data-status] i").evaluate_all("els => els.map(e => getComputedStyle(e).backgroundColor)")
    assert colour not in legend_colours
    # Zoomed in (clusters come apart): every point drawn is red or in a colour the legend names.
    for _ in range(2):
        page.evaluate("() => document.querySelector('.mapbox .leaflet-control-zoom-in').click()")
        page.wait_for_timeout(500)
    shown = page.evaluate("() => [...document.querySelectorAll('.mapbox .xc-dot span')].map(e => getComputedStyle(e).backgroundColor)")
    assert shown and set(shown) <= {colour, *legend_colours}, shown
    page.screenshot(path=str(shots / "dashboard-map-zoomed-1366.png"))


def test_the_map_page_colours_overdue_points_as_the_dashboard_does(new_context, api, shots):
    """The map page (a phone's): overdue tickets red, the red named first in its legend where a phone shows it."""
    overdue = [t for t in api.tickets("dispatcher", status=["dispatched"]) if t["overdue"]]
    assert overdue, "the demo city has overdue tickets"
    page = new_context().new_page()
    login(page, "dispatcher", "/map")
    key = page.locator("[data-testid=map-legend-overdue]")
    key.wait_for()
    assert "超期" in key.inner_text()
    colour = key.locator(".dot").evaluate("el => getComputedStyle(el).backgroundColor")
    assert colour == "rgb(224, 0, 32)", colour
    box, width = key.bounding_box(), page.viewport_size["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, "the key is on screen without scrolling the legend"
    page.locator(".leaflet-marker-icon").first.wait_for()
    drawn = page.evaluate("() => [...document.querySelectorAll('.xc-dot span, .xc-cluster span')]"
                          ".map(e => getComputedStyle(e).backgroundColor)")
    assert colour in drawn, "an overdue point (or its cluster) is red"
    page.screenshot(path=str(shots / "map-page-overdue.png"))
