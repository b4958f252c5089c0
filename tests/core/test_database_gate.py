"""The database gate: a request waiting on photo processing lends its slot to others (app/core/load.py)."""

import threading

import anyio
import anyio.to_thread
import pytest

from app.core.load import DatabaseGate, LoadShedding, Overloaded


def run_in_own_thread(main) -> None:
    """anyio.run in a fresh thread: a browser test earlier in the run may leave this thread's loop set."""
    failure: list[BaseException] = []

    def target():
        try:
            anyio.run(main)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "the event loop did not finish in 30 s"
    if failure:
        raise failure[0]


def test_a_second_request_waits_for_the_one_slot_then_is_shed():
    gate = DatabaseGate(slots=1, wait_seconds=0.2, retry_after=1)

    async def main():
        async with gate.slot():
            with pytest.raises(Overloaded):
                async with gate.slot():
                    pass

    run_in_own_thread(main)


def test_when_the_line_ahead_is_longer_than_the_wait_the_503_comes_at_once():
    """Holds of ~0.5 s, one slot, a 0.7 s wait (shed at once beyond twice that): with two already waiting
    (expected wait 1.5 s) the next is shed in milliseconds, not after waiting 0.7 s in vain, while the two
    waiting (~0.5 s each) are served. Whole tenths of a second: on a busy machine (the browser tests run beside
    this process) a wake-up can come tens of milliseconds late, which the margins absorb."""
    hold_s, wait_s = 0.5, 0.7
    gate = DatabaseGate(slots=1, wait_seconds=wait_s, retry_after=1)
    served, shed = [], []

    async def hold(seconds: float):
        async with gate.slot():
            await anyio.sleep(seconds)
        served.append(seconds)

    async def newcomer():
        started = anyio.current_time()
        try:
            async with gate.slot():
                served.append("newcomer")
        except Overloaded:
            shed.append(anyio.current_time() - started)

    async def main():
        await hold(hold_s)  # measures a hold: the gate now expects ~0.5 s per request
        assert hold_s * 0.9 < gate.mean_hold < hold_s * 3
        async with anyio.create_task_group() as tg:
            tg.start_soon(hold, hold_s)
            await anyio.sleep(0.01)
            tg.start_soon(hold, 0.01)  # waits: expected 0.5 s, within the wait
            await anyio.sleep(0.01)
            tg.start_soon(hold, 0.01)  # waits: expected 1.0 s (in fact ~0.5: the one ahead holds 0.01 s)
            await anyio.sleep(0.01)
            tg.start_soon(newcomer)  # expected 1.5 s > 2 × 0.7 s: shed at once
        assert len(shed) == 1 and shed[0] < wait_s / 10, shed
        assert "newcomer" not in served and len(served) == 4

    run_in_own_thread(main)


def test_an_idle_gate_never_sheds_on_its_estimate():
    gate = DatabaseGate(slots=2, wait_seconds=0.05, retry_after=1)
    gate.mean_hold = 10.0  # a slow past: with a free slot nobody waits, so nobody is turned away

    async def main():
        async with gate.slot():
            async with gate.slot():
                pass

    run_in_own_thread(main)


def test_while_the_gate_would_shed_an_api_request_is_refused_before_routing():
    """The outermost middleware answers the 503 itself (no routing, no body parsing, no dependencies):
    at saturation a refusal must cost next to nothing. /api/health, /api/ready and the app's pages still get
    through."""
    gate = DatabaseGate(slots=1, wait_seconds=0.4, retry_after=3)
    reached: list[str] = []

    async def app(scope, receive, send):
        reached.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    shedding = LoadShedding(app, max_in_flight=100, retry_after=3, gate=lambda: gate)

    async def request(path: str) -> tuple[int, dict]:
        sent: list[dict] = []

        async def receive():
            return {"type": "http.request", "body": b"{}", "more_body": False}

        async def send(message):
            sent.append(message)

        await shedding({"type": "http", "path": path, "method": "POST", "headers": []}, receive, send)
        start = sent[0]
        return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}

    async def main():
        assert (await request("/api/tickets"))[0] == 200  # idle: through
        gate.mean_hold = 1.0  # requests hold their slot ~1 s
        async with gate.slot():  # the one slot is taken: a newcomer would wait ~1 s > 2 × 0.4 s
            status, headers = await request("/api/tickets")
            assert status == 503 and headers["retry-after"] == "3"
            assert (await request("/api/health"))[0] == 200
            assert (await request("/api/ready"))[0] == 200
            assert (await request("/assets/index.js"))[0] == 200
        assert reached == ["/api/tickets", "/api/health", "/api/ready", "/assets/index.js"]

    run_in_own_thread(main)


def test_a_finishing_request_goes_ahead_of_those_waiting_and_is_not_shed_on_the_estimate():
    """An upload whose photo is processed and stored records it ahead of newcomers: at saturation, waiting in
    the line behind them it could wait out its slot and be refused with the work done (PostgreSQL saturation:
    uploads timed out at 10 s)."""
    gate = DatabaseGate(slots=1, wait_seconds=1.0, retry_after=1)
    order = []

    async def request(name: str, finishing: bool = False):
        async with gate.slot(finishing=finishing):
            order.append(name)
            await anyio.sleep(0.01)

    async def main():
        async with anyio.create_task_group() as tg:
            async with gate.slot():
                tg.start_soon(request, "newcomer 1")
                await anyio.sleep(0.01)
                tg.start_soon(request, "newcomer 2")
                await anyio.sleep(0.01)
                tg.start_soon(request, "finishing upload", True)
                await anyio.sleep(0.01)
        assert order == ["finishing upload", "newcomer 1", "newcomer 2"]
        gate.mean_hold = 100.0  # a line that could never be served within the wait: newcomers are shed …
        async with anyio.create_task_group() as tg:
            async with gate.slot():
                with pytest.raises(Overloaded):
                    async with gate.slot():
                        pass
                tg.start_soon(request, "finishing after the estimate", True)  # … a finishing one waits instead
                await anyio.sleep(0.01)
        assert order[-1] == "finishing after the estimate"

    run_in_own_thread(main)


def test_a_waiter_that_gives_up_leaves_the_line_and_the_slot_goes_to_the_next():
    gate = DatabaseGate(slots=1, wait_seconds=0.3, retry_after=1)  # room for a late wake-up on a busy machine
    served = []

    async def main():
        async with anyio.create_task_group() as tg:
            async with gate.slot():
                with pytest.raises(Overloaded):  # waits 0.3 s in vain
                    async with gate.slot():
                        pass

                async def patient():
                    async with gate.slot(finishing=True):
                        served.append("patient")

                tg.start_soon(patient)
                await anyio.sleep(0.01)
        assert served == ["patient"] and gate._semaphore().value == 1

    run_in_own_thread(main)
