"""Trigram search over case number, description and address.

PostgreSQL: pg_trgm GIN indexes, which ILIKE '%q%' uses. SQLite: an FTS5 table with the trigram
tokenizer, external content (the tickets table), kept in step by triggers; only edits of the three
searched columns touch it. Both index Chinese text (substrings of three characters or more).

Neither object is in the SQLModel metadata (app.models.outside_models says so for autogenerate and
the schema test). A future SQLite batch migration that rebuilds `tickets` must rebuild the search
table too ('rebuild' command below).

Revision ID: f6995a3a224d
Revises: 97318b37d991
Create Date: 2026-11-21 13:36:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'f6995a3a224d'
down_revision: str | None = '97318b37d991'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("case_number", "description", "address")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in COLUMNS:
            op.execute(f"CREATE INDEX ix_tickets_{column}_trgm ON tickets USING gin ({column} gin_trgm_ops)")
        return
    cols = ", ".join(COLUMNS)
    new = ", ".join(f"new.{c}" for c in COLUMNS)
    old = ", ".join(f"old.{c}" for c in COLUMNS)
    op.execute(f"CREATE VIRTUAL TABLE tickets_search USING fts5({cols}, content='tickets', "
               "content_rowid='rowid', tokenize='trigram')")
    op.execute(f"CREATE TRIGGER tickets_search_insert AFTER INSERT ON tickets BEGIN "
               f"INSERT INTO tickets_search(rowid, {cols}) VALUES (new.rowid, {new}); END")
    op.execute(f"CREATE TRIGGER tickets_search_delete AFTER DELETE ON tickets BEGIN "
               f"INSERT INTO tickets_search(tickets_search, rowid, {cols}) VALUES ('delete', old.rowid, {old}); END")
    op.execute(f"CREATE TRIGGER tickets_search_update AFTER UPDATE OF {cols} ON tickets BEGIN "
               f"INSERT INTO tickets_search(tickets_search, rowid, {cols}) VALUES ('delete', old.rowid, {old}); "
               f"INSERT INTO tickets_search(rowid, {cols}) VALUES (new.rowid, {new}); END")
    op.execute("INSERT INTO tickets_search(tickets_search) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for column in COLUMNS:
            op.execute(f"DROP INDEX ix_tickets_{column}_trgm")
        return
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER tickets_search_{trigger}")
    op.execute("DROP TABLE tickets_search")
