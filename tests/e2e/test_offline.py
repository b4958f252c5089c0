"""Scenarios 2 and 3: offline capture across a browser restart, and a flaky network.
Both end with server-side truth: every ticket and photo exactly once."""

import base64
import json
import uuid
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import capture, login, snap, wait_outbox_empty, wait_sw

pytestmark = pytest.mark.e2e


def _mine(api, marker):
    return [t for t in api.tickets(q=marker) if marker in (t["description"] or "")]


def test_offline_capture_survives_restart(persistent, api, photos, shots):
    marker = f"e2e-offline-{uuid.uuid4().hex[:8]}"
    ctx = persistent()
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    login(page, "inspector")
    wait_sw(page)  # the shell is precached
    page.goto("/capture")  # categories are fetched (and remembered) while online
    page.wait_for_selector("[data-testid=location] .muted")

    ctx.set_offline(True)
    page.reload()  # the shell now comes from the service worker's cache
    page.wait_for_selector("[data-testid=location] .muted")
    for i in range(3):
        took = capture(page, photos[2 * i:2 * i + 2], f"{marker} 第{i + 1}处")
        assert took < 1.5, f"saving a report on the phone took {took:.2f} s"
    page.goto("/outbox")
    page.wait_for_selector("[data-testid=outbox-item]")
    # One entry per report, its two photos inside (not 9 separate items).
    assert page.locator("[data-testid=outbox-item]").count() == 3
    assert page.locator("[data-testid=outbox-photo]").count() == 6
    page.screenshot(path=str(shots / "outbox-offline.png"), full_page=True)

    # The escape hatch: export unsent data as a file, photos inlined.
    with page.expect_download() as dl:
        page.click("[data-testid=export]")
    doc = json.loads(Path(dl.value.path()).read_text())
    assert doc["format"] == "xuncha-outbox-export/1" and len(doc["items"]) == 9
    exported_photos = [i for i in doc["items"] if i["kind"] == "photo"]
    assert len(exported_photos) == 6
    assert all(base64.b64decode(p["photo"]["base64"])[:2] == b"\xff\xd8" for p in exported_photos)  # JPEG bytes
    assert _mine(api, marker) == []
    ctx.close()

    # "Phone restart": same profile, still offline.
    ctx = persistent(offline=True)
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    page.goto("/outbox")
    page.wait_for_selector("[data-testid=outbox-item]")
    items = page.locator("[data-testid=outbox-item]")
    assert items.count() == 3
    assert page.locator("[data-testid=outbox-item][data-kind=ticket]").count() == 3
    assert page.locator("[data-testid=outbox-item] [data-testid=outbox-photo]").count() == 6
    # 我上报的, never opened online on this phone: the three reports on the phone are named, with the way there.
    page.goto("/mine")
    page.wait_for_selector("[data-testid=mine-unsent]:has-text('本机还有 3 条上报待上传')")
    page.click("[data-testid=mine-unsent]")
    page.wait_for_url("**/outbox")

    ctx.set_offline(False)  # fires `online`; the outbox drains by itself (send-now as a backstop)
    wait_outbox_empty(page, timeout=90_000)

    mine = _mine(api, marker)
    assert len(mine) == 3
    photo_ids = []
    for t in mine:
        d = api.ticket(t["id"])
        assert len(d["photos"]) == 2
        photo_ids += [p["id"] for p in d["photos"]]
    assert len(photo_ids) == 6 and len(set(photo_ids)) == 6


