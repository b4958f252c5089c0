"""The inbox (消息): who is told of what when a ticket moves, and reading it across devices."""

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.users.roles import Role
from tests.conftest import action, login, make_unit, make_user, report, upload_photo


@pytest.fixture
def w(client, db):
    a, b = make_unit(db, "市容环卫处"), make_unit(db, "乙单位")
    users = {"inspector": make_user(db, Role.inspector), "dispatcher": make_user(db, Role.dispatcher),
             "dispatcher2": make_user(db, Role.dispatcher), "leader": make_user(db, Role.leader),
             "admin": make_user(db, Role.admin), "staff_a": make_user(db, Role.unit_staff, a),
             "staff_a2": make_user(db, Role.unit_staff, a), "staff_b": make_user(db, Role.unit_staff, b)}
    h = {k: login(client, u) for k, u in users.items()}
    return {"a": a, "b": b, "users": users, "h": h, "db": db}


def inbox(client, headers, **params) -> dict:
    r = client.get("/api/notifications", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def kinds(client, headers) -> list[tuple[str, str]]:
    return [(n["kind"], n["data"]["case_number"]) for n in inbox(client, headers)["items"]]


def dispatched(client, w, unit=None) -> dict:
    t = report(client, w["h"]["inspector"], address="解放路 18 号")
    deadline = (datetime.now(UTC) + timedelta(hours=30)).replace(microsecond=0)
    r = action(client, w["h"]["dispatcher"], t["id"], "dispatch", unit_id=(unit or w["a"]).id,
               deadline=deadline.isoformat())
    assert r.status_code == 200, r.text
    return r.json()


def test_a_dispatch_tells_every_staff_member_of_that_unit_and_no_one_else(client, w):
    t = dispatched(client, w)
    for who in ("staff_a", "staff_a2"):
        page = inbox(client, w["h"][who])
        assert page["unread"] == 1
        [n] = page["items"]
        assert (n["kind"], n["ticket_id"], n["read_at"]) == ("dispatched", t["id"], None)
        # Case number, category, place and deadline (city time), as a channel will send it.
        local = datetime.fromisoformat(t["deadline_at"]).astimezone(ZoneInfo("Asia/Shanghai"))
        assert n["text"] == (f"【新任务】{t['case_number']} 暴露垃圾｜解放路 18 号｜整改时限 "
                             f"{local.month}月{local.day}日 {local:%H:%M}"), n["text"]
    for who in ("staff_b", "inspector", "dispatcher", "leader", "admin"):
        assert inbox(client, w["h"][who])["items"] == [], who


def test_a_unit_is_never_told_who_reported(client, w):
    dispatched(client, w)
    [n] = inbox(client, w["h"]["staff_a"])["items"]
    assert w["users"]["inspector"].display_name not in n["text"] + str(n["data"])


def test_rework_urge_and_supervision_reach_the_unit_and_a_rectification_reaches_the_reporter(client, w):
    h = w["h"]
    t = dispatched(client, w)
    assert action(client, h["dispatcher"], t["id"], "urge", note="请尽快处理").status_code == 200
    assert action(client, h["leader"], t["id"], "supervise", note="列入督办").status_code == 200
    photo = upload_photo(client, h["staff_a"])["id"]
    assert action(client, h["staff_a"], t["id"], "rectify", note="已清理", photo_ids=[photo]).status_code == 200
    assert kinds(client, h["inspector"]) == [("verification_waiting", t["case_number"])]
    assert action(client, h["inspector"], t["id"], "verify", passed=False, note="仍有残留").status_code == 200
    assert kinds(client, h["staff_a"]) == [(k, t["case_number"]) for k in ("rework", "supervised", "urged",
                                                                            "dispatched")]
    rework = inbox(client, h["staff_a"])["items"][0]
    assert "说明：仍有残留" in rework["text"] and "整改时限" in rework["text"]
    assert inbox(client, h["staff_b"])["items"] == []


def test_a_request_waits_with_whoever_decides_it_and_the_decision_reaches_the_unit(client, w):
    h = w["h"]
    t = dispatched(client, w)
    later = (datetime.now(UTC) + timedelta(days=5)).isoformat()
    r = action(client, h["staff_a"], t["id"], "requests", kind="extension", reason="需要采购材料", deadline=later)
    assert r.status_code == 200, r.text
    for who in ("dispatcher", "dispatcher2"):
        [n] = inbox(client, h[who])["items"]
        assert n["kind"] == "request_waiting" and "市容环卫处申请延期" in n["text"], n["text"]
        # The Chinese words feed SMS and robots; the codes let the app say them in the reader's language.
        assert n["data"]["request"] == "延期" and n["data"]["action"] == "request_extension"
        assert n["data"]["category_code"] == t["category_code"]
    assert inbox(client, h["leader"])["items"] == []  # extensions are the dispatcher's
    rid = r.json()["requests"][0]["id"]
    r = action(client, h["dispatcher"], t["id"], f"requests/{rid}/decision", approve=True, note="同意")
    assert r.status_code == 200, r.text
    decided = inbox(client, h["staff_a"])["items"][0]
    assert decided["kind"] == "request_decided" and "延期申请已批准" in decided["text"]
    assert decided["data"]["decision"] == "延期申请已批准" and decided["data"]["action"] == "approve_extension"

    t2 = dispatched(client, w)
    r = action(client, h["staff_a"], t2["id"], "requests", kind="suspension", reason="待拆迁",
               deadline=(datetime.now(UTC) + timedelta(days=30)).isoformat())
    assert r.status_code == 200, r.text
    assert kinds(client, h["leader"]) == [("request_waiting", t2["case_number"])]  # a leader decides these too
    # Approved, a 挂账's date is when it is looked at again, not a deadline for the unit (it read 整改时限 / 时限).
    rid = r.json()["requests"][0]["id"]
    r = action(client, h["leader"], t2["id"], f"requests/{rid}/decision", approve=True, note="同意挂账",
               review_at=(datetime.now(UTC) + timedelta(days=30)).isoformat())
    assert r.status_code == 200, r.text
    suspended = inbox(client, h["staff_a"])["items"][0]
    assert suspended["data"]["action"] == "approve_suspension" and suspended["data"]["deadline_at"]
    assert "复查日期" in suspended["text"] and "整改时限" not in suspended["text"], suspended["text"]
    assert "整改时限" in decided["text"]  # the extension's is one


def test_a_to_do_someone_else_settled_no_longer_waits_unread(client, w):
    """The 待审批 of a request another dispatcher decided, the 待核查 of a ticket another inspector verified: read
    as of the decision (they inflated every badge); the messages that tell news stay unread."""
    h = w["h"]
    t = dispatched(client, w)
    later = (datetime.now(UTC) + timedelta(days=5)).isoformat()
    rid = action(client, h["staff_a"], t["id"], "requests", kind="extension", reason="需要采购材料",
                 deadline=later).json()["requests"][0]["id"]
    assert [inbox(client, h[d])["unread"] for d in ("dispatcher", "dispatcher2")] == [1, 1]
    assert action(client, h["dispatcher"], t["id"], f"requests/{rid}/decision", approve=True).status_code == 200
    [waiting] = inbox(client, h["dispatcher2"])["items"]
    assert waiting["kind"] == "request_waiting" and waiting["read_at"] is not None
    assert client.get("/api/notifications/unread-count", headers=h["dispatcher2"]).json() == {"unread": 0}
    photo = upload_photo(client, h["staff_a"])["id"]
    assert action(client, h["staff_a"], t["id"], "rectify", note="已清理", photo_ids=[photo]).status_code == 200
    assert inbox(client, h["inspector"])["unread"] == 1  # the reporter: 待核查
    other = login(client, make_user(w["db"], Role.inspector))
    assert action(client, other, t["id"], "verify", passed=True).status_code == 200
    assert inbox(client, h["inspector"])["unread"] == 0
    # News is not a to-do: the unit's 延期申请已批准 waits for its staff to read it.
    assert [n["kind"] for n in inbox(client, h["staff_a"], unread="true")["items"]] == ["request_decided",
                                                                                       "dispatched"]


def test_a_message_that_asks_something_says_when_it_is_done(client, w):
    """待审批 after the decision, 待核查 after the verification, a unit's task after it rectified, a task of a ticket
    given to another unit: each says it is done (the leader's inbox said 待审批 of a request decided long ago);
    news (a decision) asks nothing."""
    h = w["h"]

    def settled(who):
        return {(n["kind"], n["data"]["case_number"]): n["settled"] for n in inbox(client, h[who])["items"]}

    t = dispatched(client, w)
    key = ("request_waiting", t["case_number"])
    rid = action(client, h["staff_a"], t["id"], "requests", kind="extension", reason="需要采购材料",
                 deadline=(datetime.now(UTC) + timedelta(days=5)).isoformat()).json()["requests"][0]["id"]
    assert settled("dispatcher")[key] is False
    assert settled("staff_a")[("dispatched", t["case_number"])] is False
    assert action(client, h["dispatcher2"], t["id"], f"requests/{rid}/decision", approve=True).status_code == 200
    assert settled("dispatcher")[key] is True
    assert settled("staff_a")[("request_decided", t["case_number"])] is None  # news
    photo = upload_photo(client, h["staff_a"])["id"]
    assert action(client, h["staff_a"], t["id"], "rectify", note="已清理", photo_ids=[photo]).status_code == 200
    assert settled("staff_a")[("dispatched", t["case_number"])] is True
    assert settled("inspector")[("verification_waiting", t["case_number"])] is False
    assert action(client, h["inspector"], t["id"], "verify", passed=True).status_code == 200
    assert settled("inspector")[("verification_waiting", t["case_number"])] is True
    # Given back and sent to another unit: the first unit's task is no longer its own.
    t2 = dispatched(client, w)
    r = action(client, h["staff_a"], t2["id"], "requests", kind="return", reason="不属于我单位")
    assert r.status_code == 200, r.text
    rid = r.json()["requests"][0]["id"]
    r = action(client, h["dispatcher"], t2["id"], f"requests/{rid}/decision", approve=True, unit_id=w["b"].id)
    assert r.status_code == 200, r.text
    assert client.get(f"/api/tickets/{t2['id']}", headers=h["dispatcher"]).json()["status"] == "dispatched"
    assert settled("staff_a")[("dispatched", t2["case_number"])] is True
    assert settled("staff_b")[("dispatched", t2["case_number"])] is False
    # The unit that gave it back hears the decision, not the new unit's deadline (the ticket's time is no
    # longer its own: its timeline and list hide it too); the new unit's task has it.
    [decided] = [n for n in inbox(client, h["staff_a"])["items"]
                 if (n["kind"], n["data"]["case_number"]) == ("request_decided", t2["case_number"])]
    assert decided["data"]["decision"] == "回退申请已批准并改派" and decided["data"]["deadline_at"] is None
    assert "时限" not in decided["text"] and "复查" not in decided["text"]
    [task] = [n for n in inbox(client, h["staff_b"])["items"] if n["data"]["case_number"] == t2["case_number"]]
    assert task["data"]["deadline_at"] is not None


def test_a_resent_action_tells_no_one_twice(client, w):
    t = report(client, w["h"]["inspector"])
    body = {"action_id": str(uuid.uuid4()), "unit_id": w["a"].id}
    for _ in range(2):
        r = client.post(f"/api/tickets/{t['id']}/dispatch", headers=w["h"]["dispatcher"], json=body)
        assert r.status_code == 200, r.text
    assert len(inbox(client, w["h"]["staff_a"])["items"]) == 1


def test_read_on_one_device_is_read_on_all_and_only_the_owner_may_mark_it(client, w, db):
    t = dispatched(client, w)
    phone, desktop = w["h"]["staff_a"], login(client, w["users"]["staff_a"])  # two tokens of one person
    [n] = inbox(client, phone)["items"]
    assert client.post(f"/api/notifications/{n['id']}/read", headers=w["h"]["staff_a2"]).status_code == 404
    assert client.post(f"/api/notifications/{n['id']}/read", headers=w["h"]["staff_b"]).status_code == 404
    r = client.post(f"/api/notifications/{n['id']}/read", headers=phone)
    assert r.status_code == 200 and r.json()["read_at"] is not None
    again = client.post(f"/api/notifications/{n['id']}/read", headers=desktop).json()
    assert again["read_at"] == r.json()["read_at"]  # the first reading stands
    assert client.get("/api/notifications/unread-count", headers=desktop).json() == {"unread": 0}
    assert inbox(client, desktop, unread="true")["items"] == []
    assert client.get("/api/notifications/unread-count", headers=w["h"]["staff_a2"]).json() == {"unread": 1}
    # Opening a ticket reads its messages: only that ticket's.
    t2 = dispatched(client, w)
    r = client.post("/api/notifications/read", headers=w["h"]["staff_a2"], json={"ticket_id": t2["id"]})
    assert r.json() == {"marked": 1, "unread": 1}
    assert [x["ticket_id"] for x in inbox(client, w["h"]["staff_a2"], unread="true")["items"]] == [t["id"]]
    assert client.post("/api/notifications/read", headers=w["h"]["staff_a2"], json={}).json() == {"marked": 1,
                                                                                                   "unread": 0}


def test_bad_input_is_a_clear_4xx(client, w):
    h = w["h"]["staff_a"]
    assert client.post("/api/notifications/0/read", headers=h).status_code == 422
    assert client.post("/api/notifications/99999999/read", headers=h).status_code == 404
    assert client.get("/api/notifications", headers=h, params={"cursor": "bm9wZQ"}).status_code == 422
    assert client.get("/api/notifications", headers=h, params={"limit": 0}).status_code == 422
    assert client.post("/api/notifications/read", headers=h, json={"ticket_id": "x"}).status_code == 422


def test_the_inbox_pages_newest_first(client, w):
    for _ in range(3):
        dispatched(client, w)
    first = inbox(client, w["h"]["staff_a"], limit=2)
    assert len(first["items"]) == 2 and first["next_cursor"] and first["unread"] == 3
    rest = inbox(client, w["h"]["staff_a"], limit=2, cursor=first["next_cursor"])
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    ids = [n["id"] for n in first["items"] + rest["items"]]
    assert ids == sorted(ids, reverse=True)
