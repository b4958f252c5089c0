"""The database gate: a request waiting on photo processing lends its slot to others (app/core/load.py)."""

import threading

import anyio
import anyio.to_thread
import pytest

from app.core.load import DatabaseGate, Overloaded


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
