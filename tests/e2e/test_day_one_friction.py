"""Issue 8, friction a new user meets on day one: maps, login, inspector, dispatcher, unit clerk, English.

Each test drives the built PWA on a 390×844 phone in Chromium against the real backend and keeps a
screenshot of the screen it touched in tests/e2e/output/.
"""

from __future__ import annotations

import io
import json
import math
import re
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.conftest import CENTER, capture, login, wait_outbox_empty, wait_sw
from tests.fixtures.images import make_jpeg

pytestmark = pytest.mark.e2e


# ---- helpers ------------------------------------------------------------------------------------

def _post(api, username, path, **kw):
    r = httpx.post(f"{api.base}{path}", headers={"Authorization": f"Bearer {api.token(username)}"}, timeout=30, **kw)
    assert r.status_code in (200, 201), r.text
    return r.json()


def _photo(api, username, seed=0) -> str:
    pid = str(uuid.uuid4())
    data = make_jpeg(800, 600, lat=CENTER["latitude"], lng=CENTER["longitude"], pattern="noise", seed=seed)
    _post(api, username, "/api/photos", data={"id": pid}, files={"file": ("p.jpg", data, "image/jpeg")})
    return pid


def _report(api, description, address="向阳路 12 号门前", lat=30.2745, lng=120.1560, code="06005") -> dict:
    body = {"id": str(uuid.uuid4()), "category_code": code, "description": description, "lat": lat, "lng": lng,
            "accuracy_m": 6, "address": address, "photo_ids": [_photo(api, "inspector")]}
    return _post(api, "inspector", "/api/tickets", json=body)


def _act(api, username, tid, name, **body):
    return _post(api, username, f"/api/tickets/{tid}/{name}", json={"action_id": str(uuid.uuid4()), **body})


def _unit_id(api, name="市城市管理局") -> int:
    return next(u["id"] for u in api.get("dispatcher", "/api/units").json() if u["name"] == name)


def _rectified(api, description) -> dict:
    t = _report(api, description)
    _act(api, "dispatcher", t["id"], "dispatch", unit_id=_unit_id(api))
    _act(api, "unit_cgj", t["id"], "rectify", note="已清理", photo_ids=[_photo(api, "unit_cgj", seed=3)])
    return t


def wgs84_to_gcj02(lat, lng):
    """The same transform as frontend/src/lib/geo.js, to know where a marker must be drawn."""
    a, ee = 6378245.0, 0.00669342162296594323
    x, y = lng - 105.0, lat - 35.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    d_lat += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    d_lat += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    d_lng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    d_lng += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    d_lng += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    d_lng += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    rad = lat / 180.0 * math.pi
    magic = 1 - ee * math.sin(rad) ** 2
    d_lat = d_lat * 180.0 / ((a * (1 - ee)) / (magic * math.sqrt(magic)) * math.pi)
    d_lng = d_lng * 180.0 / (a / math.sqrt(magic) * math.cos(rad) * math.pi)
    return lat + d_lat, lng + d_lng


def _metres(a, b):
    dy = (a[0] - b[0]) * 111_320
    dx = (a[1] - b[1]) * 111_320 * math.cos(math.radians(a[0]))
    return math.hypot(dx, dy)


def _tile_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (256, 256), (222, 235, 214)).save(buf, "PNG")
    return buf.getvalue()


