"""返工 (a failed verification) gets the category's deadline by default, like a dispatch; an explicit one stays possible."""

from datetime import datetime, timedelta

from app.users.roles import Role
from tests.conftest import action, login, make_unit, make_user, report, upload_photo


def _rectified(client, db):
    unit = make_unit(db, "市城市管理局")
    inspector = login(client, make_user(db, Role.inspector))
    dispatcher = login(client, make_user(db, Role.dispatcher))
    staff = login(client, make_user(db, Role.unit_staff, unit))
    tid = report(client, inspector)["id"]  # 06010 暴露垃圾: a 4 h limit
    assert action(client, dispatcher, tid, "dispatch", unit_id=unit.id).status_code == 200
    assert action(client, staff, tid, "rectify", note="已清理", photo_ids=[upload_photo(client, staff)["id"]]).status_code == 200
    return tid, inspector


def _hours_after(later: str, earlier: str) -> float:
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)) / timedelta(hours=1)


def test_rectified_ticket_suggests_the_categorys_rework_deadline(client, db):
    tid, inspector = _rectified(client, db)
    t = client.get(f"/api/tickets/{tid}", headers=inspector).json()
    assert t["status"] == "rectified"
    assert t["suggested_deadline_at"] is not None, "the 返工 dialog needs the category's default"
    now = datetime.fromisoformat(t["updated_at"])
    assert 3.9 < _hours_after(t["suggested_deadline_at"], now.isoformat()) <= 4.01


def test_verify_fail_without_deadline_takes_the_categorys_limit_not_48_hours(client, db):
    tid, inspector = _rectified(client, db)
    r = action(client, inspector, tid, "verify", passed=False, note="仍有垃圾残留")
    assert r.status_code == 200, r.text
    t = r.json()
    assert 3.99 < _hours_after(t["deadline_at"], t["dispatched_at"]) <= 4.0
    fail = [e for e in t["events"] if e["action"] == "verify_fail"][-1]
    assert fail["deadline_at"] == t["deadline_at"]


def test_verify_fail_keeps_an_explicit_deadline(client, db):
    tid, inspector = _rectified(client, db)
    wanted = (datetime.now().astimezone() + timedelta(days=3)).replace(microsecond=0)
    r = action(client, inspector, tid, "verify", passed=False, note="仍有垃圾残留", deadline=wanted.isoformat())
    assert r.status_code == 200, r.text
    assert datetime.fromisoformat(r.json()["deadline_at"]) == wanted


def test_the_assessed_deadline_stays_the_first_one_through_a_rework(client, db):
    """按期结案 is judged against the office's deadline (set at dispatch, not moved by 返工): the API shows it
    beside the unit's current one, so the office sees why a ticket reworked in time is still late."""
    tid, inspector = _rectified(client, db)
    before = client.get(f"/api/tickets/{tid}", headers=inspector).json()
    assert before["office_deadline_at"] == before["deadline_at"] is not None
    later = (datetime.now().astimezone() + timedelta(days=5)).replace(microsecond=0)
    after = action(client, inspector, tid, "verify", passed=False, note="仍有垃圾残留", deadline=later.isoformat()).json()
    assert datetime.fromisoformat(after["deadline_at"]) == later
    assert after["office_deadline_at"] == before["office_deadline_at"]
    listed = client.get("/api/tickets", headers=inspector).json()["items"]
    assert [t["office_deadline_at"] for t in listed if t["id"] == tid] == [before["office_deadline_at"]]
