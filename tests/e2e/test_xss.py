"""User text is text everywhere: markup typed into every field a user can fill (descriptions, addresses,
action notes and reasons, unit names, user names) shows literally on every screen and printout, runs
nothing (no dialog, no page error) and triggers no CSP violation."""

import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.e2e.conftest import PASSWORD, PASSWORDS, login

pytestmark = pytest.mark.e2e


def evil(tag: str) -> str:
    """Markup that would run if parsed as HTML (≤ 64 characters: it fits a user's display name too)."""
    return f"{tag}<img src=x onerror=alert(1)></script><script>alert(2)</script>"


FIELDS = {k: evil(k) for k in ("DA", "AD", "DB", "DC", "DD", "DE", "ND", "NR", "NF", "NV", "NC", "NX", "RR",
                               "UN", "UI", "UD", "US",
                               # deadline exceptions: request reasons, decision notes, 催办 and 督办 notes
                               "RA", "RE", "RS", "RJ", "UR", "SV", "DF",
                               "GN")}  # a grid's name (the admin screens)


XSS_PASSWORD = "Xss-check-2026"  # a new account's password (the demo's is too common)


class Client:
    def __init__(self, base: str, username: str):
        r = httpx.post(f"{base}/api/auth/token", data={"username": username, "password": PASSWORDS.get(username, PASSWORD)},
                       timeout=10)
        r.raise_for_status()
        self.http = httpx.Client(base_url=base, timeout=30,
                                 headers={"Authorization": f"Bearer {r.json()['access_token']}"})

    def photo(self, path) -> str:
        pid = str(uuid.uuid4())
        r = self.http.post("/api/photos", data={"id": pid}, files={"file": ("p.jpg", path.read_bytes(), "image/jpeg")})
        assert r.status_code == 201, r.text
        return pid

    def report(self, path, description: str, address: str | None = None) -> dict:
        r = self.http.post("/api/tickets", json={
            "id": str(uuid.uuid4()), "category_code": "06010", "description": description, "address": address,
            "lat": 30.2745, "lng": 120.1555, "accuracy_m": 5, "photo_ids": [self.photo(path)]})
        assert r.status_code == 201, r.text
        return r.json()

    def act(self, tid: str, name: str, **body) -> dict:
        r = self.http.post(f"/api/tickets/{tid}/{name}", json={"action_id": str(uuid.uuid4()), **body})
        assert r.status_code == 200, (name, r.text)
        return r.json()