def test_flaky_network_loses_nothing_and_duplicates_nothing(new_context, api, photos):
    marker = f"e2e-flaky-{uuid.uuid4().hex[:8]}"
    # Routing sees only page requests when no service worker sits in between.
    ctx = new_context(service_workers="block")
    page = ctx.new_page()
    login(page, "inspector", "/capture")
    page.wait_for_selector("[data-testid=location] .muted")

    calls = {"photos": 0, "tickets": 0}

    def photos_route(route):
        if route.request.method != "POST":
            return route.continue_()
        calls["photos"] += 1
        n = calls["photos"]
        if n in (1, 2):
            return route.fulfill(status=503, body='{"error":{"code":"unavailable","message":"busy"}}',
                                 content_type="application/json")
        if n == 4:
            return route.abort("connectionreset")
        if n == 5:
            # The server stores it, but the answer is lost: the client must retry the same id safely.
            route.fetch()
            return route.fulfill(status=503, body="{}", content_type="application/json")
        return route.continue_()

    def tickets_route(route):
        if route.request.method != "POST" or not route.request.url.rstrip("/").endswith("/api/tickets"):
            return route.continue_()
        calls["tickets"] += 1
        if calls["tickets"] == 1:
            route.fetch()  # committed on the server, answer lost
            return route.fulfill(status=502, body="", content_type="text/plain")
        return route.continue_()

    page.route("**/api/photos", photos_route)
    page.route("**/api/tickets", tickets_route)

    capture(page, photos[0:2], f"{marker} A")
    capture(page, photos[2:4], f"{marker} B")
    wait_outbox_empty(page, timeout=90_000)

    assert calls["photos"] >= 7 and calls["tickets"] >= 3
    mine = _mine(api, marker)
    assert sorted(t["description"].split()[-1] for t in mine) == ["A", "B"]
    ids = []
    for t in mine:
        d = api.ticket(t["id"])
        assert len(d["photos"]) == 2
        ids += [p["id"] for p in d["photos"]]
    assert len(set(ids)) == 4


def test_a_page_never_opened_online_says_so_offline(new_context):
    """The dashboards are not in the offline shell (they are cached when first opened): offline, the unit's
    看板 (a link in 我的任务's header), never opened, says it needs the network once instead of doing nothing."""
    page = new_context().new_page()
    login(page, "unit_cgj")
    wait_sw(page)
    page.wait_for_selector("[data-testid=offline-status][data-state=ready]", timeout=60_000)
    page.context.set_offline(True)
    page.click("[data-testid=tasks-dashboard]")
    toast = page.locator(".van-toast")
    toast.wait_for()
    assert "联网" in toast.inner_text()
    assert page.url.endswith("/tasks")
    # A ticket never seen online: the app's words for a failed request, not the browser's "Failed to fetch".
    page.goto("/tickets/00000000-0000-4000-8000-000000000000")
    empty = page.locator(".van-empty__description")
    empty.wait_for()
    assert "未在本机打开过" in empty.inner_text() and "fetch" not in empty.inner_text()


def test_a_shared_phone_keeps_one_account_s_unsent_report_from_the_next(new_context, api, photos, shots):
    """Inspector and unit staff share a phone. The inspector's report waits unsent when they log out; the unit
    user who logs in next sees only that something of another account is there: not its text or photos (a unit
    learns of no report before the office dispatches it), no export of it, no way to discard it. The inspector
    logs in again and it is sent, once."""
    marker = f"e2e-shared-{uuid.uuid4().hex[:8]}"
    ctx = new_context()
    page = ctx.new_page()
    login(page, "inspector", "/capture")
    page.wait_for_selector("[data-testid=location] .muted")
    ctx.route("**/api/photos", lambda r: r.abort("connectionreset"))  # the report stays on the phone
    capture(page, photos[:2], f"{marker} 未派遣的问题")
    page.goto("/me")
    page.click("[data-testid=logout]")
    # One report with two photos is one item to the person, as the outbox page counts it.
    assert "还有 1 项未上传" in page.locator(".van-dialog__message").inner_text()
    page.locator(".van-dialog__confirm").click()
    page.wait_for_url("**/login**")

    login(page, "unit_xyjd", "/outbox")
    page.wait_for_selector("[data-testid=outbox-others]")
    assert "另有 1 项属于其他账号" in page.inner_text("[data-testid=outbox-others]")
    assert page.locator("[data-testid=outbox-item]").count() == 0
    assert "临街阳台" not in page.inner_text("body")  # the report's category, which its entry shows its owner
    assert page.locator("[data-testid=export]").is_disabled()
    assert page.locator("[data-testid=send-now]").is_disabled()
    page.screenshot(path=str(shots / "outbox-shared-phone.png"), full_page=True)
    page.goto("/me")
    page.click("[data-testid=logout]")  # nothing of this account waits: no question
    page.wait_for_url("**/login**")

    ctx.unroute("**/api/photos")
    login(page, "inspector", "/outbox")
    page.wait_for_selector("[data-testid=outbox-item]")
    assert "临街阳台" in page.inner_text("[data-testid=outbox-item]")
    wait_outbox_empty(page)
    assert len(_mine(api, marker)) == 1


