"""Shared harness for the IVR integration stories (test_ivr_*.py): the real Asterisk,
our FastAGI server on a free port, and simulated callers.

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
import socket
import time
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from cti.ami import AmiClient, Frame
from cti.bus import InProcessBus
from cti.routing import CallerProfile
from cti.routing_config import parse_routing
from ivr import (
    Bill,
    IvrServices,
    SelfServiceHooks,
    create_agi_server,
    parse_flows,
)
from ivr.session import AgiSession
from recordings import RecordingStore

VIP = "13900000071"
ROUTING = {
    "default_queue": "service",
    "hours": {"never": {"workdays": [], "restdays": []}},
    "queues": {
        "service": {},
        "aftersales": {"timeout": 30, "overflow": "queue:vip"},
        "vip": {"timeout": 20},
        "complaint": {"timeout": 2, "overflow": "queue:vip"},
    },
    "entries": [
        {"numbers": ["95590"], "target": "queue:aftersales", "priority": 2},
        {"numbers": ["95591"], "target": "queue:aftersales", "hours": "never", "after_hours": "voicemail"},
        {"numbers": ["95592"], "target": "ivr:test"},
        {"numbers": ["95593"], "target": "queue:complaint"},
        {"numbers": ["95594"], "target": "queue:aftersales", "survey": True},
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
    },
    # The spoken confirmations replaced by a short beep, as a site replaces any prompt with its
    # own recording: they carry nothing these stories assert (the shipped zh prompts are the
    # subject of test_ivr_language.py), and played in full they were most of each call's time
    # (callback-saved 8.4 s, record-fault 7.5 s, message-saved 4.8 s, goodbye 3 s, bill 3 s).
    "prompts": {
        key: ["beep"]
        for key in (
            "record_fault",
            "message_saved",
            "callback_saved",
            "goodbye",
            "bill_amount",
            "currency",
            "currency_tenths",
            "currency_hundredths",
        )
    },
}
CALLER_CONTEXTS = ("hotline-sim-caller", "hotline-sim-dtmf-caller")
_numbers = itertools.count(int(time.time()) % 10000)


def unique_caller() -> str:
    return f"1390000{next(_numbers) % 10000:04d}"


@pytest.fixture(name="ami")
async def ami_fixture(asterisk) -> AsyncIterator[AmiClient]:
    async with AmiClient(asterisk.host, asterisk.port, asterisk.username, asterisk.secret) as client:
        yield client


class Harness:
    def __init__(self, ami: AmiClient, asterisk) -> None:
        self.ami = ami
        self.asterisk = asterisk
        self.bus = InProcessBus()
        self.events: list[Frame] = []
        self.bills: list[str] = []
        self.bill_phones: tuple[str, ...] = ()  # the numbers registered on every account
        self._unsub = ami.on_event("*", self.events.append)
        self.port = 0
        self.sent: list[tuple[str, tuple[str, ...]]] = []  # (caller, AGI command) as sent

    def watch_agi(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Note every AGI command our server sends, and on whose call, as it goes out."""
        command = AgiSession.command
        sent = self.sent

        async def spy(session: AgiSession, *words, **kwargs):
            sent.append((session.env.get("callerid", ""), tuple(str(w) for w in words)))
            return await command(session, *words, **kwargs)

        monkeypatch.setattr(AgiSession, "command", spy)

    async def wait_agi(self, caller: str, *words: str, timeout: float = 15.0) -> None:  # noqa: ASYNC109
        """Until the IVR has sent a command starting with ``words`` on ``caller``'s call."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(who == caller and sent[: len(words)] == words for who, sent in self.sent):
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"the IVR sent no {' '.join(words)} to {caller}")

    async def press(self, caller: str, digits: str) -> None:
        """The caller presses ``digits`` now (their phone sends the tones, as SendDTMF does)."""
        channel = ""
        for frame in await self.ami.action_list("CoreShowChannels"):
            # The caller's own leg (not a rung member's phone, which shows the caller's number too).
            if frame.get("CallerIDNum") == caller and frame.get("Context") in CALLER_CONTEXTS:
                channel = frame.get("Channel")
        assert channel, f"no caller {caller} on the line"
        for digit in digits:
            await self.ami.action("PlayDTMF", Channel=channel, Digit=digit, Duration="100")
            await asyncio.sleep(0.05)

    async def press_during(self, caller: str, digits: str, *words: str) -> None:
        """Press ``digits`` once the IVR has begun ``words`` (a prompt, GET DATA, EXEC Record)."""
        await self.wait_agi(caller, *words)
        await asyncio.sleep(0.5)  # Asterisk has the command and plays or listens (prompts: 2 s and more)
        await self.press(caller, digits)

    async def bill_lookup(self, account: str) -> Bill | None:
        self.bills.append(account)
        # 一 元 二 角 三 分: every part, short; read only to a number registered on the account
        return Bill(account_no=account, amount=Decimal("1.23"), phones=self.bill_phones)

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
        self,
        dnis: str,
        caller: str,
        *,
        stay: int = 20,
        dtmf: str = "",
        delay: int = 2,
        agi_port=None,
        variables: str = "",
    ):
        port = self.port if agi_port is None else agi_port
        variables = ",".join(v for v in (f"HOTLINE_AGI=agi://127.0.0.1:{port}", variables) if v)
        context = "hotline-sim-caller"
        if dtmf:
            context = "hotline-sim-dtmf-caller"
            variables += f",SIM_DTMF={dtmf},SIM_DTMF_DELAY={delay}"
        await self.ami.action(
            "Originate",
            Channel=f"Local/{dnis}@hotline-inbound/n",
            Context=context,
            Exten=f"{stay:02d}",  # the sim callers' pattern (_X.) wants two digits: 08 for 8 s
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

    async def clear_queue(self, queue: str) -> None:
        """No member in ``queue`` (members outlive the runs that added them: Asterisk keeps them)."""
        for frame in await self.ami.action_list("QueueStatus", Queue=queue):
            if frame.name == "QueueMember":
                await self.ami.action("QueueRemove", Queue=queue, Interface=frame.get("StateInterface"))

    @contextlib.asynccontextmanager
    async def member(self, queue: str, ext: str, ring: str = "never", talk: str = "3"):
        """A simulated agent phone in ``queue``; by default it rings forever (the caller stays queued)."""
        interface = f"Local/{ext}@hotline-sim-phone/n"
        await self.ami.action("DBPut", Family="hotline-sim", Key=f"ring-{ext}", Val=ring)
        await self.ami.action("DBPut", Family="hotline-sim", Key=f"talk-{ext}", Val=talk)
        with contextlib.suppress(Exception):  # left over from an interrupted run (members persist)
            await self.ami.action("QueueRemove", Queue=queue, Interface=interface)
        await self.ami.action(
            "QueueAdd", Queue=queue, Interface=interface, Penalty="0", MemberName=f"ivr{ext}"
        )
        try:
            yield
        finally:
            with contextlib.suppress(Exception):
                await self.ami.action("QueueRemove", Queue=queue, Interface=interface)


class QueueLine(Harness):
    """A line straight to one queue (``line`` routed to ``queue:<queue>``, the queue's ``settings``),
    with neither a caller's profile nor a bill lookup: the queue stories' harness."""

    line: str
    queue: str
    settings: dict

    def services(self) -> IvrServices:
        routing = {
            **ROUTING,
            "queues": {**ROUTING["queues"], self.queue: self.settings},
            "entries": [*ROUTING["entries"], {"numbers": [self.line], "target": f"queue:{self.queue}"}],
        }
        return IvrServices(
            routing=parse_routing(routing),
            flows=parse_flows(FLOWS),
            bus=self.bus,
            hooks=SelfServiceHooks(),
            store=RecordingStore(self.asterisk.root),
            clock=lambda: dt.datetime.now(dt.UTC),
        )


@contextlib.asynccontextmanager
async def serving(h: Harness) -> AsyncIterator[Harness]:
    """``h`` with its own AGI server on a free port, for as long as the story runs."""
    server = create_agi_server(h.services(), port=0)
    await server.start()
    h.port = server.port
    try:
        yield h
    finally:
        await server.stop()
        h._unsub()
        await h.bus.close()


@pytest.fixture(name="harness")
async def harness_fixture(ami, asterisk, monkeypatch) -> AsyncIterator[Harness]:
    h = Harness(ami, asterisk)
    h.watch_agi(monkeypatch)
    async with serving(h):
        yield h


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def joined(caller: str):
    return lambda f: f.name == "QueueCallerJoin" and f.get("CallerIDNum") == caller
