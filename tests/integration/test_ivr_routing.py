"""Inbound routing through the real Asterisk and our FastAGI server.

Each test starts its own AGI server on a free port and points the call at it
with the channel variable HOTLINE_AGI (a channel variable overrides the
dialplan global), so tests never fight over 4573. Queue members are simulated
phones that never answer, with extensions no other test uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import os
import socket
import time
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from cti.ami import AmiClient, Frame
from cti.bus import InProcessBus
from cti.call_events import VoicemailReceived
from cti.routing import CallerProfile
from cti.routing_config import parse_routing
from ivr import (
    Bill,
    CallbackRequested,
    IvrFinished,
    IvrServices,
    SelfServiceHooks,
    create_agi_server,
    parse_flows,
)
from recordings import RecordingStore

pytestmark = pytest.mark.asterisk

VIP = "13900000071"
ROUTING = {
    "default_queue": "service",
    "hours": {"never": {"workdays": [], "restdays": []}},
    "queues": {"service": {}, "aftersales": {"timeout": 30, "overflow": "queue:vip"}, "vip": {"timeout": 20}},
    "entries": [
        {"numbers": ["95590"], "target": "queue:aftersales", "priority": 2},
        {"numbers": ["95591"], "target": "queue:aftersales", "hours": "never", "after_hours": "voicemail"},
        {"numbers": ["95592"], "target": "ivr:test"},
    ],
    "priority_rules": [{"name": "vip", "when": {"vip": True}, "priority": 7}],
}
FLOWS = {
    "flows": {
        "test": {
            "start": "top",
            "menus": {
                "top": {
                    "prompts": ["basic-pbx-ivr-main"],
                    "timeout": 3,
                    "retries": 0,
                    "choices": {
                        "2": {"do": "bill", "then": "queue:aftersales"},
                        "4": "report_fault",
                        "5": "queue:aftersales",
                        "9": "callback",
                    },
                    "on_timeout": "hangup",
                    "on_invalid": "hangup",
                }
            },
        }
    }
}
_numbers = itertools.count(int(time.time()) % 10000)


def unique_caller() -> str:
    return f"1390000{next(_numbers) % 10000:04d}"


@pytest.fixture
async def ami(asterisk) -> AsyncIterator[AmiClient]:
    async with AmiClient(asterisk.host, asterisk.port, asterisk.username, asterisk.secret) as client:
        yield client


class Harness:
    def __init__(self, ami: AmiClient, asterisk) -> None:
        self.ami = ami
        self.asterisk = asterisk
        self.bus = InProcessBus()
        self.events: list[Frame] = []
        self.bills: list[str] = []
        self._unsub = ami.on_event("*", self.events.append)
        self.port = 0

    async def bill_lookup(self, account: str) -> Bill | None:
        self.bills.append(account)
        return Bill(account_no=account, amount=Decimal("123.45"))

    async def profile(self, number: str) -> CallerProfile | None:
        return CallerProfile(vip=True, customer_id="C-71") if number == VIP else CallerProfile()

    def services(self) -> IvrServices:
        return IvrServices(
            routing=parse_routing(ROUTING),
            flows=parse_flows(FLOWS),
            bus=self.bus,
            profile_lookup=self.profile,
            hooks=SelfServiceHooks(bill_lookup=self.bill_lookup),
            store=RecordingStore(self.asterisk.root),
            clock=lambda: dt.datetime.now(dt.UTC),
        )

    async def call(
        self, dnis: str, caller: str, *, stay: int = 20, dtmf: str = "", delay: int = 2, agi_port=None
    ):
        port = self.port if agi_port is None else agi_port
        variables = f"HOTLINE_AGI=agi://127.0.0.1:{port}"
        context = "hotline-sim-caller"
        if dtmf:
            context = "hotline-sim-dtmf-caller"
            variables += f",SIM_DTMF={dtmf},SIM_DTMF_DELAY={delay}"
        await self.ami.action(
            "Originate",
            Channel=f"Local/{dnis}@hotline-inbound/n",
            Context=context,
            Exten=str(stay),
            Priority="1",
            CallerID=f'"IVR test" <{caller}>',
            Variable=variables,
            Async="true",
        )

    async def wait_event(self, match, timeout: float = 15.0) -> Frame:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            for frame in self.events[seen:]:
                if match(frame):
                    return frame
            seen = len(self.events)
            await asyncio.sleep(0.05)
        raise AssertionError("no matching AMI event within the time-out")

    async def wait_bus(self, kind, match=lambda e: True, timeout: float = 20.0):  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in await self.bus.replay(0):
                if isinstance(event, kind) and match(event):
                    return event
            await asyncio.sleep(0.05)
        raise AssertionError(f"no {kind.__name__} on the bus")

    async def getvar(self, channel: str, name: str) -> str:
        return (await self.ami.action("Getvar", Channel=channel, Variable=name)).get("Value")

    async def hangup_caller(self, caller: str) -> None:
        for frame in await self.ami.action_list("CoreShowChannels"):
            if frame.get("CallerIDNum") == caller:
                with contextlib.suppress(Exception):
                    await self.ami.action("Hangup", Channel=frame.get("Channel"))

    @contextlib.asynccontextmanager
    async def member(self, queue: str, ext: str):
        """A simulated agent phone in ``queue`` that rings forever (so the caller stays queued)."""
        interface = f"Local/{ext}@hotline-sim-phone/n"
        await self.ami.action("DBPut", Family="hotline-sim", Key=f"ring-{ext}", Val="never")
        await self.ami.action(
            "QueueAdd", Queue=queue, Interface=interface, Penalty="0", MemberName=f"ivr{ext}"
        )
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                await self.ami.action("QueueRemove", Queue=queue, Interface=interface)


@pytest.fixture
async def harness(ami, asterisk) -> AsyncIterator[Harness]:
    h = Harness(ami, asterisk)
    server = create_agi_server(h.services(), port=0)
    await server.start()
    h.port = server.port
    try:
        yield h
    finally:
        await server.stop()
        h._unsub()
        await h.bus.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def joined(caller: str):
    return lambda f: f.name == "QueueCallerJoin" and f.get("CallerIDNum") == caller


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
    # vm-intro plays about 5 s, then Record; '#' ends the message.
    await harness.call("95591", caller, dtmf="#", delay=9, stay=10)
    event = await harness.wait_event(
        lambda f: (
            f.name == "UserEvent"
            and f.get("UserEvent") == "HotlineVoicemail"
            and f.get("CallerIDNum") == caller
        ),
        timeout=20,
    )
    assert event.get("Reason") == "after_hours"
    recorded = asterisk.host_path(event.get("File"))
    assert recorded.exists() and recorded.stat().st_size > 1000


async def test_a_menu_choice_sends_the_caller_to_the_queue_and_records_the_path(harness):
    caller = unique_caller()
    async with harness.member("aftersales", "2964"):
        await harness.call("95592", caller, dtmf="5")
        try:
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
    async with harness.member("aftersales", "2965"):
        await harness.call("95592", caller, dtmf="2ww123456#", stay=30)
        try:
            join = await harness.wait_event(joined(caller), timeout=25)
            assert harness.bills == ["123456"]
            path = await harness.getvar(join.get("Channel"), "HOTLINE_IVR_PATH")
            assert path == "top:2/bill:found"
        finally:
            await harness.hangup_caller(caller)


async def test_reporting_a_fault_records_a_message_and_publishes_it(harness):
    caller = unique_caller()
    # The choice, then vm-intro (about 5 s) and the beep; the caller's tones are recorded until '#'.
    await harness.call("95592", caller, dtmf="4wwwwwwwwwwwwwwwwww#", stay=10)
    event = await harness.wait_bus(VoicemailReceived, lambda e: e.caller == caller, timeout=30)
    assert event.reason == "fault_report" and event.dnis == "95592"
    size = await asyncio.to_thread(os.path.getsize, event.path)
    assert size > 1000
    assert event.duration > 0.5
    finished = await harness.wait_bus(IvrFinished, lambda e: e.caller == caller)
    assert finished.outcome == "self_service" and "report_fault" in finished.self_service


async def test_a_callback_request_keeps_the_callers_place_and_ends_the_call(harness):
    caller = unique_caller()
    await harness.call("95592", caller, dtmf="9", stay=15)
    event = await harness.wait_bus(CallbackRequested, lambda e: e.caller == caller)
    assert event.queue == "service" and event.entered_at <= event.requested_at
    assert event.ivr_path == ("top:9",)
    hangup = await harness.wait_event(
        lambda f: f.name == "Hangup" and f.get("CallerIDNum") == caller, timeout=15
    )
    assert hangup is not None


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


async def test_pressing_9_with_the_agi_server_down_puts_the_caller_back_in_the_queue(harness):
    caller = unique_caller()
    async with harness.member("service", "2967"):
        await harness.call("95590", caller, dtmf="9", delay=3, stay=20, agi_port=closed_port())
        try:
            # AGI is down, so routing fell through to the default queue; the caller leaves it
            # with 9, the callback script cannot run, and the caller is queued again.
            first = await harness.wait_event(joined(caller))
            await harness.wait_event(
                lambda f: f.name == "QueueCallerLeave" and f.get("CallerIDNum") == caller
            )
            again = await harness.wait_event(
                lambda f: (
                    joined(caller)(f)
                    and f is not first
                    and float(f.get("Timestamp", "0")) > float(first.get("Timestamp", "0"))
                )
            )
            assert again.get("Queue") == first.get("Queue") == "service"
        finally:
            await harness.hangup_caller(caller)


async def test_a_caller_who_hangs_up_while_speaking_still_leaves_a_voicemail(harness, asterisk):
    caller = unique_caller()
    # vm-intro plays about 5 s; the caller makes sound, then simply hangs up at 10 s.
    await harness.call("95591", caller, stay=10)
    event = await harness.wait_event(
        lambda f: f.get("UserEvent") == "HotlineVoicemail" and f.get("CallerIDNum") == caller, timeout=20
    )
    assert event.get("Reason") == "after_hours"
    size = await asyncio.to_thread(os.path.getsize, asterisk.host_path(event.get("File")))
    assert size > 20000  # about 4 s of 8 kHz 16-bit audio
    await asyncio.sleep(0.5)
    assert (
        sum(
            1
            for f in harness.events
            if f.get("UserEvent") == "HotlineVoicemail" and f.get("CallerIDNum") == caller
        )
        == 1
    )
