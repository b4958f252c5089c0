"""kill -9 of a real worker process (`python -m app.jobs.worker`) while it sends: nothing is lost, and a message
is repeated only as the at-least-once contract says (app/notifications/delivery.py).

The contract, for a receiver: every message arrives at least once; a message can arrive twice only when the
worker died after the receiver had taken it and before the worker recorded it sent; the repeat carries the same
`Idempotency-Key` header and body `id` as the first, so a receiver that keeps the keys it has seen drops it.

Against a real HTTP receiver on 127.0.0.1 that holds chosen requests (tests/notifications/receiver.py):
worker 1 is killed while the 3rd request is held unread (claimed, sending, nothing arrived); worker 2 while the
6th is held after it arrived (sent, not recorded); worker 3 finishes. Runs on SQLite, and on PostgreSQL with
XUNCHA_TEST_DATABASE_URL (where the claim is FOR UPDATE SKIP LOCKED).
"""

import collections
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlmodel import Session, select

from app.core.db import normalize_url
from app.core.types import utcnow
from app.jobs.models import Job
from app.notifications import delivery
from app.notifications.models import Channel, Delivery
from tests.dbutil import ROOT, fresh_database_url, migrate
from tests.notifications import receiver as fake

MESSAGES = 12
LEASE_S = 2


def _worker(url: str, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
    env.update(XUNCHA_DATABASE_URL=url, XUNCHA_NOTIFY_PRIVATE_HOSTS="127.0.0.1", PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-m", "app.jobs.worker", "--lease", str(LEASE_S), "--poll", "0.2"],
                            cwd=ROOT, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _kill_when_held(proc: subprocess.Popen, rx: fake.Receiver, log: Path) -> None:
    assert rx.holding.wait(60), log.read_text()[-3000:]
    os.kill(proc.pid, signal.SIGKILL)
    assert proc.wait(10) == -signal.SIGKILL
    rx.holding.clear()
    rx.release.set()  # the held connection is let go (its sender is dead)
    time.sleep(0.2)
    rx.release.clear()


@pytest.fixture
def rx():
    r = fake.start()
    yield r
    r.release.set()
    r.close()


def test_kill_9_between_claim_and_send_and_during_send_loses_nothing(rx, tmp_path):
    url = fresh_database_url("xuncha_kill9")
    migrate(url)
    engine = create_engine(normalize_url(url))
    with Session(engine) as db:
        now = utcnow()
        channel = Channel(name="城市平台", kind="webhook", unit_id=None, url=f"{rx.base}/hook", rate_per_minute=600,
                          created_at=now, updated_at=now)
        db.add(channel)
        db.flush()
        for i in range(MESSAGES):
            delivery.queue(db, unit_id=None, kind="office_digest", key=f"kill9-{i}", ticket_id=None,
                           at=now + timedelta(milliseconds=i), text=f"消息 {i}", fields={"n": i})
        db.commit()
        keys = set(db.exec(select(Delivery.key)).all())
    assert len(keys) == MESSAGES
    rx.plan = {3: "drop", 6: "hold"}
    log = tmp_path / "workers.log"
    procs = []
    try:
        procs.append(_worker(url, log))
        _kill_when_held(procs[-1], rx, log)  # claimed and sending; the receiver has nothing of it
        dropped_after = len(rx.received)
        assert dropped_after == 2
        procs.append(_worker(url, log))
        _kill_when_held(procs[-1], rx, log)  # the receiver has it; the worker never heard back
        held_key = rx.received[-1].headers["Idempotency-Key"]
        procs.append(_worker(url, log))
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with Session(engine) as db:
                states = collections.Counter(db.exec(select(Delivery.state)).all())
            if states == {"sent": MESSAGES}:
                break
            time.sleep(0.3)
        assert states == {"sent": MESSAGES}, (states, log.read_text()[-3000:])
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait(10)
    got = collections.defaultdict(list)
    for r in rx.received:
        assert r.headers["Idempotency-Key"] == r.body["id"]
        got[r.body["id"]].append(r.body)
    assert set(got) == keys  # nothing lost
    repeated = {k: bodies for k, bodies in got.items() if len(bodies) > 1}
    # The one message a dead worker had handed over came twice, identical; none other did.
    assert list(repeated) == [held_key] and len(repeated[held_key]) == 2
    assert repeated[held_key][0] == repeated[held_key][1]
    with Session(engine) as db:
        jobs = db.exec(select(Job).where(Job.kind == delivery.JOB)).all()
        assert {j.state for j in jobs} == {"done"}
        attempts = {d.key: d.attempts for d in db.exec(select(Delivery)).all()}
    # The killed sends never recorded an attempt: each delivery's log shows its one successful try.
    assert set(attempts.values()) == {1}
    engine.dispose()
