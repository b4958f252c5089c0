"""实地测评 on the phone, offline: an inspector evaluates a 20-item site with no network, across two browser
restarts (the draft survives one, the queued submission the other), then goes online; the server holds
exactly one result with the right answers, each photo once, and a ticket per 不达标. A 30-item site with 10
photos is saved to the phone's outbox in under a second."""

import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.e2e.conftest import login, wait_outbox_empty, wait_sw

pytestmark = pytest.mark.e2e

INSPECTOR = "inspector2"  # the other e2e tests deal their rounds to `inspector`


def _post(api, username, path, json):
    r = httpx.post(f"{api.base}{path}", json=json, headers={"Authorization": f"Bearer {api.token(username)}"},
                   timeout=20)
    assert r.status_code in (200, 201), r.text
    return r.json()


def _round_with(api, site_type: str, items: list[dict], name: str, unit: str | None = None
                ) -> tuple[int, dict, list[dict]]:
    """A new checklist version for the site type, an active round of one of its sites (of `unit`, if given)
    dealt to INSPECTOR."""
    checklist = _post(api, "dispatcher", f"/api/evaluation/site-types/{site_type}/checklists", {"items": items})
    sites = api.get("dispatcher", "/api/evaluation/sites", site_type=site_type, limit=50).json()["items"]
    site = next(s for s in sites if unit in (None, s["unit_name"]))
    me = api.get(INSPECTOR, "/api/me").json()
    now = datetime.now(UTC)
    rnd = _post(api, "dispatcher", "/api/evaluation/rounds", {
        "name": name, "starts_at": now.isoformat(), "ends_at": (now + timedelta(days=3)).isoformat(),
        "site_ids": [site["id"]], "inspector_ids": [me["id"]]})
    assert rnd["sites"][0]["checklist_id"] == checklist["id"]
    _post(api, "dispatcher", f"/api/evaluation/rounds/{rnd['id']}/transition", {"to": "active"})
    return rnd["id"], site, checklist["items"]


def _items(n: int, prefix: str) -> list[dict]:
    """n items of 100 / n points; every third all-or-nothing; the last one needs two photos when it fails."""
    pts = 100 / n
    out = []
    for i in range(1, n + 1):
        all_or_nothing = i % 3 == 0
        out.append({"code": f"{prefix}{i:02d}", "text_zh": f"测评项目 {i}：站台整洁、无乱张贴", "dimension": "环境卫生",
                    "points": round(pts, 1), "rule": "all_or_nothing" if all_or_nothing else "per_occurrence",
                    "deduction": None if all_or_nothing else 1, "photos_required": 2 if i == n else 1,
                    "category_code": "06005"})
    return out


def _open_item(page, code):
    """The item's answer buttons, expanding it when it is folded."""
    item = page.locator(f"[data-testid=eval-item][data-code='{code}']")
    if item.locator("[data-testid=eval-pass]").count() == 0:
        item.locator("[data-testid=eval-item-head]").click()
    return item


def _answer(page, code, verdict, photo_paths=(), occurrences=None, note=None):
    item = _open_item(page, code)
    item.locator(f"[data-testid=eval-{verdict}]").click()
    if verdict == "unable":  # 无法调查: the reason is required
        assert page.locator("[data-testid=eval-submit]").is_disabled()
        item.locator("[data-testid=eval-unable-reason] textarea").fill(note)
        return
    if verdict != "fail":
        return
    if occurrences:
        item.locator("[data-testid=eval-occurrences] input").fill(str(occurrences))
        item.locator("[data-testid=eval-occurrences] input").blur()
    if photo_paths:
        item.locator(f"[data-testid=eval-photo-input-{code}]").set_input_files([str(p) for p in photo_paths])
        page.wait_for_function(
            f"() => document.querySelectorAll(\"[data-testid=eval-item][data-code='{code}'] [data-testid=picked-photo]\")"
            f".length === {len(photo_paths)}", timeout=30_000)
    if note:
        item.locator("[data-testid=eval-note] textarea").fill(note)


