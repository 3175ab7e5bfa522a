"""QA #15 on the real Asterisk: a message left past a queue says why, so the inbox does not take
it for a fault report nor an after-hours one. The dialplan's overflow to voicemail sets
``HOTLINE_VM_REASON``: queue_timeout (排队超时留言) when the queue's wait ran out, queue_unstaffed
(无坐席接听留言) when no agent could take the call (nobody signed in: JOINEMPTY). Before, such a
message carried no reason at all."""

from __future__ import annotations

import pytest
from ivr_harness import QueueLine, ami_fixture, joined, serving, unique_caller

pytestmark = pytest.mark.asterisk
__all__ = ["ami_fixture"]

LINE = "95583"
QUEUE = "test-b"  # queues.conf's test queue no other story uses


class OverflowLine(QueueLine):
    line, queue, settings = LINE, QUEUE, {"timeout": 2, "overflow": "voicemail"}


@pytest.fixture
async def line(ami, asterisk):
    async with serving(OverflowLine(ami, asterisk)) as h:
        yield h


def message_of(caller: str):
    return lambda f: f.get("UserEvent") == "HotlineVoicemail" and f.get("CallerIDNum") == caller


async def test_a_message_left_after_the_queues_wait_is_a_queue_timeout_one(line):
    caller = unique_caller()
    async with line.member(QUEUE, "2977"):  # rings and rings: nobody answers in the 2 s
        # 2 s queued, vm-intro (5.5 s), about two seconds of sound, then the caller hangs up
        await line.call(LINE, caller, stay=11)
        await line.wait_event(joined(caller))
        event = await line.wait_event(message_of(caller), timeout=25)
    assert event.get("Reason") == "queue_timeout"
    assert event.get("DNIS") == LINE


async def test_a_message_left_when_no_agent_could_answer_is_an_unstaffed_one(line):
    caller = unique_caller()
    await line.clear_queue(QUEUE)
    await line.call(LINE, caller, stay=9)  # overflows at once: nobody signed in to the queue
    event = await line.wait_event(message_of(caller), timeout=25)
    assert event.get("Reason") == "queue_unstaffed"
