"""The demo city: every role can log in, and tickets exist in every state with real photos."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import func, select

from app.core.types import clock_at
from app.demo import seed
from app.evaluation import checklists
from app.evaluation.models import EvalSite
from app.photos.models import Photo
from app.tickets.models import Ticket, TicketEvent, TicketRequest
from app.tickets.workflow import Status
from tests.conftest import PASSWORD  # noqa: F401  (demo users have their own password)

SHANGHAI = ZoneInfo("Asia/Shanghai")  # the demo city's (and the tests' default) time zone


def test_demo_city(client, db):
    users = seed.seed_city(db)
    assert seed.seed_sites(db) == 41  # every site type, around the demo city
    assert len(set(db.exec(select(EvalSite.site_type)).all())) == 9
    seed.seed_history(db, users, count=24)
    db.rollback()  # a new snapshot: see what the app committed since
    states = set(db.exec(select(Ticket.status)).all())
    tickets = db.exec(select(Ticket).order_by(Ticket.reported_at)).all()
    assert [t.case_number for t in tickets] == sorted(t.case_number for t in tickets)
    latest = db.exec(select(func.max(TicketEvent.at))).one()
    assert latest.replace(tzinfo=UTC) <= datetime.now(UTC)
    assert states == {s.value for s in Status}
    # The exceptions: a request of each kind waits, others were decided; urges and a 督办.
    pending = set(db.exec(select(TicketRequest.kind).where(TicketRequest.state == "pending")).all())
    assert pending == {"extension", "return", "suspension"}
    assert set(db.exec(select(TicketRequest.state)).all()) == {"pending", "approved"}
    assert all(t.pending_request is None or t.status == "dispatched" for t in tickets)
    assert sum(t.urge_count for t in tickets) >= 2 and any(t.supervised_at for t in tickets)
    assert any(t.extension_count for t in tickets)
    queue = client.get("/api/requests", params={"state": "pending"}, headers=_login(client, "dispatcher")).json()
    assert len(queue["items"]) == 3
    assert db.exec(select(func.count()).select_from(Photo)).one() >= 24
    overdue = client.get("/api/tickets", params={"overdue": "true"}, headers=_login(client, "dispatcher")).json()
    assert overdue["items"], "the demo shows overdue tickets"
    # This week's cohort has closures too (a leader opening the demo sees a week's 结案率, not 0 %).
    lately = datetime.now(UTC) - timedelta(days=4)
    assert any(t.status == "closed" and t.first_dispatched_at.replace(tzinfo=UTC) > lately for t in tickets)
    for username, _, role, _ in seed.USERS:
        r = client.post("/api/auth/token", data={"username": username, "password": seed.DEMO_PASSWORD})
        assert r.status_code == 200 and r.json()["user"]["role"] == role
    # The street office sees only its own dispatched tickets.
    xy = client.get("/api/tickets", headers=_login(client, "unit_xyjd")).json()["items"]
    assert xy and all(t["status"] != "reported" or t["unit_id"] is None for t in xy)


def test_demo_rounds_and_bulletins(client, db):
    """The 实地测评 and bulletin screens are not empty in the demo: a published round whose findings went to the
    sites' units, one under way with sites left for `inspector`, and last week's and last month's bulletins."""
    users = seed.seed_city(db)
    seed.seed_sites(db)
    checklists.seed(db)  # main() seeds the default 测评细则 first
    seed.seed_history(db, users, count=12)
    seed.seed_evaluation(db, users)
    seed.publish_bulletins(db, users)
    db.rollback()
    # Findings are reports: case numbers still rise with report time, after the history's (a site's findings
    # share their submission's time).
    tickets = db.exec(select(Ticket).order_by(Ticket.case_number)).all()
    assert [t.reported_at for t in tickets] == sorted(t.reported_at for t in tickets)
    assert max(t.reported_at for t in tickets).replace(tzinfo=UTC) <= datetime.now(UTC)
    office = _login(client, "dispatcher")
    rounds = {r["name"]: r for r in client.get("/api/evaluation/rounds", headers=office).json()["items"]}
    assert {r["state"] for r in rounds.values()} == {"published", "active"}
    published = next(r for r in rounds.values() if r["state"] == "published")
    report = client.get(f"/api/evaluation/rounds/{published['id']}/report", headers=office).json()
    assert report["sites_pending"] == 0 and report["findings"]
    assert {f["status"] for f in report["findings"]} == {"dispatched"}
    # The unit of a finding sees it, and the round's result for its own sites.
    finding = report["findings"][0]
    staff = next(name for name, _, _, unit in seed.USERS if unit == finding["unit_name"])
    ticket = client.get(f"/api/tickets/{finding['ticket_id']}", headers=_login(client, staff))
    assert ticket.status_code == 200 and ticket.json()["status"] == "dispatched"
    mine = client.get("/api/evaluation/my-sites", headers=_login(client, "inspector")).json()
    active = next(r for r in rounds.values() if r["state"] == "active")
    assert any(s["round_id"] == active["id"] for s in mine)
    bulletins = client.get("/api/bulletins", headers=_login(client, "leader")).json()["items"]
    assert sorted(b["kind"] for b in bulletins) == ["month", "week"]