def test_a_photo_the_full_phone_cannot_keep_is_said_so_in_the_app_s_language(new_context, photos):
    """Storage full while a photo is being kept on the phone: the inspector is told in Chinese what happened and what
    to do, not the browser's "QuotaExceededError: The quota has been exceeded.", and no photo is shown as taken."""
    ctx = new_context()
    page = ctx.new_page()
    login(page, "inspector", "/capture")
    page.evaluate("""() => { const put = IDBObjectStore.prototype.put
        IDBObjectStore.prototype.put = function (...a) {
          if (this.name === 'blobs') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError')
          return put.apply(this, a) } }""")
    page.wait_for_selector("[data-testid=photo-input]", state="attached")
    page.set_input_files("[data-testid=photo-input]", [str(photos[0])])
    toast = page.locator(".van-toast:has-text('存储空间已满')")
    toast.wait_for()
    assert "quota" not in toast.inner_text().lower()
    assert page.locator("[data-testid=picked-photo]").count() == 0


def test_a_file_that_is_no_photo_is_refused_when_picked(new_context, photos, tmp_path):
    """A damaged camera file (or any file that is no photo) was kept and saved: it sat in 待上传 refused by the
    server for ever (415), and throwing it away threw the whole report with it. It is refused when picked, in
    words; a good photo beside it is kept, and a HEIC file this browser cannot show is still taken (the server
    converts it)."""
    broken = tmp_path / "IMG_0001.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 this is not a photo")
    heic = tmp_path / "IMG_0002.heic"
    heic.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64))
    page = new_context().new_page()
    login(page, "inspector", "/capture")
    page.wait_for_selector("[data-testid=photo-input]", state="attached")
    page.set_input_files("[data-testid=photo-input]", [str(broken), str(photos[0])])
    toast = page.locator(".van-toast:has-text('无法读取这张照片')")
    toast.wait_for()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=picked-photo]').length === 1")
    assert page.locator("[data-testid=picked-photo] img").get_attribute("alt") == "照片"
    page.set_input_files("[data-testid=photo-input]", [str(heic)])
    page.wait_for_function("() => document.querySelectorAll('[data-testid=picked-photo]').length === 2")


def test_a_photo_the_server_refuses_is_dropped_and_the_report_goes_on(new_context, api, photos, tmp_path, shots):
    """A damaged HEIC file (this browser cannot read HEIC, so the phone takes it for the server to convert) is
    refused by the server: 待上传 offered only to throw the whole report away. Dropping that photo now sends
    the report with its other photo."""
    heic = tmp_path / "IMG_0003.heic"
    heic.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(64))
    marker = f"坏照片{uuid.uuid4().hex[:6]}"
    page = new_context().new_page()
    login(page, "inspector", "/capture")
    capture(page, [photos[0], heic], marker)
    page.goto("/outbox")
    refused = page.locator("[data-testid=outbox-item] .err.danger")
    refused.wait_for(timeout=30_000)
    snap(page, shots / "outbox-refused-photo.png")
    drop = page.locator("[data-testid=outbox-discard]")
    assert drop.inner_text() == "去掉这张照片"
    drop.click()
    dialog = page.locator(".van-dialog")
    assert "其余照片照常上传" in dialog.inner_text(), dialog.inner_text()
    dialog.locator("button:has-text('去掉这张照片')").click()
    wait_outbox_empty(page)
    [ticket] = _mine(api, marker)
    detail = api.get("dispatcher", f"/api/tickets/{ticket['id']}").json()
    assert len([p for p in detail["photos"] if p["stage"] == "report"]) == 1