def _progress(page) -> str:
    return page.locator("[data-testid=eval-progress]").inner_text()


def test_a_site_evaluated_offline_arrives_once_across_restarts(persistent, api, photos, shots):
    marker = uuid.uuid4().hex[:6]
    # The traffic police's stop: the round is published at the end, and test_evaluation.py expects the city
    # management bureau (unit_cgj) to see no round.
    rid, site, items = _round_with(api, "bus_stop", _items(20, "B"), f"离线测评 {marker}", unit="市公安局交通警察支队")
    codes = [i["code"] for i in items]
    # 不达标: B02 twice (1 point each), B03 (all or nothing), B20 (two photos); 不适用: B05, B11; the rest 达标.
    fails = {"B02": dict(photo_paths=photos[0:1], occurrences=2, note=f"站牌小广告 {marker}"),
             "B03": dict(photo_paths=photos[1:2]),
             "B20": dict(photo_paths=photos[2:4], occurrences=3)}
    verdicts = {c: "fail" if c in fails else "na" if c in ("B05", "B11") else "pass" for c in codes}
    # 无法调查: B08 (the item could not be checked), with its reason.
    fails["B08"] = dict(note=f"配电箱区域上锁 {marker}")
    verdicts["B08"] = "unable"

    ctx = persistent()
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    login(page, INSPECTOR, "/eval/mine")
    wait_sw(page)
    # Opened online, the list caches the sites and their checklist version for offline use.
    page.wait_for_selector("[data-testid=eval-my-sites][data-ready='1']")
    page.wait_for_selector(f"[data-testid=eval-my-site][data-id='{site['id']}'][data-state=new]")
    page.click("[data-testid=eval-mine-map-toggle]")
    page.wait_for_selector("[data-testid=eval-mine-map] .leaflet-marker-icon")  # the site (and the phone)
    page.click("[data-testid=eval-mine-map-toggle]")

    ctx.set_offline(True)
    page.reload()
    page.click(f"[data-testid=eval-my-site][data-id='{site['id']}']")
    page.wait_for_selector("[data-testid=eval-item] >> nth=19")
    assert _progress(page) == "已答 0/20"
    page.wait_for_selector("[data-testid=eval-distance]")  # check-in: the phone's distance from the site
    for c in codes[:12]:
        _answer(page, c, verdicts[c], **fails.get(c, {}))
    assert _progress(page) == "已答 12/20"
    page.screenshot(path=str(shots / "eval-phone-half.png"))
    page.wait_for_timeout(300)  # the last write is on its way to IndexedDB; a restart right after the tap
    ctx.close()

    # Restart 1, still offline: the draft is all there.
    ctx = persistent(offline=True)
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    page.goto(f"/eval/rounds/{rid}/sites/{site['id']}")
    page.wait_for_selector("[data-testid=eval-progress]")
    assert _progress(page) == "已答 12/20"
    assert page.locator("[data-testid=eval-item][data-code=B02] [data-testid=eval-item-head]").inner_text().count("不达标")
    assert page.locator("[data-testid=eval-submit]").is_disabled()
    page.click("[data-testid=eval-only-open]")  # the 12 done items fold away, the 8 open ones remain
    assert page.locator("[data-testid=eval-item]:visible").count() == 8
    for c in codes[12:]:
        _answer(page, c, verdicts[c], **fails.get(c, {}))
    assert _progress(page) == "已答 20/20"
    page.screenshot(path=str(shots / "eval-phone-done.png"))
    page.click("[data-testid=eval-submit]")
    page.locator(".van-dialog__confirm").click()
    page.wait_for_selector("[data-testid=eval-site-readonly]")
    assert page.locator("[data-testid=eval-site][data-state=queued]").count() == 1
    page.goto("/outbox")
    entry = page.locator("[data-testid=outbox-item][data-kind=evalResult]")
    entry.wait_for()
    assert page.locator("[data-testid=outbox-item]").count() == 1  # the result, its 4 photos inside
    assert entry.locator("[data-testid=outbox-photo]").count() == 4
    assert site["name"] in entry.inner_text()
    page.screenshot(path=str(shots / "eval-phone-outbox.png"), full_page=True)
    assert api.get("dispatcher", f"/api/evaluation/rounds/{rid}/sites/{site['id']}/result").status_code == 404
    ctx.close()

    # Restart 2, then the network comes back: the outbox sends the photos, then the result, once.
    ctx = persistent(offline=True)
    page = ctx.pages[0] if ctx.pages else ctx.new_page()
    page.goto("/eval/mine")
    page.wait_for_selector(f"[data-testid=eval-my-site][data-id='{site['id']}'][data-state=queued]")
    ctx.set_offline(False)
    wait_outbox_empty(page, timeout=90_000)

    res = api.get("dispatcher", f"/api/evaluation/rounds/{rid}/sites/{site['id']}/result")
    assert res.status_code == 200, res.text
    out = res.json()
    assert out["status"] == "evaluated"
    assert {a["item_code"]: a["verdict"] for a in out["answers"]} == verdicts
    got = {a["item_code"]: a for a in out["answers"]}
    assert (got["B02"]["occurrences"], got["B02"]["note"]) == (2, f"站牌小广告 {marker}")
    assert got["B20"]["occurrences"] == 3 and got["B03"]["occurrences"] == 1
    assert (got["B08"]["note"], got["B08"]["loss"], got["B08"]["ticket_id"]) == (f"配电箱区域上锁 {marker}", 0, None)
    # By hand: 20 items of 5 points; 不适用 B05, B11 and 无法调查 B08 leave 85 possible; B02 loses 2 × 1, B03 all 5
    # (every third item is all-or-nothing), B20 3 × 1: 75 earned.
    assert (out["possible"], out["earned"]) == (85, 75)
    del fails["B08"]  # not a failure: no ticket
    assert out["distance_m"] is not None
    # Each 不达标 is one ticket holding its photos, each photo once.
    tickets = [api.ticket(got[c]["ticket_id"]) for c in fails]
    assert [t["status"] for t in tickets] == ["reported"] * 3
    photo_counts = [len([p for p in t["photos"] if p["stage"] == "report"]) for t in tickets]
    assert photo_counts == [1, 1, 2]
    ids = [p["id"] for t in tickets for p in t["photos"]]
    assert len(set(ids)) == 4
    assert len(api.tickets(q=f"站牌小广告 {marker}")) == 1
    mine = api.get(INSPECTOR, "/api/evaluation/my-sites").json()
    assert [m["result_id"] for m in mine if m["round_id"] == rid] == [out["id"]]

    # The list says 已提交 and the site opens read-only with the server's score.
    page.goto("/eval/mine")
    page.wait_for_selector(f"[data-testid=eval-my-site][data-id='{site['id']}'][data-state=submitted]")
    page.click(f"[data-testid=eval-my-site][data-id='{site['id']}']")
    page.wait_for_selector("[data-testid=eval-site-score]:has-text('75/85')")
    assert page.locator("[data-testid=eval-ro-item]").count() == 20
    unable_row = page.locator("[data-testid=eval-ro-item]", has_text="B08")
    assert "无法调查" in unable_row.inner_text() and f"配电箱区域上锁 {marker}" in unable_row.inner_text()
    page.screenshot(path=str(shots / "eval-phone-readonly.png"), full_page=True)

    # 四不两直: the site's unit sees the result only once the office publishes the round, then its findings.
    staff = "unit_jj"
    result_path = f"/api/evaluation/rounds/{rid}/sites/{site['id']}/result"
    assert api.get(staff, result_path).status_code == 404
    _post(api, "dispatcher", f"/api/evaluation/rounds/{rid}/transition", {"to": "closed"})
    _post(api, "dispatcher", f"/api/evaluation/rounds/{rid}/transition", {"to": "published"})
    seen = api.get(staff, result_path)
    assert seen.status_code == 200, seen.text
    # The round does not dispatch on publish: the unit sees its failed items, not yet their tickets.
    assert [a["case_number"] for a in seen.json()["answers"] if a["verdict"] == "fail"] == [None] * 3
    assert seen.json()["inspector_name"] is None
    for t in tickets:
        _post(api, "dispatcher", f"/api/tickets/{t['id']}/dispatch",
              {"action_id": str(uuid.uuid4()), "unit_id": site["unit_id"]})
    seen = api.get(staff, result_path)
    assert sorted(a["case_number"] for a in seen.json()["answers"] if a["verdict"] == "fail") == \
        sorted(t["case_number"] for t in tickets)


