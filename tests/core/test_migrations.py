"""Alembic is the only source of the schema: migrations build exactly the models' schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect
from sqlmodel import SQLModel

from app.core.db import normalize_url
from app.models import outside_models
from tests.dbutil import fresh_database_url, migrate


def test_migrations_match_models():
    url = fresh_database_url("xuncha_migrations")
    migrate(url)
    engine = create_engine(normalize_url(url))
    with engine.connect() as conn:
        opts = {"compare_type": True, "include_object": outside_models}
        diff = compare_metadata(MigrationContext.configure(conn, opts=opts), SQLModel.metadata)
        tables = set(inspect(conn).get_table_names())
    engine.dispose()
    assert diff == []
    assert {t.name for t in SQLModel.metadata.sorted_tables} <= tables


def test_sqlite_pragmas(database):
    if database.dialect.name != "sqlite":
        return
    with database.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        # Short: a writer waiting longer answers 503 + Retry-After rather than holding its request (issue 7).
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
