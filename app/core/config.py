"""Settings, read from the environment with the XUNCHA_ prefix."""

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic_settings import BaseSettings, SettingsConfigDict

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
    json_max_bytes: int = 1024 * 1024  # any request body that is not a multipart upload
    upload_max_pixels: int = 64_000_000
    cjk_font_path: str | None = None

    timezone: str = "Asia/Shanghai"
    default_deadline_hours: int = 48
    # JSON of public holidays and make-up working days for working-day deadlines (none: Monday–Friday).
    working_calendar_path: Path | None = None
    duplicate_radius_m: float = 50.0

    # Capacity (app/core/load.py): requests holding a database session at once (= the connection pool's
    # size; worker threads are this + 8), how long one waits for a slot, requests in flight before
    # shedding, and the Retry-After of a 503.
    db_slots: int = 24
    db_wait_seconds: float = 5.0
    max_in_flight: int = 256
    retry_after_seconds: int = 5

    @property
    def worker_threads(self) -> int:
        return self.db_slots + 8

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