def test_a_30_item_site_with_10_photos_is_saved_on_the_phone_in_under_a_second(new_context, api, photos):
    rid, site, items = _round_with(api, "school_surroundings", _items(30, "S"), f"保存计时 {uuid.uuid4().hex[:6]}")
    ctx = new_context()
    page = ctx.new_page()
    login(page, INSPECTOR, f"/eval/rounds/{rid}/sites/{site['id']}")
    page.wait_for_selector("[data-testid=eval-item] >> nth=29")
    codes = [i["code"] for i in items]
    # 9 failures: eight with one photo, the last item (two photos required) with two: 10 photos.
    failing = set(codes[1:29:3][:8]) | {codes[-1]}
    assert len(failing) == 9
    ctx.set_offline(True)  # the save must not depend on the network
    n = 0
    for c in codes:
        if c in failing:
            k = 2 if c == codes[-1] else 1
            _answer(page, c, "fail", photo_paths=[photos[(n + j) % len(photos)] for j in range(k)])
            n += k
        else:
            _answer(page, c, "pass")
    assert n == 10
    assert _progress(page) == "已答 30/30"
    page.click("[data-testid=eval-submit]")
    confirm = page.locator(".van-dialog__confirm")
    confirm.wait_for()
    t0 = time.monotonic()
    confirm.click()
    page.wait_for_selector("[data-testid=eval-site-readonly]")
    took = time.monotonic() - t0
    in_page_ms = int(page.evaluate("document.body.dataset.evalSaveMs"))
    queued = page.evaluate("""() => new Promise((ok, ko) => {
        const r = indexedDB.open('xuncha'); r.onerror = ko
        r.onsuccess = () => { const q = r.result.transaction('outbox').objectStore('outbox').getAll()
          q.onsuccess = () => ok(q.result.map((i) => i.kind)) }
    })""")
    assert sorted(queued) == ["evalResult"] + ["photo"] * 10
    print(f"\n30 items + 10 photos saved to the outbox: {took * 1000:.0f} ms from the tap (in page {in_page_ms} ms)")
    # The aim (< 1 s) is a measurement reported in the README, not a timed test: on a loaded CI box it is not
    # the code's speed that varies. Only a pathological save fails here.
    assert took < 10.0, f"saving took {took:.2f} s"
    ctx.set_offline(False)
    wait_outbox_empty(page, timeout=90_000)
    out = api.get("dispatcher", f"/api/evaluation/rounds/{rid}/sites/{site['id']}/result").json()
    assert sum(a["verdict"] == "fail" for a in out["answers"]) == 9


