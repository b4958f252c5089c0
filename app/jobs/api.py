from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, or_
from sqlmodel import Session, col, select

from app.core.types import utcnow
from app.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job

Handler = Callable[[Session, dict[str, Any]], None]
_handlers: dict[str, Handler] = {}


_BATCH = "jobs.batch"


@contextmanager
def batched(session: Session) -> Iterator[None]:
    """Jobs enqueued on this session inside the block are inserted together when it ends (multi-row INSERTs),
    not flushed one by one: for a bulk write such as a round's publication. Nothing is inserted on an error."""
    rows: list[dict[str, Any]] = []
    session.info[_BATCH] = rows
    try:
        yield
    finally:
        session.info.pop(_BATCH, None)
    for i in range(0, len(rows), 500):
        session.execute(insert(Job), rows[i:i + 500])


def enqueue(session: Session, kind: str, payload: dict[str, Any], run_after: datetime | None = None,
            *, max_attempts: int = 5) -> Job | None:
    """Add a job in the session's transaction (flushed, not committed: it exists only if the caller commits).
    Inside `batched` it is kept for the block's end and None is answered."""
    if kind not in _handlers:
        raise ValueError(f"no job handler for {kind!r}")
    batch = session.info.get(_BATCH)
    if batch is not None:
        now = utcnow()
        batch.append({"kind": kind, "payload": payload, "state": QUEUED, "run_after": run_after or now,
                      "attempts": 0, "max_attempts": max_attempts, "created_at": now})
        return None
    job = Job(kind=kind, payload=payload, run_after=run_after or utcnow(), max_attempts=max_attempts)
    session.add(job)
    session.flush()
    return job


def enqueue_committed(kind: str, payload: dict[str, Any], run_after: datetime | None = None) -> None:
    """Add a job and commit it at once, on a short session of its own: for a guard that must outlive the
    caller's transaction (e.g. "remove these files unless the row they belong to committed by then").
    Everything else uses `enqueue`, in the caller's transaction."""
    from app.core.db import new_session

    with new_session(write=True) as session:
        enqueue(session, kind, payload, run_after)
        session.commit()


def depths(session: Session) -> list[tuple[str, str, int]]:
    """(kind, state, count) of the jobs not done — queued, running, failed — for the metrics' outbox depths."""
    rows = session.exec(select(Job.kind, Job.state, func.count()).where(Job.state.in_((QUEUED, RUNNING, FAILED)))
                        .group_by(Job.kind, Job.state)).all()
    return [(kind, state, count) for kind, state, count in rows]


class Defer(Exception):
    """Raised by a handler that may not run yet (e.g. a channel's rate limit): the job runs again at `until`,
    and the attempt is not counted as a failure."""

    def __init__(self, until: datetime, reason: str = ""):
        super().__init__(reason or f"deferred until {until.isoformat()}")
        self.until = until


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the (idempotent) function that runs jobs of this kind."""

    def register(fn: Handler) -> Handler:
        if _handlers.get(kind, fn) is not fn:
            raise ValueError(f"two job handlers for {kind!r}")
        _handlers[kind] = fn
        return fn

    return register


def handlers() -> dict[str, Handler]:
    return dict(_handlers)


_chores: dict[str, Callable[[], object]] = {}


def chore(name: str) -> Callable[[Callable[[], object]], Callable[[], object]]:
    """Register housekeeping that a running worker does about once an hour (app/jobs/worker.py): quick,
    idempotent, safe to run in several processes at once."""
    def register(fn: Callable[[], object]) -> Callable[[], object]:
        _chores[name] = fn
        return fn
    return register


def chores() -> dict[str, Callable[[], object]]:
    return dict(_chores)


# Finished jobs are kept this long for whoever looks into one (the delivery log keeps its own rows), then
# deleted: every upload, message and reminder leaves one, and the table grew without end.
DONE_KEPT = timedelta(days=7)
FAILED_KEPT = timedelta(days=90)
PRUNE_BATCH = 5000


@chore("jobs.prune")
def prune(now: datetime | None = None) -> int:
    """Delete jobs done more than DONE_KEPT ago and failed more than FAILED_KEPT ago; answers how many."""
    from app.core.db import new_session

    now = now or utcnow()
    old = (select(Job.id).where(or_((Job.state == DONE) & (Job.finished_at < now - DONE_KEPT),
                                    (Job.state == FAILED) & (Job.finished_at < now - FAILED_KEPT)))
           .limit(PRUNE_BATCH))
    removed = 0
    while True:
        with new_session(write=True) as session:  # short write transactions: SQLite's lock is shared
            ids = list(session.exec(old).all())
            if ids:
                session.execute(delete(Job).where(col(Job.id).in_(ids)))
            session.commit()
        removed += len(ids)
        if len(ids) < PRUNE_BATCH:
            return removed
