"""bench/hotpath.py's floor: the ticket list's page, as the app answered it, through a bare FastAPI app.

The issue's floor for `GET /api/tickets` is "the same JSON through FastAPI and pydantic" plus the page's SQL:
this app is served by uvicorn exactly as the app is, and answers the page (read from the file named by
XUNCHA_BENCH_FLOOR_PAGE) through the same response model, from an `async def` route (no thread hop) and from a
plain `def` route (one hop, as every endpoint that touches the database takes).
"""

import os
from pathlib import Path

from fastapi import FastAPI

from app.tickets.schemas import TicketPage

PAGE = TicketPage.model_validate_json(Path(os.environ["XUNCHA_BENCH_FLOOR_PAGE"]).read_bytes())

app = FastAPI()


@app.get("/api/health")
async def health():
    return {"ok": True}


@app.get("/page/async", response_model=TicketPage)
async def page_async():
    return PAGE


@app.get("/page/sync", response_model=TicketPage)
def page_sync():
    return PAGE
