"""Who sees what, and who may do what: every endpoint × every role."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.users.roles import Role
from tests.conftest import action, login, make_unit, make_user, report, return_ticket, upload_photo

ROLES = ["anonymous", "inspector", "dispatcher", "leader", "admin", "staff_a", "staff_b"]


@pytest.fixture
def world(client, db):
    """Two units, users of every role, and tickets in the states that matter for visibility."""
    a, b = make_unit(db, "甲单位"), make_unit(db, "乙单位")
    users = {
        "inspector": make_user(db, Role.inspector), "dispatcher": make_user(db, Role.dispatcher),
        "leader": make_user(db, Role.leader), "admin": make_user(db, Role.admin),
        "staff_a": make_user(db, Role.unit_staff, a), "staff_b": make_user(db, Role.unit_staff, b),
    }
    h = {k: login(client, u) for k, u in users.items()} | {"anonymous": {}}
    ins, dis = h["inspector"], h["dispatcher"]

    def dispatched(unit):
        t = report(client, ins)
        action(client, dis, t["id"], "dispatch", unit_id=unit.id)
        return t["id"]

    def rectified(unit, staff):
        tid = dispatched(unit)
        r = action(client, h[staff], tid, "rectify", note="好", photo_ids=[upload_photo(client, h[staff])["id"]])
        assert r.status_code == 200
        return tid

    t = {
        "reported": report(client, ins)["id"],
        "dispatched_a": dispatched(a),
        "rectified_a": rectified(a, "staff_a"),
        "dispatched_b": dispatched(b),
        "returned_by_a": dispatched(a),
        "pending_a": dispatched(a),
        "suspended_a": dispatched(a),
    }
    return_ticket(client, h["staff_a"], dis, t["returned_by_a"])
    requests = {}
    for key, kind in (("pending_a", "extension"), ("suspended_a", "suspension")):
        r = action(client, h["staff_a"], t[key], "requests", kind=kind, reason="理由", deadline=_future(3))
        assert r.status_code == 200, r.text
        requests[key] = r.json()["requests"][0]["id"]
    r = action(client, dis, t["suspended_a"], f"requests/{requests['suspended_a']}/decision", approve=True,
               review_at=_future(30))
    assert r.status_code == 200 and r.json()["status"] == "suspended", r.text
    return {"units": (a, b), "h": h, "t": t, "requests": requests}


def _future(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


SEES = {
    "inspector": "all", "dispatcher": "all", "leader": "all", "admin": "all",
    "staff_a": {"dispatched_a", "rectified_a", "returned_by_a", "pending_a", "suspended_a"},
    "staff_b": {"dispatched_b"},
}


@pytest.mark.parametrize("role", ROLES)
def test_reading(client, world, role):
    h, t = world["h"][role], world["t"]
    for path in ("/api/me", "/api/categories", "/api/units", "/api/grids", "/api/tickets"):
        r = client.get(path, headers=h)
        assert r.status_code == (401 if role == "anonymous" else 200), (path, r.text)
        if role == "anonymous":
            assert r.json()["error"]["code"] == "not_authenticated"
    if role == "anonymous":
        assert client.get(f"/api/tickets/{t['reported']}").status_code == 401
        return
    visible = set(t) if SEES[role] == "all" else SEES[role]
    listed = {x["id"] for x in client.get("/api/tickets", headers=h).json()["items"]}
    assert listed == {t[k] for k in visible}
    # Which units have an active account is the office's to see (who sends tickets there); null for the rest.
    a, b = world["units"]
    staffing = {u["id"]: u["has_staff"] for u in client.get("/api/units", headers=h).json() if u["id"] in (a.id, b.id)}
    assert staffing == ({a.id: True, b.id: True} if role in ("dispatcher", "leader", "admin") else
                        {a.id: None, b.id: None})
    for key, tid in t.items():
        r = client.get(f"/api/tickets/{tid}", headers=h)
        assert r.status_code == (200 if key in visible else 404), (key, r.text)
        # Photos follow the ticket: another unit gets 404 for every photo of a ticket it can't see.
        admin_view = client.get(f"/api/tickets/{tid}", headers=world["h"]["admin"]).json()
        for photo in admin_view["photos"]:
            for variant in ("thumb", "display", "original"):
                pr = client.get(photo["urls"][variant], headers=h)
                expected = 200 if key in visible else 404
                # A unit gets the originals of its own photos only (test_a_unit_gets_no_original_…).
                if expected == 200 and variant == "original" and role.startswith("staff") and photo["stage"] == "report":
                    expected = 403
                assert pr.status_code == expected, (key, variant)


ACTIONS = {  # action → (ticket key, body factory, roles that may)
    "dispatch": ("reported", lambda w, h: {"unit_id": w["units"][0].id}, {"dispatcher"}),
    "cancel": ("reported", lambda w, h: {"reason": "无效"}, {"dispatcher"}),
    "return": ("dispatched_a", lambda w, h: {"reason": "非本单位"}, {"staff_a"}),
    "rectify": ("dispatched_a", None, {"staff_a"}),
    "verify": ("rectified_a", lambda w, h: {"passed": True}, {"inspector", "dispatcher"}),
    "requests": ("dispatched_a", lambda w, h: {"kind": "extension", "reason": "雨天", "deadline": _future(5)},
                 {"staff_a"}),
    "requests/{request}/decision": ("pending_a", lambda w, h: {"approve": True}, {"dispatcher"}),
    "resume": ("suspended_a", lambda w, h: {}, {"dispatcher", "leader"}),
    "void": ("dispatched_a", lambda w, h: {"reason": "误派"}, {"dispatcher"}),
    "urge": ("dispatched_a", lambda w, h: {}, {"dispatcher"}),
    "supervise": ("dispatched_a", lambda w, h: {"note": "限期整改"}, {"leader"}),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(ACTIONS))
def test_actions(client, world, role, name):
    key, body, allowed = ACTIONS[name]
    h, tid = world["h"][role], world["t"][key]
    if body is None:  # rectify needs a photo the actor uploaded
        photo = upload_photo(client, h)["id"] if role in ("inspector", "dispatcher", "staff_a", "staff_b") else str(uuid.uuid4())
        payload = {"note": "好", "photo_ids": [photo]}
    else:
        payload = body(world, h)
    path = name.format(request=world["requests"].get(key))
    r = action(client, h, tid, path, **payload)
    if role == "anonymous":
        assert r.status_code == 401
    elif role in allowed:
        assert r.status_code == 200, r.text
    elif role.startswith("staff") and key not in SEES[role]:
        assert r.status_code == 404, r.text  # another unit's ticket does not exist for it
    else:
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "forbidden"


BULK = {  # bulk action → body factory; only the dispatcher acts in bulk
    "dispatch": lambda w: {"unit_id": w["units"][0].id},
    "cancel": lambda w: {"reason": "重复"},
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", list(BULK))
def test_bulk_actions(client, world, role, name):
    """POST /api/tickets/bulk/*: the dispatcher moves reported tickets; everyone else 403 (anonymous 401), even
    for tickets a unit may see; a ticket the action may not move is named (409) and nothing changes."""
    h, t = world["h"][role], world["t"]
    fresh = report(client, world["h"]["inspector"])["id"]
    ids = [t["reported"], fresh]
    r = client.post(f"/api/tickets/bulk/{name}", headers=h,
                    json={"action_id": str(uuid.uuid4()), "ticket_ids": ids} | BULK[name](world))
    expected = {"anonymous": 401, "dispatcher": 200}.get(role, 403)
    assert r.status_code == expected, r.text
    if expected == 403:
        assert r.json()["error"]["code"] == "forbidden"
        r = client.post(f"/api/tickets/bulk/{name}", headers=h, json={
            "action_id": str(uuid.uuid4()), "ticket_ids": [t["dispatched_a"]]} | BULK[name](world))
        assert r.status_code == 403, r.text
    moved = {"dispatch": "dispatched", "cancel": "cancelled"}[name] if expected == 200 else "reported"
    admin = world["h"]["admin"]
    assert {client.get(f"/api/tickets/{i}", headers=admin).json()["status"] for i in ids} == {moved}
    if role == "dispatcher":
        r = client.post(f"/api/tickets/bulk/{name}", headers=h, json={
            "action_id": str(uuid.uuid4()), "ticket_ids": [report(client, world["h"]["inspector"])["id"],
                                                           t["dispatched_b"]]} | BULK[name](world))
        assert r.status_code == 409 and r.json()["error"]["details"]["tickets"][0]["ticket_id"] == t["dispatched_b"]


@pytest.mark.parametrize("role", ROLES)
def test_request_queue(client, world, role):
    """GET /api/requests: the office reads all requests, a unit its own, an inspector none."""
    r = client.get("/api/requests", headers=world["h"][role])
    expected = {"anonymous": 401, "inspector": 403}.get(role, 200)
    assert r.status_code == expected, r.text
    if expected != 200:
        return
    listed = {i["ticket"]["id"] for i in r.json()["items"]}
    t = world["t"]
    mine = {t["returned_by_a"], t["pending_a"], t["suspended_a"]}
    assert listed == (set() if role == "staff_b" else mine)


@pytest.mark.parametrize("role", ROLES)
def test_reporting_and_uploading(client, world, role):
    h = world["h"][role]
    from tests.fixtures.images import make_jpeg

    r = client.post("/api/photos", headers=h, data={"id": str(uuid.uuid4())},
                    files={"file": ("a.jpg", make_jpeg(320, 240), "image/jpeg")})
    may_upload = role in ("inspector", "dispatcher", "staff_a", "staff_b")
    assert r.status_code == (401 if role == "anonymous" else 201 if may_upload else 403)
    if not may_upload:
        return
    r = client.post("/api/tickets", headers=h, json={
        "id": str(uuid.uuid4()), "category_code": "07001", "lat": 30.27, "lng": 120.15, "photo_ids": [r.json()["id"]]})
    assert r.status_code == (201 if role in ("inspector", "dispatcher") else 403), r.text


def test_admin_revokes_a_lost_phone(client, db, world):
    staff = world["h"]["staff_a"]
    me = client.get("/api/me", headers=staff).json()
    assert client.post(f"/api/admin/users/{me['id']}/revoke-tokens", headers=world["h"]["dispatcher"]).status_code == 403
    r = client.post(f"/api/admin/users/{me['id']}/revoke-tokens", headers=world["h"]["admin"])
    assert r.status_code == 200 and r.json()["revoked"] == 1
    assert client.get("/api/me", headers=staff).status_code == 401
    # The one way to do it, so it is always in the audit log (an older /api/auth route skipped it).
    assert client.post(f"/api/auth/users/{me['id']}/revoke-tokens", headers=world["h"]["admin"]).status_code in (404,
                                                                                                             405)
    trail = client.get("/api/admin/audit", headers=world["h"]["admin"],
                       params={"entity_type": "user", "entity_id": str(me["id"])}).json()["items"]
    assert [e["action"] for e in trail] == ["user.revoke_tokens"]


# ---- 四不两直: who found a problem is the office's business, not the unit's --------------------------

@pytest.fixture
def unit_reads(client, db, world):
    """A reworked ticket (inspector verified it), and tickets cancelled as duplicates of a visible and an
    invisible ticket, for the fields a unit must not learn."""
    h, t = world["h"], world["t"]
    a, _ = world["units"]
    reworked = t["rectified_a"]
    r = action(client, h["inspector"], reworked, "verify", passed=False, note="仍有垃圾")
    assert r.status_code == 200, r.text
    dup_of_other = t["returned_by_a"]  # was dispatched to 甲, returned; the office cancels it as a duplicate
    r = action(client, h["dispatcher"], dup_of_other, "cancel", reason="重复", duplicate_of=t["dispatched_b"])
    assert r.status_code == 200, r.text
    own = report(client, h["inspector"])["id"]
    action(client, h["dispatcher"], own, "dispatch", unit_id=a.id)
    return_ticket(client, h["staff_a"], h["dispatcher"], own, "重复")
    r = action(client, h["dispatcher"], own, "cancel", reason="重复", duplicate_of=t["dispatched_a"])
    assert r.status_code == 200, r.text
    return {"reworked": reworked, "dup_of_other": dup_of_other, "dup_of_own": own,
            "inspector_name": client.get("/api/me", headers=h["inspector"]).json()["display_name"]}


def _unit_read_paths(tid: str) -> list[str]:
    return [f"/api/tickets/{tid}", f"/api/stats/tickets/{tid}/timeline", "/api/tickets?limit=100",
            "/api/stats/tickets?period=month&metric=dispatched", "/api/stats/timeline?period=month"]


@pytest.mark.parametrize("role", ["inspector", "dispatcher", "leader", "admin", "staff_a"])
def test_unit_learns_nothing_of_the_reporter(client, world, unit_reads, role):
    h = world["h"][role]
    unit = role == "staff_a"
    tid = unit_reads["reworked"]
    d = client.get(f"/api/tickets/{tid}", headers=h).json()
    actions = [e["action"] for e in d["events"]]
    inspector_events = [e for e in d["events"] if e["actor_role"] == "inspector"]
    if unit:
        # The closure timeline and the detail agree: nothing from before the first dispatch.
        assert actions == ["dispatch", "rectify", "verify_fail"]
        assert d["reporter_name"] is None
        assert all(e["actor_name"] is None and e["actor_id"] is None for e in inspector_events)
        # The inspector's name appears in no read the unit gets.
        for path in _unit_read_paths(tid):
            r = client.get(path, headers=h)
            assert r.status_code == 200, (path, r.text)
            assert unit_reads["inspector_name"] not in r.text, path
        milestones = client.get(f"/api/stats/tickets/{tid}/timeline", headers=h).json()["milestones"]
        assert [m["action"] for m in milestones] == actions
    else:
        assert actions == ["report", "dispatch", "rectify", "verify_fail"]
        assert d["reporter_name"] == unit_reads["inspector_name"]
        assert {e["actor_name"] for e in inspector_events} == {unit_reads["inspector_name"]}
        assert all(e["actor_id"] for e in d["events"])


@pytest.mark.parametrize("role", ["dispatcher", "leader", "staff_a"])
def test_duplicate_of_only_names_a_ticket_the_reader_may_see(client, world, unit_reads, role):
    h, t = world["h"][role], world["t"]
    other = client.get(f"/api/tickets/{unit_reads['dup_of_other']}", headers=h).json()
    own = client.get(f"/api/tickets/{unit_reads['dup_of_own']}", headers=h).json()
    assert own["duplicate_of"] == t["dispatched_a"]
    assert other["duplicate_of"] == (None if role == "staff_a" else t["dispatched_b"])


@pytest.mark.parametrize("role", ["inspector", "dispatcher", "leader", "admin", "staff_a"])
def test_a_unit_gets_no_original_of_the_office_s_photos(client, world, role):
    """An untouched original keeps its EXIF (camera, serial, owner fields) and can name the inspector's
    phone: units see the display image and thumbnail, and originals only of photos they took."""
    h, t = world["h"][role], world["t"]
    d = client.get(f"/api/tickets/{t['rectified_a']}", headers=h).json()
    by_stage = {p["stage"]: p for p in d["photos"]}
    report_photo, rectify_photo = by_stage["report"], by_stage["rectify"]
    for variant in ("thumb", "display"):
        assert client.get(report_photo["urls"][variant], headers=h).status_code == 200
    r = client.get(report_photo["urls"]["original"], headers=h)
    if role == "staff_a":
        assert r.status_code == 403 and r.json()["error"]["code"] == "original_withheld"
    else:
        assert r.status_code == 200 and r.content[:2] == b"\xff\xd8"
    assert client.get(rectify_photo["urls"]["original"], headers=h).status_code == 200
    # Nor what the inspector's camera recorded of when and where (the watermark shows what the report says).
    camera = ("taken_at", "exif_lat", "exif_lng")
    assert rectify_photo["exif_lat"] is not None
    if role == "staff_a":
        assert [report_photo[k] for k in camera] == [None, None, None]
    else:
        assert report_photo["exif_lat"] == pytest.approx(30.27, abs=1e-3)


def test_the_watermark_names_office_staff_by_role_and_unit_staff_by_name(db):
    from app.photos.service import uploader_label

    a = make_unit(db, "甲单位")
    assert uploader_label(make_user(db, Role.inspector)) == "督查员"
    assert uploader_label(make_user(db, Role.dispatcher)) == "派遣员"
    staff = make_user(db, Role.unit_staff, a)
    assert uploader_label(staff) == staff.display_name


@pytest.mark.parametrize("role", ROLES)
def test_public_config_is_the_same_for_everyone_and_carries_no_city_data(client, world, role):
    """GET /api/config is public (the login page needs it): every role, anonymous included, gets the same
    answer, and it names no unit, user or ticket."""
    r = client.get("/api/config", headers=world["h"][role])
    assert r.status_code == 200
    assert r.json() == client.get("/api/config").json()
    a, b = world["units"]
    assert a.name not in r.text and b.name not in r.text
    assert not any(tid in r.text for tid in world["t"].values())


# ---- the exceptions ledger (台账) and the 督办通知书 ------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_exception_reads(client, world, role):
    """The ledger: the office all of it, a unit its own rows, an inspector nothing; the 督办通知书 follows the
    ticket (another unit's: 404)."""
    h, t = world["h"], world["t"]
    a, b = world["units"]
    for key in ("dispatched_a", "dispatched_b"):
        assert action(client, h["leader"], t[key], "supervise", note="限期整改").status_code == 200
    assert action(client, h["dispatcher"], t["dispatched_b"], "urge").status_code == 200
    me = h[role]
    # Rows: 甲's approved return of returned_by_a, its pending extension and approved suspension, the two 督办,
    # one 催办 of 乙's ticket.
    rows_of = {"staff_a": {("return", "returned_by_a"), ("extension", "pending_a"), ("suspension", "suspended_a"),
                           ("supervise", "dispatched_a")},
               "staff_b": {("supervise", "dispatched_b"), ("urge", "dispatched_b")}}
    everything = rows_of["staff_a"] | rows_of["staff_b"]
    expected = {"anonymous": 401, "inspector": 403}.get(role, 200)
    for path in ("/api/exceptions", "/api/exceptions.xlsx"):
        assert client.get(path, headers=me).status_code == expected, path
    if expected == 200:
        names = {v: k for k, v in t.items()}
        items = client.get("/api/exceptions", headers=me).json()["items"]
        assert {(x["kind"], names[x["ticket"]["id"]]) for x in items} == rows_of.get(role, everything)
    if role.startswith("staff"):
        other = b if role == "staff_a" else a
        r = client.get("/api/exceptions", params={"unit_id": other.id}, headers=me)
        assert r.status_code == 403
    for key in ("dispatched_a", "dispatched_b"):
        r = client.get(f"/api/stats/supervision-notice/{t[key]}.html", headers=me)
        sees = role not in ("anonymous",) and (not role.startswith("staff") or key in SEES[role])
        assert r.status_code == (401 if role == "anonymous" else 200 if sees else 404), (key, r.text[:200])
    r = client.get(f"/api/stats/supervision-notice/{t['reported']}.html", headers=me)
    assert r.status_code == {"anonymous": 401, "staff_a": 404, "staff_b": 404}.get(role, 409)


# ---- published bulletins (发布通报) ------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_bulletins(client, world, role):
    """The office publishes (dispatcher, leader, admin); the office roles read, as they read the live bulletin;
    a unit gets 403 there as here, anonymous 401."""
    h = world["h"]
    last_week = (datetime.now(UTC) - timedelta(days=7)).date().isoformat()
    published = client.post("/api/bulletins", json={"period": "week", "on": last_week}, headers=h["dispatcher"])
    assert published.status_code == 201, published.text
    bid = published.json()["id"]
    me = h[role]
    reads = {"anonymous": 401, "staff_a": 403, "staff_b": 403}.get(role, 200)
    for path in ("/api/stats/bulletin.xlsx", "/api/bulletins", f"/api/bulletins/{bid}", f"/api/bulletins/{bid}.xlsx",
                 f"/api/bulletins/{bid}.html"):
        assert client.get(path, headers=me).status_code == reads, path
    two_weeks_ago = (datetime.now(UTC) - timedelta(days=14)).date().isoformat()
    r = client.post("/api/bulletins", json={"period": "week", "on": two_weeks_ago}, headers=me)
    assert r.status_code == {"anonymous": 401, "inspector": 403, "staff_a": 403, "staff_b": 403}.get(role, 201), r.text
    listed = client.get("/api/bulletins", headers=h["admin"]).json()["items"]
    assert len(listed) == (2 if r.status_code == 201 else 1)


# ---- notifications (消息) -------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
def test_notifications(client, world, role):
    """Everyone reads and marks only their own messages, and is told only of tickets they may see (a unit of
    its own tickets, never of another unit's)."""
    h = world["h"]
    me = h[role]
    others = client.get("/api/notifications", headers=h["staff_a"]).json()["items"]
    assert others, "the world dispatched tickets to unit A"
    if role == "anonymous":
        for method, path in (("GET", "/api/notifications"), ("GET", "/api/notifications/unread-count"),
                             ("POST", f"/api/notifications/{others[0]['id']}/read"), ("POST", "/api/notifications/read")):
            assert client.request(method, path, headers=me, json={}).status_code == 401, path
        return
    mine = client.get("/api/notifications", headers=me, params={"limit": 200}).json()
    for n in mine["items"]:
        assert client.get(f"/api/tickets/{n['ticket_id']}", headers=me).status_code == 200, n
    if role in SEES and SEES[role] != "all":
        assert {n["ticket_id"] for n in mine["items"]} <= {world["t"][k] for k in SEES[role]}
    if role != "staff_a":
        assert client.post(f"/api/notifications/{others[0]['id']}/read", headers=me).status_code == 404
        assert client.get("/api/notifications", headers=h["staff_a"]).json()["items"][0]["read_at"] is None
    assert client.post("/api/notifications/read", headers=me, json={}).json()["unread"] == 0
    assert client.get("/api/notifications/unread-count", headers=h["staff_a"]).json()["unread"] == (
        0 if role == "staff_a" else len(others))


@pytest.mark.parametrize("role", ROLES)
def test_notification_channels_are_the_admins(client, world, role):
    """Outbound channels hold robot keys and phone numbers: only an admin lists, adds, changes or reads their log."""
    h = world["h"]
    made = client.post("/api/notifications/channels", headers=h["admin"],
                       json={"name": "工作群", "kind": "webhook", "url": "http://127.0.0.1:9/x"})
    assert made.status_code == 201, made.text
    cid = made.json()["id"]
    want = {"anonymous": 401, "admin": None}.get(role, 403)
    for method, path, body in (("GET", "/api/notifications/channels", None),
                               ("POST", "/api/notifications/channels", {"name": "x", "kind": "webhook",
                                                                         "url": "http://127.0.0.1:9/y"}),
                               ("PATCH", f"/api/notifications/channels/{cid}", {"enabled": False}),
                               ("GET", f"/api/notifications/channels/{cid}/deliveries", None)):
        r = client.request(method, path, headers=h[role], json=body)
        assert r.status_code == (want or r.status_code) and (want or r.status_code < 300), (path, r.text)


@pytest.mark.parametrize("role", ROLES)
def test_notification_settings_and_peoples_sms_are_the_admins(client, world, role, db):
    """A person's SMS (their number) and the schedules, routes and templates: only an admin reads or changes
    them; everyone else is refused before anything is read (401 / 403)."""
    h = world["h"]
    gw = client.post("/api/notifications/channels", headers=h["admin"],
                     json={"name": "短信", "kind": "sms", "url": "http://127.0.0.1:9/sms"}).json()
    staff = client.get("/api/me", headers=h["staff_a"]).json()["id"]
    sub = {"channel_id": gw["id"], "phone": "13800138000", "kinds": ["dispatched"]}
    assert client.put(f"/api/notifications/subscriptions/{staff}", headers=h["admin"], json=sub).status_code == 200
    want = {"anonymous": 401, "admin": None}.get(role, 403)
    for method, path, body in (("GET", "/api/notifications/subscriptions", None),
                               ("GET", f"/api/notifications/subscriptions/{staff}", None),
                               ("PUT", f"/api/notifications/subscriptions/{staff}", sub),
                               ("GET", "/api/notifications/settings", None),
                               ("PUT", "/api/notifications/settings", {"digest_hour": 9}),
                               ("DELETE", f"/api/notifications/subscriptions/{staff}", None)):
        r = client.request(method, path, headers=h[role], json=body)
        assert r.status_code == (want or r.status_code) and (want or r.status_code < 300), (path, r.text)
        assert "13800138000" not in r.text
    digest = client.get("/api/notifications/settings", headers=h["admin"]).json()["digest_hour"]
    assert digest == (9 if role == "admin" else 8)


def test_every_notifications_route_is_in_the_matrix():
    """A new /api/notifications route must join the tests above (inbox, channels, subscriptions, settings)."""
    from app.notifications.router import router
    routes = {(m, r.path) for r in router.routes for m in r.methods - {"HEAD", "OPTIONS"}}
    assert routes == {
        ("GET", "/api/notifications"), ("GET", "/api/notifications/unread-count"),
        ("POST", "/api/notifications/{notification_id}/read"), ("POST", "/api/notifications/read"),
        ("GET", "/api/notifications/channels"), ("POST", "/api/notifications/channels"),
        ("PATCH", "/api/notifications/channels/{channel_id}"),
        ("GET", "/api/notifications/channels/{channel_id}/deliveries"),
        ("GET", "/api/notifications/subscriptions"), ("GET", "/api/notifications/subscriptions/{user_id}"),
        ("PUT", "/api/notifications/subscriptions/{user_id}"), ("DELETE", "/api/notifications/subscriptions/{user_id}"),
        ("GET", "/api/notifications/settings"), ("PUT", "/api/notifications/settings"),
    }


def test_the_visibility_statements_built_once_per_kind_of_user_take_each_users_own_values(client, db):
    """get_visible and a photo's look-up reuse one statement per kind of user (app/tickets/access.py BoundViewer):
    two units' staff share it, and each still sees only its own unit's ticket and photos, in either order."""
    from app.photos.service import _located
    from app.tickets.access import _visible_ticket

    units = {"a": make_unit(db, "甲单位"), "b": make_unit(db, "乙单位")}
    ins, dis = login(client, make_user(db, Role.inspector)), login(client, make_user(db, Role.dispatcher))
    staff = {k: login(client, make_user(db, Role.unit_staff, u)) for k, u in units.items()}
    tickets = {}
    for k, unit in units.items():
        t = report(client, ins)
        assert action(client, dis, t["id"], "dispatch", unit_id=unit.id).status_code == 200
        tickets[k] = t
    _visible_ticket.cache_clear()
    _located.cache_clear()
    for order in (("a", "b"), ("b", "a")):
        for reader in order:
            for k, t in tickets.items():
                expected = 200 if k == reader else 404
                assert client.get(f"/api/tickets/{t['id']}", headers=staff[reader]).status_code == expected
                assert client.get(t["thumb_url"], headers=staff[reader]).status_code == expected
    assert _visible_ticket.cache_info().currsize == _located.cache_info().currsize == 1
