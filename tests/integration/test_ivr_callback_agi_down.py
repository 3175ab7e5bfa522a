"""Keep my place, call me back, while the AGI server is down (real Asterisk).

A queued caller with a number presses 9 and the FastAGI does not answer: the dialplan keeps the
request itself (AstDB ``hotline-callback/<linkedid>``), tells the call model and the caller, and
hangs up; it used to queue them again, at the back. ``ivr.callback_spool`` then publishes the
request as the AGI would have (the call's arrival as its place) and forgets the record.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest
from ivr_harness import ami_fixture, closed_port, harness_fixture, joined, unique_caller

from ivr import CallbackRequested
from ivr.callback_spool import DialplanCallbacks

pytestmark = pytest.mark.asterisk
__all__ = ["ami_fixture", "harness_fixture"]  # the fixtures (named ami, harness) live in ivr_harness


async def test_pressing_9_with_the_agi_server_down_keeps_the_callers_place(harness):
    caller, call_id = unique_caller(), ""
    family = f"hotline-callback-test-{uuid.uuid4().hex[:8]}"
    async with harness.member("service", "2972"):
        # its own AstDB family: no other drainer on this Asterisk (a demo's worker) takes the record
        await harness.call(
            "95590", caller, stay=30, agi_port=closed_port(), variables=f"HOTLINE_CALLBACK_DB={family}"
        )
        try:
            # AGI down: routing fell through to the default queue; the caller waits there a while
            first = await harness.wait_event(joined(caller))
            call_id = first.get("Linkedid")
            await harness.wait_event(lambda f: f.name == "AgentCalled" and f.get("CallerIDNum") == caller)
            await asyncio.sleep(1.2)
            await harness.press(caller, "9")
            kept = await harness.wait_event(
                lambda f: f.get("UserEvent") == "HotlineCallback" and f.get("Linkedid") == call_id
            )
            assert (kept.get("Source"), kept.get("Queue")) == ("dialplan", "service")
            # the request is in Asterisk's own database, waiting for us
            (entry,) = [
                f
                for f in await harness.ami.action_list("DBGetTree", Family=family)
                if f.get("Key").endswith(call_id)
            ]
            assert entry.get("Val").split("|")[:4] == [caller, "service", "0", "95590"]
            # the caller is told (hotline/callback-saved, 8 s in the shipped zh prompts, then
            # goodbye) and let go, not queued again at the back
            gone = await harness.wait_event(
                lambda f: f.name == "Hangup" and f.get("Channel") == first.get("Channel"), timeout=30
            )
            assert float(gone.get("Timestamp")) - float(kept.get("Timestamp")) > 5
            await asyncio.sleep(0.5)
            assert [f for f in harness.events if joined(caller)(f)] == [first]

            # back up: the request is published as the AGI would have, and the record forgotten
            spool = DialplanCallbacks(harness.ami, harness.bus, interval=60, family=family)
            task = asyncio.create_task(spool.run())
            try:
                event = await harness.wait_bus(CallbackRequested, lambda e: e.caller == caller, timeout=10)
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            assert (event.source, event.queue, event.dnis, event.call_id) == (
                "queue",
                "service",
                "95590",
                call_id,
            )
            assert event.entered_at == int(float(call_id))  # its place: when the call arrived
            assert event.requested_at - event.entered_at >= 1.0  # the time already waited counts
            left = [
                f
                for f in await harness.ami.action_list("DBGetTree", Family=family)
                if call_id in f.get("Key")
            ]
            assert left == []
        finally:
            await harness.hangup_caller(caller)
            with contextlib.suppress(Exception):  # not left behind by a failed run
                await harness.ami.action("DBDel", Family=family, Key=call_id)