def test_the_capture_draft_keeps_the_last_words_typed_and_says_when_it_cannot_be_saved(new_context, photos):
    """The phone may kill a page in the background at once: what was typed just before is saved as the page goes
    (it waited 250 ms of quiet before); and a draft that cannot be saved (storage full) is said so, once."""
    ctx = new_context()
    page = ctx.new_page()
    login(page, "inspector", "/capture")
    page.wait_for_selector("[data-testid=location] .muted")
    page.fill("[data-testid=description] textarea", "最后一句话")
    page.close(run_before_unload=True)  # at once: no 250 ms of quiet
    page = ctx.new_page()
    page.goto("/capture")
    page.wait_for_selector("text=已恢复未提交的草稿")
    assert page.locator("[data-testid=description] textarea").input_value() == "最后一句话"
    # Storage full: every draft write fails.
    page.evaluate("""() => { const put = IDBObjectStore.prototype.put
        IDBObjectStore.prototype.put = function (...a) {
          if (this.name === 'drafts') throw new DOMException('The quota has been exceeded.', 'QuotaExceededError')
          return put.apply(this, a) } }""")
    page.fill("[data-testid=description] textarea", "写不进去的草稿")
    toast = page.locator(".van-toast:has-text('草稿未能保存')")
    toast.wait_for()
    page.fill("[data-testid=description] textarea", "还是写不进去")
    page.wait_for_timeout(600)
    assert page.locator(".van-toast:visible:has-text('草稿未能保存')").count() <= 1  # said once, not per key


def test_a_list_and_the_map_never_opened_online_say_so_offline(new_context):
    """Offline, a list never opened on this phone said "操作失败：网络不可用" (as if the reader had done something)
    and the map showed nothing under a note that the points were still there."""
    ctx = new_context()
    page = ctx.new_page()
    login(page, "inspector", "/capture")
    wait_sw(page)
    ctx.set_offline(True)
    page.goto("/verify")
    page.wait_for_selector(".van-empty:has-text('本机还没有这一页的副本')")
    assert page.locator("text=操作失败").count() == 0
    page.goto("/map")
    page.wait_for_selector("[data-testid=map-load-error]:has-text('本机还没有这一页的副本')")
    ctx.set_offline(False)
    page.click("[data-testid=map-load-error] .van-button")
    page.wait_for_selector("[data-testid=map-load-error]", state="detached")


