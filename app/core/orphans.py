"""No process of the app outlives the one that started it.

A `kill -9` of `python -m app.serve` (a supervisor that signals the main PID only, an OOM kill) used to leave its
children running: with several processes the uvicorn workers kept the port and served the old code, so the
restart failed with "address already in use"; with one, the photo workers and their forkserver (~260 MB) stayed
for good. Now each child asks the kernel to signal it when its parent exits (Linux's PR_SET_PDEATHSIG; other
systems keep the old behaviour), and the forkserver, whose parent is whichever app thread first needed a photo
worker (the signal follows the creating thread, not the process), watches its parent's pid instead.
"""

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1
SUPERVISOR_ENV = "XUNCHA_SERVE_SUPERVISOR_PID"  # set by app.serve for the uvicorn workers it starts


def die_with_parent(sig: int = signal.SIGTERM, parent: int | None = None) -> bool:
    """The kernel sends `sig` to this process when the thread that created it exits; True when set up.
    `parent`: the pid expected as parent; if it is already gone, the signal is sent now."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        return False
    if parent is not None and os.getppid() != parent:  # it died before the call
        os.kill(os.getpid(), sig)
    return True


def worker_dies_with_supervisor() -> None:
    """In a uvicorn worker started by app.serve (several processes): SIGTERM, a graceful stop, when the
    supervisor dies. Not in a single process: its parent is a shell or a service manager."""
    supervisor = os.environ.get(SUPERVISOR_ENV)
    if supervisor and supervisor.isdigit() and int(supervisor) == os.getppid():
        die_with_parent(signal.SIGTERM, int(supervisor))


def watch_parent(poll_seconds: float = 1.0) -> None:
    """Exit this process when its parent process exits (a daemon thread polling the parent's pid)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_seconds)
        os._exit(0)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()
