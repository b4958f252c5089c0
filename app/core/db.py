"""Engine and sessions: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL via psycopg 3."""

import contextvars
import functools
import inspect
import math
import os
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio.to_thread
from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, create_engine

from app.core.config import get_settings
from app.core.errors import Conflict
from app.core.load import DatabaseGate, in_flight

# The pool has a connection for every request slot (see app/core/load.py), so a request never waits for one;
# the overflow serves what runs outside requests (CLI, seeding). A pool that is empty anyway answers 503
# after POOL_TIMEOUT_S rather than holding the request.
POOL_OVERFLOW = 4
POOL_TIMEOUT_S = 5
# At most two reads per process run beside their requests at a time, each on a connection of its own (`aside`).
# Those connections come from the pool's overflow, made larger by as many, so the request slots keep theirs;
# when both are busy a request reads on its own connection, as it would without them. Only while the process
# serves at most ASIDE_IN_FLIGHT requests: when more keep the cores busy anyway, a second stream of work adds
# its connection and thread hand-offs and finishes nothing sooner.
ASIDE_READS = 2
ASIDE_IN_FLIGHT = max(1, (os.cpu_count() or 2) // 2)
# How long a writer waits for SQLite's write lock; past it the request answers 503 (retry later).
SQLITE_BUSY_TIMEOUT_S = 5
# How long opening a PostgreSQL connection may take (libpq's connect_timeout: TCP, TLS and the start-up
# exchange). Without it a database that accepts connections and never answers holds the app at start (the
# office settings are read there) and every request that needs a new connection, for as long as TCP allows.
PG_CONNECT_TIMEOUT_S = 5


def normalize_url(url: str) -> str:
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, *, pool_size: int | None = None) -> Engine:
    url = normalize_url(url)
    pool = {"pool_size": pool_size or get_settings().db_slots, "max_overflow": POOL_OVERFLOW + ASIDE_READS,
            "pool_timeout": POOL_TIMEOUT_S}
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_S},
                               **pool)
        _configure_sqlite(engine)
        return engine
    # JIT off: the statistics' grouped passes over a month or a year of tickets cost enough for PostgreSQL to
    # JIT-compile them, and the compilation (inlining and optimising ~25 functions) took 1.7 s of a 2 s query
    # that runs in 0.25 s without it (1 M tickets). No query here runs long enough to win that back.
    return create_engine(url, pool_pre_ping=True,
                         connect_args={"options": "-c jit=off", "connect_timeout": PG_CONNECT_TIMEOUT_S}, **pool)


def _null_safe(fn: Callable[[float], float]) -> Callable[[float | None], float | None]:
    return lambda x: None if x is None else fn(x)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy emit BEGIN itself so writers can take the lock up front (BEGIN IMMEDIATE):
        # a deferred transaction that reads, then writes, fails at once with "database is locked"
        # when another writer got in between, instead of waiting for the busy timeout.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        # FULL: a commit is on disk before the app answers. With NORMAL a power cut could lose the last commits
        # of the WAL, yet the phone had deleted its copy on the 201 and the photo files were already fsynced.
        # One fsync a commit: 0.27 ms here (NORMAL 0.02), a fraction of any write request.
        cur.execute("PRAGMA synchronous=FULL")
        try:  # SQLite's math functions (app/tickets/duplicates.py measures distances with them) ...
            cur.execute("SELECT asin(sqrt(sin(radians(1)) * cos(1)))")
        except sqlite3.OperationalError:  # ... are a compile-time option: where they are missing, Python's
            for name, fn in (("asin", math.asin), ("sqrt", math.sqrt), ("sin", math.sin), ("cos", math.cos),
                             ("radians", math.radians)):
                dbapi_conn.create_function(name, 1, _null_safe(fn), deterministic=True)
        cur.close()

    writer = _WriterTurns(engine)

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        begin = conn.get_execution_options().get("sqlite_begin", "BEGIN")
        if begin == "BEGIN IMMEDIATE":
            writer.take(conn.connection.dbapi_connection)
        conn.exec_driver_sql(begin)


