"""The settings/subscriptions migration (d41c7e9a2b10) goes down and up again with data in place: the earlier
tables and deliveries keep their rows, the new ones start empty."""

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text

from app.core.db import normalize_url
from tests.dbutil import ROOT, fresh_database_url, migrate

BEFORE = "d41e7c2b9a10"


def test_downgrade_and_upgrade_keep_the_outbox():
    url = fresh_database_url("xuncha_notify_migration")
    migrate(url, BEFORE)
    engine = create_engine(normalize_url(url))
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO notification_channels (name, kind, url, phones, rate_per_minute, enabled, "
                          "created_at, updated_at) VALUES ('群', 'webhook', 'http://x/y', '[]', 20, true, "
                          "'2026-12-04 00:00:00', '2026-12-04 00:00:00')"))
        conn.execute(text("INSERT INTO notification_deliveries (channel_id, key, kind, text, data, state, attempts, "
                          "created_at) VALUES (1, 'xc-1', 'dispatched', '消息', '{}', 'sent', 1, '2026-12-04 00:00:00')"))
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("notification_deliveries")}
        assert "subscription_id" in columns
        assert conn.execute(text("SELECT key, subscription_id FROM notification_deliveries")).all() == [("xc-1", None)]
        assert conn.execute(text("SELECT count(*) FROM notification_settings")).scalar() == 0
    command.downgrade(cfg, BEFORE)
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        assert "notification_subscriptions" not in tables and "notification_settings" not in tables
        assert "subscription_id" not in {c["name"] for c in inspect(conn).get_columns("notification_deliveries")}
        assert conn.execute(text("SELECT key FROM notification_deliveries")).all() == [("xc-1",)]
    command.upgrade(cfg, "head")
    engine.dispose()
