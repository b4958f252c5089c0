"""The API is the app's contract: named enums and error bodies in the OpenAPI schema, and the PWA's
generated types (frontend/src/api/schema.d.ts) never stale."""

import copy
import importlib.util
import shutil
from pathlib import Path

import pytest

from app.main import app

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("api_types", ROOT / "scripts" / "api_types.py")
api_types = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(api_types)

needs_node = pytest.mark.skipif(not (shutil.which("node") and api_types.CLI.exists()),
                                reason="node and frontend/node_modules (make frontend) are needed")


@pytest.fixture(scope="module")
def document():
    return app.openapi()


def _ref(prop: dict) -> str | None:
    """The schema a property names, through anyOf [X, null] and arrays."""
    for p in [prop, *prop.get("anyOf", []), prop.get("items", {})]:
        if "$ref" in p:
            return p["$ref"].rsplit("/", 1)[1]
    return None


@pytest.mark.parametrize("schema, field, enum", [
    ("TicketSummary", "status", "Status"), ("EventPublic", "action", "Action"), ("EventPublic", "from_status", "Status"),
    ("EventPublic", "actor_role", "Role"), ("TicketDetail", "allowed_actions", "Action"),
    ("TicketPhotoPublic", "stage", "PhotoStage"), ("UserPublic", "role", "Role"), ("UnitPublic", "kind", "UnitKind"),
    ("OpenPoint", "status", "Status"), ("UnitBar", "status", "Status"), ("Milestone", "action", "Action"),
    ("Stage", "kind", "StageKind"), ("Period", "kind", "PeriodKind"), ("RankRow", "list", "RankListKind"),
    ("MapConfig", "crs", "MapCrs"), ("PublicConfig", "unit_kinds", "UnitKind"), ("PublicConfig", "statuses", "Status"),
])
def test_closed_sets_are_named_enums(document, schema, field, enum):
    schemas = document["components"]["schemas"]
    assert _ref(schemas[schema]["properties"][field]) == enum
    assert schemas[enum]["enum"], f"{enum} lists its values"


def test_every_api_operation_declares_its_errors_as_the_error_body(document):
    assert set(document["components"]["schemas"]["ErrorBody"]["properties"]) == {"error"}
    for path, ops in document["paths"].items():
        if path == "/api/health":
            continue  # async, never shed: it answers 200 or nothing
        for method, op in ops.items():
            errors = {code: r for code, r in op["responses"].items() if code[0] in "45"}
            assert errors, f"{method} {path} declares no error"
            for code, r in errors.items():
                ref = r["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorBody"), f"{method} {path} {code}"
            if path not in ("/api/config", "/api/auth/token", "/api/ready"):
                assert "401" in errors, f"{method} {path}: behind a login, says so"
            if method == "post" and path.startswith("/api/tickets"):
                assert {"409", "413", "422"} <= set(errors), f"{method} {path}"


@needs_node
def test_the_generated_types_are_current():
    """Fails after a backend change to the API until `make api-types` is run and the result committed."""
    assert api_types.is_current(), "frontend/src/api/schema.d.ts is stale: run `make api-types`"


@needs_node
@pytest.mark.parametrize("change", ["new status", "field now required"])
def test_a_backend_change_without_regeneration_is_caught(document, change):
    """The check compares with a fresh generation: an enum value or a required field the checked-in
    types do not know makes it fail."""
    changed = copy.deepcopy(document)
    schemas = changed["components"]["schemas"]
    if change == "new status":
        schemas["Status"]["enum"].append("suspended")
    else:
        schemas["DispatchIn"]["required"].append("note")
    assert api_types.is_current(document)
    assert not api_types.is_current(changed)
