"""Over HTTP with the real exception endpoints: what units and the office do shows up in the ledger, in the
week's figures and in the 督办通知书, with the same counts."""

from datetime import UTC, datetime, timedelta

from app.users.roles import Role
from tests.conftest import action, login, make_unit, make_user, report


def _iso(dt: datetime) -> str:
    return dt.isoformat()


def test_exceptions_round_trip(client, db):
    a, b = make_unit(db, "甲街道"), make_unit(db, "乙街道")
    h = {"ins": login(client, make_user(db, Role.inspector)), "dis": login(client, make_user(db, Role.dispatcher)),
         "lead": login(client, make_user(db, Role.leader)), "a": login(client, make_user(db, Role.unit_staff, a))}
    t = {}
    for name in ("t1", "t2", "t3", "t4", "t5"):
        t[name] = report(client, h["ins"])["id"]
        assert action(client, h["dis"], t[name], "dispatch", unit_id=a.id).status_code == 200
    now = datetime.now(UTC)

    def ask(name, kind, **body):
        r = action(client, h["a"], t[name], "requests", kind=kind, reason="理由", **body)
        assert r.status_code == 200, r.text
        return r.json()["requests"][0]["id"]

    def decide(name, rid, **body):
        r = action(client, h["dis"], t[name], f"requests/{rid}/decision", **body)
        assert r.status_code == 200, r.text
        return r.json()

    rid = ask("t1", "extension", deadline=_iso(now + timedelta(days=20)))
    assert decide("t1", rid, approve=True)["extension_count"] == 1
    rid = ask("t1", "extension", deadline=_iso(now + timedelta(days=40)))
    decide("t1", rid, approve=False, note="不同意")
    rid = ask("t2", "return")
    assert decide("t2", rid, approve=True, unit_id=b.id)["unit_id"] == b.id  # 改派 in one step
    rid = ask("t3", "suspension")
    assert decide("t3", rid, approve=True, review_at=_iso(now + timedelta(days=30)))["status"] == "suspended"
    assert action(client, h["dis"], t["t4"], "void", reason="重复").json()["status"] == "voided"
    for _ in range(2):
        assert action(client, h["dis"], t["t5"], "urge", note="抓紧").status_code == 200
    assert action(client, h["lead"], t["t5"], "supervise", note="限期整改").status_code == 200

    # The ledger: 8 rows, one per exception, newest first.
    rows = client.get("/api/exceptions", headers=h["dis"]).json()["items"]
    by_ticket = {v: k for k, v in t.items()}
    assert [(x["kind"], by_ticket[x["ticket"]["id"]], x["outcome"]) for x in rows] == [
        ("supervise", "t5", None), ("urge", "t5", None), ("urge", "t5", None), ("void", "t4", None),
        ("suspension", "t3", "approved"), ("return", "t2", "reassigned"), ("extension", "t1", "rejected"),
        ("extension", "t1", "approved")]
    assert {x["unit_id"] for x in rows} == {a.id}  # the return was 甲's, though 乙 has t2 now
    assert client.get("/api/exceptions", headers=h["a"]).json()["items"] == rows

    # The week's figures: 甲 dispatched t1 t5 (t2 is 乙's now; t4 voided and t3 suspended: out of the base).
    s = client.get("/api/stats/summary", headers=h["lead"]).json()
    units = {u["unit_id"]: u for u in s["units"]}
    got = {k: units[a.id][k] for k in ("dispatched", "extended", "returned", "suspended", "voided", "urged",
                                        "supervised", "overdue_now")}
    assert got == {"dispatched": 2, "extended": 1, "returned": 1, "suspended": 1, "voided": 1, "urged": 2,
                   "supervised": 1, "overdue_now": 0}
    assert units[a.id]["void_rate"] == 1 / 2 and units[b.id]["dispatched"] == 1
    assert s["total"]["dispatched"] == 3 and s["total"]["returned"] == 1
    drill = client.get("/api/stats/tickets", params={"metric": "voided"}, headers=h["lead"]).json()["items"]
    assert [x["id"] for x in drill] == [t["t4"]]

    # The 督办通知书: the unit prints its own; a ticket never supervised has none.
    r = client.get(f"/api/stats/supervision-notice/{t['t5']}.html", headers=h["a"])
    assert r.status_code == 200 and "限期整改" in r.text and "催办次数</th><td>2" in r.text
    assert client.get(f"/api/stats/supervision-notice/{t['t1']}.html", headers=h["a"]).status_code == 409
