"""The job table and worker: same-transaction enqueue, one run per job, retries, two workers, kill -9."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from app import jobs
from app.core.types import utcnow
from app.jobs.models import DONE, FAILED, QUEUED, Job
from app.jobs.worker import EmbeddedWorker, Worker, backoff
from app.notifications.reminders import DIGEST_JOB
from tests.jobs import handlers

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _runs():
    handlers.RUNS.clear()
    yield
    handlers.RUNS.clear()


def _jobs(db) -> list[Job]:
    db.commit()  # a new transaction: on SQLite a read transaction keeps its snapshot
    db.expire_all()
    # A worker process also schedules the daily digest (app/notifications/reminders.py): not these tests' jobs.
    return list(db.exec(select(Job).where(Job.kind != DIGEST_JOB).order_by(Job.id)).all())


def test_a_job_enqueued_in_a_rolled_back_transaction_does_not_exist(db):
    jobs.enqueue(db, "test.count", {"n": 1})
    db.rollback()
    assert _jobs(db) == []
    assert Worker().run_until_idle() == 0 and handlers.RUNS == []


def test_unknown_kind_is_refused_at_enqueue(db):
    with pytest.raises(ValueError):
        jobs.enqueue(db, "no.such.kind", {})


def test_a_committed_job_runs_once_after_the_commit(db):
    job = jobs.enqueue(db, "test.count", {"n": 7})
    assert Worker().run_until_idle() == 0  # not committed yet: invisible to the worker
    db.commit()
    assert Worker().run_until_idle() == 1
    assert Worker().run_until_idle() == 0
    assert handlers.RUNS == [7]
    [row] = _jobs(db)
    assert (row.id, row.state, row.attempts, row.finished_at is not None) == (job.id, DONE, 1, True)


def test_a_job_waits_for_its_run_after(db):
    jobs.enqueue(db, "test.count", {"n": 1}, run_after=utcnow() + timedelta(minutes=5))
    db.commit()
    assert Worker().run_until_idle() == 0 and handlers.RUNS == []


def test_failures_are_retried_with_backoff_then_marked_failed(db):
    jobs.enqueue(db, "test.fail", {"why": "disk full"}, max_attempts=2)
    db.commit()
    worker = Worker()
    assert worker.run_until_idle() == 1  # the retry is not due yet
    [row] = _jobs(db)
    assert (row.state, row.attempts, row.locked_by) == (QUEUED, 1, None)
    assert "disk full" in row.last_error and row.run_after > utcnow() + backoff(1) - timedelta(seconds=5)
    row.run_after = utcnow() - timedelta(seconds=1)
    db.add(row)
    db.commit()
    assert worker.run_until_idle() == 1
    [row] = _jobs(db)
    assert (row.state, row.attempts) == (FAILED, 2) and row.finished_at is not None
    assert worker.run_until_idle() == 0


def test_two_workers_never_run_the_same_job(db):
    n = 40
    for i in range(n):
        jobs.enqueue(db, "test.count", {"n": i})
    db.commit()
    errors: list[BaseException] = []

    def work():
        try:
            Worker().run_until_idle()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sorted(handlers.RUNS) == list(range(n))  # every job once, none twice
    assert {j.state for j in _jobs(db)} == {DONE}


def test_embedded_worker_runs_jobs_and_stops(db):
    jobs.enqueue(db, "test.count", {"n": 3})
    db.commit()
    embedded = EmbeddedWorker(poll_seconds=0.05, lease_seconds=60)
    embedded.start()
    try:
        deadline = time.monotonic() + 10
        while not handlers.RUNS and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        embedded.stop()
    assert handlers.RUNS == [3]


def _worker_process(*args: str, hang: bool = False) -> subprocess.Popen:
    env = dict(os.environ)
    env.pop("XUNCHA_TEST_JOB_HANG", None)
    if hang:
        env["XUNCHA_TEST_JOB_HANG"] = "1"
    return subprocess.Popen([sys.executable, "-m", "app.jobs.worker", "--once", "--import", "tests.jobs.handlers",
                             *args], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_a_worker_killed_mid_job_leaves_it_to_run_again_once(db, tmp_path):
    """kill -9 between claiming and finishing: once the lease expired, another process runs it, once."""
    log = tmp_path / "runs.log"
    job = jobs.enqueue(db, "test.log", {"log": str(log)})
    db.commit()
    lease = 2.0
    first = _worker_process("--lease", str(lease), hang=True)
    try:
        deadline = time.monotonic() + 30
        while not (log.exists() and log.read_text().startswith("start")):
            assert first.poll() is None, first.stderr.read().decode()
            assert time.monotonic() < deadline, "the first worker never started the job"
            time.sleep(0.05)
        claimed_at = time.monotonic()
    finally:
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
    [row] = _jobs(db)
    assert (row.state, row.attempts) == ("running", 1)

    # Before the lease expired nobody takes it; after, one worker does, and only once.
    early = _worker_process("--lease", str(lease))
    assert early.wait(60) == 0, early.stderr.read().decode()
    if time.monotonic() - claimed_at < lease - 0.5:
        assert log.read_text().count("start") == 1
    time.sleep(max(0.0, lease + 0.5 - (time.monotonic() - claimed_at)))
    second = _worker_process("--lease", str(lease))
    assert second.wait(60) == 0, second.stderr.read().decode()
    third = _worker_process("--lease", str(lease))
    assert third.wait(60) == 0, third.stderr.read().decode()

    lines = [line.split()[0] for line in log.read_text().splitlines()]
    assert lines == ["start", "start", "done"]
    [row] = _jobs(db)
    assert (row.id, row.state, row.attempts) == (job.id, DONE, 2)
