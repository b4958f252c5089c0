"""One transaction per request: committed by the session dependency before the response is sent."""

import sqlite3
import uuid

from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from app.core.errors import DomainError, Overloaded, TooLarge
from app.photos.models import Photo
from app.tickets.models import Ticket
from app.users.roles import Role
from tests.conftest import login, make_user, report_body, upload_photo


def test_a_failed_commit_never_answers_2xx_and_leaves_nothing(client, db, monkeypatch):
    headers = login(client, make_user(db, Role.inspector))
    photo = upload_photo(client, headers)["id"]
    real_commit = Session.commit

    def locked(self):
        raise OperationalError("COMMIT", {}, sqlite3.OperationalError("database is locked"))

    monkeypatch.setattr(Session, "commit", locked)
    body = report_body([photo])
    r = client.post("/api/tickets", headers=headers, json=body)
    monkeypatch.setattr(Session, "commit", real_commit)
    # The commit failed after the endpoint returned: the answer is the 503 (retry later), not a 201.
    assert r.status_code == 503 and r.headers["Retry-After"].isdigit(), r.text
    assert r.json()["error"]["code"] == "overloaded"
    db.commit()
    assert db.get(Ticket, uuid.UUID(body["id"])) is None
    # The retry is a first report.
    assert client.post("/api/tickets", headers=headers, json=body).status_code == 201


def test_a_2xx_answer_means_the_row_is_committed(client, db):
    headers = login(client, make_user(db, Role.inspector))
    body = report_body([upload_photo(client, headers)["id"]])
    assert client.post("/api/tickets", headers=headers, json=body).status_code == 201
    db.commit()
    assert db.get(Ticket, uuid.UUID(body["id"])) is not None


def test_an_error_rolls_the_whole_request_back(client, db):
    headers = login(client, make_user(db, Role.inspector))
    photo = upload_photo(client, headers)["id"]
    # Unknown category: the report fails with a 4xx, and nothing it may have flushed stays.
    r = client.post("/api/tickets", headers=headers, json=report_body([photo], category_code="99999"))
    assert 400 <= r.status_code < 500
    db.commit()
    assert db.exec(select(Ticket)).all() == []
    assert db.get(Photo, uuid.UUID(photo)) is not None


def test_domain_errors_are_plain_exceptions_with_their_http_meaning():
    busy = Overloaded(2.2)
    assert (busy.status, busy.code, busy.headers["Retry-After"], busy.details) == (503, "overloaded", "3",
                                                                                  {"retry_after": 3})
    big = TooLarge(1024 * 1024)
    assert (big.status, big.code, big.details) == (413, "too_large", {"max_bytes": 1024 * 1024})
    assert DomainError("x", code="y", status=418).body() == {"error": {"code": "y", "message": "x"}}


def test_the_commit_runs_in_the_endpoint_s_own_thread(client, db, monkeypatch):
    """A SQLite writer holds the write lock only while its endpoint runs: the commit is made by the thread
    that ran the endpoint, not after another hop through the thread pool (which queues under load)."""
    import threading

    from app.tickets import actions

    headers = login(client, make_user(db, Role.inspector))
    body = report_body([upload_photo(client, headers)["id"]])
    threads: dict[str, int] = {}
    real_report, real_commit = actions.report, Session.commit

    def report(*args, **kwargs):
        threads["endpoint"] = threading.get_ident()
        return real_report(*args, **kwargs)

    def commit(self):
        threads.setdefault("commit", threading.get_ident())
        return real_commit(self)

    monkeypatch.setattr(actions, "report", report)
    monkeypatch.setattr(Session, "commit", commit)
    assert client.post("/api/tickets", headers=headers, json=body).status_code == 201
    assert threads["commit"] == threads["endpoint"]


def test_every_endpoint_with_a_session_commits_as_it_returns(client):
    """A router without `route_class=TransactionRoute` would still commit (in the session dependency's
    exit, one more thread hop with the lock held); this keeps every router on the fast path."""
    import inspect

    from fastapi.routing import APIRoute

    from app.core.db import SessionDep, TransactionRoute

    def walk(routes):  # FastAPI keeps an included router whole (its routes under .original_router)
        for route in routes:
            included = getattr(route, "original_router", None)
            yield from walk(included.routes) if included is not None else [route]

    routes = list(walk(client.app.routes))
    assert sum(isinstance(r, TransactionRoute) for r in routes) > 20
    missing = [
        route.path for route in routes
        if isinstance(route, APIRoute) and not inspect.iscoroutinefunction(route.endpoint)
        and any(p.annotation is SessionDep for p in inspect.signature(route.endpoint).parameters.values())
        and not isinstance(route, TransactionRoute)
    ]
    assert missing == []
