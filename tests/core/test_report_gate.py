"""Exports take turns (XUNCHA_REPORT_SLOTS): two dozen heavy workbooks held every database slot for half a minute
each and the city's lists answered 503 meanwhile. Beyond the report slots an export waits its turn, then is told to
come back, while the reads go on."""

import asyncio
import time

import httpx
import pytest

from app.core.config import get_settings
from app.core.db import get_report_gate
from app.stats import exports
from app.users.roles import Role
from tests.conftest import login, make_user
from tests.core.test_database_gate import run_in_own_thread

EXPORTS = ["/api/stats/bulletin.xlsx", "/api/stats/bulletin.html", "/api/exceptions.xlsx"]


@pytest.fixture
def one_report_slot(monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "report_slots", 1)
    monkeypatch.setattr(settings, "report_wait_seconds", 0.3)
    get_report_gate.cache_clear()
    yield
    get_report_gate.cache_clear()


@pytest.mark.parametrize("second", EXPORTS)
def test_an_export_beyond_the_report_slots_is_told_to_come_back_and_reads_go_on(client, db, monkeypatch,
                                                                                one_report_slot, second):
    headers = login(client, make_user(db, Role.leader))
    real = exports.bulletin_xlsx

    def slow(*args, **kwargs):
        time.sleep(1.2)  # a year-long workbook of a big city
        return real(*args, **kwargs)

    monkeypatch.setattr(exports, "bulletin_xlsx", slow)
    answers = {}

    async def main():
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://city", timeout=30) as c:
            first = asyncio.ensure_future(c.get("/api/stats/bulletin.xlsx", headers=headers))
            await asyncio.sleep(0.4)  # the first holds the one report slot
            answers["second"] = await c.get(second, headers=headers)
            answers["list"] = await c.get("/api/tickets", headers=headers)
            answers["first"] = await first
            answers["after"] = await c.get(second, headers=headers)

    run_in_own_thread(main)
    assert answers["first"].status_code == 200
    assert answers["second"].status_code == 503 and answers["second"].headers["retry-after"]
    assert answers["second"].json()["error"]["code"] == "overloaded"
    assert answers["list"].status_code == 200
    assert answers["after"].status_code == 200  # its turn came
