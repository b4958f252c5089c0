"""Per-request telemetry as one pure ASGI middleware (outermost, so refusals are counted too): a request id,
one access-log line and the request metrics.

The id is the proxy's X-Request-ID when it looks like one (1–64 of [A-Za-z0-9-]), else a new one; it is
answered in the X-Request-ID header and stamped on every log record of the request (app/core/logs.py). The
access line and the metrics name the route template ("/api/tickets/{ticket_id}"), never the raw path: no ids,
no personal data, and a bounded number of series.
"""

import logging
import re
import time
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import logs, metrics

access_log = logging.getLogger("xuncha.access")

_SANE_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
UNMATCHED = "unmatched"


def request_id_from(headers: Headers) -> str:
    given = headers.get("x-request-id", "")
    return given if _SANE_ID.fullmatch(given) else uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's path template, set in the scope by the router; "unmatched" when none matched."""
    route = scope.get("route")
    return getattr(route, "path", None) or UNMATCHED


class RequestTelemetry:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id_from(Headers(scope=scope))
        # Not reset afterwards: each request runs in a task of its own, with its own copy of the context,
        # and the server's report of an exception that escaped the app still carries the id.
        logs.request_id.set(rid)
        status = 500  # what the server answers when the app raised before starting a response
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            method, route = scope["method"], route_template(scope)
            metrics.observe_request(method, route, status, seconds)
            access_log.info("%s %s %d %.1f ms", method, route, status, seconds * 1000,
                            extra={"method": method, "route": route, "status": status,
                                   "duration_ms": round(seconds * 1000, 1)})
