import pytest
from sqlmodel import Session, select

from app.categories import service as categories_service
from app.categories.models import Category


@pytest.fixture(autouse=True)
def _taxonomy(database):
    # On PostgreSQL the shared clean-up's TRUNCATE units … CASCADE also empties categories (their
    # default_unit_id refers to units); put the taxonomy back before each statistics test.
    with Session(database) as s:
        if s.exec(select(Category).limit(1)).first() is None:
            categories_service.sync_taxonomy(s)
            s.commit()
