"""The hours read beside the counts on connections of their own (app/core/db.py `aside`, app/stats/passes.py):
the same figures as read on the request's one connection, and the side connections really used. The hand-built
city is committed here (a second connection sees nothing of a test's outer transaction), so these tests run in
the committing mode."""

import threading
import time
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event, text
from sqlmodel import Session

from app.core import db as core_db
from app.core import load
from app.core.db import aside, get_engine, new_session
from app.core.types import clock_at, utcnow
from app.stats import service as stats
from app.stats.schemas import Scope
from tests.stats.cases import WEEK_ON, build_city
from tests.stats.test_metrics import _check

pytestmark = pytest.mark.commits


def _checkouts(engine):
    """Counts the connections handed out by the engine's pool while it is in use."""
    counted = []

    def on_checkout(*_):
        counted.append(1)
    event.listen(engine, "checkout", on_checkout)
    return counted, lambda: event.remove(engine, "checkout", on_checkout)


def test_percentiles_read_aside_match_the_ones_read_in_line(db):
    city = build_city(db)
    engine = get_engine()
    period = stats.resolve_period("week", on=date.fromisoformat(WEEK_ON))
    now = utcnow()
    counted, stop = _checkouts(engine)
    try:
        with Session(engine) as session:
            leader = session.get(type(city.users["leader"]), city.users["leader"].id)
            aside_read = stats.summary(session, leader, period, Scope(), now=now, with_breakdowns=True)
    finally:
        stop()
    with engine.connect() as connection, Session(connection) as session:  # one connection: nothing aside
        leader = session.get(type(city.users["leader"]), city.users["leader"].id)
        in_line = stats.summary(session, leader, period, Scope(), now=now, with_breakdowns=True)
    assert aside_read.model_dump() == in_line.model_dump()
    body = aside_read.model_dump(mode="json")
    _check(body["total"], "total")  # every hand-computed figure, hours included
    by_id = {u["unit_id"]: u for u in body["units"]}
    for key in ("A", "A1", "B", "C"):
        _check(by_id[city.units[key].id], key)
    # The request's own, and one each for the cohort's and the verifications' hours (PostgreSQL: their
    # percentiles; SQLite: their values, whose percentiles are computed here).
    assert len(counted) == 1 + core_db.ASIDE_READS


def test_a_write_request_reads_aside_without_waiting_for_its_own_write_lock(db):
    """Publishing a bulletin is a POST: on SQLite its session holds the write lock (BEGIN IMMEDIATE) and the
    process's writer turn from its first statement; the hours read beside it must not wait for them."""
    city = build_city(db)
    period = stats.resolve_period("week", on=date.fromisoformat(WEEK_ON))
    engine = get_engine()
    counted, stop = _checkouts(engine)
    try:
        with new_session(write=True) as session:
            session.execute(text("SELECT 1"))  # the write transaction has begun
            leader = session.get(type(city.users["leader"]), city.users["leader"].id)
            body = stats.summary(session, leader, period, Scope()).model_dump(mode="json")
    finally:
        stop()
    _check(body["total"], "total")
    assert len(counted) == 1 + core_db.ASIDE_READS


def test_aside_reads_on_another_connection_and_waits_for_it_on_an_error(db):
    engine = get_engine()
    pid = "SELECT pg_backend_pid()" if engine.dialect.name == "postgresql" else "SELECT 1"
    finished = threading.Event()

    def slow_read(connection):
        time.sleep(0.3)
        finished.set()
        return connection.execute(text(pid)).scalar_one()

    with Session(engine) as session:
        own = session.execute(text(pid)).scalar_one()
        with pytest.raises(RuntimeError), aside(session, slow_read) as result:
            assert result is not None
            raise RuntimeError("the request failed meanwhile")
        assert finished.is_set()  # the block was left only after the read ended
        with aside(session, lambda c: c.execute(text(pid)).scalar_one()) as result:
            other = result()
        if engine.dialect.name == "postgresql":
            assert other != own
        then = datetime(2026, 10, 7, 12, tzinfo=UTC)
        with clock_at(then), aside(session, lambda c: utcnow()) as result:  # the request's context goes along
            assert result() == then


def test_aside_is_not_taken_when_both_spares_are_busy_or_the_session_has_one_connection(db, monkeypatch):
    engine = get_engine()
    monkeypatch.setattr(load, "_in_flight", core_db.ASIDE_IN_FLIGHT + 1)
    with Session(engine) as session, aside(session, lambda c: 1) as busy:
        assert busy is None  # the process serves more requests than it has cores for: no second stream
    monkeypatch.setattr(load, "_in_flight", core_db.ASIDE_IN_FLIGHT)
    release = threading.Event()
    with Session(engine) as session, aside(session, lambda c: release.wait(5)) as first, \
            aside(session, lambda c: release.wait(5)) as second:
        assert first is not None and second is not None
        with aside(session, lambda c: 1) as third:
            assert third is None  # the request reads on its own connection instead
        release.set()
    with engine.connect() as connection, Session(connection) as session, aside(session, lambda c: 1) as bound:
        assert bound is None