@pytest.fixture(scope="module")
def evil_world(server, server_env, photos):
    """A unit and users with markup names (admin CLI), and tickets in every state with markup text."""
    cli = [sys.executable, "-m", "app.cli"]
    PASSWORDS.update(dict.fromkeys(("xss_inspector", "xss_dispatcher", "xss_unit"), XSS_PASSWORD))
    env = server_env | {"XUNCHA_PASSWORD": XSS_PASSWORD}
    run = lambda *a: subprocess.run([*cli, *a], env=env, check=True, capture_output=True, timeout=60)  # noqa: E731
    run("create-unit", FIELDS["UN"], "--kind", "street")
    run("create-user", "xss_inspector", "--role", "inspector", "--name", FIELDS["UI"])
    run("create-user", "xss_dispatcher", "--role", "dispatcher", "--name", FIELDS["UD"])
    run("create-user", "xss_unit", "--role", "unit_staff", "--unit", FIELDS["UN"], "--name", FIELDS["US"])
    ins, dis, staff = (Client(server, u) for u in ("xss_inspector", "xss_dispatcher", "xss_unit"))
    unit_id = next(u["id"] for u in dis.http.get("/api/units").json() if u["name"] == FIELDS["UN"])

    # A: the whole loop, with a return (asked and approved), a rework and every note.
    a = ins.report(photos[0], FIELDS["DA"], FIELDS["AD"])["id"]
    dis.act(a, "dispatch", unit_id=unit_id, note=FIELDS["ND"])
    rid = str(uuid.uuid4())
    staff.act(a, "requests", action_id=rid, kind="return", reason=FIELDS["RR"])
    dis.act(a, f"requests/{rid}/decision", approve=True, note=FIELDS["RA"])
    dis.act(a, "dispatch", unit_id=unit_id, note=FIELDS["ND"])
    staff.act(a, "rectify", note=FIELDS["NR"], photo_ids=[staff.photo(photos[1])])
    ins.act(a, "verify", passed=False, note=FIELDS["NF"])
    staff.act(a, "rectify", note=FIELDS["NR"], photo_ids=[staff.photo(photos[2])])
    ins.act(a, "verify", passed=True, note=FIELDS["NV"])
    # B: dispatched and (below) long overdue, so it heads the bulletin's overdue list.
    b = ins.report(photos[3], FIELDS["DB"], FIELDS["AD"])["id"]
    dis.act(b, "dispatch", unit_id=unit_id, note=FIELDS["ND"])
    # C: cancelled as a duplicate; D: waiting for triage; E: rectified, waiting for verification.
    c = ins.report(photos[4], FIELDS["DC"])["id"]
    dis.act(c, "cancel", reason=FIELDS["NC"], duplicate_of=a)
    d = ins.report(photos[5], FIELDS["DD"], FIELDS["AD"])["id"]
    e = ins.report(photos[6], FIELDS["DE"])["id"]
    dis.act(e, "dispatch", unit_id=unit_id)
    staff.act(e, "rectify", note=FIELDS["NX"], photo_ids=[staff.photo(photos[7])])
    # B also: an extension asked (pending, in the 审批 queue), urged and under 督办.
    deadline = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    staff.act(b, "requests", kind="extension", reason=FIELDS["RE"], deadline=deadline)
    dis.act(b, "urge", note=FIELDS["UR"])
    Client(server, "leader").act(b, "supervise", note=FIELDS["SV"])
    # F: a suspension asked and rejected.
    f = ins.report(photos[0], FIELDS["DF"], FIELDS["AD"])["id"]
    dis.act(f, "dispatch", unit_id=unit_id)
    fid = str(uuid.uuid4())
    staff.act(f, "requests", action_id=fid, kind="suspension", reason=FIELDS["RS"])
    dis.act(f, f"requests/{fid}/decision", approve=False, note=FIELDS["RJ"])
    _make_overdue(server_env["XUNCHA_DATABASE_URL"], b)
    b_case = dis.http.get(f"/api/tickets/{b}").json()["case_number"]
    return {"a": a, "b": b, "b_case": b_case, "c": c, "d": d, "e": e, "f": f, "unit_id": unit_id}


def _make_overdue(url: str, tid: str) -> None:
    """Move B's deadline into the past (the API refuses past deadlines, as it should)."""
    from sqlmodel import Session, create_engine

    from app.core.types import utcnow
    from app.tickets.models import Ticket

    engine = create_engine(url)
    with Session(engine) as s:
        t = s.get(Ticket, uuid.UUID(tid))
        t.deadline_at = utcnow() - timedelta(days=400)
        s.add(t)
        s.commit()
    engine.dispose()


class Guard:
    """Fails on any dialog (alert) or uncaught page error in any page of the context, popups included."""

    def __init__(self, ctx):
        self.events: list[str] = []
        ctx.on("dialog", self._dialog)
        ctx.on("weberror", lambda err: self.events.append(f"page error: {err.error}"))

    def _dialog(self, dialog):
        self.events.append(f"dialog {dialog.type}: {dialog.message} on {dialog.page.url if dialog.page else '?'}")
        dialog.dismiss()

    def check(self, where: str):
        assert not self.events, f"{where}: {self.events}"


def _text(page) -> str:
    return page.locator("body").inner_text()


def _shows(page, *tags: str, where: str):
    page.wait_for_function("tags => tags.every(t => document.body.innerText.includes(t))",
                           arg=[FIELDS[t] for t in tags], timeout=15_000)
    body = _text(page)
    missing = [t for t in tags if FIELDS[t] not in body]
    assert not missing, f"{where}: not shown literally: {missing}"


# GanttChart.vue's grid: top (room for the 现在 label above the bars) and bottom (the time axis), in px.
GANTT_TOP, GANTT_BOTTOM = 22, 28


