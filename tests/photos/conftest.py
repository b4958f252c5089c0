"""Photo processing and storage are pure: these tests need no database, so skip the suite's DB fixtures."""

import pytest


@pytest.fixture(scope="session")
def database():
    """No database for pure photo tests (overrides the autouse one in tests/conftest.py)."""


@pytest.fixture
def _clean():
    """Nothing to clean between pure photo tests."""
