"""Security headers on every response, as a pure ASGI middleware (bodies pass through untouched).

The Content-Security-Policy backs up "user text is never HTML": even if some text slipped into the
page as markup, no inline script or event handler could run (script-src 'self', no 'unsafe-inline'),
nothing could be sent elsewhere (connect-src 'self') and the page cannot be framed. Styles may be inline:
Vant, ECharts and Leaflet set style attributes. Images: our own, blob:/data: (photos, printouts) and the
map tile servers of XUNCHA_CSP_IMG_SOURCES.
"""

import base64
import hashlib
import re
from collections.abc import Callable, Iterable

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# A CSP host source ("https://tile.openstreetmap.org", "https://*.is.autonavi.com:443") or a scheme
# ("https:"); nothing that could end a directive or start another.
_SOURCE = re.compile(r"[a-z][a-z0-9+.-]*:|([a-z][a-z0-9+.-]*://)?(\*\.)?[A-Za-z0-9.-]+(:(\d+|\*))?(/[^\s;,']*)?")

STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",  # no type sniffing of uploads
    "X-Frame-Options": "DENY",  # older browsers; frame-ancestors for the rest
    # Tile servers get our origin as the Referer (their usage policies ask for one), never a ticket's URL.
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def parse_sources(value: str) -> list[str]:
    """Space- or comma-separated CSP sources from a setting; raises ValueError on anything else."""
    sources = [s for s in re.split(r"[\s,]+", value.strip()) if s]
    bad = [s for s in sources if not _SOURCE.fullmatch(s)]
    if bad:
        raise ValueError(f"not a Content-Security-Policy source: {bad}")
    return sources


def content_security_policy(img_sources: Iterable[str] = (), script_hashes: Iterable[str] = ()) -> str:
    """The policy for the app's pages; `script_hashes` allow exact inline scripts (API docs only)."""
    script = " ".join(["'self'", *(f"'{h}'" for h in script_hashes)])
    directives = {
        "default-src": "'self'",
        "script-src": script,
        "style-src": "'self' 'unsafe-inline'",
        "img-src": " ".join(["'self'", "blob:", "data:", *img_sources]),
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "worker-src": "'self'",
        "manifest-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{k} {v}" for k, v in directives.items())


_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


def inline_script_hashes(html: str) -> list[str]:
    """CSP hashes ("sha256-…") of the inline <script> blocks of a fixed page."""
    return ["sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
            for body in _INLINE_SCRIPT.findall(html)]


class SecurityHeadersMiddleware:
    """Adds the static security headers and the CSP to every HTTP response that does not set its own."""

    def __init__(self, app: ASGIApp, *, csp: str | Callable[[], str]):
        self.app = app
        self.csp = csp if callable(csp) else (lambda: csp)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in STATIC_HEADERS.items():
                    headers.setdefault(name, value)
                headers.setdefault("Content-Security-Policy", self.csp())
            await send(message)

        await self.app(scope, receive, send_with_headers)
