"""Start the app as `make run` and the Docker image do: `python -m app.serve [--host H] [--port P]`.

uvicorn with uvloop + httptools, a deep accept backlog for a shift start, time for requests in flight on
shutdown, X-Forwarded-For believed only from XUNCHA_TRUSTED_PROXIES (otherwise anyone could pick the address
the login limiter counts), and as many processes as the database allows (`worker_count`).

Several processes are safe on PostgreSQL: what each process keeps to itself is either constant (settings,
the working calendar) or figures reused for seconds while busy (app/core/recent.py, stamped `as_of`); the
login limiter, idempotency keys and jobs live in the database (jobs are claimed with FOR UPDATE SKIP LOCKED).
Metrics too: with several processes each writes its samples under PROMETHEUS_MULTIPROC_DIR (emptied here at
start), and whichever process answers /metrics sums them.

Logging is the app's own (app/core/logs.py, text or JSON): uvicorn configures none, and its per-request
access line is replaced by the app's, which names the route template and the request id.
"""

import argparse
import os
import shutil
import tempfile
from pathlib import Path

import uvicorn

from app.core import logs, orphans
from app.core.config import Settings, get_settings

MAX_AUTO_WORKERS = 4


def worker_count(settings: Settings, cpus: int | None = None) -> int:
    """XUNCHA_WORKERS if set; else one process on SQLite — its writers take turns through a lock inside the
    process (app/core/db._WriterTurns) that cannot reach a second one, where they would poll SQLite's own
    lock — and one per CPU, up to MAX_AUTO_WORKERS, on PostgreSQL."""
    if settings.workers:
        return settings.workers
    if settings.database_url.startswith("sqlite"):
        return 1
    return max(1, min(cpus or os.cpu_count() or 1, MAX_AUTO_WORKERS))


def prepare_metrics_dir(workers: int, environ: "os._Environ[str] | dict[str, str]" = os.environ) -> Path | None:
    """With several processes: PROMETHEUS_MULTIPROC_DIR (set, or a new temporary directory), emptied of the
    samples of earlier runs, before any worker imports prometheus-client. One process: none."""
    if workers <= 1:
        return None
    given = environ.get("PROMETHEUS_MULTIPROC_DIR")
    path = Path(given) if given else Path(tempfile.mkdtemp(prefix="xuncha-metrics-"))
    path.mkdir(parents=True, exist_ok=True)
    for entry in path.iterdir():
        if entry.is_file() and entry.suffix == ".db":
            entry.unlink()
        elif entry.is_dir():
            shutil.rmtree(entry)
    environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    settings = get_settings()
    logs.configure(settings.log_format, settings.log_level)
    workers = worker_count(settings)
    made = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
    metrics_dir = prepare_metrics_dir(workers)
    if workers > 1:
        os.environ[orphans.SUPERVISOR_ENV] = str(os.getpid())  # its workers stop when it dies (app/core/orphans.py)
    try:
        uvicorn.run("app.main:app", host=args.host, port=args.port, workers=workers, loop="uvloop",
                    http="httptools", backlog=2048, timeout_graceful_shutdown=15, proxy_headers=True,
                    forwarded_allow_ips=settings.trusted_proxies, log_config=None, access_log=False)
    finally:
        if made and metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