class _WriterTurns:
    """The process's writers take turns on SQLite's write lock through a lock of our own.

    SQLite makes a writer that finds the lock taken sleep and retry (1, 2, 5 … 100 ms apart): with ten
    writers waiting, the lock was mostly free while they all slept, and a shift start's writes crawled
    (threads stuck in BEGIN IMMEDIATE, the server two-thirds idle). A thread waiting here is woken the
    moment the writer before it commits or rolls back. Other processes (the CLI, a second app process)
    still meet at SQLite's own lock. The turn is given back after the COMMIT or ROLLBACK has run, by
    wrapping the dialect's do_commit / do_rollback (a pool's reset on return is a rollback too), and
    when a connection is closed or invalidated.
    """

    def __init__(self, engine: Engine):
        self._lock = threading.Lock()
        self._holder: int | None = None  # id() of the DBAPI connection whose transaction holds the turn
        dialect = engine.dialect
        real_commit, real_rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(dbapi_conn):
            real_commit(dbapi_conn)
            self.give_back(dbapi_conn)

        def do_rollback(dbapi_conn):
            try:
                real_rollback(dbapi_conn)
            finally:
                self.give_back(dbapi_conn)

        dialect.do_commit, dialect.do_rollback = do_commit, do_rollback
        event.listen(engine, "close", lambda dbapi_conn, _record: self.give_back(dbapi_conn))
        event.listen(engine, "invalidate", lambda dbapi_conn, _record, _exc: self.give_back(dbapi_conn))

    def take(self, dbapi_conn) -> None:
        if not self._lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_S):
            # What SQLite itself answers after its busy timeout: the request answers 503 (app/core/http_errors).
            raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
        self._holder = id(dbapi_conn)

    def give_back(self, dbapi_conn) -> None:
        # The dialect is handed the pool's proxy of the connection, the pool events the connection itself.
        dbapi_conn = getattr(dbapi_conn, "dbapi_connection", dbapi_conn)
        if self._holder is not None and self._holder == id(dbapi_conn):
            self._holder = None
            self._lock.release()


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


# Set by the tests only (tests/conftest.py): every session joins this connection's outer transaction with
# SAVEPOINTs, and the test rolls it back at the end instead of deleting what it wrote.
# (A plain global, not a context variable: the app runs on the test client's own thread and loop.)
_test_connection: Connection | None = None


@contextmanager
def sessions_bound_to(connection: Connection) -> Iterator[None]:
    global _test_connection
    _test_connection = connection
    try:
        yield
    finally:
        _test_connection = None


T = TypeVar("T")
_spare = threading.BoundedSemaphore(ASIDE_READS)
_spare_threads = ThreadPoolExecutor(max_workers=ASIDE_READS, thread_name_prefix="db-aside")


@contextmanager
def aside(session: Session, read: Callable[[Connection], T]) -> Iterator[Callable[[], T] | None]:
    """Run `read` on another connection of the session's engine, in another thread, while the caller goes on
    with its own queries; yields a function that waits for `read` and returns its result. Yields None (the
    caller then reads itself) when both spare connections are busy, when the process is busy (ASIDE_IN_FLIGHT),
    or when the session is bound to one connection (the tests' outer transaction, whose rows another connection
    would not see).

    `read` sees what is committed (its own transaction, READ COMMITTED as every request's): only for reads that
    do not depend on the session's uncommitted writes. Leaving the block waits for `read`, also on an error."""
    # A write request's session on SQLite begins with BEGIN IMMEDIATE, under the process's writer turn: a read
    # beside it takes the plain engine, or it would wait for the write lock its own request holds.
    bind = session.info.get("read_bind") or session.get_bind()
    if (not isinstance(bind, Engine) or in_flight() > ASIDE_IN_FLIGHT
            or not _spare.acquire(blocking=False)):
        yield None
        return

    def run() -> T:
        try:
            with bind.connect() as connection:
                return read(connection)
        finally:
            _spare.release()

    try:
        # In the request's context: its request id in any log line, its frozen clock (app/core/types.py).
        future = _spare_threads.submit(contextvars.copy_context().run, run)
    except BaseException:
        _spare.release()
        raise
    try:
        yield future.result
    finally:
        wait([future])


