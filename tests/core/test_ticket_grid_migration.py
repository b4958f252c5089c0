"""The ticket-grid migration backfills each ticket's grid exactly as tickets.actions assigns it at report."""

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlmodel import Session

from app.categories import service as categories_service
from app.core.db import normalize_url
from app.units import service as units_service
from app.users.roles import Role
from tests.conftest import make_unit, make_user
from tests.dbutil import ROOT, fresh_database_url, migrate
from tests.stats.cases import City, _Builder, at

BEFORE = "e4a7c9d2f810"


def _grids(engine) -> dict[str, int | None]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT description, grid_id FROM tickets")).all())


def test_backfill_matches_what_a_report_writes():
    url = fresh_database_url("xuncha_ticket_grid")
    migrate(url)
    engine = create_engine(normalize_url(url))
    with Session(engine) as db:
        categories_service.sync_taxonomy(db)
        unit = make_unit(db, "A 区", kind="district")
        square = {"type": "Polygon", "coordinates": [[[120.10, 30.20], [120.11, 30.20], [120.11, 30.21],
                                                      [120.10, 30.21], [120.10, 30.20]]]}
        inner = {"type": "Polygon", "coordinates": [[[120.102, 30.202], [120.104, 30.202], [120.104, 30.204],
                                                     [120.102, 30.204], [120.102, 30.202]]]}
        triangle = {"type": "Polygon", "coordinates": [[[120.11, 30.20], [120.12, 30.20], [120.12, 30.21],
                                                        [120.11, 30.20]]]}
        db.add_all([units_service.grid_from_geojson(n, unit.id, g)
                    for n, g in (("一", square), ("三", inner), ("二", triangle))])
        db.commit()
        city = City(units={"A": unit}, users={"inspector": make_user(db, Role.inspector)})
        b = _Builder(db, city)
        for name, lat, lng in (("inner", 30.203, 120.103), ("square", 30.208, 120.101), ("triangle", 30.201, 120.119),
                               ("box_only", 30.209, 120.111), ("far", 31.0, 121.0)):
            b.report(name, at(10, 6, 9), lat=lat, lng=lng)
        ids = {n: gid for n, gid in db.exec(text("SELECT name, id FROM grids")).all()}
    written = _grids(engine)
    assert written == {"inner 暴露垃圾": ids["三"], "square 暴露垃圾": ids["一"], "triangle 暴露垃圾": ids["二"],
                       "box_only 暴露垃圾": None, "far 暴露垃圾": None}
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("sqlalchemy.url", url)
    command.downgrade(cfg, BEFORE)
    with engine.connect() as conn:
        assert "grid_id" not in conn.execute(text("SELECT * FROM tickets")).keys()
    command.upgrade(cfg, "head")
    assert _grids(engine) == written
    engine.dispose()
