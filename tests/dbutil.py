"""Throw-away databases for tests: a temp SQLite file, or a fresh PostgreSQL database.

Set XUNCHA_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test to run on PostgreSQL.
"""

import os
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from app.core.db import normalize_url

ROOT = Path(__file__).resolve().parents[1]


def base_url() -> str | None:
    return os.environ.get("XUNCHA_TEST_DATABASE_URL")


def fresh_database_url(name: str) -> str:
    """An empty database for one test run: `name` picks the PostgreSQL database or SQLite file."""
    url = base_url()
    # Several checkouts on one machine (parallel work trees) keep their PostgreSQL databases apart.
    name += os.environ.get("XUNCHA_TEST_DB_SUFFIX", "")
    if url and url.startswith("postgres"):
        admin = create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        return normalize_url(url).rsplit("/", 1)[0] + f"/{name}"
    path = Path(tempfile.mkdtemp(prefix="xuncha-test-")) / f"{name}.db"
    return f"sqlite:///{path}"


def migrate(url: str, revision: str = "head") -> None:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, revision)