def test_a_refused_submission_discarded_from_the_outbox_reopens_the_site(new_context, api, photos):
    rid, site, items = _round_with(api, "public_square_park", _items(3, "P"), f"退回重交 {uuid.uuid4().hex[:6]}")
    codes = [i["code"] for i in items]
    ctx = new_context()
    page = ctx.new_page()
    login(page, INSPECTOR, f"/eval/rounds/{rid}/sites/{site['id']}")
    page.wait_for_selector("[data-testid=eval-item] >> nth=2")
    _answer(page, codes[0], "fail", photo_paths=photos[:1])
    _answer(page, codes[1], "pass")
    _answer(page, codes[2], "na")
    # The server refuses the result (as it would a site another inspector submitted first).
    refusal = {"error": {"code": "already_submitted", "message": "该点位已提交测评 This site was already submitted"}}
    page.route("**/api/evaluation/rounds/*/sites/*/result",
               lambda r: r.fulfill(status=409, json=refusal) if r.request.method == "POST" else r.continue_())
    page.click("[data-testid=eval-submit]")
    page.locator(".van-dialog__confirm").click()
    page.wait_for_selector("[data-testid=eval-site][data-state=queued]")
    page.goto("/outbox")
    page.wait_for_selector("[data-testid=outbox-item][data-kind=evalResult][data-state=attention]")
    said = page.locator("[data-testid=outbox-item]").inner_text()
    assert "该点位已提交测评" in said and "This site" not in said, said  # the server's words, in the screen's language
    assert page.locator("[data-testid=outbox-item]").count() == 1  # its photo went; the result waits for a person
    page.locator("[data-testid=outbox-item] .van-button--danger").click()
    page.locator(".van-dialog__confirm").click()
    page.wait_for_selector("[data-testid=outbox-empty]")

    # The answers are editable again; submitted anew, the photo already on the server is used as it is.
    page.unroute("**/api/evaluation/rounds/*/sites/*/result")
    page.goto(f"/eval/rounds/{rid}/sites/{site['id']}")
    page.wait_for_selector("[data-testid=eval-site][data-state=draft]")
    assert _progress(page) == "已答 3/3"
    page.click("[data-testid=eval-submit]")
    page.locator(".van-dialog__confirm").click()
    # In the outbox (or already sent) before the outbox is watched: an empty outbox before the write means nothing.
    page.wait_for_selector("[data-testid=eval-site][data-state=queued], [data-testid=eval-site][data-state=submitted]")
    wait_outbox_empty(page)
    out = api.get("dispatcher", f"/api/evaluation/rounds/{rid}/sites/{site['id']}/result").json()
    assert [a["verdict"] for a in out["answers"]] == ["fail", "pass", "na"]
    ticket = api.ticket(out["answers"][0]["ticket_id"])
    assert len(ticket["photos"]) == 1