def _settled_box(page, chart) -> dict:
    """The chart's box once the page around it has stopped moving (sections above it load on their own and
    push it down; a box read before that points the mouse at the wrong rows)."""
    box = chart.bounding_box()
    for _ in range(40):
        page.wait_for_timeout(150)
        again = chart.bounding_box()
        if again == box:
            return box
        box = again
    return box


def _hover_tooltip(page, chart, tag: str, rows: int, where: str) -> str:
    """Sweep the mouse along each bar row of a gantt chart (`rows` bars, grid as GanttChart.vue's) until its
    tooltip shows the tagged text; return the tooltip's text. Each row is swept at its centre and a little
    above and below it (a bar fills 55 % of its row), the box read again before each row."""
    want = FIELDS[tag]
    read = "el => [...el.querySelectorAll('.xc-tooltip-text')].map(e => e.textContent).join('|')"
    for i in range(rows):
        chart.scroll_into_view_if_needed()
        box = _settled_box(page, chart)
        band = (box["height"] - GANTT_TOP - GANTT_BOTTOM) / rows
        for off in (0.5, 0.4, 0.6):
            y = box["y"] + GANTT_TOP + (i + off) * band
            for x in range(int(box["x"]) + 60, int(box["x"] + box["width"]) - 4, 3):
                page.mouse.move(x, y)
                text = chart.evaluate(read)
                if want in text:
                    # Text, not markup: the tooltip holds no element the markup would have made.
                    assert chart.locator("img, script").count() == 0, where
                    return text
    raise AssertionError(f"{where}: no tooltip with {tag}")


def _printable(page, click, *tags: str, where: str):
    with page.context.expect_page() as popup_info:
        click()
    doc = popup_info.value
    doc.wait_for_url(lambda u: u.startswith("blob:"), timeout=30_000)
    doc.wait_for_load_state()
    _shows(doc, *tags, where=where)
    assert doc.locator("img[src=x], script").count() == 0, where
    doc.close()


