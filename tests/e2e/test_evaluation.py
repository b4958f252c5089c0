"""实地测评 on a phone: the dispatcher draws a round by counts with a seed and starts it; the inspector finds the
sites dealt to them; the unit sees nothing of the round before it is published."""

import pytest

from tests.e2e.conftest import login, pct

pytestmark = pytest.mark.e2e


def test_dispatcher_draws_a_round_and_the_inspector_gets_its_sites(new_context, api, shots):
    page = new_context().new_page()
    # The demo city's 41 sites (app/demo/seed.py SITES), and any an earlier test of the session added.
    total = api.get("dispatcher", "/api/evaluation/sites", limit=1).json()["total"]
    assert total >= 41
    login(page, "dispatcher", "/eval/sites")
    page.wait_for_selector(f"[data-testid=eval-sites-total]:has-text('{total}')")
    page.click("[data-testid=eval-sites-map-toggle]")
    page.wait_for_selector("[data-testid=eval-sites-map] .leaflet-marker-icon")  # dots or clusters of the sites
    page.screenshot(path=str(shots / "eval-sites-map.png"))
    page.goto("/eval/rounds/new")
    page.fill("[data-testid=eval-round-name] input", "第 49 周模拟测评")
    page.wait_for_selector("[data-testid=eval-count-bus_stop]")
    for _ in range(2):
        page.click("[data-testid=eval-count-bus_stop] .van-stepper__plus")
    page.fill("[data-testid=eval-round-seed] input", "7")
    page.click("text=李督查")
    page.click("[data-testid=eval-round-dispatch-on-publish]")  # 发布时直接交办: the form had no way to ask it
    page.screenshot(path=str(shots / "eval-round-new.png"), full_page=True)
    page.click("[data-testid=eval-round-create]")
    page.wait_for_url("**/eval/rounds/*")
    page.wait_for_selector("[data-testid=eval-round-site] >> nth=1")
    assert page.locator("[data-testid=eval-round-site]").count() == 2
    assert page.locator("[data-testid=eval-round-site-inspectors]:has-text('李督查')").count() == 2
    round_id = int(page.url.rsplit("/", 1)[1])
    detail = api.get("dispatcher", f"/api/evaluation/rounds/{round_id}").json()
    assert (detail["seed"], detail["draw"]["counts"], detail["state"]) == (7, {"bus_stop": 2}, "draft")
    assert detail["dispatch_on_publish"] is True

    page.click("[data-testid=eval-to-active]")
    page.locator(".van-dialog__confirm").click()
    page.wait_for_selector("[data-testid=eval-round-state]:has-text('进行中')")
    page.wait_for_selector(".van-dialog", state="hidden")
    page.screenshot(path=str(shots / "eval-round-detail.png"), full_page=True)

    inspector = new_context().new_page()
    login(inspector, "inspector", "/eval/mine")
    inspector.wait_for_selector("[data-testid=eval-my-site] >> nth=1")
    shown = {int(x) for x in inspector.locator("[data-testid=eval-my-site]").evaluate_all(
        "els => els.map(e => e.dataset.id)")}
    # This round's two sites, beside those the demo's round under way dealt to 李督查.
    mine = api.get("inspector", "/api/evaluation/my-sites").json()
    assert {s["site"]["id"] for s in mine if s["round_id"] == round_id} == {s["site"]["id"] for s in detail["sites"]}
    assert shown == {s["site"]["id"] for s in mine}
    inspector.screenshot(path=str(shots / "eval-my-sites.png"), full_page=True)

    # Before publication the round does not exist for a unit, even one responsible for a drawn site (the unit
    # sees the demo's published round, if one of its sites was in it, and nothing else).
    unit = new_context().new_page()
    login(unit, "unit_cgj", "/eval/rounds")
    unit.wait_for_selector("[data-testid=eval-round-row], :text('暂无测评任务')")
    listed = unit.locator("[data-testid=eval-round-row]").evaluate_all("els => els.map(e => Number(e.dataset.id))")
    assert round_id not in listed
    assert all(r["state"] == "published" for r in api.get("unit_cgj", "/api/evaluation/rounds").json()["items"])
    assert api.get("unit_cgj", f"/api/evaluation/rounds/{round_id}").status_code == 404


def _post(api, username, path, body):
    import httpx
    r = httpx.post(f"{api.base}{path}", json=body, headers={"Authorization": f"Bearer {api.token(username)}"},
                   timeout=30)
    assert r.status_code in (200, 201), r.text
    return r.json()


