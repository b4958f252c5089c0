"""A ticket that moved from one unit to another: each unit sees its own time with the ticket, not the other's.

甲 has the ticket first (an extension, a 催办, a 督办, a rectification sent back, a 回退), then 乙 (a 挂账 and 恢复,
a 催办, a 督办, a rectification sent back, one passed). Every text either side wrote or was told is unique, so
a read that shows it is caught by a plain substring check.
"""

from datetime import UTC, datetime, timedelta

import pytest

from app.users.roles import Role
from tests.conftest import action, login, make_unit, make_user, report, upload_photo

A_TEXTS = ["甲延期理由", "甲延期批准", "催甲办理", "督甲意见", "甲整改说明", "甲返工原因", "甲回退理由"]
B_TEXTS = ["乙挂账理由", "乙挂账批准", "乙恢复说明", "催乙办理", "督乙意见", "乙整改说明", "乙返工原因", "乙再整改",
           "乙核查通过"]


def _future(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def _ok(r):
    assert r.status_code == 200, r.text
    return r.json()


def _ask(client, h, tid, kind, reason, **kw) -> str:
    return _ok(action(client, h, tid, "requests", kind=kind, reason=reason, **kw))["requests"][0]["id"]


def _decide(client, h, tid, rid, **kw):
    return _ok(action(client, h, tid, f"requests/{rid}/decision", **kw))


@pytest.fixture(params=["return_then_dispatch", "reassign"])
def moved(request, client, db):
    a, b = make_unit(db, "甲单位"), make_unit(db, "乙单位")
    users = {"inspector": make_user(db, Role.inspector), "dispatcher": make_user(db, Role.dispatcher),
             "leader": make_user(db, Role.leader), "staff_a": make_user(db, Role.unit_staff, a),
             "staff_b": make_user(db, Role.unit_staff, b)}
    h = {k: login(client, u) for k, u in users.items()}
    ins, dis, lead, sa, sb = (h[k] for k in ("inspector", "dispatcher", "leader", "staff_a", "staff_b"))
    tid = report(client, ins)["id"]
    _ok(action(client, dis, tid, "dispatch", unit_id=a.id, note="派甲"))
    rid = _ask(client, sa, tid, "extension", "甲延期理由", deadline=_future(20))
    _decide(client, dis, tid, rid, approve=True, note="甲延期批准")
    _ok(action(client, dis, tid, "urge", note="催甲办理"))
    _ok(action(client, lead, tid, "supervise", note="督甲意见"))
    a_photo = upload_photo(client, sa)["id"]
    _ok(action(client, sa, tid, "rectify", note="甲整改说明", photo_ids=[a_photo]))
    _ok(action(client, ins, tid, "verify", passed=False, note="甲返工原因"))
    rid = _ask(client, sa, tid, "return", "甲回退理由")
    if request.param == "reassign":
        _decide(client, dis, tid, rid, approve=True, unit_id=b.id, note="改派乙")
    else:
        _decide(client, dis, tid, rid, approve=True, note="同意回退")
        _ok(action(client, dis, tid, "dispatch", unit_id=b.id, note="派乙"))
    rid = _ask(client, sb, tid, "suspension", "乙挂账理由", review_at=_future(30))
    _decide(client, dis, tid, rid, approve=True, note="乙挂账批准", review_at=_future(30))
    _ok(action(client, dis, tid, "resume", note="乙恢复说明"))
    _ok(action(client, dis, tid, "urge", note="催乙办理"))
    _ok(action(client, lead, tid, "supervise", note="督乙意见"))
    b_photos = [upload_photo(client, sb)["id"] for _ in range(2)]
    _ok(action(client, sb, tid, "rectify", note="乙整改说明", photo_ids=[b_photos[0]]))
    _ok(action(client, ins, tid, "verify", passed=False, note="乙返工原因"))
    _ok(action(client, sb, tid, "rectify", note="乙再整改", photo_ids=[b_photos[1]]))
    verify_photo = upload_photo(client, ins)["id"]
    assert _ok(action(client, ins, tid, "verify", passed=True, note="乙核查通过",
                      photo_ids=[verify_photo]))["status"] == "closed"
    return {"tid": tid, "h": h, "a": a, "b": b, "how": request.param, "a_photos": {a_photo},
            "b_photos": set(b_photos) | {verify_photo}}


def _reads(client, headers, tid) -> tuple[dict, dict]:
    detail = _ok(client.get(f"/api/tickets/{tid}", headers=headers))
    timeline = _ok(client.get(f"/api/stats/tickets/{tid}/timeline", headers=headers))
    return detail, timeline


def _texts(detail: dict, timeline: dict) -> str:
    return " ".join([e["note"] or "" for e in detail["events"]]
                    + [f"{r['reason']} {r['decision_note']}" for r in detail["requests"]]
                    + [m["note"] or "" for m in timeline["milestones"]])


def test_the_unit_that_gave_the_ticket_away_sees_nothing_of_the_next_unit_s_work(client, moved):
    tid, h, a, b = moved["tid"], moved["h"], moved["a"], moved["b"]
    d, tl = _reads(client, h["staff_a"], tid)
    text = _texts(d, tl)
    assert all(s in text for s in A_TEXTS)
    assert not [s for s in B_TEXTS if s in text]
    # Where the ticket went, and that it is closed now, are the ticket's: shown.
    handover = "reassign" if moved["how"] == "reassign" else "dispatch"
    assert d["events"][-1]["action"] == handover and d["events"][-1]["unit_name"] == b.name
    assert d["status"] == "closed" and d["unit_name"] == b.name
    assert {e["unit_id"] for e in d["events"] if e["action"] not in ("dispatch", "reassign")} == {a.id}
    assert {r["unit_id"] for r in d["requests"]} == {a.id}
    listed = {p["id"] for p in d["photos"]}
    assert moved["a_photos"] <= listed and not listed & moved["b_photos"]
    assert all(e["photo_ids"] == [] or set(e["photo_ids"]) <= listed for e in d["events"])
    # The closure timeline: 甲's stages only, all over by the time 乙 got the ticket.
    assert [m["action"] for m in tl["milestones"]] == [e["action"] for e in d["events"]]
    assert {s["unit_id"] for s in tl["stages"]} == {a.id}
    assert all(s["end"] is not None for s in tl["stages"])
    assert tl["stages"][-1]["end"] == d["events"][-1]["at"]
    assert b.name not in str(tl["stages"])


def test_the_next_unit_sees_nothing_of_the_first_unit_s_work(client, moved):
    tid, h, a, b = moved["tid"], moved["h"], moved["a"], moved["b"]
    d, tl = _reads(client, h["staff_b"], tid)
    text = _texts(d, tl)
    assert all(s in text for s in B_TEXTS)
    assert not [s for s in A_TEXTS if s in text]
    assert {r["unit_id"] for r in d["requests"]} == {b.id}
    listed = {p["id"] for p in d["photos"]}
    assert moved["b_photos"] <= listed and not listed & moved["a_photos"]
    others = [e for e in d["events"] if e["unit_id"] == a.id]
    # Only the dispatch that once sent the ticket to 甲 (where it went) names 甲.
    assert [e["action"] for e in others] == ["dispatch"]
    assert {s["unit_id"] for s in tl["stages"]} == {b.id}
    assert tl["stages"][0]["kind"] == "rectifying" and tl["stages"][0]["round"] == 0
    # 乙's printed 督办通知书 carries 乙's 督办意见 only.
    notice = client.get(f"/api/stats/supervision-notice/{tid}.html", headers=h["staff_b"])
    assert notice.status_code == 200 and "督乙意见" in notice.text and "督甲意见" not in notice.text


def test_a_unit_cannot_fetch_the_other_unit_s_photos_by_id(client, moved):
    """The photo URLs, as the detail: the report's photos and a unit's own time's, not the other unit's
    after-photos (nor the inspector's photo passing 乙's work), whoever uploaded them; the office gets all."""
    tid, h = moved["tid"], moved["h"]
    report_photos = {p["id"] for p in _ok(client.get(f"/api/tickets/{tid}", headers=h["dispatcher"]))["photos"]
                     if p["stage"] == "report"}
    assert report_photos

    def fetchable(who: str, photo_ids: set[str]) -> dict[str, int]:
        return {p: client.get(f"/api/photos/{p}/display", headers=h[who]).status_code for p in sorted(photo_ids)}

    ok, hidden = 200, 404
    assert set(fetchable("staff_a", report_photos | moved["a_photos"]).values()) == {ok}
    assert set(fetchable("staff_a", moved["b_photos"]).values()) == {hidden}
    assert set(fetchable("staff_b", report_photos | moved["b_photos"]).values()) == {ok}
    assert set(fetchable("staff_b", moved["a_photos"]).values()) == {hidden}
    assert set(fetchable("dispatcher", report_photos | moved["a_photos"] | moved["b_photos"]).values()) == {ok}
    # The thumbnail as the display: same rule.
    (a_photo,) = moved["a_photos"]
    assert client.get(f"/api/photos/{a_photo}/thumb", headers=h["staff_b"]).status_code == hidden


@pytest.mark.parametrize("role", ["dispatcher", "leader", "inspector"])
def test_the_office_sees_both_units_work(client, moved, role):
    tid, h, a, b = moved["tid"], moved["h"], moved["a"], moved["b"]
    d, tl = _reads(client, h[role], tid)
    text = _texts(d, tl)
    assert all(s in text for s in A_TEXTS + B_TEXTS)
    assert {r["unit_id"] for r in d["requests"]} == {a.id, b.id}
    assert moved["a_photos"] | moved["b_photos"] <= {p["id"] for p in d["photos"]}
    assert {s["unit_id"] for s in tl["stages"]} >= {a.id, b.id}
    if role != "inspector":
        notice = client.get(f"/api/stats/supervision-notice/{tid}.html", headers=h[role])
        assert notice.status_code == 200 and "督乙意见" in notice.text and "督甲意见" in notice.text


def test_ledgers_and_messages_keep_to_the_unit(client, moved):
    """The 台账 and the inbox already follow the event's unit: each unit's rows and messages are its own."""
    tid, h = moved["tid"], moved["h"]
    for me, theirs in (("staff_a", B_TEXTS), ("staff_b", A_TEXTS)):
        rows = _ok(client.get("/api/exceptions", headers=h[me]))["items"]
        text = " ".join(f"{r['reason']} {r.get('decision_note')}" for r in rows if r["ticket"]["id"] == tid)
        assert rows and not [s for s in theirs if s in text]
        inbox = _ok(client.get("/api/notifications", headers=h[me], params={"limit": 200}))["items"]
        assert not [s for s in theirs if s in str(inbox)]


@pytest.fixture
def two_units(client, db):
    a, b = make_unit(db, "甲单位"), make_unit(db, "乙单位")
    h = {k: login(client, make_user(db, role, unit)) for k, role, unit in (
        ("inspector", Role.inspector, None), ("dispatcher", Role.dispatcher, None), ("leader", Role.leader, None),
        ("staff_a", Role.unit_staff, a), ("staff_b", Role.unit_staff, b))}
    return a, b, h


def test_what_happens_while_no_unit_holds_the_ticket_is_the_ticket_s(client, two_units):
    """Returned, then not accepted (不予立案): the cancel concerns the ticket as a whole, and 甲 sees it."""
    a, _, h = two_units
    tid = report(client, h["inspector"])["id"]
    _ok(action(client, h["dispatcher"], tid, "dispatch", unit_id=a.id))
    rid = _ask(client, h["staff_a"], tid, "return", "非本单位")
    _decide(client, h["dispatcher"], tid, rid, approve=True, note="同意")
    _ok(action(client, h["dispatcher"], tid, "cancel", reason="不属于创城范围"))
    d, tl = _reads(client, h["staff_a"], tid)
    assert [e["action"] for e in d["events"]] == ["dispatch", "request_return", "approve_return", "cancel"]
    assert [s["kind"] for s in tl["stages"]] == ["rectifying", "returned"]
    assert tl["stages"][-1]["end"] == d["events"][-1]["at"]


def test_a_unit_prints_no_notice_of_another_unit_s_督办(client, two_units):
    """督办 while the ticket was 甲's: 乙, who has it now, has no 督办通知书 of its own to print (409)."""
    a, b, h = two_units
    tid = report(client, h["inspector"])["id"]
    _ok(action(client, h["dispatcher"], tid, "dispatch", unit_id=a.id))
    _ok(action(client, h["leader"], tid, "supervise", note="督甲意见"))
    rid = _ask(client, h["staff_a"], tid, "return", "非本单位")
    _decide(client, h["dispatcher"], tid, rid, approve=True, unit_id=b.id)
    r = client.get(f"/api/stats/supervision-notice/{tid}.html", headers=h["staff_b"])
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_supervised"
    r = client.get(f"/api/stats/supervision-notice/{tid}.html", headers=h["dispatcher"])
    assert r.status_code == 200 and "督甲意见" in r.text


COUNTERS = ("extension_count", "urge_count", "rework_count", "return_count", "supervised")


def _counters(client, headers, tid) -> dict[str, dict]:
    """The ticket's counters as this user reads them: detail, list, drill-down's timeline."""
    detail = _ok(client.get(f"/api/tickets/{tid}", headers=headers))
    listed = [t for t in _ok(client.get("/api/tickets", headers=headers, params={"limit": 200}))["items"]
              if t["id"] == tid]
    timeline = _ok(client.get(f"/api/stats/tickets/{tid}/timeline", headers=headers))["ticket"]
    return {name: {k: r[k] for k in COUNTERS} | ({"supervised_at": r["supervised_at"] is not None}
                                                   if name == "detail" else {})
            for name, r in (("detail", detail), ("list", listed[0]), ("timeline", timeline))}


def test_each_unit_counts_its_own_time_and_the_office_the_ticket_s(client, moved):
    """甲 had an extension, a 催办, a 督办, a 返工 and gave the ticket back; 乙 a 催办, a 督办 and a 返工."""
    tid, h = moved["tid"], moved["h"]
    expected = {"staff_a": dict(extension_count=1, urge_count=1, rework_count=1, return_count=1, supervised=True),
                "staff_b": dict(extension_count=0, urge_count=1, rework_count=1, return_count=0, supervised=True),
                "dispatcher": dict(extension_count=1, urge_count=2, rework_count=2, return_count=1, supervised=True)}
    for who, counts in expected.items():
        seen = _counters(client, h[who], tid)
        assert seen["detail"] == counts | {"supervised_at": True}, who
        assert seen["list"] == counts and seen["timeline"] == counts, who
        if who == "staff_a":
            continue  # a unit prints the notices of the tickets it holds only
        notice = client.get(f"/api/stats/supervision-notice/{tid}.html", headers=h[who]).text
        assert (f"<th>延期次数</th><td>{counts['extension_count']}</td>" in notice
                and f"<th>催办次数</th><td>{counts['urge_count']}</td>" in notice), who


@pytest.mark.parametrize("how", ["return_then_dispatch", "reassign"])
def test_a_unit_given_a_ticket_is_not_shown_the_former_unit_s_催办_and_督办(client, two_units, how):
    a, b, h = two_units
    tid = report(client, h["inspector"])["id"]
    _ok(action(client, h["dispatcher"], tid, "dispatch", unit_id=a.id))
    _ok(action(client, h["dispatcher"], tid, "urge", note="催甲"))
    _ok(action(client, h["leader"], tid, "supervise", note="督甲"))
    rid = _ask(client, h["staff_a"], tid, "return", "非本单位")
    if how == "reassign":
        _decide(client, h["dispatcher"], tid, rid, approve=True, unit_id=b.id)
    else:
        _decide(client, h["dispatcher"], tid, rid, approve=True, note="同意")
        _ok(action(client, h["dispatcher"], tid, "dispatch", unit_id=b.id))
    fresh = dict(extension_count=0, urge_count=0, rework_count=0, return_count=0, supervised=False)
    seen = _counters(client, h["staff_b"], tid)
    assert seen["detail"] == fresh | {"supervised_at": False}
    assert seen["list"] == fresh and seen["timeline"] == fresh
    gave_back = dict(fresh, urge_count=1, return_count=1, supervised=True)
    assert _counters(client, h["staff_a"], tid)["list"] == gave_back
    assert _counters(client, h["dispatcher"], tid)["list"] == gave_back
    # The list's 督办 filter agrees with what each reads.
    for who, listed in (("staff_b", False), ("staff_a", True), ("dispatcher", True)):
        ids = {t["id"] for t in _ok(client.get("/api/tickets", headers=h[who], params={"supervised": True}))["items"]}
        unsupervised = {t["id"] for t in _ok(client.get("/api/tickets", headers=h[who],
                                                         params={"supervised": False}))["items"]}
        assert (tid in ids, tid in unsupervised) == (listed, not listed), who


def test_the_unit_a_ticket_left_is_not_shown_its_holder_s_deadline_request_or_rectification(client, two_units):
    """改派 to 乙, who rectified and then asked for an extension: 甲 still sees the ticket (it was 甲's) and where
    it went, but not 乙's deadline, pending request, rectification or overdue mark, in its list, the ticket,
    or its own request's line in the queue."""
    a, b, h = two_units
    tid = report(client, h["inspector"])["id"]
    _ok(action(client, h["dispatcher"], tid, "dispatch", unit_id=a.id, deadline=_future(1)))
    rid = _ask(client, h["staff_a"], tid, "return", "非本单位")
    _decide(client, h["dispatcher"], tid, rid, approve=True, unit_id=b.id, deadline=_future(2))
    _ok(action(client, h["staff_b"], tid, "rectify", note="乙整改", photo_ids=[upload_photo(client, h["staff_b"])["id"]]))
    _ok(action(client, h["inspector"], tid, "verify", passed=False, note="未到位", deadline=_future(3)))
    _ask(client, h["staff_b"], tid, "extension", "乙延期", deadline=_future(9))
    holder = ("deadline_at", "office_deadline_at", "pending_request", "dispatched_at", "rectified_at")

    def seen(who) -> tuple[dict, dict, list]:
        listed = {t["id"]: t for t in _ok(client.get("/api/tickets", headers=h[who]))["items"]}[tid]
        asked = [r["ticket"] for r in _ok(client.get("/api/requests", headers=h[who]))["items"]]
        return listed, _ok(client.get(f"/api/tickets/{tid}", headers=h[who])), asked

    for shown in seen("staff_b")[:2]:
        assert all(shown[k] is not None for k in holder), shown
        assert shown["pending_request"] == "extension"
    listed, detail, asked = seen("staff_a")
    for shown in (listed, detail):
        assert {k: shown[k] for k in holder} == dict.fromkeys(holder), shown
        assert (shown["unit_name"], shown["overdue"], shown["near_deadline"]) == (b.name, False, False)
    assert [(t["id"], t["deadline_at"], t["unit_name"]) for t in asked] == [(tid, None, b.name)]
    # Nor does a filter or the deadline order tell 甲 of them: 乙's pending request, deadline and time left match
    # only for 乙 (they placed the ticket in 甲's 待审批 and ordered it among 甲's own by 乙's deadline).
    def found(who, **params) -> bool:
        return tid in {t["id"] for t in _ok(client.get("/api/tickets", headers=h[who], params=params))["items"]}

    holder_filters = [{"pending_request": True}, {"sort": "deadline_at"}, {"due_within_hours": 720},
                      {"overdue": False, "near_deadline": False, "pending_request": False}]
    assert [found("staff_b", **f) for f in holder_filters] == [True, True, True, False]
    assert [found("staff_a", **f) for f in holder_filters] == [False, False, False, True]
