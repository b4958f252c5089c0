"""Red/black list rules and the set times of 按时派遣 / 按时核查, read from the environment (XUNCHA_STATS_…);
query parameters override the rules."""

from functools import lru_cache

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.config import office
from app.stats.schemas import MAX_MIN_DISPATCHED, MAX_RANK_PLACES, RankRules


class StatsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="XUNCHA_STATS_", env_file=".env", extra="ignore")

    # Bounded as RankRules is (a value out of range stops the app at start, naming the variable, instead of
    # failing every ranking).
    red_min_rate: float = Field(0.90, ge=0, le=1)
    red_top: int = Field(5, ge=0, le=MAX_RANK_PLACES)
    black_max_rate: float = Field(0.85, ge=0, le=1)
    black_bottom: int = Field(3, ge=0, le=MAX_RANK_PLACES)
    min_dispatched: int = Field(1, ge=1, le=MAX_MIN_DISPATCHED)
    # 按时派遣: first dispatched within this many clock hours of the report; 按时核查: verified within this many
    # clock hours of the rectification it judges.
    dispatch_within_hours: float = Field(2.0, gt=0)
    verify_within_hours: float = Field(24.0, gt=0)

    def rules(self) -> RankRules:
        return RankRules(**self.model_dump(include=set(RankRules.model_fields)))


@lru_cache
def get_stats_settings() -> StatsSettings:
    return StatsSettings()


def office_rules() -> RankRules:
    """The red/black list rules in force: the office's (admin API, app/config/office.py) over the environment's."""
    stored = office.get(None, office.RANK_RULES) or {}
    base = get_stats_settings().rules()
    try:
        return RankRules.model_validate(base.model_dump() | {k: v for k, v in stored.items()
                                                             if k in RankRules.model_fields})
    except ValidationError:  # stored before the admin API bounded them: the environment's rules apply
        return base
