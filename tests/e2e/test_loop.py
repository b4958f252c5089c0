"""Scenario 1: the whole loop through the UI with three roles, checked against the server."""

import re
import uuid

import pytest

from tests.e2e.conftest import capture, login, wait_outbox_empty

pytestmark = pytest.mark.e2e

UNIT_CGJ = "市城市管理局"


def _act(page, key: str, note: str | None = None, photo=None, album: bool = False):
    page.click(f"[data-testid=act-{key}]")
    form = page.locator(f"[data-testid=action-form-{key}]")
    form.wait_for()
    if photo is not None:
        camera, from_album = (form.locator("[data-testid=action-photo-input]"),
                              form.locator("[data-testid=action-photo-input-album]"))
        # The camera's input opens the camera (capture=); the album's lets a photo sent over WeChat be picked.
        assert camera.get_attribute("capture") == "environment" and from_album.get_attribute("capture") is None
        (from_album if album else camera).set_input_files(str(photo))
        form.locator("[data-testid=picked-photo]").first.wait_for()
    if note is not None:
        form.locator("[data-testid=action-note] textarea").fill(note)
    form.locator("[data-testid=action-submit]").click()
    form.wait_for(state="hidden")


def _wait_status(api, tid, status, timeout=30):
    import time

    end = time.time() + timeout
    while time.time() < end:
        t = api.ticket(tid)
        if t["status"] == status:
            return t
        time.sleep(0.3)
    raise AssertionError(f"ticket {tid} is {t['status']}, expected {status}")


def test_full_loop_three_roles(new_context, api, photos, shots):
    marker = f"e2e-loop-{uuid.uuid4().hex[:8]}"
    units = {u["name"]: u["id"] for u in api.get("dispatcher", "/api/units").json()}

    # Inspector: capture with two photos.
    insp = new_context().new_page()
    login(insp, "inspector")
    capture(insp, photos[:2], f"{marker} 垃圾满溢")
    # Once it reaches the office the phone says so, with its case number (it only said 已保存到本机，等待上传).
    reported = insp.locator(".van-notify:has-text('已上报：')")
    reported.wait_for(timeout=60_000)
    said = reported.inner_text()
    wait_outbox_empty(insp)
    found = [t for t in api.tickets(q=marker) if marker in (t["description"] or "")]
    assert len(found) == 1
    assert found[0]["case_number"] in said
    tid = found[0]["id"]
    detail = api.ticket(tid)
    assert detail["status"] == "reported" and len(detail["photos"]) == 2

    # Dispatcher: dispatch to 市城市管理局 with the default deadline.
    disp = new_context().new_page()
    login(disp, "dispatcher")
    disp.goto(f"/tickets/{tid}")
    disp.click("[data-testid=act-dispatch]")
    form = disp.locator("[data-testid=action-form-dispatch]")
    form.locator(f"[data-unit='{units[UNIT_CGJ]}']").click()
    assert form.locator("[data-testid=deadline-input] input").input_value()  # the default deadline is shown
    form.locator("[data-testid=action-submit]").click()
    form.wait_for(state="hidden")
    t = _wait_status(api, tid, "dispatched")
    assert t["unit_id"] == units[UNIT_CGJ] and t["deadline_at"]

    # Unit: the task is in 我的任务; rectify with an after-photo.
    unit = new_context().new_page()
    login(unit, "unit_cgj")
    card = unit.locator(f".ticket-card[data-case='{t['case_number']}']")
    card.wait_for()
    card.click()
    unit.wait_for_url(re.compile(f"/tickets/{tid}"))
    # Submitted empty, the rectification says everything it lacks at once (the photo came only at the next tap).
    unit.click("[data-testid=act-rectify]")
    unit.locator("[data-testid=action-form-rectify] [data-testid=action-submit]").click()
    unit.locator(".van-toast:has-text('请填写整改说明；请至少上传 1 张整改后照片')").wait_for()
    unit.locator(".van-popup:has([data-testid=action-form-rectify]) .van-popup__close-icon").click()
    unit.locator("[data-testid=action-form-rectify]").wait_for(state="hidden")
    _act(unit, "rectify", "已清运完毕", photos[2], album=True)
    _wait_status(api, tid, "rectified")

    # Inspector: 回头看 → fail (返工) with a reason and a photo.
    insp.goto("/verify")
    vcard = insp.locator(f".vq[data-case='{t['case_number']}']")
    vcard.wait_for()
    # The card grows when its detail (the unit's note) arrives; tap once it has, as a person would.
    vcard.locator(".note").wait_for()
    vcard.get_by_role("button", name="返工").click()
    form = insp.locator("[data-testid=action-form-verify_fail]")
    form.locator("[data-testid=action-photo-input]").set_input_files(str(photos[3]))
    form.locator("[data-testid=picked-photo]").first.wait_for()
    form.locator("[data-testid=action-note] textarea").fill("仍有垃圾残留")
    form.locator("[data-testid=action-submit]").click()
    form.wait_for(state="hidden")
    t = _wait_status(api, tid, "dispatched")
    assert t["rework_count"] == 1

    # Unit: rectify again.
    unit.goto(f"/tickets/{tid}")
    _act(unit, "rectify", "已彻底清理", photos[4])
    _wait_status(api, tid, "rectified")

    # Inspector: pass from the ticket page.
    insp.goto(f"/tickets/{tid}")
    _act(insp, "verify_pass", "复查合格")
    t = _wait_status(api, tid, "closed")

    # Server truth: the whole timeline, six events, photos at each stage.
    actions = [e["action"] for e in sorted(t["events"], key=lambda e: e["at"])]
    assert actions == ["report", "dispatch", "rectify", "verify_fail", "rectify", "verify_pass"]
    stages = sorted(p["stage"] for p in t["photos"])
    assert stages.count("report") == 2 and stages.count("rectify") == 2 and stages.count("verify") == 1

    # The timeline in the UI shows it all.
    insp.reload()
    insp.wait_for_selector("[data-testid=status] >> text=已结案")
    steps = insp.locator("[data-testid=timeline] .van-step")
    assert steps.count() == 6
    ui_actions = [steps.nth(i).get_attribute("data-action") for i in range(6)]
    assert ui_actions == list(reversed(actions))
    insp.screenshot(path=str(shots / "loop-closed-detail.png"), full_page=True)