def _swipe(page, x0, x1, y):
    """A finger swipe (touch events: the phone context has no mouse-to-touch emulation)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y}]})
    for i in range(1, 11):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x0 + (x1 - x0) * i / 10, "y": y}]})
        page.wait_for_timeout(16)
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})


CJK_PUNCT_IN_ENGLISH = re.compile(r"[A-Za-z0-9][。：；，（）]|[（][A-Za-z0-9]|[A-Za-z0-9.]）|。[A-Z]")


# ---- maps ---------------------------------------------------------------------------------------

def test_map_tiles_come_from_the_server_setting_and_gcj02_is_applied(new_context, api, shots):
    """Default deployment (no 天地图 key): 高德 tiles, GCJ-02; a marker sits where GCJ-02 puts it."""
    config = httpx.get(f"{api.base}/api/config", timeout=10).json()
    assert config["map"]["crs"] == "gcj02" and "autonavi.com" in config["map"]["layers"][0]["url"]

    ctx = new_context()
    tiles: list[str] = []
    png = _tile_png()

    def serve_tile(route):
        tiles.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=png)

    ctx.route(re.compile(r"^https://webrd0[1-4]\.is\.autonavi\.com/.*"), serve_tile)
    ctx.route(re.compile(r"^https://tile\.openstreetmap\.org/.*"), lambda r: pytest.fail(f"OSM tile requested: {r.request.url}"))
    page = ctx.new_page()
    t = _report(api, "e2e 地图坐标系 GCJ-02")
    login(page, "dispatcher", f"/tickets/{t['id']}")
    marker = page.locator(f".leaflet-marker-icon[title='{t['case_number']}']")
    marker.wait_for()
    page.wait_for_function("document.querySelectorAll('.leaflet-tile-loaded').length >= 2")
    assert tiles and all("is.autonavi.com/appmaptile" in u for u in tiles)
    assert page.locator(".no-tiles").count() == 0  # no "底图不可用" with a reachable provider

    # Where is the marker in the tiles' own coordinates? Read one tile's x/y/z and its place on screen.
    info = page.evaluate("""(sel) => {
        const m = document.querySelector(sel).getBoundingClientRect()
        const tile = document.querySelector('.mini-map .leaflet-tile-loaded')
        const r = tile.getBoundingClientRect()
        return { mx: m.left + m.width / 2, my: m.top + m.height / 2, tx: r.left, ty: r.top, tw: r.width, src: tile.src }
    }""", f".leaflet-marker-icon[title='{t['case_number']}']")
    q = dict(re.findall(r"[?&]([xyz])=(\d+)", info["src"]))
    x, y, z = int(q["x"]), int(q["y"]), int(q["z"])
    scale = 256 / info["tw"]
    gx = x * 256 + (info["mx"] - info["tx"]) * scale
    gy = y * 256 + (info["my"] - info["ty"]) * scale
    world = 256 * 2 ** z
    lng = gx / world * 360 - 180
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * gy / world))))
    gcj = wgs84_to_gcj02(t["lat"], t["lng"])
    assert _metres((lat, lng), gcj) < 5, "marker is not at the GCJ-02 position on GCJ-02 tiles"
    assert _metres((lat, lng), (t["lat"], t["lng"])) > 200, "WGS-84 drawn on GCJ-02 tiles (no shift)"
    page.screenshot(path=str(shots / "day1-map-gcj02-detail.png"))

    # The per-phone tile setting is gone from 我的.
    page.goto("/me")
    page.wait_for_selector("[data-testid=logout]")
    body = page.inner_text("body")
    assert "底图" not in body and "坐标系" not in body
    page.screenshot(path=str(shots / "day1-me.png"), full_page=True)


# ---- login --------------------------------------------------------------------------------------

def test_demo_password_hint_only_when_the_server_says_so(new_context, shots):
    ctx = new_context()
    page = ctx.new_page()
    page.goto("/login")
    page.wait_for_selector("[data-testid=demo-hint]")  # the e2e server is seeded with the demo city
    assert "demo1234" in page.inner_text("[data-testid=demo-hint]")

    ctx2 = new_context()

    def no_demo(route):
        body = route.fetch().json()
        route.fulfill(status=200, content_type="application/json", body=json.dumps({**body, "demo_logins": False}))

    ctx2.route("**/api/config", no_demo)
    page2 = ctx2.new_page()
    with page2.expect_response("**/api/config"):
        page2.goto("/login")
    page2.wait_for_selector("[data-testid=login-submit]")
    page2.wait_for_timeout(300)
    assert page2.locator("[data-testid=demo-hint]").count() == 0
    assert "demo1234" not in page2.inner_text("body")
    page2.screenshot(path=str(shots / "day1-login-no-demo.png"))


# ---- inspector ----------------------------------------------------------------------------------

def test_a_verification_the_ticket_outran_is_shown_as_refused_with_no_resend(new_context, api, shots):
    """Verified offline while another inspector closed the ticket: the server refuses it (409 invalid_state).
    The outbox says it was sent and not applied (not "not sent yet"), why, and offers only to drop it:
    sending it again could only be refused again."""
    t = _rectified(api, f"e2e 已被他人核查 {uuid.uuid4().hex[:6]}")
    ctx = new_context()
    page = ctx.new_page()
    login(page, "inspector", "/verify")
    wait_sw(page)
    card = page.locator(f".vq[data-case='{t['case_number']}']")
    card.wait_for()
    ctx.set_offline(True)
    card.locator("button:has-text('通过')").click()
    page.locator("[data-testid=action-form-verify_pass] [data-testid=action-submit]").click()
    page.locator(".van-toast:has-text('已保存到本机')").wait_for()
    _act(api, "inspector2", t["id"], "verify", passed=True)  # asserts 200
    ctx.set_offline(False)
    page.goto("/outbox")
    item = page.locator("[data-testid=outbox-item][data-state=attention]")
    item.wait_for(timeout=60_000)
    text = item.inner_text()
    assert "已发送，服务器未执行" in text and "尚未发送" not in text
    assert "案件状态已变化（当前：已结案），此操作未执行" in text
    assert item.locator("button:has-text('重新发送')").count() == 0
    page.screenshot(path=str(shots / "outbox-refused-verify.png"))
    item.locator("button:has-text('放弃此项')").click()
    page.locator(".van-dialog__confirm").click()
    page.wait_for_selector("[data-testid=outbox-empty]")
    assert api.ticket(t["id"])["status"] == "closed"


def test_a_refused_action_shows_the_ticket_as_it_is_now_and_why(new_context, api, shots):
    """The ticket page open on 待核查 while another inspector closes it, then 核查通过 here: refused (409). The page
    kept 待核查 and "本机有 1 项操作待上传" after a short toast; it now shows the ticket as it is and why the action
    was not done, with the way to 待上传."""
    t = _rectified(api, f"e2e 页面上被他人核查 {uuid.uuid4().hex[:6]}")
    page = new_context().new_page()
    login(page, "inspector", f"/tickets/{t['id']}")
    page.locator("[data-testid=act-verify_pass]").wait_for()
    _act(api, "inspector2", t["id"], "verify", passed=True)  # asserts 200
    page.locator("[data-testid=act-verify_pass]").click()
    page.locator("[data-testid=action-form-verify_pass] [data-testid=action-submit]").click()
    banner = page.locator("[data-testid=refused-local]")
    banner.wait_for(timeout=30_000)
    assert "案件状态已变化（当前：已结案），此操作未执行" in banner.inner_text()
    expect(page.locator("[data-testid=status]").first).to_have_text("已结案")
    assert page.locator("[data-testid=pending-local]").count() == 0
    page.locator("[data-testid=action-form-verify_pass]").wait_for(state="hidden")
    page.screenshot(path=str(shots / "ticket-refused-action.png"))
    banner.locator("[data-testid=refused-local-outbox]").click()
    page.wait_for_url("**/outbox")
    page.locator("[data-testid=outbox-item][data-state=attention]").wait_for()


def test_verify_cards_say_what_where_how_far_and_when_and_photos_enlarge(new_context, api, shots):
    t = _rectified(api, f"e2e 回头看卡片 {uuid.uuid4().hex[:6]} 人行道堆放建筑垃圾")
    page = new_context().new_page()
    login(page, "inspector", "/verify")
    card = page.locator(f".vq[data-case='{t['case_number']}']")
    card.wait_for()
    assert "人行道堆放建筑垃圾" in card.locator("[data-testid=vq-desc]").inner_text()
    assert card.locator("[data-testid=vq-address]").inner_text() == "向阳路 12 号门前"
    card.locator("[data-testid=vq-distance]").wait_for()  # the phone is ~100 m from the ticket
    assert re.fullmatch(r"距你 \d+ 米", card.locator("[data-testid=vq-distance]").inner_text())
    assert "整改时限" in card.locator("[data-testid=vq-deadline]").inner_text()
    card.locator("[data-testid=vq-after] img").wait_for()
    card.scroll_into_view_if_needed()
    page.screenshot(path=str(shots / "day1-verify-card.png"))

    # Tap the after-photo: full screen, starting on "after", and a swipe back shows "before".
    card.locator("[data-testid=vq-after]").click()
    preview = page.locator(".van-image-preview")
    preview.wait_for()
    page.wait_for_function("document.querySelectorAll('.van-image-preview img').length === 2")
    assert page.locator(".van-image-preview__index").inner_text().strip() == "2 / 2"
    box = preview.bounding_box()
    assert box["width"] >= 380 and box["height"] >= 800  # full screen
    page.wait_for_timeout(400)
    page.screenshot(path=str(shots / "day1-verify-photo-fullscreen.png"))
    _swipe(page, 60, 340, box["height"] / 2)
    page.wait_for_function("document.querySelector('.van-image-preview__index').innerText.trim() === '1 / 2'")


def test_my_reports_and_one_outbox_entry_per_report(new_context, api, photos, shots):
    ctx = new_context()
    page = ctx.new_page()
    login(page, "inspector")
    wait_sw(page)  # the app's pages are cached for offline use
    page.goto("/capture")
    page.wait_for_selector("[data-testid=location] .muted")
    marker = f"e2e-mine-{uuid.uuid4().hex[:8]}"
    ctx.set_offline(True)
    capture(page, photos[:2], f"{marker} 共享单车乱停放")
    page.click("[data-testid=tab-outbox]")  # offline: navigate inside the app
    item = page.locator("[data-testid=outbox-item]")
    item.first.wait_for()
    assert item.count() == 1, item.all_inner_texts()  # one report, not 照片 + 照片 + 案件
    assert item.locator("[data-testid=outbox-photo]").count() == 2
    text = item.inner_text()
    assert "照片 0/2 已上传" in text and "等待前序项目" not in text
    assert page.inner_text("[data-testid=outbox-count]") == "1 项待上传"
    assert page.inner_text("[data-testid=tab-outbox] .van-badge") == "1"
    page.screenshot(path=str(shots / "day1-outbox-one-report.png"))
    ctx.set_offline(False)
    wait_outbox_empty(page)

    # 我上报的: from the capture page; exactly this inspector's reports, newest first.
    page.goto("/capture")
    page.click("[data-testid=my-reports-capture]")
    page.wait_for_url("**/mine")
    page.locator(".ticket-card").first.wait_for()
    first = page.locator(".ticket-card").first
    assert marker in first.inner_text()
    expected = [t["case_number"] for t in api.tickets("inspector", mine="true")][:5]
    shown = page.eval_on_selector_all(".ticket-card", "els => els.slice(0, 5).map(e => e.dataset.case)")
    assert shown == expected
    everyone = {t["case_number"] for t in api.tickets("dispatcher")}
    theirs = {t["case_number"] for t in api.tickets("inspector2", mine="true")}
    assert theirs and theirs <= everyone and not theirs & set(shown)
    page.screenshot(path=str(shots / "day1-my-reports.png"))


# ---- dispatcher ---------------------------------------------------------------------------------

def test_dispatch_dialog_suggestion_first_search_and_visible_submit(new_context, api, shots):
    t = _report(api, "e2e 派遣对话框")
    detail = api.ticket(t["id"])
    assert detail["suggested_unit_id"]
    page = new_context().new_page()
    login(page, "dispatcher", f"/tickets/{t['id']}")
    page.click("[data-testid=act-dispatch]")
    form = page.locator("[data-testid=action-form-dispatch]")
    form.wait_for()
    options = form.locator("[data-testid=unit-option]")
    options.first.wait_for()
    assert options.count() >= 5
    assert options.first.get_attribute("data-unit") == str(detail["suggested_unit_id"])
    assert "推荐" in options.first.inner_text()
    submit = form.locator("[data-testid=action-submit]")
    page.wait_for_timeout(400)  # the popup's slide-in
    box = submit.bounding_box()
    assert box and box["y"] + box["height"] <= 844, f"submit below the fold: {box}"
    page.screenshot(path=str(shots / "day1-dispatch-dialog.png"))

    form.locator("[data-testid=unit-search] input").fill("交通")
    page.wait_for_timeout(200)
    names = form.locator("[data-testid=unit-option] .van-cell__title").all_inner_texts()
    # The current choice stays visible; every other option matches the search.
    others = [n for n in names if "推荐" not in n]
    assert others and all("交通" in n for n in others), names
    page.screenshot(path=str(shots / "day1-dispatch-search.png"))


def test_triage_cards_show_report_time_and_filters_work(new_context, api, shots):
    a = _report(api, "e2e 分拨筛选 疑似重复 A", lat=30.2790, lng=120.1600)
    b = _report(api, "e2e 分拨筛选 疑似重复 B", lat=30.27901, lng=120.16001)
    page = new_context().new_page()
    login(page, "dispatcher", "/triage")
    page.locator(".ticket-card").first.wait_for()
    first = page.locator(".ticket-card").first
    assert re.search(r"上报于 \d", first.locator("[data-testid=reported-at]").inner_text())
    page.screenshot(path=str(shots / "day1-triage.png"))

    page.click("[data-testid=filter-dup]")
    page.wait_for_function("""(ids) => { const c = [...document.querySelectorAll('.ticket-card')].map(e => e.dataset.case);
        return ids.every(i => c.includes(i)) }""", arg=[a["case_number"], b["case_number"]])
    expected = {t["case_number"] for t in api.tickets("dispatcher", status="reported", has_duplicates="true")}
    shown = set(page.eval_on_selector_all(".ticket-card", "els => els.map(e => e.dataset.case)"))
    assert shown == expected
    assert page.locator(".ticket-card [data-testid=dup-count]").count() == len(shown)

    # Time: "today" keeps today's reports only.
    page.locator("[data-testid=triage-filters] .van-dropdown-menu__item").nth(2).click()
    page.locator(".van-dropdown-item__option:visible", has_text="今天").click()
    page.wait_for_timeout(800)
    shown_today = set(page.eval_on_selector_all(".ticket-card", "els => els.map(e => e.dataset.case)"))
    assert {a["case_number"], b["case_number"]} <= shown_today <= shown
    page.screenshot(path=str(shots / "day1-triage-filtered.png"))


# ---- unit clerk ---------------------------------------------------------------------------------

def test_unit_sees_address_navigation_rework_reason_on_top_and_rectify_first(new_context, api, shots):
    t = _rectified(api, "e2e 返工提示 垃圾桶满溢")
    reason = "桶边仍有散落垃圾，请彻底清理"
    _act(api, "inspector", t["id"], "verify", passed=False, note=reason)
    page = new_context().new_page()
    login(page, "unit_cgj", f"/tickets/{t['id']}")
    notice = page.locator("[data-testid=rework-notice]")
    notice.wait_for()
    assert reason in notice.inner_text() and "返工" in notice.inner_text()
    # At the top: above the facts, not only at the bottom of the timeline.
    assert notice.bounding_box()["y"] < page.locator(".facts").bounding_box()["y"]
    assert page.inner_text("[data-testid=address]") == "向阳路 12 号门前"

    rectify, ret = page.locator("[data-testid=act-rectify]"), page.locator("[data-testid=act-request_return]")
    rb, tb = rectify.bounding_box(), ret.bounding_box()
    assert rb["width"] >= 340 and tb["width"] < rb["width"] / 2  # 整改 full width, 申请回退 secondary
    assert "van-button--plain" in (ret.get_attribute("class") or "")
    assert "van-button--plain" not in (rectify.get_attribute("class") or "")
    page.screenshot(path=str(shots / "day1-unit-rework-detail.png"))

    page.click("[data-testid=navigate]")
    page.locator("[data-testid=nav-amap]").wait_for()
    gcj_lat, gcj_lng = wgs84_to_gcj02(t["lat"], t["lng"])
    amap = page.get_attribute("[data-testid=nav-amap]", "href")
    assert amap.startswith("https://uri.amap.com/marker?") and "coordinate=gaode" in amap
    lng_s, lat_s = re.search(r"position=([\d.]+),([\d.]+)", amap).groups()
    assert abs(float(lat_s) - gcj_lat) < 1e-5 and abs(float(lng_s) - gcj_lng) < 1e-5
    baidu = page.get_attribute("[data-testid=nav-baidu]", "href")
    assert f"location={t['lat']:.6f},{t['lng']:.6f}" in baidu and "coord_type=wgs84" in baidu
    assert page.get_attribute("[data-testid=nav-apple]", "href").startswith("https://maps.apple.com/?ll=")
    page.wait_for_timeout(300)
    page.screenshot(path=str(shots / "day1-unit-navigate.png"))


# ---- English mode -------------------------------------------------------------------------------

def test_english_mode_has_no_chinese_punctuation_and_an_english_period(new_context, api, shots):
    t = _rectified(api, "e2e english mode")
    ctx = new_context(locale="en-US")
    ctx.add_init_script("if (location.origin !== 'null') localStorage.setItem('xuncha.locale', 'en')")
    page = ctx.new_page()
    page.goto("/login")
    page.wait_for_selector("[data-testid=login-submit]")
    assert not CJK_PUNCT_IN_ENGLISH.search(page.inner_text("body"))
    login(page, "dispatcher")

    def check(path, ready, name):
        page.goto(path)
        page.wait_for_selector(ready)
        page.wait_for_timeout(600)
        text = page.inner_text("body")
        bad = CJK_PUNCT_IN_ENGLISH.findall(text)
        assert not bad, f"{path}: Chinese punctuation in English UI: {bad}"
        page.screenshot(path=str(shots / f"day1-en-{name}.png"))
        return text

    text = check("/dashboard", "[data-testid=period-label]", "dashboard")
    page.wait_for_function("!document.querySelector('[data-testid=period-label]').innerText.includes('…')")
    label = page.inner_text("[data-testid=period-label]")
    assert re.fullmatch(r"Week \d+, \d{4} \(\d\d-\d\d ~ \d\d-\d\d\)", label), label
    month = page.locator(".seg button", has_text="Month")
    page.wait_for_timeout(200)
    # Measured against what is visible: the segmented control clips its buttons.
    pad = page.evaluate("""(el) => { const r = document.createRange(); r.selectNodeContents(el);
        const t = r.getBoundingClientRect(), b = el.getBoundingClientRect(), seg = el.parentElement.getBoundingClientRect();
        return Math.min(t.left - Math.max(b.left, seg.left), Math.min(b.right, seg.right) - t.right) }""",
                        month.element_handle())
    assert pad >= 8, f"'Month' is {pad:.1f}px from its button's edge"
    check("/triage", ".ticket-card", "triage")
    check(f"/tickets/{t['id']}", "[data-testid=photos]", "ticket")
    check("/verify", ".vq", "verify")
    check("/mine", ".page", "mine")
    check("/outbox", "[data-testid=reachability]", "outbox")
    check("/me", "[data-testid=logout]", "me")
    assert "Month" in text or "Week" in text


def test_the_map_picker_says_what_to_do(new_context, shots):
    """Its title bar was empty; it says how to set the place (drag or tap), and 使用此位置 sets it."""
    page = new_context().new_page()
    login(page, "inspector", "/capture")
    page.click("[data-testid=pick-on-map]")
    title = page.locator("[data-testid=pick-title]")
    title.wait_for()
    assert title.inner_text() == "拖动红点或点按地图选择位置"
    page.locator(".leaflet-marker-icon").wait_for()
    page.wait_for_timeout(400)  # the popup's slide-in
    assert page.locator("[data-testid=use-pin]").bounding_box()["y"] + 40 < page.viewport_size["height"]
    page.screenshot(path=str(shots / "capture-pick-on-map.png"))
    page.click("[data-testid=use-pin]")
    page.wait_for_selector("[data-testid=location]:has-text('手动选点')")


def test_a_voided_ticket_shows_no_deadline_to_meet(new_context, api):
    """作废: the ticket no longer counts; its 整改时限 row read as if it were still due (the timeline keeps it)."""
    voided = api.tickets("dispatcher", status="voided")
    if not voided:
        pytest.skip("the demo city has no voided ticket")
    page = new_context().new_page()
    login(page, "dispatcher", f"/tickets/{voided[0]['id']}")
    page.wait_for_selector(".van-cell:has-text('责任单位')")
    cells = page.locator(".van-cell__title").all_inner_texts()
    assert "整改时限" not in cells and "考核时限" not in cells, cells


def test_a_refusal_in_the_server_s_words_is_in_the_reader_s_language(new_context, api, shots):
    """The server writes each message in both languages ("整改时限须晚于当前时间 Deadline must be in the future");
    a Chinese screen showed both. A deadline already past, refused: the ticket page says why in Chinese only."""
    t = _report(api, f"e2e 时限已过 {uuid.uuid4().hex[:6]}")
    page = new_context().new_page()
    login(page, "dispatcher", f"/tickets/{t['id']}")
    page.click("[data-testid=act-dispatch]")
    form = page.locator("[data-testid=action-form-dispatch]")
    form.locator("[data-testid=unit-option]").first.click()
    past = datetime.now(timezone(timedelta(hours=8))) - timedelta(hours=2)
    form.locator("[data-testid=deadline-input] input").fill(past.strftime("%Y-%m-%dT%H:%M"))
    form.locator("[data-testid=action-submit]").click()
    banner = page.locator("[data-testid=refused-local]")
    banner.wait_for(timeout=30_000)
    said = banner.inner_text()
    assert "整改时限须晚于当前时间" in said and "Deadline" not in said, said
