"""The job worker: claims due jobs one at a time, runs their handler, records the outcome.

Claiming is safe across threads and processes sharing the table:
- PostgreSQL: the candidate is locked with SELECT … FOR UPDATE SKIP LOCKED, so concurrent workers pick
  different rows without waiting on each other;
- SQLite (one writer at a time, BEGIN IMMEDIATE): the claim is one UPDATE … WHERE id = ? AND state = ? AND
  attempts = ? (the values just read); of two workers that read the same row, only one UPDATE matches.
A claim sets a lease (`locked_until`). A worker killed mid-job (kill -9) never reports; once its lease has
expired the job is claimed again like a queued one. Handlers are idempotent (app/jobs/__init__.py).
Failures are retried with exponential backoff until `max_attempts`, then the job is `failed`.

Run standalone with `python -m app.jobs.worker`; by default the app runs one in its process (app/main.py).
"""

import argparse
import importlib
import logging
import os
import socket
import threading
import time
import uuid
from datetime import timedelta

from sqlalchemy import or_, update
from sqlmodel import Session, select

from app.core.db import get_engine, new_session
from app.core.types import utcnow
from app.jobs.api import Defer, chores, handlers
from app.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job

log = logging.getLogger(__name__)

# Modules that register handlers (imported by every worker, so that a job of any kind finds its handler).
HANDLER_MODULES = ("app.photos.service", "app.tickets.actions", "app.notifications.delivery",
                   "app.notifications.reminders")
BACKOFF_BASE_S = 5
BACKOFF_MAX_S = 3600
# Housekeeping (app/jobs/api.chore) when idle: first a minute after the start (not in the start's rush), then
# hourly.
CHORES_FIRST_AFTER_S = 60
CHORES_EVERY_S = 3600


def load_handlers(extra: tuple[str, ...] = ()) -> None:
    for module in HANDLER_MODULES + extra:
        importlib.import_module(module)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_BASE_S * 2 ** max(attempts - 1, 0), BACKOFF_MAX_S))


