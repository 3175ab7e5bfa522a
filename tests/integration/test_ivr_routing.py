"""Inbound routing stories on the real Asterisk: number -> queue and priority, the
AGI server down, after hours, and callers who press 9 while queued."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from ivr_harness import VIP, ami_fixture, closed_port, harness_fixture, joined, unique_caller

from ivr import CallbackRequested

pytestmark = pytest.mark.asterisk
__all__ = ["ami_fixture", "harness_fixture"]  # the fixtures (named ami, harness) live in ivr_harness


async def test_a_vip_caller_to_a_queue_number_joins_that_queue_with_the_vip_priority(harness):
    async with harness.member("aftersales", "2961"):
        await harness.call("95590", VIP)
        try:
            join = await harness.wait_event(joined(VIP))
            assert join.get("Queue") == "aftersales"
            channel = join.get("Channel")
            assert await harness.getvar(channel, "QUEUE_PRIO") == "7"
            assert await harness.getvar(channel, "HOTLINE_OVERFLOW") == "queue:vip"
            assert await harness.getvar(channel, "HOTLINE_QUEUE_TIMEOUT") == "30"
            assert await harness.getvar(channel, "HOTLINE_OVERFLOW_TIMEOUT") == "20"
            assert await harness.getvar(channel, "HOTLINE_CUSTOMER_ID") == "C-71"
        finally:
            await harness.hangup_caller(VIP)


async def test_an_ordinary_caller_gets_the_entry_priority(harness):
    caller = unique_caller()
    async with harness.member("aftersales", "2962"):
        await harness.call("95590", caller)
        try:
            join = await harness.wait_event(joined(caller))
            assert await harness.getvar(join.get("Channel"), "QUEUE_PRIO") == "2"
        finally:
            await harness.hangup_caller(caller)


async def test_when_the_agi_server_is_down_the_call_still_reaches_the_default_queue(harness):
    caller = unique_caller()
    async with harness.member("service", "2963"):
        started = time.monotonic()
        await harness.call("95590", caller, agi_port=closed_port())
        try:
            join = await harness.wait_event(joined(caller))
            assert join.get("Queue") == "service"
            assert time.monotonic() - started < 3
            assert await harness.getvar(join.get("Channel"), "QUEUE_PRIO") == "0"
        finally:
            await harness.hangup_caller(caller)


async def test_after_hours_the_caller_leaves_a_voicemail(harness, asterisk):
    caller = unique_caller()
    await harness.call("95591", caller, stay=15)
    # Routing's last word is voicemail; the dialplan then plays vm-intro (5.5 s), which the
    # caller skips with '#', speaks for about two seconds and ends the message with '#'.
    await harness.press_during(caller, "#", "SET VARIABLE", "HOTLINE_ACTION", "voicemail")
    pressed = time.monotonic()
    await asyncio.sleep(2)
    await harness.press(caller, "#")
    event = await harness.wait_event(
        lambda f: (
            f.name == "UserEvent"
            and f.get("UserEvent") == "HotlineVoicemail"
            and f.get("CallerIDNum") == caller
        ),
        timeout=20,
    )
    assert event.get("Reason") == "after_hours"
    # Ended by the '#', not by the caller hanging up at 15 s; and vm-intro was cut short.
    assert time.monotonic() - pressed < 5
    recorded = asterisk.host_path(event.get("File"))
    assert recorded.exists() and recorded.stat().st_size > 1000


async def test_a_caller_who_hangs_up_while_speaking_still_leaves_a_voicemail(harness, asterisk):
    caller = unique_caller()
    # vm-intro plays in full (5.5 s); the caller makes sound, then simply hangs up at 8 s.
    await harness.call("95591", caller, stay=8)
    event = await harness.wait_event(
        lambda f: f.get("UserEvent") == "HotlineVoicemail" and f.get("CallerIDNum") == caller, timeout=20
    )
    assert event.get("Reason") == "after_hours"
    size = await asyncio.to_thread(os.path.getsize, asterisk.host_path(event.get("File")))
    assert size > 20000  # over a second of 8 kHz 16-bit audio (about 2.3 s recorded)
    await asyncio.sleep(0.5)
    assert (
        sum(
            1
            for f in harness.events
            if f.get("UserEvent") == "HotlineVoicemail" and f.get("CallerIDNum") == caller
        )
        == 1
    )


async def test_pressing_9_while_queued_asks_for_a_callback_that_keeps_the_place(harness):
    caller = unique_caller()
    async with harness.member("aftersales", "2966"):
        await harness.call("95590", caller, dtmf="9", delay=3, stay=20)
        join = await harness.wait_event(joined(caller))
        event = await harness.wait_bus(CallbackRequested, lambda e: e.caller == caller)
        assert (event.source, event.queue, event.priority, event.dnis) == ("queue", "aftersales", 2, "95590")
        assert event.call_id == join.get("Linkedid")
        assert event.requested_at - event.entered_at >= 2.5  # the time already waited counts
        await harness.wait_event(lambda f: f.name == "Hangup" and f.get("Channel") == join.get("Channel"))


def overflowed(caller: str):
    return lambda f: f.get("UserEvent") == "HotlineOverflow" and f.get("CallerIDNum") == caller


async def test_a_caller_not_answered_in_time_overflows_to_the_next_queue(harness):
    caller = unique_caller()
    async with harness.member("complaint", "2968"), harness.member("vip", "2969"):
        await harness.call("95593", caller)
        try:
            first = await harness.wait_event(joined(caller))
            assert first.get("Queue") == "complaint"
            event = await harness.wait_event(overflowed(caller), timeout=10)
            assert (event.get("Queue"), event.get("Reason"), event.get("Target")) == (
                "complaint",
                "TIMEOUT",
                "queue:vip",
            )
            assert float(event.get("Timestamp")) - float(first.get("Timestamp")) == pytest.approx(2, abs=1)
            second = await harness.wait_event(lambda f: joined(caller)(f) and f.get("Queue") == "vip")
            assert await harness.getvar(second.get("Channel"), "HOTLINE_QUEUE_TIMEOUT") == "20"
        finally:
            await harness.hangup_caller(caller)


async def test_with_no_agent_logged_in_the_caller_overflows_at_once(harness):
    caller = unique_caller()
    await harness.clear_queue("complaint")
    async with harness.member("vip", "2970"):
        started = time.monotonic()
        await harness.call("95593", caller)
        try:
            event = await harness.wait_event(overflowed(caller))
            assert (event.get("Reason"), event.get("Target")) == ("JOINEMPTY", "queue:vip")
            second = await harness.wait_event(joined(caller))
            assert second.get("Queue") == "vip" and time.monotonic() - started < 2
        finally:
            await harness.hangup_caller(caller)
