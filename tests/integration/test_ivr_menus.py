"""IVR menu stories on the real Asterisk: a caller presses keys and ends up in a queue,
hears their bill, leaves a fault report or asks for a callback.

The caller presses while the IVR plays or listens (harness.press_during: once our AGI
server has sent that prompt or GET DATA), as callers press ahead of a menu they know,
not after fixed pauses."""

from __future__ import annotations

import asyncio
import os

import pytest
from ivr_harness import ami_fixture, harness_fixture, joined, unique_caller

from cti.call_events import VoicemailReceived
from ivr import CallbackRequested, IvrFinished

pytestmark = pytest.mark.asterisk
__all__ = ["ami_fixture", "harness_fixture"]  # the fixtures (named ami, harness) live in ivr_harness


async def test_a_menu_choice_sends_the_caller_to_the_queue_and_records_the_path(harness):
    caller = unique_caller()
    async with harness.member("aftersales", "2964"):
        await harness.call("95592", caller)
        try:
            await harness.press_during(caller, "5", "STREAM FILE", "basic-pbx-ivr-main")
            join = await harness.wait_event(joined(caller))
            assert join.get("Queue") == "aftersales"
            assert await harness.getvar(join.get("Channel"), "HOTLINE_IVR_PATH") == "top:5"
            ivr = await harness.wait_event(
                lambda f: f.get("UserEvent") == "HotlineIvr" and f.get("Path") == "top:5"
            )
            assert ivr.get("Flow") == "test" and ivr.get("Linkedid") == join.get("Linkedid")
            finished = await harness.wait_bus(IvrFinished, lambda e: e.caller == caller)
            assert (finished.outcome, finished.queue, finished.path) == ("queue", "aftersales", ("top:5",))
        finally:
            await harness.hangup_caller(caller)


async def test_bill_lookup_by_account_number_then_queue(harness):
    caller = unique_caller()
    harness.bill_phones = (caller,)  # the account holder: the bill is read at once
    async with harness.member("aftersales", "2965"):
        await harness.call("95592", caller, stay=30)
        try:
            await harness.press_during(caller, "2", "STREAM FILE", "basic-pbx-ivr-main")
            # The first digit cuts the "enter your account" prompt short; the rest go to GET DATA.
            await harness.press_during(caller, "1", "STREAM FILE", "hotline/enter-account")
            await harness.press_during(caller, "23456#", "GET DATA")
            join = await harness.wait_event(joined(caller), timeout=25)
            assert harness.bills == ["123456"]
            path = await harness.getvar(join.get("Channel"), "HOTLINE_IVR_PATH")
            assert path == "top:2/bill:found"
        finally:
            await harness.hangup_caller(caller)


async def test_reporting_a_fault_records_a_message_and_publishes_it(harness):
    caller = unique_caller()
    await harness.call("95592", caller, stay=30)
    await harness.press_during(caller, "4", "STREAM FILE", "basic-pbx-ivr-main")
    # The caller's tones are recorded for two seconds, until '#' (Record drops the last 1/4 s).
    await harness.wait_agi(caller, "EXEC", "Record")
    await asyncio.sleep(2)
    await harness.press(caller, "#")
    event = await harness.wait_bus(VoicemailReceived, lambda e: e.caller == caller, timeout=30)
    assert event.reason == "fault_report" and event.dnis == "95592"
    size = await asyncio.to_thread(os.path.getsize, event.path)
    assert size > 1000
    assert event.duration > 0.5
    finished = await harness.wait_bus(IvrFinished, lambda e: e.caller == caller)
    assert finished.outcome == "self_service" and "report_fault" in finished.self_service


async def test_a_callback_request_keeps_the_callers_place_and_ends_the_call(harness):
    caller = unique_caller()
    await harness.call("95592", caller, stay=15)
    await harness.press_during(caller, "9", "STREAM FILE", "basic-pbx-ivr-main")
    event = await harness.wait_bus(CallbackRequested, lambda e: e.caller == caller)
    assert event.queue == "service" and event.entered_at <= event.requested_at
    assert event.ivr_path == ("top:9",)
    hangup = await harness.wait_event(
        lambda f: f.name == "Hangup" and f.get("CallerIDNum") == caller, timeout=15
    )
    assert hangup is not None


async def test_after_the_agent_hangs_up_the_caller_rates_the_call(harness):
    from ivr import SurveyAnswered

    caller = unique_caller()
    # The agent answers at once and hangs up after a second; the caller stays for the
    # survey and presses 4 while the question plays.
    async with harness.member("aftersales", "2971", ring="0", talk="1"):
        await harness.call("95594", caller, stay=15)
        await harness.press_during(caller, "4", "STREAM FILE", "hotline/survey-question")
        answer = await harness.wait_bus(SurveyAnswered, lambda e: e.caller == caller, timeout=20)
    assert (answer.score, answer.queue, answer.dnis) == (4, "aftersales", "95594")
    assert answer.member == "ivr2971"
    join = await harness.wait_event(joined(caller))
    assert answer.call_id == join.get("Linkedid")
