"""Readiness: can this process serve requests now — the database answers and the photo store takes writes.

/api/health stays a liveness probe that touches nothing. /api/ready runs each check in a thread of its own
small pool (never queued behind requests' threads) and gives each `timeout` seconds: a hung database or
network mount answers 503 naming it, instead of hanging the probe.
"""

import logging
from collections.abc import Callable

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar
from pydantic import BaseModel
from sqlalchemy import text

from app.core.db import new_session
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


class NotReady(Unavailable):
    code = "not_ready"

    def __init__(self, failed: dict[str, str], retry_after: float):
        names = ", ".join(failed)
        super().__init__(f"服务未就绪：{names} Not ready: {names}", retry_after, details={"failed": failed})


async def _run(name: str, check: Callable[[], None], timeout: float) -> str | None:
    """None when the check passed, else why it failed (the exception's type, or "timeout")."""
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
            return type(exc).__name__
    logger.warning("readiness check %s timed out after %.1f s", name, timeout)
    return "timeout"


async def readiness(checks: dict[str, Callable[[], None]], *, retry_after: float,
                    timeout: float = CHECK_TIMEOUT_S) -> dict[str, str]:
    """Run the checks at once; answers {name: "ok"}, or raises NotReady naming the failed ones."""
    results: dict[str, str | None] = {}

    async def one(name: str, check: Callable[[], None]) -> None:
        results[name] = await _run(name, check, timeout)

    async with anyio.create_task_group() as tg:
        for name, check in checks.items():
            tg.start_soon(one, name, check)
    failed = {name: why for name, why in results.items() if why is not None}
    if failed:
        raise NotReady(failed, retry_after)
    return {name: "ok" for name in checks}
