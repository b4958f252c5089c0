"""The ticket-verifications migration backfills exactly the fact rows the app writes with each verification
(and moves with each change of unit): down, up, and the rows are the same."""

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text
from sqlmodel import Session

from app.categories import service as categories_service
from app.core.db import normalize_url
from tests.dbutil import ROOT, fresh_database_url, migrate
from tests.stats.cases import build_city
from tests.stats.test_verification_facts import STORED

BEFORE = "f3b8e1d2c7a4"


def _stored(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(STORED)).all()]


def test_backfill_matches_what_the_verifications_wrote():
    url = fresh_database_url("xuncha_ticket_verifications")
    migrate(url)
    engine = create_engine(normalize_url(url))
    with Session(engine) as db:
        categories_service.sync_taxonomy(db)
        db.commit()
        build_city(db)  # 15 verifications: passes, failures, a ticket failed twice
    written = _stored(engine)
    assert len(written) == 15
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("sqlalchemy.url", url)
    command.downgrade(cfg, BEFORE)
    with engine.connect() as conn:
        assert "ticket_verifications" not in inspect(conn).get_table_names()
    command.upgrade(cfg, "head")
    assert _stored(engine) == written
    engine.dispose()
