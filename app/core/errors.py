"""One error family: plain Python exceptions that carry their HTTP meaning (no web framework here).

A `DomainError` has a code, a message, a status, optional details and optional headers (e.g. Retry-After).
Any module may raise one, pure ones included (tickets/workflow.py, photos/processing.py, photos/workers.py,
core/load.py); app/core/http_errors.py renders them all, once, as

    {"error": {"code": ..., "message": ..., "details": ...}}   (details only when there are some)
"""

import math
from typing import Any


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None,
                 details: Any = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details
        self.headers = dict(headers or {})

    def body(self) -> dict:
        return error_body(self.code, self.message, self.details)


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"

    def __init__(self, message: str, **kw):
        super().__init__(message, **kw)
        self.headers.setdefault("WWW-Authenticate", "Bearer")


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Invalid(DomainError):
    status = 422
    code = "validation_error"


def invalid_query(name: str, message: str, code: str) -> Invalid:
    """A query parameter refused after validation (a cursor, a bbox, a date range), its field named as in a
    validation error's details, so a form marks the field it came from."""
    return Invalid(message, code=code, details=[{"loc": ["query", name], "msg": message, "type": code}])


class TooLarge(DomainError):
    """A request body over its limit (the body-size middleware and the photo upload say the same)."""

    status = 413
    code = "too_large"

    def __init__(self, max_bytes: int, message: str | None = None):
        super().__init__(message or f"请求内容过大（上限 {max_bytes // 1024} KB） Request body too large",
                         details={"max_bytes": max_bytes}, headers={"Connection": "close"})


class BodyTimeout(DomainError):
    """A request body that stopped coming, or came too slowly to ever finish (the body-size middleware)."""

    status = 408
    code = "body_timeout"

    def __init__(self, idle_seconds: float, min_rate: int):
        super().__init__("请求内容传输过慢，已中断，请重试 The request body arrived too slowly; please retry",
                         details={"idle_seconds": idle_seconds, "min_bytes_per_second": min_rate},
                         headers={"Connection": "close"})


class Unavailable(DomainError):
    """No capacity right now (503): the client should come back after `retry_after` seconds (Retry-After)."""

    status = 503
    code = "overloaded"

    def __init__(self, message: str, retry_after: float, **kw):
        seconds = max(1, math.ceil(retry_after))
        kw.setdefault("details", {"retry_after": seconds})
        super().__init__(message, **kw)
        self.retry_after = retry_after
        self.headers["Retry-After"] = str(seconds)


class Overloaded(Unavailable):
    """The server is saturated (app/core/load.py): 503 at once rather than a stall."""

    def __init__(self, retry_after: float):
        super().__init__("服务器繁忙，请稍后重试 Server busy, try again shortly", retry_after)


def error_body(code: str, message: str, details: Any = None) -> dict:
    err: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        err["details"] = details
    return {"error": err}
