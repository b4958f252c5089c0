"""Admission control: when the server is saturated, answer 503 + Retry-After at once instead of stalling.

Two gates, both answering the same JSON error:

- `LoadShedding` (pure ASGI, outermost): at most `max_in_flight` requests at a time, whatever they do;
  one more is refused at once. /api/health and /api/ready are exempt (async; the readiness checks run in
  threads of their own, app/core/health.py): a saturated process is still alive and ready, only busy.
  A request whose body is still arriving counts apart, at most `max_receiving` of them: slow phones (or a
  client trickling bytes on purpose) waiting on their uploads cannot take the places of the city's reads.
  Once its body is in, it counts as in flight like any other.
- `DatabaseGate`: at most `slots` requests hold a database session at once, and `slots` is the size of
  the connection pool. A request holds a connection across several hops between the event loop and the
  thread pool (token lookup, endpoint, close); when more requests than connections were let in, the
  threads waiting for a connection kept the holders from getting a thread, and nothing moved until the
  pool timed out (the stall of issue 7). Waiting for a slot happens on the event loop, costs no thread
  and lasts at most `wait_seconds` (503 at once when the line ahead could not be served within it, 503
  after it otherwise). The slot is taken after the request body has been read,
  so a slow phone uploading a photo does not hold one.

The worker-thread limit is set to `threads` (≥ slots) in the app's lifespan, so every slot holder finds
a thread; the few threads above `slots` serve work without a session (static files, upload spooling).
"""

from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import anyio
import anyio.to_thread
from anyio.lowlevel import RunVar
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import Overloaded
from app.core.http_errors import error_response

__all__ = ["DatabaseGate", "LoadShedding", "Overloaded", "in_flight", "set_worker_threads"]



# Requests in flight in this process (all LoadShedding instances: one per app; tests run several).
_in_flight = 0


def in_flight() -> int:
    return _in_flight