def test_markup_in_every_field_is_shown_as_text(new_context, evil_world, api, shots):
    w = evil_world
    # --- the office: dispatcher ---------------------------------------------------------------------
    ctx = new_context(viewport={"width": 1280, "height": 900}, is_mobile=False, has_touch=False, device_scale_factor=1)
    guard = Guard(ctx)
    page = ctx.new_page()
    login(page, "xss_dispatcher")
    page.goto("/triage")
    _shows(page, "DD", where="triage")
    guard.check("triage")
    page.goto(f"/tickets/{w['a']}")
    page.wait_for_selector("[data-testid=timeline]")
    _shows(page, "DA", "AD", "ND", "RR", "RA", "NR", "NF", "NV", "UN", "UI", "UD", "US", where="ticket detail (office)")
    assert page.locator("img[src=x]").count() == 0
    page.screenshot(path=str(shots / "xss-ticket-detail.png"), full_page=True)
    guard.check("ticket detail")
    page.goto(f"/tickets/{w['c']}")
    _shows(page, "DC", "NC", where="cancelled ticket")
    # Deadline exceptions: the 审批 queue, a ticket with a pending request, 催办 and 督办, a rejected one.
    page.goto("/approvals")
    _shows(page, "RE", "UN", "US", where="requests queue")
    page.locator(f"[data-testid=queue-card]:has-text('{w['b_case']}') [data-testid=queue-reject]").click()
    page.locator("[data-testid=decision-form-reject]").wait_for()
    guard.check("requests queue")
    page.goto(f"/tickets/{w['b']}")
    page.wait_for_selector("[data-testid=requests]")
    _shows(page, "DB", "RE", "UR", "SV", where="ticket with a pending request (office)")
    _printable(page, lambda: page.click("[data-testid=supervision-notice]"), "DB", "SV", "UN", where="督办通知书 (ticket page)")
    page.goto(f"/tickets/{w['f']}")
    page.wait_for_selector("[data-testid=requests]")
    _shows(page, "DF", "RS", "RJ", where="ticket with a rejected request")
    page.goto("/ledger")
    _shows(page, "RR", "RA", "RE", "RS", "RJ", "UR", "SV", "UN", "US", where="exceptions ledger")
    page.goto("/tickets")
    page.click("[data-testid=mark-filters] [data-mark=supervised]")
    _shows(page, "DB", where="ticket list, 督办 only")
    guard.check("exception screens")
    page.goto("/verify")
    _shows(page, "UN", "NX", where="verify queue")
    page.goto("/tickets")
    _shows(page, "DD", where="ticket list")
    guard.check("lists")

    page.goto(f"/dashboard?period=month&unit_id={w['unit_id']}")
    page.wait_for_selector("[data-testid=dashboard] .echart canvas")
    _shows(page, "UN", "DB", where="dashboard (unit scope, overdue list)")
    gantt = page.locator(".card.chart .echart").last
    bars = len(api.get("xss_dispatcher", f"/api/stats/timeline?period=month&unit_id={w['unit_id']}").json()["bars"])
    tip = _hover_tooltip(page, gantt, "DA", bars, "dashboard gantt tooltip")
    assert FIELDS["DA"] in tip
    page.screenshot(path=str(shots / "xss-dashboard-gantt-tooltip.png"))
    guard.check("dashboard")
    # The printable bulletin, opened as the app opens it (a blob: page under the app's CSP).
    page.click("[data-testid=export]")
    _printable(page, lambda: page.get_by_text("每周通报（打印 A4）").click(), "DB", "AD", "UN", where="bulletin")
    guard.check("bulletin")

    page.goto(f"/stats/tickets?period=month&unit_id={w['unit_id']}&metric=dispatched")
    page.wait_for_selector("[data-testid=drill-list] [data-case]")
    _shows(page, "DA", "DB", where="stats drill-down")
    page.goto(f"/stats/tickets/{w['a']}/timeline")
    chart = page.locator("[data-testid=ticket-timeline] .echart")
    chart.wait_for()
    stages = len(api.get("xss_dispatcher", f"/api/stats/tickets/{w['a']}/timeline").json()["stages"])
    _hover_tooltip(page, chart, "UN", stages, "ticket timeline tooltip")
    page.screenshot(path=str(shots / "xss-ticket-timeline-tooltip.png"))
    page.goto(f"/stats/tickets/{w['b']}/timeline")
    page.wait_for_selector("[data-testid=ticket-timeline] .echart canvas")
    _printable(page, lambda: page.click("[data-testid=notice]"), "DB", "AD", "UN", where="督办通知书")
    page.goto("/map")
    page.wait_for_selector(".xc-dot, .marker-cluster, .xc-cluster")
    page.wait_for_timeout(500)
    guard.check("office screens")

    # --- the unit ------------------------------------------------------------------------------------
    uctx = new_context()
    uguard = Guard(uctx)
    unit = uctx.new_page()
    login(unit, "xss_unit")
    unit.goto("/tasks")
    _shows(unit, "DB", where="unit tasks")
    unit.goto(f"/tickets/{w['a']}")
    unit.wait_for_selector("[data-testid=timeline]")
    _shows(unit, "DA", "AD", "ND", "RR", "RA", "NR", "NF", "NV", "UN", "UD", "US", where="ticket detail (unit)")
    unit.goto(f"/tickets/{w['b']}")
    unit.wait_for_selector("[data-testid=urged-banner]")
    _shows(unit, "RE", "UR", "SV", where="ticket detail (unit): 催办 and 督办 banners, pending request")
    unit.goto(f"/tickets/{w['f']}")
    _shows(unit, "RS", "RJ", where="rejected request (unit)")
    unit.goto("/ledger")
    _shows(unit, "RR", "RE", "RS", "RJ", "UR", "SV", where="exceptions ledger (unit)")
    assert FIELDS["UI"] not in _text(unit), "a unit never sees the inspector's name (四不两直)"
    unit.goto("/dashboard?period=month")
    unit.wait_for_selector("[data-testid=dashboard] .echart canvas")
    bars = len(api.get("xss_unit", "/api/stats/timeline?period=month").json()["bars"])
    _hover_tooltip(unit, unit.locator(".card.chart .echart").last, "DB", bars, "unit dashboard gantt tooltip")
    unit.goto(f"/stats/tickets/{w['a']}/timeline")
    unit.wait_for_selector("[data-testid=ticket-timeline] .echart canvas")
    stages = len(api.get("xss_unit", f"/api/stats/tickets/{w['a']}/timeline").json()["stages"])
    _hover_tooltip(unit, unit.locator("[data-testid=ticket-timeline] .echart"), "UN", stages,
                   "unit ticket timeline tooltip")
    unit.goto("/map")
    unit.wait_for_selector(".xc-dot, .marker-cluster, .xc-cluster")  # a cluster holding an overdue ticket is red
    unit.wait_for_timeout(500)
    uguard.check("unit screens")

    # --- a leader, over the whole city ----------------------------------------------------------------
    lctx = new_context()
    lguard = Guard(lctx)
    leader = lctx.new_page()
    login(leader, "leader", "/dashboard?period=month")
    leader.wait_for_selector("[data-testid=dashboard] .echart canvas")
    _shows(leader, "UN", where="leader dashboard")
    leader.goto("/tickets")
    _shows(leader, "DD", where="leader ticket list")
    time.sleep(0.5)
    lguard.check("leader screens")
    guard.check("end")
    uguard.check("end")


