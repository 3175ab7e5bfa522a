"""The state bar's counts read for a socket that closed (agent_ui.work.work_counts): the read
runs on to close its session, and its refusal for an account an admin has just disabled is
retrieved, not logged by asyncio as an ERROR (QA 2026-11-29 #11)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from types import SimpleNamespace

import pytest

from agent_ui import work


class _SessionOfDisabledUser:
    """A session whose user row is read only once ``released``, and is then gone (disabled)."""

    def __init__(self, released: asyncio.Event, reading: asyncio.Event) -> None:
        self.released = released
        self.reading = reading

    async def get(self, model, key):
        self.reading.set()
        await self.released.wait()
        return None


def _services(released: asyncio.Event, reading: asyncio.Event) -> SimpleNamespace:
    @contextlib.asynccontextmanager
    async def sessionmaker():
        yield _SessionOfDisabledUser(released, reading)

    return SimpleNamespace(sessionmaker=sessionmaker)


def _user() -> SimpleNamespace:
    return SimpleNamespace(id=1, roles=("agent",), password_stamp="")


async def test_a_refused_read_for_a_closed_socket_is_not_logged(caplog):
    caplog.set_level(logging.DEBUG)
    released, reading = asyncio.Event(), asyncio.Event()
    writer = asyncio.ensure_future(work.work_counts(_services(released, reading), _user()))
    await reading.wait()
    writer.cancel()  # the socket closed
    with pytest.raises(asyncio.CancelledError):
        await writer
    released.set()  # the admin's 停用 is committed: the read is refused
    for _ in range(5):
        await asyncio.sleep(0)
    assert not work._unawaited_reads
    del writer
    gc.collect()
    await asyncio.sleep(0)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_the_refusal_still_reaches_a_caller_that_waits():
    released, reading = asyncio.Event(), asyncio.Event()
    released.set()
    with pytest.raises(work.UiError) as refused:
        await work.work_counts(_services(released, reading), _user())
    assert refused.value.error_id == "auth.required"


async def test_an_unexpected_failure_of_an_orphaned_read_is_logged(caplog, monkeypatch):
    started, fail = asyncio.Event(), asyncio.Event()

    async def broken_read(services, user):
        started.set()
        await fail.wait()
        raise RuntimeError("database went away")

    monkeypatch.setattr(work, "_read_counts", broken_read)
    writer = asyncio.ensure_future(work.work_counts(None, _user()))
    await started.wait()
    writer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await writer
    fail.set()
    for _ in range(5):
        await asyncio.sleep(0)
    errors = [r for r in caplog.records if r.name == "agent_ui.work" and r.levelno == logging.ERROR]
    assert [r.getMessage() for r in errors] == ["work counts read for a closed socket failed"]