def test_the_published_report_the_office_s_screen_and_the_unit_s_own_findings(new_context, api, shots):
    """A round over one of 市城市管理局's sites with one 不达标: the office sees the report and the finding's origin
    on the ticket (not dispatchable yet); after publication the unit sees its own report and 问题清单."""
    import uuid

    import httpx

    from tests.fixtures.images import make_jpeg

    me = api.get("unit_cgj", "/api/me").json()
    site = api.get("dispatcher", "/api/evaluation/sites", unit_id=me["unit_id"], limit=1).json()["items"][0]
    inspector = next(u for u in api.get("dispatcher", "/api/evaluation/inspectors").json())
    rnd = _post(api, "dispatcher", "/api/evaluation/rounds",
                {"name": "报告测评", "site_ids": [site["id"]], "inspector_ids": [inspector["id"]],
                 "starts_at": "2026-12-01T09:00:00+08:00", "ends_at": "2026-12-31T18:00:00+08:00"})
    rid = rnd["id"]
    _post(api, "dispatcher", f"/api/evaluation/rounds/{rid}/transition", {"to": "active"})
    items = api.get("dispatcher", f"/api/evaluation/checklists/{rnd['sites'][0]['checklist_id']}").json()["items"]
    answers = [{"item_code": i["code"], "verdict": "pass"} for i in items]
    username = next(u for u in ("inspector", "inspector2")
                    if api.get(u, "/api/me").json()["id"] == inspector["id"])
    fail = items[0]
    pid = str(uuid.uuid4())
    httpx.post(f"{api.base}/api/photos", data={"id": pid}, files={"file": ("p.jpg", make_jpeg(800, 600), "image/jpeg")},
               headers={"Authorization": f"Bearer {api.token(username)}"}, timeout=30).raise_for_status()
    photo_ids = [pid]  # the demo checklists ask one photo of a failed item
    answers[[i["code"] for i in items].index(fail["code"])] = {"item_code": fail["code"], "verdict": "fail",
                                                                 "occurrences": 1, "photo_ids": photo_ids}
    _post(api, username, f"/api/evaluation/rounds/{rid}/sites/{site['id']}/result",
          {"id": str(uuid.uuid4()), "status": "evaluated", "answers": answers})
    report = api.get("dispatcher", f"/api/evaluation/rounds/{rid}/report").json()
    (finding,) = report["findings"]

    page = new_context().new_page()
    login(page, "dispatcher", f"/eval/rounds/{rid}")
    page.wait_for_selector("[data-testid=eval-report-rate]")
    assert page.inner_text("[data-testid=eval-report-rate]") == pct(report["total"]["rate"])
    assert page.locator("[data-testid=eval-report-rank]").count() == 1
    page.click(".van-tab:has-text('问题清单')")
    page.click(f"[data-testid=eval-report-finding]:has-text('{finding['case_number']}')")
    page.wait_for_selector("[data-testid=ticket-origin]")
    assert "报告测评" in page.inner_text("[data-testid=ticket-origin]")
    assert page.locator("[data-testid=awaiting-round]").count() == 1
    page.screenshot(path=str(shots / "eval-finding-origin.png"), full_page=True)
    # The dashboard's card of the latest rounds: this one (the newest) with its 得分率, linking to its page.
    page.goto("/dashboard")
    row = page.locator(f"[data-testid=recent-round][data-id='{rid}']")
    row.wait_for()
    row.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "dashboard-recent-rounds.png"))
    assert page.locator("[data-testid=recent-round]").count() <= 3
    assert row.locator("[data-testid=recent-round-rate]").inner_text() == pct(report["total"]["rate"])
    row.click()
    page.wait_for_url(f"**/eval/rounds/{rid}")
    page.wait_for_selector("[data-testid=eval-report-rate]")

    unit = new_context().new_page()
    login(unit, "unit_cgj", f"/eval/rounds/{rid}")
    assert api.get("unit_cgj", f"/api/evaluation/rounds/{rid}/report").status_code == 404
    # 四不两直: the unit's dashboard has no rounds card (office roles only) and shows nothing of the round.
    unit.goto("/dashboard")
    unit.wait_for_selector("[data-testid=overdue-loading], .overdue-list .muted, .overdue-list .ticket-card",
                           state="attached")
    unit.wait_for_timeout(500)
    assert unit.locator("[data-testid=recent-rounds]").count() == 0
    assert "报告测评" not in unit.content()
    for to in ("closed", "published"):
        _post(api, "dispatcher", f"/api/evaluation/rounds/{rid}/transition", {"to": to})
    unit.goto(f"/eval/rounds/{rid}")
    unit.wait_for_selector("[data-testid=eval-report-rate]")
    unit.click(".van-tab:has-text('问题清单')")
    # The round leaves its findings for triage: the unit sees its failed item, not yet the ticket's number.
    unit.wait_for_selector("[data-testid=eval-report-finding]:has-text('待交办')")
    assert finding["case_number"] not in unit.content()
    _post(api, "dispatcher", f"/api/tickets/{finding['ticket_id']}/dispatch",
          {"action_id": str(uuid.uuid4()), "unit_id": site["unit_id"]})
    unit.reload()
    unit.wait_for_selector("[data-testid=eval-report-rate]")
    unit.click(".van-tab:has-text('问题清单')")
    unit.wait_for_selector(f"[data-testid=eval-report-finding]:has-text('{finding['case_number']}')")
    assert unit.locator("[data-testid=eval-report-finding]").count() == 1
    unit.screenshot(path=str(shots / "eval-report-unit.png"), full_page=True)
    # The printable page opens from the report (a blob page, photos inline) for the unit too.
    with unit.expect_popup() as popup:
        unit.click("[data-testid=eval-report-print]")
    printable = popup.value
    printable.wait_for_selector("text=实地测评报告")
    assert finding["case_number"] in printable.content()
    # A 打印 button (the page said "use the browser's menu", which an app installed on a phone has none of); the
    # page itself runs no script: the app that opened it adds the button, and the button prints.
    button = printable.locator("[data-testid=print-button]")
    button.wait_for()
    printable.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1 } }")
    button.click()
    assert printable.evaluate("() => window.__printed") == 1
    assert "浏览器菜单" not in printable.locator(".toolbar").inner_text()


