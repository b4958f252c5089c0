"""app/core/query.py: a query model read in one validation, documented and refused as FastAPI would."""

from typing import Annotated

from fastapi import FastAPI, Query
from fastapi.testclient import TestClient

from app.core import query
from app.main import app
from app.tickets.listing import TicketFilters
from app.tickets.workflow import Status
from app.users.roles import Role
from tests.conftest import login, make_unit, make_user


def test_parameters_are_those_fastapi_writes_for_the_model():
    """The list's documentation (and the PWA's generated types) are what `Annotated[Model, Query()]` gives."""
    bare = FastAPI()

    @bare.get("/t")
    def through_fastapi(filters: Annotated[TicketFilters, Query()]):
        return {}

    expected = bare.openapi()["paths"]["/t"]["get"]["parameters"]
    assert query.parameters(TicketFilters) == expected
    assert len(expected) == len(TicketFilters.model_fields) == 20
    listed = app.openapi()["paths"]["/api/tickets"]["get"]["parameters"]
    assert listed == expected


def test_list_parameters_repeat_and_errors_name_the_query_parameter(client: TestClient, db):
    headers = login(client, make_user(db, Role.dispatcher))
    r = client.get("/api/tickets", headers=headers,
                   params=[("status", "reported"), ("status", "closed"), ("limit", "5"), ("unknown", "x")])
    assert r.status_code == 200, r.text
    r = client.get("/api/tickets", headers=headers,
                   params=[("status", "reported"), ("status", "nonsense"), ("limit", "0"), ("overdue", "")])
    assert r.status_code == 422
    body = r.json()
    assert body["error"]["code"] == "validation_error"
    locs = sorted(tuple(d["loc"]) for d in body["error"]["details"])
    assert locs == [("query", "limit"), ("query", "overdue"), ("query", "status", 1)], locs


def test_the_caller_is_checked_before_the_query(client: TestClient, db):
    """401 before 422, as when the token was a dependency: nobody learns about the query without a login."""
    assert client.get("/api/tickets", params={"limit": "0"}).json()["error"]["code"] == "not_authenticated"
    r = client.get("/api/tickets", params={"limit": "0"}, headers={"Authorization": "Bearer nonsense"})
    assert (r.status_code, r.json()["error"]["code"]) == (401, "invalid_token")
    unit = make_unit(db)
    r = client.get("/api/tickets", params={"limit": "0"}, headers=login(client, make_user(db, Role.unit_staff, unit)))
    assert r.status_code == 422


def test_a_long_text_or_a_long_list_is_one_short_error(client: TestClient, db):
    """A text over its length says characters (it said "at most 100 items": the length is checked after the text's
    own validator); a status repeated thousands of times is refused in one line, not one error per value (a 65 KB
    query answered 1 MB of errors)."""
    headers = login(client, make_user(db, Role.dispatcher))
    r = client.get("/api/tickets", headers=headers, params={"q": "x" * 101})
    assert r.status_code == 422
    [detail] = r.json()["error"]["details"]
    assert detail["msg"] == "最多 100 个字符 String should have at most 100 characters", detail
    r = client.get("/api/tickets", headers=headers, params=[("status", "nonsense")] * 4000)
    assert r.status_code == 422 and len(r.content) < 2000, len(r.content)
    assert [d["loc"] for d in r.json()["error"]["details"]] == [["query", "status"]]
    every = [("status", s.value) for s in Status]
    assert client.get("/api/tickets", headers=headers, params=every).status_code == 200
    assert client.get("/api/tickets", headers=headers, params=every + every[:1]).status_code == 422


def test_refusals_after_validation_name_their_parameter(client: TestClient, db):
    """A bad cursor, bbox or date range is a 422 whose details name the parameter, as a validation error's do."""
    headers = login(client, make_user(db, Role.dispatcher))
    for params, name, code in (({"cursor": "x"}, "cursor", "invalid_cursor"),
                               ({"bbox": "1,2,3"}, "bbox", "invalid_bbox"),
                               ({"bbox": "0,0,200,1"}, "bbox", "invalid_bbox"),
                               ({"reported_after": "2026-12-02T00:00:00Z", "reported_before": "2026-12-01T00:00:00Z"},
                                "reported_before", "invalid_date_range")):
        r = client.get("/api/tickets", headers=headers, params=params)
        assert r.status_code == 422, params
        error = r.json()["error"]
        assert error["code"] == code and [d["loc"] for d in error["details"]] == [["query", name]], error
