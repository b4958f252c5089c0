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
    # Failed logins per window: per account (so it cannot be guessed at) and per client address (large,
    # so an office behind one NAT is not locked out by one person's typos). See app/auth/ratelimit.py.
    login_max_failures: int = 5
    login_window_seconds: int = 300
    login_max_failures_per_address: int = 100
    # An account that logged in from an address within this many days ignores that address's limit.
    login_known_address_days: int = 30
    # Proxies whose X-Forwarded-For is believed (comma-separated IPs or networks, for uvicorn's
    # --forwarded-allow-ips; `make run` passes it). None by default: the peer address is the client.
    trusted_proxies: str = ""

    upload_max_bytes: int = 25 * 1024 * 1024
    upload_max_pixels: int = 64_000_000
    cjk_font_path: str | None = None

    timezone: str = "Asia/Shanghai"
    default_deadline_hours: int = 48
    # JSON of public holidays and make-up working days for working-day deadlines (none: Monday–Friday).
    working_calendar_path: Path | None = None
    duplicate_radius_m: float = 50.0

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
