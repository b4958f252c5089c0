"""SQLite writers of one process take turns through a lock of ours (app/core/db.py _WriterTurns).

Always on a SQLite file of its own, whatever database the suite runs on: the turns are SQLite's matter.
"""

import tempfile
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.core import db as core_db
from app.core.db import make_engine


@pytest.fixture
def engine():
    path = Path(tempfile.mkdtemp(prefix="xuncha-turns-")) / "t.db"
    engine = make_engine(f"sqlite:///{path}", pool_size=8)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")
    yield engine
    engine.dispose()


def writer(engine):
    return Session(engine.execution_options(sqlite_begin="BEGIN IMMEDIATE"))


def test_the_next_writer_starts_the_moment_the_one_before_commits(engine):
    """With SQLite's own retry a waiting writer slept up to 100 ms between tries, and with several waiting
    the lock was mostly free while they slept."""
    holding, started = threading.Event(), []

    def second():
        holding.wait(5)
        with writer(engine) as s:
            s.execute(text("INSERT INTO t VALUES (2)"))
            started.append(time.perf_counter())
            s.commit()

    thread = threading.Thread(target=second)
    thread.start()
    with writer(engine) as s:
        s.execute(text("INSERT INTO t VALUES (1)"))
        holding.set()
        time.sleep(0.3)  # the second writer is waiting by now
        s.commit()
        committed = time.perf_counter()
    thread.join(10)
    assert started and started[0] >= committed
    assert started[0] - committed < 0.05, f"woke {1000 * (started[0] - committed):.0f} ms after the commit"


def test_many_writers_all_get_their_turn_once(engine):
    def write(i):
        with writer(engine) as s:
            s.execute(text("INSERT INTO t VALUES (:n)"), {"n": i})
            s.commit()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 40


def test_the_turn_comes_back_after_a_rollback_an_error_or_a_close(engine):
    with writer(engine) as s:
        s.execute(text("INSERT INTO t VALUES (1)"))
        s.rollback()
    with writer(engine) as s:
        with pytest.raises(OperationalError):
            s.execute(text("INSERT INTO no_such_table VALUES (1)"))
    with writer(engine) as s:  # closed without commit or rollback: the pool's reset gives the turn back
        s.execute(text("INSERT INTO t VALUES (2)"))
    with writer(engine) as s:
        s.execute(text("INSERT INTO t VALUES (3)"))
        s.commit()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM t")).scalars().all() == [3]


def test_a_writer_waits_no_longer_than_sqlite_would_then_is_told_locked(engine, monkeypatch):
    monkeypatch.setattr(core_db, "SQLITE_BUSY_TIMEOUT_S", 0.2)
    with writer(engine) as holder:
        holder.execute(text("INSERT INTO t VALUES (1)"))
        result = []

        def late():
            try:
                with writer(engine) as s:
                    s.execute(text("INSERT INTO t VALUES (2)"))
            except OperationalError as exc:
                result.append(str(exc.orig))

        t = threading.Thread(target=late)
        t.start()
        t.join(5)
        assert result == ["database is locked"]
        holder.commit()
