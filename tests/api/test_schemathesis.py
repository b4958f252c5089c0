"""Generated requests against every operation of the OpenAPI schema, as every role: never a 5xx.

Bounded for `make test` (a few examples per operation and role, a time limit per operation). A bigger run:
    make test-schemathesis ST_EXAMPLES=500     (add XUNCHA_TEST_DATABASE_URL=... for PostgreSQL)
or the CLI against a running server (`make run`), e.g. as the leader:
    .venv/bin/st run http://127.0.0.1:8000/api/openapi.json --checks not_a_server_error \\
        -H "Authorization: Bearer $TOKEN" --max-examples 500
"""

import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error

from app.main import app
from app.users.roles import Role
from tests.conftest import action, login, make_unit, make_user, report, upload_photo

EXAMPLES = int(os.environ.get("XUNCHA_SCHEMATHESIS_EXAMPLES", "8"))
# Per operation: ~150 operations × 1 s ≈ 2.5 minutes per database at most (CI runs the suite twice within its
# 40-minute budget); `make test-schemathesis` or XUNCHA_SCHEMATHESIS_SECONDS=… for a longer run.
SECONDS_PER_OPERATION = float(os.environ.get("XUNCHA_SCHEMATHESIS_SECONDS", "1"))

schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)


@pytest.fixture
def role_headers(client, db):
    """Headers for each role (and none for anonymous), with a dispatched ticket for them to find."""
    unit = make_unit(db, "市城市管理局")
    users = {role: make_user(db, role, unit if role == Role.unit_staff else None) for role in Role}
    headers = {role.value: login(client, user) for role, user in users.items()}
    ticket = report(client, headers["inspector"])
    action(client, headers["dispatcher"], ticket["id"], "dispatch", unit_id=unit.id)
    upload_photo(client, headers["unit_staff"])
    return headers | {"anonymous": {}}


_started: dict[str, float] = {}


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, database=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, role_headers):
    started = _started.setdefault(case.operation.label, time.monotonic())
    if time.monotonic() - started > SECONDS_PER_OPERATION:
        return  # this operation's time is up: the remaining examples pass without a request
    for role, headers in role_headers.items():
        try:
            case.call_and_validate(headers={**(case.headers or {}), **headers}, checks=[not_a_server_error])
        except Exception as exc:
            exc.add_note(f"as {role}")
            raise
