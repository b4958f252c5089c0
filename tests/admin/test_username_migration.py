"""The case-insensitive username migration: accounts that already differ only by case stop it with their names and
change nothing; without them, up makes `Li` beside `li` impossible, down allows it again, up again works."""

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError

from app.core.db import normalize_url
from tests.dbutil import ROOT, fresh_database_url, migrate

BEFORE = "a3d5f7b9c1e2"


def _add(conn, *names: str) -> None:
    for name in names:
        conn.execute(text("INSERT INTO users (username, display_name, role, password_hash, is_active, created_at) "
                          "VALUES (:n, 'x', 'inspector', 'h', true, '2026-12-01 00:00:00')"), {"n": name})


def test_clashes_stop_the_upgrade_then_up_down_up():
    url = fresh_database_url("xuncha_username_migration")
    migrate(url, BEFORE)
    engine = create_engine(normalize_url(url))
    with engine.begin() as conn:
        _add(conn, "Li", "li", "LI", "wang", "Zhao", "zhao")
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("sqlalchemy.url", url)
    with pytest.raises(RuntimeError) as refused:
        command.upgrade(cfg, "head")
    assert "li (3), zhao (2)" in str(refused.value) and "wang" not in str(refused.value)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == BEFORE
        assert conn.execute(text("SELECT count(*) FROM users")).scalar_one() == 6

    with engine.begin() as conn:
        conn.execute(text("DELETE FROM users WHERE username IN ('li', 'LI', 'zhao')"))
    command.upgrade(cfg, "head")
    for clash in ("WANG", "lI", "ZHAO"):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            _add(conn, clash)
    with engine.begin() as conn:
        _add(conn, "wang2")

    command.downgrade(cfg, BEFORE)
    with engine.begin() as conn:
        _add(conn, "WANG")  # allowed again: the index is gone
        conn.execute(text("DELETE FROM users WHERE username = 'WANG'"))
    command.upgrade(cfg, "head")
    with pytest.raises(IntegrityError), engine.begin() as conn:
        _add(conn, "WANG")
    engine.dispose()