@pytest.mark.parametrize("now", [datetime(2026, 11, 30, 5, 0, tzinfo=SHANGHAI),  # a Monday
                                 datetime(2026, 12, 1, 5, 0, tzinfo=SHANGHAI)])  # a 1st, the day after a Monday
def test_a_demo_seeded_early_in_a_week_or_month_still_has_its_figures(client, db, now):
    """Seeded at 05:00 on a Monday or a 1st (city time), the dashboard's periods (本周 by default, 本月) still
    show tickets dispatched and closed in them and a red or black list, not zeros."""
    users = seed.seed_city(db)
    seed.seed_history(db, users, count=24, now=now)
    db.rollback()
    leader = _login(client, "leader")
    for period in ("week", "month"):
        query = {"period": period, "on": now.date().isoformat()}
        with clock_at(now):
            summary = client.get("/api/stats/summary", params=query, headers=leader).json()
            ranking = client.get("/api/stats/ranking", params=query, headers=leader).json()
        assert summary["total"]["dispatched"] >= 3 and summary["total"]["closed"] >= 2, (period, summary["total"])
        assert any(row["list"] in ("red", "black") for g in ranking["groups"] for row in g["rows"]), period
    assert db.exec(select(func.max(TicketEvent.at))).one().replace(tzinfo=UTC) <= now
    cases = db.exec(select(Ticket).order_by(Ticket.case_number)).all()
    assert [t.reported_at for t in cases] == sorted(t.reported_at for t in cases)


def test_a_demo_seeded_just_after_midnight_on_a_monday_leaves_the_week_empty(client, db):
    users = seed.seed_city(db)
    just_after = datetime(2026, 11, 30, 0, 20, tzinfo=SHANGHAI)
    seed.seed_history(db, users, count=24, now=just_after)
    db.rollback()
    week_start = datetime(2026, 11, 30, tzinfo=SHANGHAI)
    assert db.exec(select(func.count()).select_from(Ticket).where(Ticket.reported_at >= week_start)).one() == 0
    assert db.exec(select(func.max(TicketEvent.at))).one().replace(tzinfo=UTC) <= just_after


def _login(client, username):
    token = client.post("/api/auth/token", data={"username": username, "password": seed.DEMO_PASSWORD}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}


@pytest.mark.parametrize("now", [datetime(2026, 12, 7, 21, 30, tzinfo=SHANGHAI),  # a Monday night
                                 datetime(2026, 11, 30, 5, 0, tzinfo=SHANGHAI),  # early on a Monday
                                 datetime(2026, 12, 3, 10, 0, tzinfo=SHANGHAI)])
def test_the_demo_has_a_ticket_near_its_deadline_whatever_the_hour(client, db, now):
    """预超期 is a figure and a list the demo shows (the big screen's e2e needs one): it had one by chance in the
    morning and none at night."""
    users = seed.seed_city(db)
    seed.seed_history(db, users, count=24, now=now)
    db.rollback()
    for later in (timedelta(0), timedelta(minutes=25)):  # and still while the e2e suite runs
        near = db.exec(select(func.count()).select_from(Ticket).where(Ticket.is_near_deadline_at(now + later))).one()
        assert near >= 1, (now, later)
