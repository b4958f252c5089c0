"""Settings, read from the environment with the XUNCHA_ prefix."""

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator, model_validator
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
    # Failed logins per window: per account (so it cannot be guessed at) and per client address (large,
    # so an office behind one NAT is not locked out by one person's typos). See app/auth/ratelimit.py.
    # At least 1 each: 0 refused every login (no attempt may fail) and a 0 s window let every guess through.
    login_max_failures: int = Field(5, ge=1)
    login_window_seconds: int = Field(300, ge=1)
    login_max_failures_per_address: int = Field(100, ge=1)
    # An account that logged in from an address within this many days ignores that address's limit.
    login_known_address_days: int = 30
    # A device token (app/auth/devices.py) is trusted for this many days after the login that answered it;
    # every login with it answers a new one, so a phone used within the period stays trusted. 0: never.
    device_token_lifetime_days: int = Field(90, ge=0)
    # Proxies whose X-Forwarded-For is believed (comma-separated IPs or networks, for uvicorn's
    # --forwarded-allow-ips; `make run` passes it). None by default: the peer address is the client.
    trusted_proxies: str = ""
    # 实地测评: a check-in further than this from the site is flagged (never refused).
    eval_checkin_distance_m: float = Field(200.0, gt=0)
    # The hour (city time) of each unit's daily digest (open tasks, due today, overdue).
    digest_hour: int = Field(8, ge=0, le=23)
    # Where people open the app (e.g. https://xuncha.example.gov.cn): messages sent out link to tickets there.
    public_url: str = ""
    # App processes `make run` and the image start (app/serve.py). 0: one on SQLite (its write lock is per
    # database file, a second process only queues on it), one per CPU up to 4 on PostgreSQL.
    workers: int = Field(0, ge=0, le=64)
    # Log lines on stderr: "text" for a terminal, "json" (one object a line) for a log collector; the Docker
    # image sets json. Every line carries the request's id (X-Request-ID from the proxy, or made up).
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # GET /metrics (Prometheus): with a token, only `Authorization: Bearer <token>`; without one, only
    # clients on this machine (127.0.0.1, ::1). nginx refuses /metrics from outside either way.
    metrics_token: str = ""

    # Where photo bytes live: "local" (files under media_dir) or "s3" (an S3-compatible bucket: AWS, MinIO,
    # 阿里云 OSS, 腾讯云 COS, 华为云 OBS). The bucket must be private; the app serves photos itself after its
    # visibility checks. S3_PATH_STYLE: http://host/bucket/key (MinIO, most self-hosted stores) instead of
    # http://bucket.host/key (OSS and COS require the latter). Keys unset: boto3's usual credential chain.
    storage: Literal["local", "s3"] = "local"
    s3_endpoint_url: str | None = None
    s3_bucket: str = ""
    s3_region: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: SecretStr | None = None
    s3_path_style: bool = False
    # GET /api/ready answers 503 when the disk under the SQLite file or the local photo directory has less free
    # than this (0: no check): a node about to fail its writes leaves the load balancer before it does. 512 MiB
    # still takes a shift's burst of 25 MB uploads (each kept with its display and thumb copies) and SQLite's
    # WAL growth, and leaves the operator time to act before the disk is full.
    min_free_disk_bytes: int = Field(512 * 1024 * 1024, ge=0)

    @model_validator(mode="after")
    def _s3_needs_a_bucket(self) -> "Settings":
        if self.storage == "s3" and not self.s3_bucket:
            raise ValueError("XUNCHA_STORAGE=s3 needs XUNCHA_S3_BUCKET")
        return self

    upload_max_bytes: int = 25 * 1024 * 1024
    # What one account may upload in 24 hours (0: no limit): a stolen or scripted account cannot fill the photo
    # disk. A phone's photo is ~0.3 MB (the PWA sends 2048 px) and a camera original 3-8 MB: 8 GiB is some
    # 1,000-2,500 originals or 25,000 phone photos a day, far beyond any inspector's round, so only a machine
    # meets it. Past it: 429 with Retry-After, which the PWA's outbox waits out.
    upload_budget_bytes_per_day: int = Field(8 * 1024 * 1024 * 1024, ge=0)
    # Uploads one account may have in processing at once, per app process (0: no cap). A phone's outbox sends
    # one photo at a time, so two phones on one account are 2; a script on a stolen account cannot take every
    # photo worker and the waiting line from the others. Past it: 429 with Retry-After, which the outbox waits out.
    upload_account_concurrency: int = Field(4, ge=0)
    # Uploads no ticket took (a report refused, then discarded on the phone; a script on a stolen account) are
    # deleted this many days after their upload (0: kept): nobody but the uploader can see them, and they held
    # storage for ever. Far longer than a phone's outbox takes from a photo to the report or action it belongs to.
    unused_photo_days: int = Field(30, ge=0)
    json_max_bytes: int = 1024 * 1024  # any request body that is not a multipart upload
    upload_max_pixels: int = 64_000_000
    # HEIC is decoded at full size (no reduced decode in libheif): ~8 bytes a pixel at peak.
    upload_max_heic_pixels: int = 24_000_000
    cjk_font_path: str | None = None
    # Hosts or networks inside the intranet that notification channels may call (comma-separated: "10.8.0.0/16,
    # wx.gov.local"); every other loopback, link-local or private address is refused (app/notifications/targets.py).
    notify_private_hosts: str = ""
    # Photo processing runs in worker processes: how many (0: one per CPU), how many uploads may wait
    # for one before the next is answered 503, and after how many photos a worker is replaced.
    photo_workers: int = 0
    photo_queue: int = 16
    photo_worker_max_tasks: int = 50
    # The job worker (app/jobs): run one inside each app process (off: run `python -m app.jobs.worker`),
    # how often an idle worker looks for due jobs, and how long a claimed job is held before another
    # worker may take it again (longer than any handler runs).
    jobs_embedded: bool = True
    jobs_poll_seconds: float = 2.0
    jobs_lease_seconds: float = 300.0

    timezone: str = "Asia/Shanghai"
    default_deadline_hours: int = 48
    # JSON of public holidays and make-up working days for working-day deadlines (none: Monday–Friday).
    working_calendar_path: Path | None = None
    duplicate_radius_m: float = 50.0
    # 预超期: a dispatched ticket is near its deadline when the time left is at most this share of the time it
    # was given, or at most this many hours once half of it is gone (Ticket.is_near_deadline_at; the app reads both
    # from /api/config).
    near_deadline_fraction: float = Field(default=0.25, ge=0, le=1)
    near_deadline_hours: float = Field(default=4.0, ge=0)

    # Whether `python -m app.demo.seed` seeds the demo city; the login page hints at the demo password
    # only while this is on and the demo logins really work (GET /api/config).
    demo_data: bool = True

    # Map tiles: one deployment setting for everyone, served to the app by GET /api/config. Unset: 天地图
    # (WGS-84 compatible) when a browser key is given, else 高德 (GCJ-02); both are reachable in mainland
    # China, openstreetmap.org often is not. MAP_TILE_URL: Leaflet URL templates separated by spaces (base
    # layer first, then overlays such as labels), or "none" for no tiles (markers on a blank background).
    map_tile_url: str | None = None
    map_tile_subdomains: str | None = None
    map_crs: Literal["wgs84", "gcj02"] | None = None
    map_attribution: str | None = None
    tianditu_key: str | None = None  # a 天地图 browser (浏览器端) key: public by nature, sent to the app

    @field_validator("map_tile_url")
    @classmethod
    def _tile_urls_are_https_templates(cls, v: str | None) -> str | None:
        if v is None or v.strip().lower() in ("", "none"):
            return v
        for url in v.split():
            parts = urlsplit(url.replace("{s}", "a"))
            if parts.scheme not in ("https", "http") or not parts.hostname:
                raise ValueError(f"XUNCHA_MAP_TILE_URL: not an http(s) URL template: {url}")
        return v

    @property
    def map_layers(self) -> list[dict[str, str]]:
        """The tile layers the app draws, base first: [{url, subdomains}]."""
        if self.map_tile_url is not None:
            urls = [] if self.map_tile_url.strip().lower() in ("", "none") else self.map_tile_url.split()
            return [{"url": u, "subdomains": self.map_tile_subdomains or "abc"} for u in urls]
        if self.tianditu_key:
            wmts = ("https://t{s}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
                    "&TILECOL={x}&tk=") + self.tianditu_key
            subs = self.map_tile_subdomains or "01234567"
            return [{"url": wmts.replace("{layer}", layer), "subdomains": subs} for layer in ("vec", "cva")]
        return [{"url": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
                        "&x={x}&y={y}&z={z}", "subdomains": self.map_tile_subdomains or "1234"}]

    @property
    def map_crs_effective(self) -> str:
        if self.map_crs:
            return self.map_crs
        if self.map_tile_url is None and not self.tianditu_key:
            return "gcj02"  # the 高德 default
        return "wgs84"

    @property
    def map_attribution_effective(self) -> str:
        if self.map_attribution is not None:
            return self.map_attribution
        if self.map_tile_url is None:
            return "© 天地图" if self.tianditu_key else "© 高德地图"
        return ""

    @property
    def map_tile_hosts(self) -> list[str]:
        """Every origin the browser loads tiles from ({s} expanded), e.g. for a CSP img-src."""
        return tile_hosts(self.map_layers)

    # Where pages may load images from besides our own origin, blob:, data: and the map tile hosts above
    # (the Content-Security-Policy's img-src), as space- or comma-separated CSP sources.
    csp_img_sources: str = ""

    @field_validator("csp_img_sources")
    @classmethod
    def _csp_sources(cls, value: str) -> str:
        parse_sources(value)  # refuse a bad value at start, not in every response
        return value
    # Capacity (app/core/load.py): requests holding a database session at once (= the connection pool's
    # size; worker threads are this + 8), how long one waits for a slot, requests in flight before
    # shedding, and the Retry-After of a 503.
    db_slots: int = 24
    db_wait_seconds: float = 2.0
    # Exports (Excel workbooks, printable pages) at once per process, each besides its database slot, and how long
    # one waits for its turn (then 503 with Retry-After): two dozen year-long bulletin downloads held every
    # database slot for 30-45 s each, and the city's lists answered 503 meanwhile.
    report_slots: int = Field(2, ge=1)
    report_wait_seconds: float = Field(10.0, ge=0)
    max_in_flight: int = 256
    # Requests whose body is still arriving, counted apart from max_in_flight (0: counted in it), and how a body
    # must keep coming: no gap over body_idle_seconds and, after that long, body_min_bytes_per_second on
    # average; else 408 (app/core/limits.py). Slow or trickled uploads cannot take the places of the reads.
    max_receiving: int = Field(64, ge=0)
    body_idle_seconds: float = Field(60, gt=0)
    body_min_bytes_per_second: int = Field(500, ge=0)
    retry_after_seconds: int = 5
    # Busy: this many requests in flight. Then the statistics (the dearest reads) may answer figures up to
    # stats_stale_seconds old, computed for an earlier identical request; an idle server always computes
    # them afresh. 0 turns the reuse off.
    busy_in_flight: int = 16
    stats_stale_seconds: float = 10.0

    @property
    def worker_threads(self) -> int:
        return self.db_slots + 8

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@lru_cache
def get_settings() -> Settings:
    return Settings()


# What a tile host may be to go into the Content-Security-Policy header of every response: ASCII host[:port] (an
# IDN in its xn-- form). Anything else (a header that cannot be encoded, a NUL, a ';') takes every page down.
CSP_HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def tile_hosts(layers: list[dict[str, str]]) -> list[str]:
    """Every origin tile layers [{url, subdomains}] load from ({s} expanded), e.g. for a CSP img-src; an origin
    that cannot be a CSP source (say, stored before the admin API refused it) is left out."""
    hosts: list[str] = []
    for layer in layers:
        subs = layer["subdomains"] if "{s}" in layer["url"] else " "
        for s in subs:
            parts = urlsplit(layer["url"].replace("{s}", s.strip()))
            origin = f"{parts.scheme}://{parts.netloc}"
            if parts.scheme in ("http", "https") and CSP_HOST.fullmatch(parts.netloc) and origin not in hosts:
                hosts.append(origin)
    return hosts
