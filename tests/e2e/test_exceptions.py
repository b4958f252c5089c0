"""Deadline exceptions on a phone: a unit asks for an extension while offline, the request reaches the
server once the phone is back online, the dispatcher approves it from the 审批 queue in two taps, and the
unit sees the new deadline. Ends with server-side truth: one request, approved, deadline moved."""

import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from tests.e2e.conftest import PASSWORD, login, wait_outbox_empty

pytestmark = pytest.mark.e2e

CITY = timezone(timedelta(hours=8))


def _post(base: str, username: str, path: str, body: dict) -> dict:
    tok = httpx.post(f"{base}/api/auth/token", data={"username": username, "password": PASSWORD}, timeout=10)
    tok.raise_for_status()
    headers = {"Authorization": f"Bearer {tok.json()['access_token']}"}
    r = httpx.post(f"{base}{path}", json=body, headers=headers, timeout=20)
    assert r.status_code in (200, 201), (path, r.status_code, r.text)
    return r.json()


def _upload(base: str, username: str, jpeg: bytes) -> str:
    """A photo uploaded as this user over the API; its id."""
    pid = str(uuid.uuid4())
    tok = httpx.post(f"{base}/api/auth/token", data={"username": username, "password": PASSWORD}, timeout=10).json()
    r = httpx.post(f"{base}/api/photos", data={"id": pid}, files={"file": ("p.jpg", jpeg, "image/jpeg")},
                   headers={"Authorization": f"Bearer {tok['access_token']}"}, timeout=30)
    assert r.status_code == 201, r.text
    return pid


