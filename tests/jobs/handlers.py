"""Job handlers for the tests (also imported by worker subprocesses: `--import tests.jobs.handlers`)."""

import os
import time
from pathlib import Path

from app import jobs

RUNS: list[int] = []  # in-process record of test.count runs


@jobs.handler("test.count")
def count(_session, payload: dict) -> None:
    RUNS.append(payload["n"])


@jobs.handler("test.fail")
def fail(_session, payload: dict) -> None:
    raise RuntimeError(payload.get("why", "boom"))


@jobs.handler("test.log")
def log(_session, payload: dict) -> None:
    """Append "start", (hang here when XUNCHA_TEST_JOB_HANG is set), then "done" to a file."""
    path = Path(payload["log"])
    with path.open("a") as f:
        f.write(f"start {os.getpid()}\n")
    if os.environ.get("XUNCHA_TEST_JOB_HANG"):
        time.sleep(120)
    with path.open("a") as f:
        f.write(f"done {os.getpid()}\n")
