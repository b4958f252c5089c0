"""The demo city: every role can log in, and tickets exist in every state with real photos."""

from datetime import UTC, datetime, timedelta

from sqlmodel import func, select

from app.demo import seed
from app.evaluation.models import EvalSite
from app.photos.models import Photo
from app.tickets.models import Ticket, TicketEvent, TicketRequest
from app.tickets.workflow import Status
from tests.conftest import PASSWORD  # noqa: F401  (demo users have their own password)


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


def _login(client, username):
    token = client.post("/api/auth/token", data={"username": username, "password": seed.DEMO_PASSWORD}).json()
    return {"Authorization": f"Bearer {token['access_token']}"}
