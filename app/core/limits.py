"""Request-body limits counted as the body streams in, with or without a Content-Length header.

A JSON (or form) body gets a small limit; a multipart upload the photo limit plus room for the form
fields. A declared Content-Length over the limit is refused before anything is read; a chunked body is
cut off as soon as it passes the limit. Either way the answer is 413 JSON with `Connection: close`, so
the server stops reading the rest.

A body must also keep coming: no gap longer than `idle_seconds`, and once the server has waited that long for
it in all, at least `min_rate` bytes a second of that wait on average; else 408 with `Connection: close`
(uvicorn has no such timeout of its own). A phone on one bar sends kilobytes a second; a client trickling a
byte every few seconds holds a request open for nothing. The app's own pauses between reads do not count.
"""

import time

import anyio
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import BodyTimeout, TooLarge
from app.core.http_errors import error_response

MULTIPART_OVERHEAD = 64 * 1024


class BodyTooLarge(Exception):
    pass


class BodyTooSlow(Exception):
    pass


class BodySizeLimit:
    def __init__(self, app: ASGIApp, *, json_max_bytes: int, upload_max_bytes: int, idle_seconds: float = 60,
                 min_rate: int = 500):
        self.app = app
        self.json_max_bytes = json_max_bytes
        self.multipart_max_bytes = upload_max_bytes + MULTIPART_OVERHEAD
        self.idle_seconds = idle_seconds
        self.min_rate = min_rate

    def limit_for(self, headers: Headers) -> int:
        content_type = headers.get("content-type", "").lower()
        return self.multipart_max_bytes if content_type.startswith("multipart/") else self.json_max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        limit = self.limit_for(headers)
        length = headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await error_response(TooLarge(limit))(scope, receive, send)
            return

        received = 0
        exceeded = too_slow = body_done = False
        response_started = False
        waited = 0.0  # seconds spent waiting for the client's bytes (not the app's own pauses between reads)

        async def counting_receive() -> Message:
            nonlocal received, exceeded, too_slow, body_done, waited
            if exceeded:
                raise BodyTooLarge
            if too_slow:
                raise BodyTooSlow
            if body_done:  # e.g. a streamed response listening for the client going away: no deadline
                return await receive()
            asked = time.monotonic()
            try:
                with anyio.fail_after(self.idle_seconds):
                    message = await receive()
            except TimeoutError:
                too_slow = True
                raise BodyTooSlow from None
            waited += time.monotonic() - asked
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge
                if not body_done and waited > self.idle_seconds and received < waited * self.min_rate:
                    too_slow = True
                    raise BodyTooSlow
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if exceeded or too_slow:
                return  # whatever the app makes of the cut-off body (e.g. a 400), the answer is our 413 / 408
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not (exceeded or too_slow):
                raise
        if response_started:
            return
        if exceeded:
            await error_response(TooLarge(limit))(scope, receive, send)
        elif too_slow:
            await error_response(BodyTimeout(self.idle_seconds, self.min_rate))(scope, receive, send)
