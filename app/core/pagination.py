"""Keyset pagination over (time, id): a page starts after the last row of the one before, so rows that
arrive meanwhile never shift or repeat a page, and no page costs an OFFSET scan."""

import base64
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, literal, or_
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.core.errors import invalid_query
from app.core.types import UTCDateTime, is_plausible


def encode_cursor(value: datetime, row_id: uuid.UUID | int) -> str:
    """An opaque cursor for the row with this (time, id); the id is a UUID or an integer key."""
    raw = json.dumps([value.isoformat(), row_id if isinstance(row_id, int) else str(row_id)]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, id_type: type = uuid.UUID) -> tuple[datetime, Any]:
    """The (time, id) an encode_cursor made; anything else, e.g. a naive or absurd time or an id of another
    type than `id_type` (uuid.UUID or int), is 422 invalid_cursor."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value, row_id = json.loads(raw)
        at = datetime.fromisoformat(value)
        if id_type is int:
            # Integer keys are PostgreSQL INTEGERs: a larger id is out of range there, not merely absent.
            if type(row_id) is not int or not -2**31 <= row_id < 2**31:
                raise ValueError(row_id)
        else:
            row_id = uuid.UUID(row_id)
    except (ValueError, TypeError, AttributeError):
        at = None
    if at is None or not is_plausible(at):
        raise invalid_query("cursor", "分页游标无效 Invalid cursor", "invalid_cursor")
    return at, row_id


def page(session: Session, stmt: Select, key: InstrumentedAttribute, id_column: InstrumentedAttribute, *,
         desc: bool, limit: int, cursor: str | None, id_type: type = uuid.UUID) -> tuple[list[Any], str | None]:
    """One page of what `stmt` selects, ordered by (key, id), and the next page's cursor (None: last): the
    entities when it selects one entity, else rows: rows whose first element is the entity (e.g. with its
    names), or rows of columns that include the key and id columns by their names.

    `key` is a UTCDateTime column that is never NULL in the rows selected; `id_type` is the id column's
    Python type (uuid.UUID or int).
    """
    if cursor:
        value, row_id = decode_cursor(cursor, id_type)
        bound = literal(value, UTCDateTime)  # typed, so SQLite compares it in the column's stored form
        stmt = stmt.where(or_(key < bound, and_(key == bound, id_column < row_id)) if desc
                          else or_(key > bound, and_(key == bound, id_column > row_id)))
    order = [key.desc(), id_column.desc()] if desc else [key.asc(), id_column.asc()]
    rows: list[Any] = list(session.execute(stmt.order_by(*order).limit(limit + 1)).all())
    # One thing selected: the things themselves (reading stmt.column_descriptions to know cost more than this).
    single = bool(rows) and len(rows[0]) == 1
    if single:
        rows = [row[0] for row in rows]
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    if not single and not hasattr(last, id_column.key):
        last = last[0]
    return rows, encode_cursor(getattr(last, key.key), getattr(last, id_column.key))
