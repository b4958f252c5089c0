"""Red/black list rules, read from the environment (XUNCHA_STATS_…); query parameters override them."""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

from app.stats.schemas import RankRules


class StatsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="XUNCHA_STATS_", env_file=".env", extra="ignore")

    red_min_rate: float = 0.90
    red_top: int = 5
    black_max_rate: float = 0.85
    black_bottom: int = 3
    min_dispatched: int = 1

    def rules(self) -> RankRules:
        return RankRules(**self.model_dump())


@lru_cache
def get_stats_settings() -> StatsSettings:
    return StatsSettings()