def test_admin_screens_show_markup_as_text(new_context, evil_world, api, server):
    """Units, users, a grid (on the table and the map) and the audit log at desktop width: names are text."""
    square = [[[120.30, 30.10], [120.304, 30.10], [120.304, 30.104], [120.30, 30.104], [120.30, 30.10]]]
    r = httpx.post(f"{server}/api/admin/grids/import", timeout=30, headers={"Authorization": f"Bearer {api.token('admin')}"},
                   json={"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Polygon", "coordinates": square},
                                                                      "properties": {"name": FIELDS["GN"], "unit": FIELDS["UN"]}}]})
    assert r.status_code == 201, r.text
    ctx = new_context(viewport={"width": 1366, "height": 900}, is_mobile=False, has_touch=False, device_scale_factor=1)
    guard = Guard(ctx)
    page = ctx.new_page()
    login(page, "admin")
    for path, tags in (("/admin/units", ("UN",)), ("/admin/users", ("UI", "UD", "US", "UN")),
                       ("/admin/grids", ("GN", "UN")), ("/admin/audit", ("GN",))):
        page.goto(path)
        _shows(page, *tags, where=path)
        assert page.locator("img[src=x]").count() == 0, path
        guard.check(path)
    page.goto("/admin/grids")
    page.locator("[data-testid=grid-map] path.leaflet-interactive").last.wait_for(state="attached")
    # Every grid hovered, again at each poll: earlier tests may have left grids of their own, and the map redraws
    # its shapes when the grids and the check's result arrive (a path hovered before a redraw is gone with its
    # tooltip).
    page.wait_for_function("""t => {
        for (const path of document.querySelectorAll('[data-testid=grid-map] path.leaflet-interactive')) {
            path.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }))
            if ([...document.querySelectorAll('.leaflet-tooltip')].some(e => e.textContent.includes(t))) return true
            path.dispatchEvent(new MouseEvent('mouseout', { bubbles: true }))
        }
        return false
    }""", arg=FIELDS["GN"], polling=500)
    assert page.locator(".leaflet-tooltip img, .leaflet-tooltip script").count() == 0
    guard.check("grid map")


