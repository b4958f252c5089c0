"""The migration that masks robot keys in errors stored before deliveries stopped keeping httpx's message
(c5a9e2d4f1b7): on a database with such rows, the keys are gone and every other word of the errors stays."""

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from app.core.db import normalize_url
from tests.dbutil import ROOT, fresh_database_url, migrate

BEFORE = "b2e6f1a9c3d8"
WECOM = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wecom-key-0123456789"
DINGTALK = "https://oapi.dingtalk.com/robot/send?access_token=ding-token-abcdef"


def test_stored_errors_lose_the_robots_keys_and_keep_the_rest():
    url = fresh_database_url("xuncha_scrub_keys")
    migrate(url, BEFORE)
    engine = create_engine(normalize_url(url))
    now = "'2026-12-04 00:00:00'"
    with engine.begin() as conn:
        for name, kind, hook, secret in (("群", "wecom", WECOM, None), ("钉", "dingtalk", DINGTALK, "SEC-sign-secret")):
            conn.execute(text("INSERT INTO notification_channels (name, kind, url, secret, phones, rate_per_minute, "
                              f"enabled, created_at, updated_at) VALUES (:n, :k, :u, :s, '[]', 20, true, {now}, "
                              f"{now})"), {"n": name, "k": kind, "u": hook, "s": secret})
        errors = [f"HTTPStatusError: Client error '404 Not Found' for url '{WECOM}'",
                  f"ConnectError: {DINGTALK}&timestamp=1&sign=x with SEC-sign-secret",
                  "ReadTimeout: timed out"]
        for i, (channel, error) in enumerate(zip((1, 2, 1), errors, strict=True)):
            conn.execute(text("INSERT INTO notification_deliveries (channel_id, key, kind, text, data, state, "
                              f"attempts, created_at, last_error) VALUES (:c, :key, 'dispatched', '消息', '{{}}', "
                              f"'failed', 5, {now}, :e)"), {"c": channel, "key": f"xc-{i}", "e": error})
        conn.execute(text("INSERT INTO jobs (kind, payload, state, run_after, attempts, max_attempts, last_error, "
                          f"created_at) VALUES ('deliver', '{{}}', 'failed', {now}, 5, 5, :e, {now})"),
                     {"e": f"Traceback …\nhttpx.HTTPStatusError: for url '{WECOM}'"})
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("sqlalchemy.url", url)
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        stored = [e for (e,) in conn.execute(text("SELECT last_error FROM notification_deliveries ORDER BY key"))]
        job_error = conn.execute(text("SELECT last_error FROM jobs")).scalar_one()
    assert stored == ["HTTPStatusError: Client error '404 Not Found' for url '***'",
                      "ConnectError: ***&timestamp=1&sign=x with ***",
                      "ReadTimeout: timed out"]
    assert job_error == "Traceback …\nhttpx.HTTPStatusError: for url '***'"
    for secret in ("wecom-key-0123456789", "ding-token-abcdef", "SEC-sign-secret"):
        assert all(secret not in e for e in [*stored, job_error])
    command.downgrade(cfg, BEFORE)
    command.upgrade(cfg, "head")
    engine.dispose()