def test_unit_filters_its_own_sites_by_type(new_context, api):
    """A unit may not read the checklists' site-type list (403): its type filter offers its own sites' types,
    and picking one lists exactly the API's sites of that type."""
    sites = api.get("unit_cgj", "/api/evaluation/sites", limit=500).json()["items"]
    by_type: dict[str, list[str]] = {}
    for s in sites:
        by_type.setdefault(s["site_type_name"], []).append(s["name"])
    assert len(by_type) >= 2, "the demo unit has sites of several types"
    name, want = sorted(by_type.items(), key=lambda kv: len(kv[1]))[0]
    page = new_context().new_page()
    forbidden = []
    page.on("response", lambda r: forbidden.append(r.url) if r.status == 403 else None)
    login(page, "unit_cgj", "/eval/sites")
    page.wait_for_selector(f"[data-testid=eval-sites-total]:has-text('{len(sites)}')")
    page.click(".van-dropdown-menu__item")
    options = page.locator(".van-dropdown-item__option:visible")
    options.first.wait_for()
    assert options.count() == len(by_type) + 1  # 全部类型 and each of its types
    page.locator(".van-dropdown-item__option:visible", has_text=name).click()
    page.wait_for_selector(f"[data-testid=eval-sites-total]:has-text('{len(want)}')")
    page.wait_for_function(f"() => document.querySelectorAll('[data-testid=eval-site-row]').length === {len(want)}")
    shown = page.locator("[data-testid=eval-site-row] .name").all_inner_texts()
    assert sorted(shown) == sorted(want)
    assert forbidden == []


DESK = {"width": 1366, "height": 900}


def _english(new_context, **extra):
    ctx = new_context(locale="en-US", **extra)
    ctx.add_init_script("if (location.origin !== 'null') localStorage.setItem('xuncha.locale', 'en')")
    return ctx


