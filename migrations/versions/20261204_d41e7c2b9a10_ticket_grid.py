"""ticket grid: the grid (网格) a ticket was reported in, kept as it was when grids are redrawn; statistics by grid

Revision ID: d41e7c2b9a10
Revises: e4a7c9d2f810
Create Date: 2026-12-04 15:40:00
"""
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from shapely.geometry import Point, shape

revision: str = 'd41e7c2b9a10'
down_revision: str | None = 'e4a7c9d2f810'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000


def upgrade() -> None:
    # No foreign key: the grid a ticket was found in is history (app/tickets/models.py), and a plain ADD/DROP
    # COLUMN keeps SQLite from copying the tickets table (which would break the keys pointing at it).
    op.add_column('tickets', sa.Column('grid_id', sa.Integer(), nullable=True))
    _backfill(op.get_bind())


def _backfill(conn) -> None:
    """Each ticket's grid as tickets.actions assigns it: the smallest active grid whose polygon covers the point
    (the bounding box first, then the exact test)."""
    grids = [(row.id, shape(_json(row.geometry)), row) for row in conn.execute(sa.text(
        "SELECT id, geometry, min_lat, max_lat, min_lng, max_lng FROM grids WHERE is_active = :on"), {"on": True})]
    best: dict = {}
    for gid, poly, g in sorted(grids, key=lambda x: -x[1].area):  # smaller grids overwrite larger ones
        rows = conn.execute(sa.text(
            "SELECT id, lat, lng FROM tickets WHERE lat BETWEEN :a AND :b AND lng BETWEEN :c AND :d"),
            {"a": g.min_lat, "b": g.max_lat, "c": g.min_lng, "d": g.max_lng})
        for t in rows:
            if poly.covers(Point(t.lng, t.lat)):
                best[t.id] = gid
    items = list(best.items())
    for i in range(0, len(items), BATCH):
        conn.execute(sa.text("UPDATE tickets SET grid_id = :g WHERE id = :t"),
                     [{"g": g, "t": t} for t, g in items[i:i + BATCH]])


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def downgrade() -> None:
    op.drop_column('tickets', 'grid_id')