def test_checklist_sms_people_and_templates_show_markup_as_text(new_context, api, server):
    """A checklist item's text, a texted person's name, an SMS gateway's name and a message template with markup
    (set through the API): the 测评细则, 通知对象 and 通知规则 screens show them literally and run nothing."""
    http = httpx.Client(base_url=server, timeout=30, headers={"Authorization": f"Bearer {api.token('admin')}"})
    suffix = uuid.uuid4().hex[:6]
    site_type = "school_surroundings"
    latest = http.get(f"/api/evaluation/site-types/{site_type}/checklists").json()[0]["version"]
    original = http.get(f"/api/evaluation/site-types/{site_type}/checklists/{latest}").json()["items"]

    def item_in(i: dict, **over) -> dict:
        return {"code": i["code"], "text_zh": i["text_zh"], "text_en": i["text_en"], "dimension": i["dimension"],
                "points": i["points"], "rule": i["rule"], "deduction": i["deduction"] if i["rule"] == "per_occurrence" else None,
                "photos_required": i["photos_required"], "category_code": i["category_code"], **over}

    marked = [item_in(original[0], text_zh=evil("CZ"), text_en=evil("CE"))] + [item_in(i) for i in original[1:]]
    r = http.post(f"/api/evaluation/site-types/{site_type}/checklists", json={"items": marked})
    assert r.status_code == 201, r.text
    version = r.json()["version"]
    unit_id = next(u["id"] for u in http.get("/api/units").json() if u["name"] == "向阳街道办事处")
    r = http.post("/api/admin/users", json={"username": f"xss_sms_{suffix}", "display_name": evil("SU"), "role": "unit_staff",
                                            "unit_id": unit_id, "password": f"Xuncha-{suffix}"})
    assert r.status_code == 201, r.text
    user_id = r.json()["id"]
    r = http.post("/api/notifications/channels", json={"name": evil("SG"), "kind": "sms", "url": "https://sms.example.invalid/x"})
    assert r.status_code == 201, r.text
    r = http.put(f"/api/notifications/subscriptions/{user_id}", json={"channel_id": r.json()["id"], "phone": "13900139000",
                                                                   "kinds": ["dispatched"], "enabled": True})
    assert r.status_code == 200, r.text
    r = http.put("/api/notifications/settings", json={"templates": {"urged": evil("TM") + " {case_number}"}})
    assert r.status_code == 200, r.text
    try:
        ctx = new_context(viewport={"width": 1366, "height": 900}, is_mobile=False, has_touch=False, device_scale_factor=1)
        guard = Guard(ctx)
        page = ctx.new_page()
        login(page, "admin", "/admin/subscriptions")
        page.locator("[data-testid=sub-row]").first.wait_for()
        page.wait_for_function("t => document.body.innerText.includes(t)", arg=evil("SU"))
        body = _text(page)
        assert evil("SU") in body and evil("SG") in body, "/admin/subscriptions"
        assert page.locator("img[src=x]").count() == 0
        guard.check("/admin/subscriptions")

        page.goto("/admin/checklists")
        page.select_option("[data-testid=ck-type]", site_type)
        page.wait_for_function("t => document.querySelector('[data-testid=ck-text-zh]')?.value === t", arg=evil("CZ"))
        assert page.locator("[data-testid=ck-text-en]").first.input_value() == evil("CE")
        page.click(f"[data-testid=ck-view-{version}]")
        viewing = page.locator("[data-testid=ck-viewing]").inner_text()
        assert evil("CZ") in viewing and evil("CE") in viewing, "checklist version"
        assert page.locator("img[src=x]").count() == 0
        guard.check("/admin/checklists")

        page.goto("/admin/notifications")
        page.click("[data-testid=notify-templates] button[data-kind=urged]")
        assert page.locator("[data-testid=notify-template]").input_value() == evil("TM") + " {case_number}"
        assert page.locator("[data-testid=notify-preview]").inner_text() == evil("TM") + " XC-2026-000123"
        assert page.locator("img[src=x], [data-testid=notify-templates] script").count() == 0
        guard.check("/admin/notifications")
    finally:
        http.put("/api/notifications/settings", json={"templates": {"urged": None}})
        http.delete(f"/api/notifications/subscriptions/{user_id}")
        http.post(f"/api/evaluation/site-types/{site_type}/checklists", json={"items": [item_in(i) for i in original]})


def test_api_docs_load_nothing_from_elsewhere(new_context, server):
    """Swagger UI comes from our origin and runs under the CSP (its init script allowed by hash only)."""
    ctx = new_context(viewport={"width": 1280, "height": 900}, is_mobile=False, has_touch=False)
    guard = Guard(ctx)
    requests: list[str] = []
    ctx.on("request", lambda r: requests.append(r.url))
    page = ctx.new_page()
    page.goto("/api/docs")
    page.wait_for_selector(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-tag")  # the operations are listed: the spec loaded and rendered
    page.wait_for_timeout(500)
    outside = [u for u in requests if not (u.startswith(server + "/") or u.startswith(("data:", "blob:")))]
    assert not outside, outside
    assert any(u.endswith("/swagger-ui/swagger-ui-bundle.js") for u in requests)
    assert "Xuncha" in page.locator(".swagger-ui .info .title").inner_text()
    guard.check("api docs")
