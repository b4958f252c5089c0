"""Engine and sessions: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL via psycopg 3."""

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from app.core.config import get_settings


def normalize_url(url: str) -> str:
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


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
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


def new_session(*, write: bool = False) -> Session:
    engine = get_engine()
    if write and engine.dialect.name == "sqlite":
        engine = engine.execution_options(sqlite_begin="BEGIN IMMEDIATE")
    return Session(engine, expire_on_commit=False)


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request; writers on SQLite take the write lock at BEGIN."""
    with new_session(write=request.method not in ("GET", "HEAD", "OPTIONS")) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