class LoadShedding:
    """Refuses at once, before any routing or parsing: beyond `max_in_flight`, or an API request while
    the database gate would shed it anyway (a 503 at saturation then costs next to nothing)."""

    def __init__(self, app: ASGIApp, *, max_in_flight: int, retry_after: float,
                 gate: "Callable[[], DatabaseGate] | None" = None,
                 exempt: frozenset[str] = frozenset({"/api/health", "/api/ready"}), max_receiving: int = 0):
        self.app = app
        self.max_in_flight = max_in_flight
        self.max_receiving = max_receiving  # 0: bodies count as in flight from the first byte
        self.retry_after = retry_after
        self.gate = gate
        self.exempt = exempt
        self.in_flight = 0
        self.receiving = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight or (
                self.gate is not None and scope["path"].startswith("/api/") and self.gate().would_shed()):
            # Read (and drop) the body first: answering while the client still sends resets the connection
            # under it, and the client never sees the 503. BodySizeLimit, outside, bounds what is read.
            await _discard_body(receive)
            await error_response(Overloaded(self.retry_after))(scope, receive, send)
            return
        if self.max_receiving and _has_body(scope):
            await self._receiving_first(scope, receive, send)
            return
        self._enter()
        try:
            await self.app(scope, receive, send)
        finally:
            self._leave()

    def _enter(self) -> None:
        global _in_flight
        self.in_flight += 1
        _in_flight += 1

    def _leave(self) -> None:
        global _in_flight
        self.in_flight -= 1
        _in_flight -= 1

    async def _receiving_first(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A request with a body: counted among the receiving until its last byte is in, then in flight."""
        if self.receiving >= self.max_receiving:
            await _discard_body(receive)
            await error_response(Overloaded(self.retry_after))(scope, receive, send)
            return
        self.receiving += 1
        arriving = True

        async def admitted_receive() -> Message:
            nonlocal arriving
            message = await receive()
            if arriving and (message["type"] != "http.request" or not message.get("more_body", False)):
                arriving = False
                self.receiving -= 1
                self._enter()
            return message
        try:
            await self.app(scope, admitted_receive, send)
        finally:
            if arriving:
                self.receiving -= 1
            else:
                self._leave()


def _has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return value.strip() not in (b"", b"0")
        if name == b"transfer-encoding":
            return True
    return False


async def _discard_body(receive: Receive) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


class _Slots:
    """A counting semaphore whose finishing waiters go first: a request that already did its costly part (a
    processed photo waiting to be recorded) is not sent to the back of the line at saturation, where it
    could wait out its slot and be refused with the work done."""

    def __init__(self, value: int):
        self.value = value
        self._lines: tuple[deque, deque] = (deque(), deque())  # finishing, then everyone else

    async def acquire(self, *, finishing: bool, timeout: float) -> None:
        if self.value > 0 and not (self._lines[0] or self._lines[1]):
            self.value -= 1
            return
        waiter = _Waiter()
        line = self._lines[0 if finishing else 1]
        line.append(waiter)
        try:
            with anyio.fail_after(timeout):
                await waiter.granted.wait()
        except BaseException:
            if waiter.granted.is_set():
                self.release()  # handed over just as the wait ran out: pass it on
            else:
                line.remove(waiter)
            raise

    def release(self) -> None:
        for line in self._lines:
            if line:
                line.popleft().granted.set()
                return
        self.value += 1


class _Waiter:
    __slots__ = ("granted",)

    def __init__(self):
        self.granted = anyio.Event()


# One set of slots per event loop: a process serves from one loop, but tests run several TestClients (each
# with its own loop) at once, and an asyncio primitive must not cross loops.
_semaphores: RunVar[dict[int, _Slots]] = RunVar("xuncha_db_gate")


class DatabaseGate:
    """At most `slots` holders; a request that would wait longer than `wait_seconds` is shed at once.

    The expected wait of a newcomer is the line ahead of it times the time a slot is held (a moving
    average of recent holds), shared by the slots. When that exceeds twice `wait_seconds` the 503 comes at once
    instead of after waiting `wait_seconds` for nothing: at saturation, a phone learns within milliseconds
    to come back later, and the requests let in are served within the wait. `wait_seconds` still bounds
    every wait in case the estimate was wrong."""

    # Weight of the newest hold in the moving average: about the last 20 holds count.
    SMOOTHING = 0.05

    def __init__(self, *, slots: int, wait_seconds: float, retry_after: float):
        self.slots = slots
        self.wait_seconds = wait_seconds
        self.retry_after = retry_after
        self.waiting = 0
        self.mean_hold = 0.0  # seconds; 0 until a first hold is measured, so nothing is shed on a guess

    def _semaphore(self) -> _Slots:
        try:
            per_loop = _semaphores.get()
        except LookupError:
            per_loop = {}
            _semaphores.set(per_loop)
        if id(self) not in per_loop:
            per_loop[id(self)] = _Slots(self.slots)
        return per_loop[id(self)]

    def expected_wait(self) -> float:
        return (self.waiting + 1) * self.mean_hold / self.slots

    def would_shed(self) -> bool:
        # Twice the wait: the average lags (holds measured on a cold server, or before a burst's requests
        # settled), and a burst the server can absorb within the wait must not be turned away on a guess.
        return self._semaphore().value == 0 and self.expected_wait() > 2 * self.wait_seconds

    @asynccontextmanager
    async def slot(self, *, finishing: bool = False) -> AsyncIterator[None]:
        """Hold one slot. `finishing`: the request already did its costly part; it goes ahead of the others
        waiting and is never shed on the estimate (it may still wait out `wait_seconds`)."""
        semaphore = self._semaphore()
        if not finishing and self.would_shed():
            raise Overloaded(self.retry_after)
        self.waiting += 1
        try:
            await semaphore.acquire(finishing=finishing, timeout=self.wait_seconds)
        except TimeoutError:
            raise Overloaded(self.retry_after) from None
        finally:
            self.waiting -= 1
        taken = anyio.current_time()
        try:
            yield
        finally:
            semaphore.release()
            held = anyio.current_time() - taken
            self.mean_hold = held if self.mean_hold == 0 else self.mean_hold + self.SMOOTHING * (held - self.mean_hold)


def set_worker_threads(threads: int) -> None:
    """AnyIO's thread limit for sync endpoints and dependencies (default 40), set explicitly."""
    anyio.to_thread.current_default_thread_limiter().total_tokens = threads