def test_the_office_reaches_the_rounds_from_its_navigation_and_reads_the_report_in_english(new_context, api, shots):
    """Dispatcher and admin find 测评 in the desk navigation (the admin's still fits a 1366×900 screen); the
    published demo round's report names site types, dimensions and items in English, as the API gives them, and a
    unit reading its own sites on a phone gets its site types in English too."""
    rounds = api.get("dispatcher", "/api/evaluation/rounds", state="published").json()["items"]
    reports = {r["id"]: api.get("dispatcher", f"/api/evaluation/rounds/{r['id']}/report").json() for r in rounds}
    # The demo's published round (other tests publish rounds of their own, checklists without English)
    rid, report = next((r["id"], reports[r["id"]]) for r in rounds if r["name"] == "创城模拟测评（第一轮）")
    assert report["findings"] and report["items"]
    dims = [d["dimension_en"] or d["dimension"] for d in report["dimensions"]]
    assert report["dimensions"][0]["dimension_en"], "the demo checklists' dimensions have English names"
    item, finding, site = report["items"][0], report["findings"][0], report["sites"][0]
    assert item["text_en"] and finding["item_text_en"] and site["site_type_name_en"]

    for role in ("dispatcher", "admin", "leader"):
        page = _english(new_context, viewport=DESK, is_mobile=False, has_touch=False, device_scale_factor=1).new_page()
        login(page, role, "/dashboard")
        page.locator("[data-testid=desk-nav]").wait_for()
        nav = page.locator("[data-testid=nav-eval-rounds]")
        assert nav.inner_text().strip() == "Evaluation"
        # The whole navigation fits the screen: the signed-in user's line at its foot is not scrolled away.
        assert page.evaluate("() => { const n = document.querySelector('.desk-nav'); "
                             "return n.scrollHeight <= n.clientHeight }"), role
        nav.click()
        page.wait_for_url("**/eval/rounds")
        page.click(f"[data-testid=eval-round-row][data-id='{rid}']")
        page.wait_for_url(f"**/eval/rounds/{rid}")
        page.wait_for_selector("[data-testid=eval-report-rate]")
        # A round's page lights 测评 in the navigation.
        assert page.get_attribute("[data-testid=nav-eval-rounds]", "aria-current") == "page"
        if role != "dispatcher":
            continue
        page.click(".van-tab:has-text('Lost points')")
        page.wait_for_selector("[data-testid=eval-report-dimension]")
        shown = page.locator("[data-testid=eval-report-dimension] .grow").all_inner_texts()
        assert shown == dims
        first = page.locator("[data-testid=eval-report-item]").first
        assert first.locator("[data-testid=eval-report-item-text]").inner_text() == f"{item['code']} {item['text_en']}"
        assert item["site_type_name_en"] in first.inner_text()
        assert item["text"] not in page.inner_text("[data-testid=eval-report]")
        page.screenshot(path=str(shots / "eval-report-en-lost-1366.png"))
        page.click(".van-tab:has-text('Sites')")
        page.wait_for_selector("[data-testid=eval-report-site]")
        assert site["site_type_name_en"] in page.locator("[data-testid=eval-report-site]").first.inner_text()
        page.click(".van-tab:has-text('Findings')")
        page.wait_for_selector("[data-testid=eval-report-finding]")
        texts = page.locator("[data-testid=eval-report-finding-item]").all_inner_texts()
        assert f"{finding['item_code']} {finding['item_text_en']}" in texts
        assert finding["item_text"] not in page.inner_text("[data-testid=eval-report]")
        page.screenshot(path=str(shots / "eval-report-en-findings-1366.png"))

    # A unit reads no site types list: its round page names its sites' types from the sites themselves.
    unit_sites = api.get("unit_cgj", f"/api/evaluation/rounds/{rid}").json()["sites"]
    if unit_sites:
        phone = _english(new_context).new_page()
        login(phone, "unit_cgj", f"/eval/rounds/{rid}")
        row = phone.locator("[data-testid=eval-round-site]").first
        row.wait_for()
        assert unit_sites[0]["site"]["site_type_name_en"] in row.inner_text()
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
        row.scroll_into_view_if_needed()
        phone.screenshot(path=str(shots / "eval-round-unit-en-phone.png"))


def test_a_unit_sees_its_rank_in_the_whole_published_round(new_context, api):
    """A unit's report holds its own sites only; its rank is the one the office's report gives it (among all the
    round's units), said so, not first among its own sites."""
    rid = next(r["id"] for r in api.get("unit_xyjd", "/api/evaluation/rounds").json()["items"]
               if r["state"] == "published")
    office = api.get("dispatcher", f"/api/evaluation/rounds/{rid}/report").json()
    me = api.get("unit_xyjd", "/api/me").json()
    rank = next(u["rank"] for u in office["ranking"] if u["unit_id"] == me["unit_id"])
    page = new_context().new_page()
    login(page, "unit_xyjd", f"/eval/rounds/{rid}")
    page.wait_for_selector("[data-testid=eval-report-rank]")
    assert page.locator("[data-testid=eval-report-rank]").count() == 1
    assert page.inner_text("[data-testid=eval-report-rank] .rank") == str(rank)
    assert page.inner_text("[data-testid=eval-report-ranked-of]") == \
        f"排名按本轮全部点位计算，共 {len(office['ranking'])} 个单位参与排名"