def test_a_site_sent_while_its_page_is_open_shows_the_server_s_record(new_context, api, photos):
    """Submitted online, the result leaves the outbox in a moment: the page then shows its score and the finding's
    case number, not "本机记录（尚未上传）" until the inspector opens the site again."""
    rid, site, items = _round_with(api, "school_surroundings", _items(3, "L"), f"在线提交 {uuid.uuid4().hex[:6]}")
    page = new_context().new_page()
    login(page, INSPECTOR, f"/eval/rounds/{rid}/sites/{site['id']}")
    page.wait_for_selector("[data-testid=eval-item] >> nth=2")
    codes = [i["code"] for i in items]
    _answer(page, codes[0], "fail", photo_paths=photos[:1])
    for c in codes[1:]:
        _answer(page, c, "pass")
    page.click("[data-testid=eval-submit]")
    page.locator(".van-dialog__confirm").click()
    page.wait_for_selector("[data-testid=eval-site][data-state=submitted]", timeout=60_000)
    page.wait_for_selector("[data-testid=eval-site-score]", timeout=20_000)
    out = api.get("dispatcher", f"/api/evaluation/rounds/{rid}/sites/{site['id']}/result").json()
    assert page.locator("text=本机记录（尚未上传）").count() == 0
    case = next(a["case_number"] for a in out["answers"] if a["verdict"] == "fail")
    page.wait_for_selector(f"[data-testid=eval-ro-item]:has-text('{case}')")
