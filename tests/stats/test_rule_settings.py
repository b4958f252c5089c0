"""The environment's red/black list rules (XUNCHA_STATS_…) are bounded as the office's: one out of range stops the
app at start, naming the variable, instead of failing every ranking later."""

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.main import create_app
from app.stats.settings import StatsSettings, get_stats_settings


@pytest.fixture
def stats_env(monkeypatch):
    def set_env(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setenv(f"XUNCHA_STATS_{name.upper()}", value)
        get_stats_settings.cache_clear()
    yield set_env
    monkeypatch.undo()
    get_stats_settings.cache_clear()


@pytest.mark.parametrize("name,value", [("red_top", str(2 ** 70)), ("black_bottom", "10001"),
                                        ("min_dispatched", "0"), ("red_min_rate", "1.5"), ("black_max_rate", "-0.1")])
def test_a_rule_out_of_range_stops_the_app_at_start(stats_env, name, value):
    stats_env(**{name: value})
    with pytest.raises(ValidationError, match=name):
        StatsSettings()
    with pytest.raises(ValidationError, match=name), TestClient(create_app()):
        pass


def test_rules_in_range_are_the_rankings_rules(stats_env):
    stats_env(red_top="10000", min_dispatched="1000000", red_min_rate="1")
    rules = get_stats_settings().rules()
    assert (rules.red_top, rules.min_dispatched, rules.red_min_rate) == (10_000, 1_000_000, 1.0)
