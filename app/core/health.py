"""Readiness: can this process serve requests now — the database answers, the photo store takes writes and
the disks of this machine that hold them have room.

/api/health stays a liveness probe that touches nothing (a full disk is no reason to restart the process).
/api/ready runs each check in a thread of its own small pool (never queued behind requests' threads) and gives
each `timeout` seconds: a hung database or network mount answers 503 naming it, instead of hanging the probe.

The disks get a free-space check (statvfs), not a write: a write probe of the database every few seconds would
take SQLite's one write lock and grow its WAL for nothing, and only proves there was room for that one page.
"""

import functools
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.db import new_session, normalize_url
from app.core.errors import Unavailable

logger = logging.getLogger("xuncha.ready")

CHECK_TIMEOUT_S = 2.0
# A few probes at a time, per event loop (tests run several); a check abandoned after its timeout holds its
# thread until it returns.
_limiter: RunVar[anyio.CapacityLimiter] = RunVar("xuncha_ready_limiter")


class Ready(BaseModel):
    ok: bool = True
    checks: dict[str, str]


def check_database() -> None:
    """SELECT 1 through a fresh session (a pooled connection, checked by the pool's pre-ping on PostgreSQL)."""
    with new_session() as session:
        session.execute(text("SELECT 1")).scalar_one()


class CheckFailed(Exception):
    """A check's own failure, with `details` the 503 may show anyone (under the check's name): no paths."""

    def __init__(self, message: str, details: Any):
        super().__init__(message)
        self.details = details


class LowDiskSpace(CheckFailed):
    pass


def local_disks(settings: Settings) -> dict[str, Path]:
    """The directories on this machine's disks that readiness watches, by check name: the SQLite file's and the
    local photo directory. A PostgreSQL server's disk is its own business, a bucket's its store's."""
    disks: dict[str, Path] = {}
    url = make_url(normalize_url(settings.database_url))
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        disks["database_disk"] = Path(url.database).parent
    if settings.storage == "local":
        disks["media_disk"] = settings.media_dir
    return disks


def free_bytes(path: Path) -> int:
    """Free bytes for this (unprivileged) process on the disk that holds `path`, or would once it is made."""
    while not path.exists() and path.parent != path:
        path = path.parent
    return shutil.disk_usage(path).free


def check_disks(disks: dict[str, Path], min_free: int) -> None:
    """Raise LowDiskSpace when a disk has less than `min_free` bytes free; its details: free vs minimum, by name."""
    report = {name: {"free_bytes": free_bytes(path), "min_free_bytes": min_free} for name, path in disks.items()}
    low = [f"{name} ({disks[name]}): {r['free_bytes']} bytes free"
           for name, r in report.items() if r["free_bytes"] < min_free]
    if low:
        raise LowDiskSpace(f"under {min_free} bytes free: {', '.join(low)}", report)


def disk_check(settings: Settings) -> Callable[[], None] | None:
    """The free-space check for readiness, or None when it is off (0) or nothing here is on local disk."""
    disks = local_disks(settings)
    if not disks or not settings.min_free_disk_bytes:
        return None
    return functools.partial(check_disks, disks, settings.min_free_disk_bytes)


class NotReady(Unavailable):
    code = "not_ready"

    def __init__(self, failed: dict[str, str], retry_after: float, details: dict[str, Any] | None = None):
        names = ", ".join(failed)
        super().__init__(f"服务未就绪：{names} Not ready: {names}", retry_after,
                         details={"failed": failed, **(details or {})})
        self.failed = failed

    def names_only(self) -> "NotReady":
        """The same refusal naming only the failed checks: the figures (free bytes) are the machine's business."""
        return NotReady(self.failed, self.retry_after)


async def _run(name: str, check: Callable[[], None], timeout: float) -> tuple[str, Any] | None:
    """None when the check passed, else why it failed (the exception's type, or "timeout") and the details
    of a CheckFailed."""
    try:
        limiter = _limiter.get()
    except LookupError:
        limiter = anyio.CapacityLimiter(4)
        _limiter.set(limiter)
    with anyio.move_on_after(timeout):
        try:
            await anyio.to_thread.run_sync(check, limiter=limiter, abandon_on_cancel=True)
            return None
        except Exception as exc:
            logger.warning("readiness check %s failed: %r", name, exc)
            return type(exc).__name__, exc.details if isinstance(exc, CheckFailed) else None
    logger.warning("readiness check %s timed out after %.1f s", name, timeout)
    return "timeout", None


async def readiness(checks: dict[str, Callable[[], None]], *, retry_after: float,
                    timeout: float = CHECK_TIMEOUT_S) -> dict[str, str]:
    """Run the checks at once; answers {name: "ok"}, or raises NotReady naming the failed ones (with what a
    CheckFailed tells, under its check's name)."""
    results: dict[str, tuple[str, Any] | None] = {}

    async def one(name: str, check: Callable[[], None]) -> None:
        results[name] = await _run(name, check, timeout)

    async with anyio.create_task_group() as tg:
        for name, check in checks.items():
            tg.start_soon(one, name, check)
    failed = {name: result for name, result in results.items() if result is not None}
    if failed:
        raise NotReady({name: why for name, (why, _) in failed.items()}, retry_after,
                       {name: details for name, (_, details) in failed.items() if details is not None})
    return {name: "ok" for name in checks}
