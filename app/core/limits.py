"""Request-body limits counted as the body streams in, with or without a Content-Length header.

A JSON (or form) body gets a small limit; a multipart upload the photo limit plus room for the form
fields. A declared Content-Length over the limit is refused before anything is read; a chunked body is
cut off as soon as it passes the limit. Either way the answer is 413 JSON with `Connection: close`, so
the server stops reading the rest.
"""

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import TooLarge
from app.core.http_errors import error_response

MULTIPART_OVERHEAD = 64 * 1024


class BodyTooLarge(Exception):
    pass


class BodySizeLimit:
    def __init__(self, app: ASGIApp, *, json_max_bytes: int, upload_max_bytes: int):
        self.app = app
        self.json_max_bytes = json_max_bytes
        self.multipart_max_bytes = upload_max_bytes + MULTIPART_OVERHEAD

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
        exceeded = False
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise BodyTooLarge
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if exceeded:
                return  # whatever the app makes of the cut-off body (e.g. a 400), the answer is our 413
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not response_started:
            await error_response(TooLarge(limit))(scope, receive, send)
