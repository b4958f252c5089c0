import pytest

from tests.dbutil import fresh_database_url
from tests.load.server import live_server, seed


@pytest.fixture(scope="module")
def city_server(tmp_path_factory):
    """A real uvicorn process over a fresh, seeded database (SQLite, or PostgreSQL in the second pass)."""
    url = fresh_database_url("xuncha_load")
    city = seed(url)
    with live_server(url, tmp_path_factory.mktemp("load")) as server:
        yield server, city