def test_a_lapsed_session_still_shows_what_waits_on_the_phone(new_context, server, api, photos, shots):
    """The inspector's session lapses (revoked here; 72 h in the field, or a lost-phone 全部下线) with a report not
    yet sent: the login page says something waits and opens 待上传 without logging in (offline there is no logging
    in), where the report can be seen and exported; logging in again from there sends it, once."""
    marker = f"e2e-lapsed-{uuid.uuid4().hex[:8]}"
    ctx = new_context()
    page = ctx.new_page()
    login(page, "inspector", "/capture")
    page.wait_for_selector("[data-testid=location] .muted")
    ctx.route("**/api/photos", lambda r: r.abort("connectionreset"))  # the report stays on the phone
    capture(page, photos[:1], f"{marker} 登录失效前的问题")
    token = page.evaluate("() => JSON.parse(localStorage.getItem('xuncha.auth')).token")
    httpx.post(f"{server}/api/auth/logout", headers={"Authorization": f"Bearer {token}"}, timeout=10).raise_for_status()
    page.goto("/tickets")  # the revoked token answers 401: the session is gone, and the app says so
    page.click(".banner-warn:has-text('登录已过期')")
    page.wait_for_url("**/login**")

    pending = page.locator("[data-testid=login-pending]")
    pending.wait_for()
    assert "本机有 1 项数据待上传" in pending.inner_text()
    page.click("[data-testid=login-see-pending]")
    page.wait_for_url("**/outbox")
    page.wait_for_selector("[data-testid=outbox-item]")
    assert "重新登录后自动发送" in page.inner_text("[data-testid=outbox-expired]")
    assert page.locator("[data-testid=send-now]").count() == 0
    # The photo's failed attempt in the app's words, not the browser's "network_error · network error".
    page.wait_for_selector("[data-testid=outbox-item] .err:has-text('照片: 网络不可用')")
    assert "network" not in page.inner_text("[data-testid=outbox-item]")
    snap(page, shots / "outbox-session-lapsed.png")
    with page.expect_download() as dl:
        page.click("[data-testid=export]")
    doc = json.loads(Path(dl.value.path()).read_text())
    assert doc["user"] == "inspector"
    assert any(marker in (i.get("body") or {}).get("description", "") for i in doc["items"] if i["kind"] == "ticket")
    page.goto("/tickets")  # everything else still asks for the login
    page.wait_for_url("**/login**")

    ctx.unroute("**/api/photos")
    page.goto("/outbox")
    page.click("[data-testid=outbox-login]")
    page.wait_for_url("**/login?next=/outbox")
    page.fill("[data-testid=username] input", "inspector")
    page.fill("[data-testid=password] input", "demo1234")
    page.click("[data-testid=login-submit]")
    page.wait_for_url("**/outbox")
    wait_outbox_empty(page)
    assert page.locator("[data-testid=outbox-expired]").count() == 0
    assert len(_mine(api, marker)) == 1


def test_a_downscaled_photo_keeps_when_and_where_its_camera_took_it(new_context, api, tmp_path):
    """A 4:3 phone photo taken on its side (EXIF orientation 6) the day before, picked from the gallery: the phone
    shrinks it to 2048 px by redrawing it, which dropped its EXIF. The server then knew neither when nor where the
    camera took it, and the watermark said 拍摄 at the moment it was picked. Now the EXIF goes along, turned upright."""
    from tests.fixtures.images import make_jpeg

    marker = f"e2e-exif-{uuid.uuid4().hex[:8]}"
    photo = tmp_path / "gallery.jpg"
    photo.write_bytes(make_jpeg(2400, 1800, lat=30.2755, lng=120.1566, taken_at="2026-11-20T17:30:05",
                                offset="+08:00", orientation=6, pattern="noise", seed=3))
    ctx = new_context()
    page = ctx.new_page()
    reports: list[dict] = []
    page.on("request", lambda r: reports.append(r.post_data_json)
            if r.method == "POST" and r.url.endswith("/api/tickets") else None)
    login(page, "inspector", "/capture")
    page.wait_for_selector("[data-testid=location] .muted")
    capture(page, [photo], f"{marker} 相册里的照片")
    wait_outbox_empty(page)
    [ticket] = _mine(api, marker)
    [shown] = api.ticket(ticket["id"])["photos"]
    assert shown["taken_at"].startswith("2026-11-20T09:30:05")  # 17:30:05+08:00
    assert (round(shown["exif_lat"], 4), round(shown["exif_lng"], 4)) == (30.2755, 120.1566)
    assert (shown["width"], shown["height"]) == (1536, 2048)  # upright once: not turned again by the server
    assert shown["size_bytes"] < photo.stat().st_size  # the downscaled copy, not the original
    # The photo's captured_at (the watermark's 拍摄 time), which the report sends as its own: the camera's time, not
    # the moment the photo was picked.
    assert reports and all(r["captured_at"].startswith("2026-11-20T09:30:05") for r in reports)
