"""A running worker's housekeeping: jobs finished long ago are deleted (every upload, message and reminder leaves
one), and a crash's partial photo files are swept although the process restarted within the minute."""

import os
import time
from datetime import timedelta

import pytest
from sqlmodel import select

from app.core.types import utcnow
from app.jobs import api
from app.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job
from app.jobs.worker import Worker
from app.photos import service
from app.photos.storage import TEMP_DIR, LocalPhotoStorage


def _job(db, state: str, finished_days_ago: float | None, kind: str = "photos.drop_if_orphaned") -> int:
    now = utcnow()
    finished = now - timedelta(days=finished_days_ago) if finished_days_ago is not None else None
    job = Job(kind=kind, payload={}, state=state, run_after=now - timedelta(days=200), finished_at=finished,
              created_at=now - timedelta(days=200))
    db.add(job)
    db.commit()
    return job.id


def test_prune_deletes_only_jobs_finished_long_ago(db):
    keep = [_job(db, DONE, 6.9), _job(db, FAILED, 89), _job(db, QUEUED, None), _job(db, RUNNING, None)]
    gone = [_job(db, DONE, 7.1), _job(db, DONE, 400), _job(db, FAILED, 91)]
    assert api.prune() == len(gone)
    db.expire_all()
    assert sorted(db.exec(select(Job.id)).all()) == sorted(keep)
    assert api.prune() == 0


def test_prune_works_in_batches(db, monkeypatch):
    monkeypatch.setattr(api, "PRUNE_BATCH", 3)
    for _ in range(7):
        _job(db, DONE, 30)
    assert api.prune() == 7
    db.expire_all()
    assert db.exec(select(Job)).all() == []


def test_a_worker_s_chores_prune_jobs_and_sweep_a_crash_s_temp_files(db, monkeypatch):
    storage = service.get_storage()
    if not isinstance(storage, LocalPhotoStorage):
        pytest.skip("temp files are local storage's")
    tmp = storage.root / TEMP_DIR
    tmp.mkdir(parents=True, exist_ok=True)
    stale, live = tmp / ".tmp-crashed.part", tmp / ".tmp-writing.part"
    stale.write_bytes(b"x" * 7446)
    live.write_bytes(b"y")
    os.utime(stale, (time.time() - 120, time.time() - 120))
    old = _job(db, DONE, 30)
    ran = []

    def broken() -> None:
        ran.append("broken")
        raise RuntimeError("a chore that fails")

    # A failing chore is logged and stops none of the others, whichever order they run in.
    monkeypatch.setitem(api._chores, "a.broken", broken)
    Worker().do_chores()
    assert ran == ["broken"]
    assert not stale.exists() and live.exists()
    db.expire_all()
    assert db.get(Job, old) is None
    live.unlink()
