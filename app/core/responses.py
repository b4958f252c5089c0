"""The error answers routes declare in the OpenAPI schema: every 4xx and 503 has one JSON shape."""

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    code: str = Field(description="stable, machine-readable: e.g. not_found, wrong_state, too_large")
    message: str = Field(description="for people, Chinese then English")
    details: Any = Field(default=None, description="per code: validation errors, the current status, …")


class ErrorBody(BaseModel):
    """Every error the API answers: `{"error": {"code", "message", "details"?}}`."""

    error: ErrorDetail


_WHEN = {
    400: "Bad request",
    401: "Not logged in, or the token expired or was revoked",
    403: "Not allowed for this role",
    404: "Not found, or not visible to this user",
    409: "Conflict: wrong state for this action, or an id reused with different content",
    413: "Request body or upload too large",
    422: "Invalid input",
    429: "Too many attempts; see Retry-After",
    503: "Overloaded; try again after Retry-After",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """A `responses=` value declaring these error statuses with the ErrorBody schema."""
    # The content is named too: a route answering HTML (a printable page) still answers its errors as JSON.
    json_body = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
    return {status: {"model": ErrorBody, "description": _WHEN[status], "content": json_body} for status in statuses}


# Any route may be shed under load or get an invalid parameter.
COMMON = errors(422, 503)
# Routes behind a login: also 401, 403 and 404 (another unit's record answers 404).
AUTHENTICATED = errors(401, 403, 404, 422, 503)
# Writes: also a conflict (wrong state, idempotency) and a body over the limit.
WRITE = errors(400, 409, 413)


def not_modified(if_none_match: str | None, etag: str) -> bool:
    """Whether If-None-Match matches this ETag (RFC 9110 13.1.2: a list, `*`, weak comparison)."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    bare = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == bare for tag in if_none_match.split(","))
