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