def test_a_round_s_sites_get_their_inspectors_on_its_page_before_it_starts(new_context, api, shots):
    """A round made without inspectors (the API allows it) could start, and nobody could ever do its sites: it
    cannot start now, and its page says why and lets the office send someone to each site."""
    site = api.get("dispatcher", "/api/evaluation/sites", limit=1).json()["items"][0]
    rnd = _post(api, "dispatcher", "/api/evaluation/rounds",
                {"name": "待指派测评", "site_ids": [site["id"]], "starts_at": "2026-12-01T09:00:00+08:00",
                 "ends_at": "2026-12-31T18:00:00+08:00"})
    page = new_context().new_page()
    login(page, "dispatcher", f"/eval/rounds/{rnd['id']}")
    page.wait_for_selector("[data-testid=eval-unassigned-hint]:has-text('有 1 个点位未指派督查员')")
    page.click("[data-testid=eval-to-active]")
    page.locator(".van-dialog__confirm").click()
    page.wait_for_selector(".van-toast:has-text('未指派督查员')")
    assert api.get("dispatcher", f"/api/evaluation/rounds/{rnd['id']}").json()["state"] == "draft"
    page.click("[data-testid=eval-assign]")
    sheet = page.locator("[data-testid=eval-assign-sheet]")
    sheet.locator(".van-cell:has-text('李督查')").click()
    page.screenshot(path=str(shots / "eval-assign.png"))
    sheet.locator("[data-testid=eval-assign-save]").click()
    page.wait_for_selector("[data-testid=eval-round-site-inspectors]:has-text('李督查')")
    assert page.locator("[data-testid=eval-unassigned-hint]").count() == 0
    page.click("[data-testid=eval-to-active]")
    page.locator(".van-dialog__confirm").click()
    page.wait_for_selector("[data-testid=eval-round-state]:has-text('进行中')")
    me = next(u for u in ("inspector", "inspector2") if api.get(u, "/api/me").json()["display_name"] == "李督查")
    assert rnd["id"] in {m["round_id"] for m in api.get(me, "/api/evaluation/my-sites").json()}
    # Ending it before the site's result is in says what that means (it only asked "change to 已结束?").
    page.wait_for_selector(".van-dialog", state="hidden")
    page.click("[data-testid=eval-to-closed]")
    message = page.locator(".van-dialog__message")
    message.wait_for()
    assert "还有 1 个点位未提交测评结果：结束后不能再提交" in message.inner_text()
    page.locator(".van-dialog__cancel").click()
    assert api.get("dispatcher", f"/api/evaluation/rounds/{rnd['id']}").json()["state"] == "active"


def test_the_new_round_form_says_what_is_wrong_before_sending(new_context, api):
    page = new_context().new_page()
    login(page, "dispatcher", "/eval/rounds/new")
    page.fill("[data-testid=eval-round-name] input", "日期颠倒")
    page.wait_for_selector("[data-testid=eval-count-bus_stop]")
    page.click("[data-testid=eval-count-bus_stop] .van-stepper__plus")
    page.fill("[data-testid=eval-round-starts] input", "2026-12-10")
    page.fill("[data-testid=eval-round-ends] input", "2026-12-01")
    page.wait_for_selector("[data-testid=eval-round-ends] .van-field__error-message:has-text('结束日期不能早于开始日期')")
    page.click("[data-testid=eval-round-create]")
    page.wait_for_selector(".van-toast:has-text('结束日期不能早于开始日期')")
    page.fill("[data-testid=eval-round-ends] input", "2026-12-12")
    page.click("[data-testid=eval-round-create]")
    page.wait_for_selector(".van-toast:has-text('请至少选择一名督查员')")
    assert "/eval/rounds/new" in page.url
    assert "日期颠倒" not in {r["name"] for r in api.get("dispatcher", "/api/evaluation/rounds").json()["items"]}