def new_session(*, write: bool = False) -> Session:
    if (connection := _test_connection) is not None:
        return Session(connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
    engine = get_engine()
    if write and engine.dialect.name == "sqlite":
        session = Session(engine.execution_options(sqlite_begin="BEGIN IMMEDIATE"), expire_on_commit=False)
        session.info["read_bind"] = engine
        return session
    return Session(engine, expire_on_commit=False)


def commit_writes(session: Session) -> None:
    """Commit a write request's changes now and read on without the write lock: a write endpoint builds its
    answer (a ticket's whole detail: photos, timeline, possible duplicates) after its writes are committed,
    so on SQLite the lock is held for the writes alone. The request's transaction ends here: an error
    afterwards leaves the writes in place, and the client's resend is answered as a replay.

    Only a request's session commits early; any other caller (a job handler, whose job is marked done in
    the same transaction; a test) keeps its one transaction and merely flushes."""
    if not session.info.get("request"):
        session.flush()
        return
    session.commit()
    if (read_bind := session.info.pop("read_bind", None)) is not None:
        session.bind = read_bind


@lru_cache
def get_gate() -> DatabaseGate:
    settings = get_settings()
    return DatabaseGate(slots=settings.db_slots, wait_seconds=settings.db_wait_seconds,
                        retry_after=settings.retry_after_seconds)


async def database_slot() -> AsyncIterator[None]:
    """Held from before a request's first query until after its session is closed (503 when none is free)."""
    async with get_gate().slot():
        yield


DatabaseSlot = Annotated[None, Depends(database_slot)]


@lru_cache
def get_report_gate() -> DatabaseGate:
    settings = get_settings()
    return DatabaseGate(slots=settings.report_slots, wait_seconds=settings.report_wait_seconds,
                        retry_after=settings.retry_after_seconds)


async def report_slot() -> AsyncIterator[None]:
    """An export's turn (XUNCHA_REPORT_SLOTS at once), taken before its database slot: a few heavy workbooks
    wait for each other instead of taking every slot from the city's reads. First among a route's dependencies."""
    async with get_report_gate().slot():
        yield


ReportSlot = Depends(report_slot)


async def get_session(request: Request, _: DatabaseSlot) -> AsyncIterator[Session]:
    """One transaction per request; services only flush, and any exception rolls it back.

    The commit runs in the endpoint's own worker thread, right after it returned (`TransactionRoute`),
    so a SQLite writer holds the write lock for its endpoint only. Committing here, in the dependency's
    exit, cost a hop back through the thread pool with the lock held: under load the hop queued behind
    every other request, and writers waiting for the lock answered 503 seven times as often. The commit
    still precedes the response: a client never gets a 2xx for a transaction that failed to commit (the
    error handlers answer instead, e.g. 503 when SQLite stayed locked).

    This dependency itself runs on the event loop (creating a session does no I/O) and only closes the
    session, which after the endpoint's commit or rollback touches no database; a session the endpoint
    did not commit (an endpoint outside TransactionRoute) is committed here in a worker thread, as before.
    Writers on SQLite take the write lock at their first statement (BEGIN IMMEDIATE). The caller's token
    is looked up before, in a read of its own (app/auth/deps.py).
    """
    session = new_session(write=request.method not in ("GET", "HEAD", "OPTIONS"))
    session.info["request"] = True
    try:
        try:
            yield session
        except BaseException:
            await anyio.to_thread.run_sync(session.rollback)
            raise
        if session.in_transaction():
            await anyio.to_thread.run_sync(session.commit)
    finally:
        session.close()


# scope="function": the exit runs right after the endpoint, before the response is sent (the default scope
# exits after sending, when a failed commit could no longer change the answer).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


class TransactionRoute(APIRoute):
    """A route whose sync endpoint commits the request's session in its own thread as it returns."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any):
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = _committing(endpoint)
        super().__init__(path, endpoint, **kwargs)


def _committing(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(endpoint)  # FastAPI reads the parameters through __wrapped__
    def run(*args: Any, **kwargs: Any) -> Any:
        result = endpoint(*args, **kwargs)
        for value in kwargs.values():
            if isinstance(value, Session):
                value.commit()
        return result

    return run


@contextmanager
def conflict_on_duplicate(session: Session, message: str, code: str) -> Iterator[None]:
    """Flush what the block adds inside a SAVEPOINT: a unique constraint that a concurrent request won (two
    admins creating the same name at once) is 409 instead of a 500, and the request's transaction goes on."""
    try:
        with session.begin_nested():
            yield
            session.flush()
    except IntegrityError:
        raise Conflict(message, code=code) from None
