"""Photo processing in a bounded pool of worker processes, so image work never holds the server's GIL.

At most `workers` photos are processed at once (this also bounds decode memory), at most `queue` more
wait for a turn, and any further upload is refused at once with `PhotoWorkersBusy` (503 + Retry-After)
instead of piling up. Workers are replaced after `max_tasks` photos, so memory that an allocator keeps
after a large decode goes back to the system; idle workers also hand freed heap back after each photo.
"""

import asyncio
import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from app.core import logs, orphans
from app.core.config import get_settings
from app.core.errors import Unavailable

T = TypeVar("T")


class PhotoWorkersBusy(Unavailable):
    """Every worker is busy and the waiting line is full: 503, retry after `retry_after` s."""

    code = "busy"

    def __init__(self, retry_after: int):
        super().__init__("服务器繁忙，请稍后重试 Server busy, retry shortly", retry_after, details=None)


class PhotoWorkers:
    """A bounded process pool: `run` blocks the calling thread until the result, `run_async` awaits it."""

    # An async upload is refused at once when the photos ahead of it would take longer than this: at
    # saturation the niced workers crawl, and a phone waiting 10 s for its upload counts as a timeout.
    MAX_EXPECTED_WAIT_S = 3.0
    SMOOTHING = 0.1  # weight of the newest photo in the moving average of a photo's time

    def __init__(self, workers: int, queue: int, max_tasks: int, retry_after: int = 2):
        self.workers = max(1, workers)
        self.pending = 0  # photos admitted by run_async and not yet done
        self.mean_seconds = 0.0  # wall time of a photo in a worker, moving average (0: none measured yet)
        self.max_tasks = max(1, max_tasks)
        self.retry_after = retry_after
        self._admitted = threading.BoundedSemaphore(self.workers + max(0, queue))
        self._running = threading.BoundedSemaphore(self.workers)
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None
        self._tasks = 0

    def run(self, fn: Callable[..., T], /, *args, **kwargs) -> T:
        """fn(*args, **kwargs) in a worker process; raises PhotoWorkersBusy when the line is full."""
        if not self._admitted.acquire(blocking=False):
            raise PhotoWorkersBusy(self.retry_after)
        try:
            with self._running:
                executor = self._checkout()
                future = self._submit(executor, _call, fn, args, kwargs)
                try:
                    return future.result()
                except BrokenProcessPool:  # a worker died (e.g. killed by the OOM killer): start afresh
                    self._retire(executor)
                    raise PhotoWorkersBusy(self.retry_after) from None
        finally:
            self._admitted.release()

    async def run_async(self, fn: Callable[..., T], /, *args, **kwargs) -> T:
        """`run` for the event loop: awaits the worker process without holding a thread. The pool's own
        queue holds the admitted photos beyond the workers (admission bounds them)."""
        if self.expected_wait() > self.MAX_EXPECTED_WAIT_S or not self._admitted.acquire(blocking=False):
            raise PhotoWorkersBusy(self.retry_after)
        self.pending += 1
        try:
            executor = self._checkout()
            future = self._submit(executor, _timed_call, fn, args, kwargs)
            try:
                result, took = await asyncio.wrap_future(future)
            except BrokenProcessPool:
                self._retire(executor)
                raise PhotoWorkersBusy(self.retry_after) from None
            self.mean_seconds = took if not self.mean_seconds else self.mean_seconds + self.SMOOTHING * (
                took - self.mean_seconds)
            return result
        finally:
            self.pending -= 1
            self._admitted.release()

    def _submit(self, executor: ProcessPoolExecutor, call: Callable[..., T], fn: Callable, args: tuple,
                kwargs: dict) -> Future:
        try:
            return executor.submit(call, fn, args, kwargs)
        except (BrokenProcessPool, EOFError, OSError):
            # No worker could be started: the forkserver died (Ctrl-C or a stop signalling the whole process
            # group, the OOM killer). Busy, which the phone retries, and a new pool for the next photo.
            self._retire(executor)
            raise PhotoWorkersBusy(self.retry_after) from None

    def expected_wait(self) -> float:
        """How long a newly admitted photo would wait for the ones ahead of it, by the recent average."""
        return self.pending * self.mean_seconds / self.workers

    def shutdown(self) -> None:
        """Stop the workers after the photos they are processing; a later `run` starts new ones."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _checkout(self) -> ProcessPoolExecutor:
        # ProcessPoolExecutor's own max_tasks_per_child deadlocks on Python 3.11 when tasks wait
        # (gh-115634), so the whole pool is replaced instead; the old one finishes its photos and exits.
        with self._lock:
            if self._executor is not None and self._tasks >= self.max_tasks:
                self._executor.shutdown(wait=False)
                self._executor = None
            if self._executor is None:
                self._executor = ProcessPoolExecutor(self.workers, mp_context=_context(),
                                                     initializer=_init_worker)
                self._tasks = 0
            self._tasks += 1
            return self._executor

    def _retire(self, executor: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is executor:
                self._executor = None
        executor.shutdown(wait=False)


def _context() -> multiprocessing.context.BaseContext:
    # forkserver: workers fork from a small clean process (not from the server with its threads and
    # connections), with the imaging libraries already imported, so a new worker starts in milliseconds.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["app.photos.forkserver_guard", "app.photos.processing"])
    return context


# Photo work yields the CPU to the requests people wait on: an upload is synced by the outbox in the
# background, a list is read by someone looking at the screen. At a shift start on 2 cores the photo workers
# took the CPU from the server's reads (reads p95 2.6 s on SQLite, with 503s).
WORKER_NICENESS = 10


# glibc's malloc in a photo worker: buffers up to 32 MB (a 12 MP photo's decoded and resized images) come
# from the heap and stay there once freed, so the next photo reuses pages already mapped; bigger ones (a
# huge PNG) are mapped apart and unmapped when freed. Trimming the heap after every photo gave all pages back
# and cost ~7,000 page faults on the next one, ~15 % of its CPU (bench/photos.py --real); the heap is now
# trimmed only when more than TRIM_ABOVE_BYTES (32 MB) lie free in it.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # mallopt parameters (malloc.h)
MMAP_THRESHOLD_BYTES = 32 * 1024 * 1024
TRIM_ABOVE_BYTES = 32 * 1024 * 1024


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                     "fsmblks", "uordblks", "fordblks", "keepcost")]


def _init_worker() -> None:
    orphans.die_with_parent(signal.SIGKILL)  # the forkserver, single-threaded: it forked us from its main thread
    os.nice(WORKER_NICENESS)
    # A forkserver child starts without the app's logging: its records would reach stderr bare, libvips' chatter
    # about every damaged upload included.
    settings = get_settings()
    logs.configure(settings.log_format, settings.log_level)
    if _libc is not None and hasattr(_libc, "mallopt"):
        _libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
        _libc.mallopt(M_TRIM_THRESHOLD, TRIM_ABOVE_BYTES)
    try:
        import pyvips

        pyvips.cache_set_max(0)  # no operation cache: it would keep decoded images alive
        pyvips.concurrency_set(1)  # parallelism comes from the pool, not from threads inside a worker
    except ImportError:  # pragma: no cover - pyvips is a dependency; processing reports it if missing
        pass


_libc = ctypes.CDLL(ctypes.util.find_library("c")) if ctypes.util.find_library("c") else None


def _timed_call(fn: Callable[..., T], args: tuple, kwargs: dict) -> tuple[T, float]:
    """The result and the wall time it took in the worker (with the CPU the worker got: it is niced)."""
    started = time.perf_counter()
    result = _call(fn, args, kwargs)
    return result, time.perf_counter() - started


def _call(fn: Callable[..., T], args: tuple, kwargs: dict) -> T:
    try:
        return fn(*args, **kwargs)
    finally:
        if _heap_free_bytes() > TRIM_ABOVE_BYTES:
            _libc.malloc_trim(0)  # freed buffers of a huge image lie inside the heap, where the threshold misses them


def _heap_free_bytes() -> int:
    """Bytes glibc holds free in its heaps (0 where that cannot be asked: another libc)."""
    if _libc is None or not hasattr(_libc, "mallinfo2") or not hasattr(_libc, "malloc_trim"):
        return 0
    _libc.mallinfo2.restype = _MallInfo2
    return _libc.mallinfo2().fordblks
