"""The whole suite as two pytest processes at once, one per core: the browser tests (and, after them, a few
directories to even the two out) and everything else.

    .venv/bin/python scripts/pytest_split.py [pytest options]      # make test-backend, test-pg, test-pg-s3

One process used 72 % of one core of this 2-core machine and took 15 min 19 s for the SQLite suite (25 min on a
slow day), which put `.ci/run` over its 40-minute budget; split so, 10 min 40 s (the rest 10:33, the browser
tests 6:38 beside it), measured on the same day. The browser tests (tests/e2e) stay together and in their order
in one process: they act one after the other on one demo city. pytest-xdist was tried first: with pytest 9.2
its `loadgroup` no longer keeps a group on one worker (pytest-xdist#1386), so the browser tests ran on both
workers against two demo cities, and its scope-based modes run one of schemathesis' 108 generated tests (they
share one node id). Its plain `-n 2` on the rest, beside the browser tests, took 9 min 06 s: not worth a
third process on two cores and a dependency.

The browser tests alone left the other process running long after them (on a slow day, stop 36: the rest 22 min
57 s on PostgreSQL + S3 beside 9 min 43 s of browser tests; 15:30 beside 9:08 on SQLite). ALONGSIDE moves
directories whose time (`--durations`, same day) evens that out: tests/api 164 s, tests/evaluation 73 s and
tests/notifications 59 s on PostgreSQL (141, 46 and 41 s on SQLite); they do not share the browser tests' demo
city, and they ran after the browser tests in one process before the split too (tests/api then ran before them).

Each process has its own databases (XUNCHA_TEST_DB_SUFFIX) and media directory, and under XUNCHA_TEST_STORAGE=s3
its own S3 server. The rest's output streams; the browser tests' is printed when both are done. The exit status
is the first failure's (a part that collected nothing under a -k or a path counts as passed).
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BROWSER = "tests/e2e"
ALONGSIDE = ("tests/api", "tests/evaluation", "tests/notifications")  # run after BROWSER, in its process
NO_TESTS = 5  # pytest's exit status when nothing was collected


def main(args: list[str]) -> int:
    pytest = [sys.executable, "-m", "pytest"]
    env = os.environ | {"XUNCHA_TEST_DB_SUFFIX": os.environ.get("XUNCHA_TEST_DB_SUFFIX", "") + "_browser"}
    with tempfile.TemporaryFile(mode="w+") as log:
        # No cache plugin in the browser part: the two processes would write .pytest_cache at once.
        browser = subprocess.Popen([*pytest, "-p", "no:cacheprovider", *args, BROWSER, *ALONGSIDE], cwd=ROOT,
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            ignored = [f"--ignore={path}" for path in (BROWSER, *ALONGSIDE)]
            rest = subprocess.run([*pytest, *args, "tests", *ignored], cwd=ROOT).returncode
            browser.wait()
        finally:
            if browser.poll() is None:  # interrupted: stop the browser part too
                browser.terminate()
                browser.wait()
        log.seek(0)
        print(f"\n===== the browser tests ({BROWSER}) and {', '.join(ALONGSIDE)}, run alongside =====", flush=True)
        sys.stdout.write(log.read())
    codes = [rest, browser.returncode]
    if all(code == NO_TESTS for code in codes):
        return NO_TESTS
    return next((code for code in codes if code not in (0, NO_TESTS)), 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
