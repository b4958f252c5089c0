"""Settings, read from the environment with the XUNCHA_ prefix."""

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.core.headers import parse_sources

ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="XUNCHA_", env_file=".env", extra="ignore")

    database_url: str = f"sqlite:///{ROOT / 'data' / 'xuncha.db'}"
    media_dir: Path = ROOT / "data" / "media"
    frontend_dist: Path = ROOT / "frontend" / "dist"
    taxonomy_path: Path = ROOT / "app" / "categories" / "taxonomy.json"

    # Long enough for a day (and a night) of offline field work; revoke on a lost phone.
    token_lifetime_hours: int = 72
    login_max_failures: int = 5
    login_window_seconds: int = 300

    upload_max_bytes: int = 25 * 1024 * 1024
    upload_max_pixels: int = 64_000_000
    cjk_font_path: str | None = None

    timezone: str = "Asia/Shanghai"
    default_deadline_hours: int = 48
    # JSON of public holidays and make-up working days for working-day deadlines (none: Monday–Friday).
    working_calendar_path: Path | None = None
    duplicate_radius_m: float = 50.0

    # Where pages may load images from besides our own origin, blob: and data: (the Content-Security-
    # Policy's img-src): the map tile servers, as space- or comma-separated CSP sources.
    csp_img_sources: str = "https://tile.openstreetmap.org https://*.is.autonavi.com"

    @field_validator("csp_img_sources")
    @classmethod
    def _csp_sources(cls, value: str) -> str:
        parse_sources(value)  # refuse a bad value at start, not in every response
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
