"""bench/hotpath.py's "request path": the app itself, answering the ticket list's page without listing.

The app as `make run` serves it (its middleware: request id, JSON access log, metrics, security headers, body
limits, load shedding), with one more route beside `GET /api/tickets` that takes the list's very path (its
query model, bearer token, database slot, worker thread, session and token lookup) but answers the page the list
answered this user's role (read once from `page-<role>.json` in the directory named by XUNCHA_BENCH_PAGES)
instead of querying: what a list request costs before its own work begins.
"""

import functools
import os
from pathlib import Path

from fastapi import APIRouter

from app.main import app
from app.tickets import router as tickets_router


@functools.cache
def page_for(role: str) -> bytes:
    return (Path(os.environ["XUNCHA_BENCH_PAGES"]) / f"page-{role}.json").read_bytes()


router = APIRouter()
router.get("/api/bench/page", response_model=tickets_router.TicketPage)(
    tickets_router.page_route(lambda session, user, **_: page_for(user.role)))
app.include_router(router)
# Ahead of the single-page app's catch-all route.
app.router.routes.insert(0, app.router.routes.pop())
