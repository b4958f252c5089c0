"""The office-deadline migration backfills from the timeline exactly what the actions now write."""

from datetime import UTC

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlmodel import Session

from app.categories import service as categories_service
from app.core.db import normalize_url
from app.tickets.models import Ticket
from tests.dbutil import ROOT, fresh_database_url, migrate
from tests.stats.cases import build_city

BEFORE = "5c1e9a7d2b40"


def _state(engine) -> dict[str, tuple]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT case_number, office_deadline_at, closed_on_time FROM tickets")).all()
    return {r[0]: (_utc_minute(r[1]), None if r[2] is None else bool(r[2])) for r in rows}


def _utc_minute(v) -> str | None:
    """A stored time as UTC to the minute (SQLite answers naive UTC text, PostgreSQL an aware datetime)."""
    if v is None:
        return None
    if isinstance(v, str):
        return v[:16]
    return (v.astimezone(UTC) if v.tzinfo else v).strftime("%Y-%m-%d %H:%M")


def test_backfill_matches_what_the_actions_write():
    url = fresh_database_url("xuncha_office_deadline")
    migrate(url)
    engine = create_engine(normalize_url(url))
    with Session(engine) as db:
        categories_service.sync_taxonomy(db)
        db.commit()
        city = build_city(db)  # every kind of deadline change: 延期, 返工 (twice), 回退, 改派, 挂账, 作废
        numbers = {name: db.get(Ticket, tid).case_number for name, tid in city.tickets.items()}
    written = _state(engine)
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("sqlalchemy.url", url)
    command.downgrade(cfg, BEFORE)
    with engine.connect() as conn:
        old = dict(conn.execute(text("SELECT case_number, closed_on_time FROM tickets")).all())
    # The earlier meaning: t3 and t17 were "on time" against the deadline their last 返工 gave.
    assert bool(old[numbers["t3"]]) and bool(old[numbers["t17"]]) and not bool(old[numbers["t2"]])
    command.upgrade(cfg, "head")
    assert _state(engine) == written
    # By hand: t3 late against 10-08 11:00, t17 against 10-10 09:00; t5's office deadline is the extension's.
    assert written[numbers["t3"]][1] is False and written[numbers["t17"]][1] is False
    assert written[numbers["t1"]][1] is True and written[numbers["t6"]][1] is True
    assert written[numbers["t5"]][0] == "2030-01-30 16:00"  # 2030-01-31 00:00 local, the extension granted
    assert written[numbers["t3"]][0] == "2026-10-08 03:00"  # 10-08 11:00 local, the dispatch's (not the 返工's)
    assert written[numbers["t11"]][0] is None  # never dispatched
    engine.dispose()
