"""The tasks hotline.runtime runs beside a process's work (the dialer, SLA timers,
notifications, ...) are supervised: one that fails is logged with its traceback and started
again after a bounded back-off, instead of dying unseen until the process stops."""

import asyncio
import logging

from hotline import runtime


async def _until(condition, within: float = 5.0) -> None:
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 (polls what a background task changes)
            await asyncio.sleep(0.005)


async def test_a_background_task_that_fails_is_logged_and_started_again_with_a_bounded_back_off(
    monkeypatch, caplog
):
    monkeypatch.setattr(runtime, "RESTART_AFTER", 0.001)
    monkeypatch.setattr(runtime, "RESTART_AFTER_MAX", 0.004)
    caplog.set_level(logging.INFO, logger="hotline.runtime")
    runs = 0
    forever = asyncio.Event()

    async def work() -> None:
        nonlocal runs
        runs += 1
        if runs <= 4:
            raise RuntimeError(f"failure {runs}")
        await forever.wait()

    async with runtime._background(work, "some-worker") as task:
        await _until(lambda: runs == 5)
        await asyncio.sleep(0.02)
        assert not task.done()  # the fifth start runs on
        assert runs == 5
    assert task.done()

    failures = [r for r in caplog.records if r.name == "hotline.runtime" and r.exc_info]
    assert [str(r.exc_info[1]) for r in failures] == [f"failure {n}" for n in range(1, 5)]
    assert all("some-worker" in r.getMessage() for r in failures)
    # the wait before each new start: doubled each time, up to the max
    assert [r.args[1] for r in failures] == [0.001, 0.002, 0.004, 0.004]


async def test_a_background_task_that_ends_is_not_started_again(caplog):
    caplog.set_level(logging.INFO, logger="hotline.runtime")
    runs = 0

    async def once() -> None:
        nonlocal runs
        runs += 1

    async with runtime._background(once, "one-shot") as task:
        await _until(task.done)
    assert runs == 1
    assert any("one-shot ended" in r.getMessage() for r in caplog.records)
