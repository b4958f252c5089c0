"""The database gate: a request waiting on photo processing lends its slot to others (app/core/load.py)."""

import threading

import anyio
import anyio.to_thread
import pytest

from app.core.load import DatabaseGate, Overloaded, slot_lent_out


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


def test_a_request_lends_its_slot_while_it_waits_and_takes_it_back():
    gate = DatabaseGate(slots=1, wait_seconds=0.5, retry_after=1)
    processing = threading.Event()
    finish = threading.Event()
    log: list[str] = []

    def photo_request_in_thread():
        with slot_lent_out():
            processing.set()
            assert finish.wait(5)
        log.append("upload stores its row")

    async def upload():
        async with gate.slot():
            await anyio.to_thread.run_sync(photo_request_in_thread)
            log.append("upload done")

    async def list_request():
        await anyio.to_thread.run_sync(processing.wait, 5)
        async with gate.slot():  # the only slot, served while the photo is processed
            log.append("list served")
        finish.set()

    async def main():
        async with anyio.create_task_group() as tg:
            tg.start_soon(upload)
            tg.start_soon(list_request)
        # Afterwards the one slot is free again: neither lost nor counted twice.
        async with gate.slot():
            with pytest.raises(Overloaded):
                async with gate.slot():
                    pass

    run_in_own_thread(main)
    assert log == ["list served", "upload stores its row", "upload done"]


def test_without_lending_the_slot_the_second_request_is_shed():
    gate = DatabaseGate(slots=1, wait_seconds=0.2, retry_after=1)

    async def main():
        async with gate.slot():
            with pytest.raises(Overloaded):
                async with gate.slot():
                    pass

    run_in_own_thread(main)


def test_lending_outside_a_request_does_nothing():
    with slot_lent_out():
        pass