class Worker:
    def __init__(self, *, lease_seconds: float = 300, name: str | None = None):
        self.lease = timedelta(seconds=lease_seconds)
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"

    def claim(self) -> Job | None:
        """Take one due job (queued and due, or running with an expired lease); None when there is none."""
        now = utcnow()
        due = (select(Job).where(or_((Job.state == QUEUED) & (Job.run_after <= now),
                                     (Job.state == RUNNING) & (Job.locked_until < now)))
               .order_by(Job.run_after, Job.id).limit(1))
        if get_engine().dialect.name == "postgresql":
            with new_session(write=True) as session:
                job = session.exec(due.with_for_update(skip_locked=True)).first()
                return self._take(session, job, now)
        # SQLite: look on a read (no write lock while idle), then claim with the guarded UPDATE.
        with new_session() as reader:
            job = reader.exec(due).first()
        if job is None:
            return None
        with new_session(write=True) as session:
            return self._take(session, job, now)

    def _take(self, session: Session, job: Job | None, now) -> Job | None:
        if job is None:
            return None
        claimed = session.execute(
            update(Job).where(Job.id == job.id, Job.state == job.state, Job.attempts == job.attempts)
            .values(state=RUNNING, attempts=job.attempts + 1, locked_by=self.name, locked_until=now + self.lease)
            .execution_options(synchronize_session=False))
        session.commit()
        if claimed.rowcount != 1:
            return None  # another worker took it first
        return session.get(Job, job.id, populate_existing=True)

    def run_one(self) -> bool:
        """Claim and run one job; False when none was due."""
        job = self.claim()
        if job is None:
            return False
        fn = handlers().get(job.kind)
        try:
            if fn is None:
                raise LookupError(f"no job handler for {job.kind!r}")
            with new_session(write=True) as session:
                fn(session, dict(job.payload))
                # Done in the handler's own transaction, and only if the lease is still ours.
                marked = session.execute(
                    update(Job).where(Job.id == job.id, Job.locked_by == self.name, Job.attempts == job.attempts)
                    .values(state=DONE, finished_at=utcnow(), locked_until=None, last_error=None)
                    .execution_options(synchronize_session=False))
                if marked.rowcount != 1:
                    log.warning("job %s (%s): lease lost before it finished; its result is dropped", job.id, job.kind)
                    session.rollback()
                    return True
                session.commit()
        except Defer as wait:
            self._release(job, {"state": QUEUED, "run_after": wait.until, "attempts": job.attempts - 1,
                                "last_error": str(wait)[:2000]})
        except Exception as exc:
            log.exception("job %s (%s) failed, attempt %s of %s", job.id, job.kind, job.attempts, job.max_attempts)
            self._failed(job, exc)
        return True

    def _failed(self, job: Job, exc: Exception) -> None:
        final = job.attempts >= job.max_attempts
        values = {"state": FAILED if final else QUEUED, "locked_by": None, "locked_until": None,
                  "last_error": f"{type(exc).__name__}: {exc}"[:2000],
                  "run_after": utcnow() + backoff(job.attempts)}
        if final:
            values["finished_at"] = utcnow()
        self._release(job, values)

    def _release(self, job: Job, values: dict) -> None:
        """Give the job back with these values, if the lease is still ours."""
        values = {"locked_by": None, "locked_until": None} | values
        with new_session(write=True) as session:
            session.execute(update(Job).where(Job.id == job.id, Job.locked_by == self.name,
                                              Job.attempts == job.attempts).values(**values)
                            .execution_options(synchronize_session=False))
            session.commit()

    def run_until_idle(self, max_jobs: int | None = None) -> int:
        """Run due jobs until none is left (or `max_jobs` ran); answers how many ran."""
        done = 0
        while (max_jobs is None or done < max_jobs) and self.run_one():
            done += 1
        return done

    def run_forever(self, stop: threading.Event, poll_seconds: float) -> None:
        next_chores = time.monotonic() + CHORES_FIRST_AFTER_S
        while not stop.is_set():
            try:
                busy = self.run_one()
            except Exception:  # the database is away or locked: try again at the next poll
                log.exception("job worker: claim failed")
                busy = False
            if not busy and time.monotonic() >= next_chores:
                self.do_chores()
                next_chores = time.monotonic() + CHORES_EVERY_S
            if not busy:
                stop.wait(poll_seconds)

    def do_chores(self) -> None:
        """The registered housekeeping (jobs.chore), each on its own: one failing stops none of the others."""
        for name, fn in chores().items():
            try:
                log.info("job worker: %s: %s", name, fn())
            except Exception:
                log.exception("job worker: %s failed", name)


class EmbeddedWorker:
    """A worker thread inside the app process (started and stopped by the app's lifespan)."""

    def __init__(self, *, poll_seconds: float, lease_seconds: float):
        self.worker = Worker(lease_seconds=lease_seconds)
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        load_handlers()
        self._thread = threading.Thread(target=self.worker.run_forever, args=(self._stop, self.poll_seconds),
                                        name="xuncha-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)


def main(argv: list[str] | None = None) -> None:
    from app.core.config import get_settings

    settings = get_settings()
    parser = argparse.ArgumentParser(description="Run Xuncha's job worker")
    parser.add_argument("--once", action="store_true", help="run the due jobs, then exit")
    parser.add_argument("--import", dest="modules", action="append", default=[],
                        help="also import this module (it registers handlers)")
    parser.add_argument("--lease", type=float, default=settings.jobs_lease_seconds)
    parser.add_argument("--poll", type=float, default=settings.jobs_poll_seconds)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    load_handlers(tuple(args.modules))
    from app.notifications.reminders import start_digest
    start_digest()
    worker = Worker(lease_seconds=args.lease)
    if args.once:
        worker.run_until_idle()
        return
    stop = threading.Event()
    try:
        worker.run_forever(stop, args.poll)
    except KeyboardInterrupt:
        stop.set()


if __name__ == "__main__":
    main()
