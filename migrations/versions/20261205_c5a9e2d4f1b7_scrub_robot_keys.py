"""Robot keys out of stored errors: until this revision a failed delivery kept httpx's message, which names the
whole webhook URL (企业微信 ?key=, 钉钉 access_token and sign), in notification_deliveries.last_error (shown to
admins) and jobs.last_error. Mask them as app/notifications/delivery.py now does. Nothing to undo.

Revision ID: c5a9e2d4f1b7
Revises: b2e6f1a9c3d8
Create Date: 2026-12-05
"""
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlsplit

import sqlalchemy as sa
from alembic import op

revision: str = 'c5a9e2d4f1b7'
down_revision: str | None = 'b2e6f1a9c3d8'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _secrets(url: str | None, secret: str | None) -> set[str]:
    found = {url, secret}
    if url:
        query = urlsplit(url).query
        found |= {query, *(value for _, value in parse_qsl(query))}
    return {s for s in found if s and len(s) >= 4}


def _masked(text: str, secrets: list[str]) -> str:
    for secret in secrets:  # longest first: a whole URL before the key inside it
        text = text.replace(secret, "***")
    return text


def upgrade() -> None:
    conn = op.get_bind()
    by_channel = {cid: _secrets(url, secret) for cid, url, secret
                  in conn.execute(sa.text("SELECT id, url, secret FROM notification_channels"))}
    everyone = sorted(set().union(*by_channel.values()), key=len, reverse=True)
    if not everyone:
        return
    rows = conn.execute(sa.text("SELECT id, channel_id, last_error FROM notification_deliveries "
                                "WHERE last_error IS NOT NULL")).all()
    for delivery_id, channel_id, error in rows:
        masked = _masked(error, sorted(by_channel.get(channel_id, everyone), key=len, reverse=True))
        if masked != error:
            conn.execute(sa.text("UPDATE notification_deliveries SET last_error = :e WHERE id = :id"),
                         {"e": masked, "id": delivery_id})
    # A job's error does not name its channel; every channel's secrets are masked in it.
    for job_id, error in conn.execute(sa.text("SELECT id, last_error FROM jobs WHERE last_error IS NOT NULL")).all():
        masked = _masked(error, everyone)
        if masked != error:
            conn.execute(sa.text("UPDATE jobs SET last_error = :e WHERE id = :id"), {"e": masked, "id": job_id})


def downgrade() -> None:
    pass  # the keys are not brought back