def _dispatched(api, photos, description: str) -> dict:
    """A ticket reported by the inspector and dispatched to 市城市管理局 (unit_cgj) over the API."""
    base = api.base
    pid = _upload(base, "inspector", photos[0].read_bytes())
    t = _post(base, "inspector", "/api/tickets", {
        "id": str(uuid.uuid4()), "category_code": "06005", "description": description, "address": "向阳路 8 号",
        "lat": 30.2741, "lng": 120.1551, "accuracy_m": 6, "photo_ids": [pid]})
    unit = next(u["id"] for u in api.get("dispatcher", "/api/units").json() if u["name"] == "市城市管理局")
    return _post(base, "dispatcher", f"/api/tickets/{t['id']}/dispatch", {"action_id": str(uuid.uuid4()), "unit_id": unit})


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def test_offline_extension_request_approved_from_the_queue(new_context, api, photos, shots):
    marker = f"e2e-延期-{uuid.uuid4().hex[:6]}"
    t = _dispatched(api, photos, marker)
    tid = t["id"]
    # Three days beyond the current deadline, whole minutes, as the unit types it in the city's time.
    asked = (_at(t["deadline_at"]) + timedelta(days=3)).astimezone(CITY).replace(second=0, microsecond=0)
    reason = "材料未到货，需延期三天"

    # --- the unit, offline ---------------------------------------------------------------------------
    uctx = new_context()
    unit = uctx.new_page()
    login(unit, "unit_cgj", f"/tickets/{tid}")
    unit.wait_for_selector("[data-testid=act-request_extension]")
    uctx.set_offline(True)
    unit.click("[data-testid=act-request_extension]")
    form = unit.locator("[data-testid=action-form-request_extension]")
    form.wait_for()
    # The current deadline is shown, and a date before it is refused saying what it must beat (the toast said
    # "请选择新的整改时限" although a date had been picked).
    current = _at(t["deadline_at"]).astimezone(CITY)
    assert form.locator("[data-testid=exc-current-deadline]").inner_text() == f"当前整改时限：{current:%m/%d %H:%M}"
    form.locator("[data-testid=exc-deadline] input").fill((current - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    form.locator("[data-testid=action-note] textarea").fill(reason)
    form.locator("[data-testid=action-submit]").click()
    toast = unit.locator(".van-toast:has-text('新的时限须晚于当前时限')")
    toast.wait_for()
    assert f"{current:%m/%d %H:%M}" in toast.inner_text()
    toast.wait_for(state="hidden")
    form.locator("[data-testid=exc-deadline] input").fill(asked.strftime("%Y-%m-%dT%H:%M"))
    unit.screenshot(path=str(shots / "exc-request-extension-form.png"))
    form.locator("[data-testid=action-submit]").click()
    unit.wait_for_selector("[data-testid=pending-local]")  # saved on this phone, not sent
    unit.screenshot(path=str(shots / "exc-request-extension-offline.png"))
    assert api.ticket(tid)["pending_request"] is None

    uctx.set_offline(False)
    wait_outbox_empty(unit)
    d = api.ticket(tid)
    assert d["pending_request"] == "extension"
    [req] = d["requests"]
    assert req["state"] == "pending" and req["reason"] == reason
    assert _at(req["requested_deadline"]) == asked

    # --- the dispatcher: 分拨 → 审批 (badge) → 同意 → 提交 --------------------------------------------
    dctx = new_context()
    disp = dctx.new_page()
    login(disp, "dispatcher", "/triage")
    link = disp.locator("[data-testid=approvals-link]")
    link.wait_for()
    # a dot on 分拨 (requests wait), not a number that would read as tickets to triage
    disp.locator("[data-testid=tab-triage] .van-badge--dot").wait_for()
    link.click()
    card = disp.locator(f"[data-testid=queue-card][data-case='{t['case_number']}']")
    card.wait_for()
    assert reason in card.inner_text()
    assert asked.strftime("%Y/%m/%d %H:%M") in card.locator("[data-testid=queue-asked]").inner_text()
    disp.screenshot(path=str(shots / "exc-queue.png"), full_page=True)
    card.locator("[data-testid=queue-approve]").click()
    disp.locator("[data-testid=decision-form-approve]").wait_for()
    disp.screenshot(path=str(shots / "exc-queue-approve.png"))
    disp.click("[data-testid=decision-submit]")
    card.wait_for(state="detached")

    deadline = None
    for _ in range(60):
        d = api.ticket(tid)
        if d["pending_request"] is None:
            deadline = _at(d["deadline_at"])
            break
        disp.wait_for_timeout(500)
    assert deadline == asked, (deadline, asked)
    assert d["requests"][0]["state"] == "approved"
    actions = [e["action"] for e in d["events"]]
    assert actions[-2:] == ["request_extension", "approve_extension"], actions

    # --- the 台账 from the queue: the request with its outcome, and the same rows as Excel ------------------
    disp.goto("/approvals")
    disp.click("[data-testid=ledger-link]")
    row = disp.locator(f"[data-testid=ledger-row][data-kind=extension]:has-text('{t['case_number']}')")
    row.wait_for()
    assert reason in row.inner_text() and "已同意" in row.inner_text()
    with disp.expect_download() as dl:
        disp.click("[data-testid=ledger-export]")
    with open(dl.value.path(), "rb") as fh:
        assert fh.read(2) == b"PK"  # an .xlsx (a zip)
    assert dl.value.suggested_filename.endswith(".xlsx")

    # --- the unit sees the new deadline ---------------------------------------------------------------
    unit.goto(f"/tickets/{tid}")
    unit.wait_for_selector("[data-testid=request][data-state=approved]")
    text = unit.locator("body").inner_text()
    assert asked.strftime("%Y/%m/%d %H:%M") in text
    assert "已同意" in unit.locator("[data-testid=request]").inner_text()
    unit.screenshot(path=str(shots / "exc-unit-approved.png"), full_page=True)


def test_the_urge_banner_goes_once_the_rectification_is_sent(new_context, api, photos):
    """"已被催办 1 次 … 请今日内完成" stayed at the top of the ticket after the unit had rectified it."""
    t = _dispatched(api, photos, f"e2e-催办-{uuid.uuid4().hex[:6]}")
    tid = t["id"]
    _post(api.base, "dispatcher", f"/api/tickets/{tid}/urge", {"action_id": str(uuid.uuid4()), "note": "请今日内完成"})
    ctx = new_context()
    unit = ctx.new_page()
    login(unit, "unit_cgj", f"/tickets/{tid}")
    unit.wait_for_selector("[data-testid=urged-banner]:has-text('请今日内完成')")
    tok = httpx.post(f"{api.base}/api/auth/token", data={"username": "unit_cgj", "password": PASSWORD}, timeout=10)
    headers = {"Authorization": f"Bearer {tok.json()['access_token']}"}
    pid = str(uuid.uuid4())
    r = httpx.post(f"{api.base}/api/photos", data={"id": pid}, headers=headers, timeout=30,
                   files={"file": ("after.jpg", photos[1].read_bytes(), "image/jpeg")})
    assert r.status_code == 201, r.text
    _post(api.base, "unit_cgj", f"/api/tickets/{tid}/rectify", {"action_id": str(uuid.uuid4()), "note": "已清理",
                                                               "photo_ids": [pid]})
    unit.reload()
    unit.wait_for_selector("[data-testid=timeline]:has-text('请今日内完成')")  # the 催办 stays in the timeline
    assert unit.locator("[data-testid=urged-banner]").count() == 0


def test_a_return_sent_on_to_another_unit_says_what_an_empty_deadline_gives(new_context, api, photos, shots):
    """Approving a 回退 and sending the ticket on (改派): the new unit's deadline, left empty, is the category's
    limit from now; the dialog said only "留空按类别默认", so the dispatcher could not see the clerk would get 4 hours
    in the night."""
    t = _dispatched(api, photos, f"e2e-改派时限-{uuid.uuid4().hex[:6]}")
    _post(api.base, "unit_cgj", f"/api/tickets/{t['id']}/requests",
          {"action_id": str(uuid.uuid4()), "kind": "return", "reason": "不属于我单位"})
    category = next(c for c in api.get("dispatcher", "/api/categories").json() if c["code"] == "06005")
    disp = new_context().new_page()
    login(disp, "dispatcher", "/approvals")
    card = disp.locator(f"[data-testid=queue-card][data-case='{t['case_number']}']")
    card.locator("[data-testid=queue-approve]").click()
    disp.locator("[data-testid=decision-form-approve]").wait_for()
    disp.click("[data-testid=return-mode-unit]")
    # A unit without any account (the demo's two district governments) says so: sent there, nobody would see it.
    staffing = {u["id"]: u["has_staff"] for u in api.get("dispatcher", "/api/units").json() if u["is_active"]}
    assert False in staffing.values() and True in staffing.values()
    options = disp.locator("[data-testid=unit-option]")
    options.first.wait_for()
    shown = {int(o.get_attribute("data-unit")): "无人员账号" in o.inner_text() for o in options.all()}
    assert shown == {uid: not has for uid, has in staffing.items() if uid in shown} and any(shown.values()), shown
    hint = disp.locator("[data-testid=decision-default-limit]")
    hint.wait_for()
    hours = category["default_deadline_hours"]
    text = hint.inner_text()
    assert text.startswith(f"留空则为：{category['name_zh']} "), text
    if hours <= 24:
        ends = [(datetime.now(CITY) + timedelta(hours=hours, minutes=m)) for m in (-1, 0)]
        assert any(f"{hours}小时，至 {e:%m/%d %H:%M}" in text for e in ends), text
    else:
        assert f"{-(-hours // 8)}个工作日" in text, text
    hint.scroll_into_view_if_needed()
    disp.screenshot(path=str(shots / "exc-return-redispatch-limit.png"))
    disp.fill("[data-testid=decision-deadline] input", (datetime.now(CITY) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    assert disp.locator("[data-testid=decision-default-limit]").count() == 0


def test_the_approvals_queue_at_a_desk_is_cards_side_by_side_and_a_centred_dialog(new_context, api, photos, shots):
    """At 1366×900 the queue was one phone card stretched across the screen (同意 and 驳回 some 550 px wide each)
    and a decision opened as a bottom sheet."""
    for i in range(2):
        t = _dispatched(api, photos, f"e2e-桌面审批-{i}-{uuid.uuid4().hex[:6]}")
        _post(api.base, "unit_cgj", f"/api/tickets/{t['id']}/requests",
              {"action_id": str(uuid.uuid4()), "kind": "extension", "reason": "需要采购材料",
               "deadline": (datetime.now(CITY) + timedelta(days=5)).isoformat()})
    page = new_context(viewport={"width": 1366, "height": 900}, is_mobile=False, has_touch=False,
                       device_scale_factor=1).new_page()
    login(page, "dispatcher", "/approvals")
    cards = page.locator("[data-testid=queue-card]")
    cards.nth(1).wait_for()
    first, second = cards.nth(0).bounding_box(), cards.nth(1).bounding_box()
    assert abs(first["y"] - second["y"]) < 2 and second["x"] > first["x"] + first["width"] - 1, (first, second)
    assert cards.nth(0).locator("[data-testid=queue-approve]").bounding_box()["width"] < 300
    cards.nth(0).locator("[data-testid=queue-approve]").click()
    form = page.locator("[data-testid=decision-form-approve]")
    form.wait_for()
    page.wait_for_timeout(400)  # the popup's animation
    box = page.locator(".van-popup:has([data-testid=decision-form-approve])").bounding_box()
    assert box["width"] <= 600 and abs((box["x"] + box["width"] / 2) - 1366 / 2) < 150, box
    page.screenshot(path=str(shots / "exc-approvals-desk.png"))


def test_a_late_rectification_says_so_on_the_ticket(new_context, api, photos):
    """Once rectified the deadline badge goes (the clock is the verifier's): a rectification after the deadline
    read as on time on the unit's page while the leader's 超期 figures counted it."""
    late = next(t for t in api.tickets("unit_cgj", status="dispatched", overdue="true") if t["unit_id"])
    base = api.base
    pid = _upload(base, "unit_cgj", photos[1].read_bytes())
    done = _post(base, "unit_cgj", f"/api/tickets/{late['id']}/rectify",
                 {"action_id": str(uuid.uuid4()), "note": "已整改", "photo_ids": [pid]})
    assert done["status"] == "rectified" and _at(done["rectified_at"]) > _at(done["deadline_at"])
    page = new_context().new_page()
    login(page, "unit_cgj", f"/tickets/{late['id']}")
    tag = page.locator("[data-testid=rectified-late]")
    tag.wait_for()
    assert tag.inner_text().startswith("超时限 ") and tag.inner_text().endswith(" 整改"), tag.inner_text()
    assert page.locator("[data-testid=deadline]").count() == 0
