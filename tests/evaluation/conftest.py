"""Evaluation fixtures: the seeded checklists and plain factories for sites and rounds."""

import pytest

from app.evaluation import checklists
from app.evaluation.models import EvalSite


@pytest.fixture
def seeded(db):
    """Version 1 of every site type's checklist, as the demo seed and `app.cli seed-checklists` make them."""
    assert checklists.seed(db) == 9
    db.commit()
    return checklists.current(db)


def make_site(db, unit, site_type: str = "farmers_market", **kw) -> EvalSite:
    fields = {"name": f"{site_type}-点位", "lat": 30.27, "lng": 120.15, "address": "示例路 1 号"} | kw
    site = EvalSite(site_type=site_type, unit_id=unit.id, **fields)
    db.add(site)
    db.commit()
    return site
