"""The administration migration: up keeps every row and switches everything on (and backfills last logins from
the login record), down removes exactly what it added, up again works."""

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text

from app.core.db import normalize_url
from tests.dbutil import ROOT, fresh_database_url, migrate

BEFORE = "a88175e19409"


def test_up_down_up():
    url = fresh_database_url("xuncha_admin_migration")
    migrate(url, BEFORE)
    engine = create_engine(normalize_url(url))
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO units (name, kind, created_at) VALUES ('甲', 'street', '2026-12-01 00:00:00')"))
        conn.execute(text("INSERT INTO users (username, display_name, role, password_hash, is_active, created_at) "
                          "VALUES ('Xy01', 'x', 'inspector', 'h', true, '2026-12-01 00:00:00'), "
                          "('never', 'n', 'leader', 'h', true, '2026-12-01 00:00:00')"))
        conn.execute(text("INSERT INTO login_attempts (username, address, at, outcome) VALUES "
                          "('xy01', '1.2.3.4', '2026-12-02 08:00:00', 'ok'), "
                          "('xy01', '1.2.3.4', '2026-12-03 08:00:00', 'failed'), "
                          "('never', '1.2.3.4', '2026-12-03 09:00:00', 'failed')"))
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT is_active FROM units")).scalar_one() in (True, 1)
        logins = dict(conn.execute(text("SELECT username, last_login_at FROM users")).all())
        assert str(logins["Xy01"])[:16] == "2026-12-02 08:00" and logins["never"] is None
        conn.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
    command.downgrade(cfg, BEFORE)
    tables = set(inspect(engine).get_table_names())
    assert "audit_log" not in tables and "office_settings" not in tables
    assert "last_login_at" not in {c["name"] for c in inspect(engine).get_columns("users")}
    assert "is_active" not in {c["name"] for c in inspect(engine).get_columns("units")}
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM units")).scalar_one() == 1
    engine.dispose()
