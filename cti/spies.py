"""Supervisors on agents' calls: who listens to (whispers to, barges into) which seat's call.

The spy command rings the supervisor's own seat with a channel id of ours
(``spy-…``); once answered, that channel runs ChanSpy on the agent's leg. The
book follows it from Asterisk's own word: ``ChanSpyStart`` (the spyer's
Uniqueid is our id) makes the session active, ``ChanSpyStop`` or the spy
channel's ``Hangup`` ends it, and so does the end of the agent's call. Each
change is one ``SpyChanged`` on the bus, with the whole session, for the
wallboards only: the agent's own seat is never told (a barge it hears anyway).

Only sessions the spy command started are followed: a ChanSpy dialled by hand
would have no supervisor we could name, and the dialplan offers none (a phone's
context, ``hotline-agents``, dials seats only; ``hotline-spy`` is reached only by
the command's Originate). A bridge that starts (a restart, a standby taking
over) takes the sessions the bus shows in progress (``restore``) and keeps those
whose channel Asterisk still runs ChanSpy on (``confirm``, at every resync); the
others ended while no bridge was watching, and their end is published then,
once. A session the bus does not show (the supervisor's phone still rang when
the bridge stopped, or answered while none watched) is taken from its channel:
the command names it there (``HOTLINE_SPY``, ``spy_tag``), and ``adopt`` follows
it as if this bridge had asked for it.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, unquote

from cti.ami import Frame
from cti.call_events import SpyChanged
from cti.events import Event

MODES = ("listen", "whisper", "barge")
#: with ChanSpy's ``d`` option these digits, received on the spy's channel, switch its mode
MODE_DIGITS = {"listen": "4", "whisper": "5", "barge": "6"}
#: the spy command's channel ids start so; their Uniqueid is that id
SPY_PREFIX = "spy-"
EXPECTED_FOR = 120.0  # seconds an unanswered spy call is waited for (the Originate rings 30)
SPY_EVENTS = ("ChanSpyStart", "ChanSpyStop", "Hangup")
#: the spy channel's variable naming its session (``spy_tag``), set by the spy command's Originate
SPY_VARIABLE = "HOTLINE_SPY"


@dataclasses.dataclass
class Spy:
    spy_id: str
    supervisor: str  # the supervisor's 工号
    supervisor_name: str
    agent_id: str
    call_id: str
    mode: str
    channel: str = ""  # the supervisor's spy channel, once ChanSpy runs on it
    started_at: float = 0.0
    asked_at: float = 0.0

    def snapshot(self) -> dict[str, Any]:
        return {
            "spy_id": self.spy_id,
            "supervisor": self.supervisor,
            "supervisor_name": self.supervisor_name,
            "agent_id": self.agent_id,
            "call_id": self.call_id,
            "mode": self.mode,
            "started_at": self.started_at,
        }

    def event(self, *, ended: bool = False) -> SpyChanged:
        return SpyChanged(**self.snapshot(), ended=ended)


def spy_tag(spy: Spy) -> str:
    """The session, as its channel carries it: supervisor, name, agent, call and mode, each
    percent-encoded (Originate's Variable splits on commas) and joined by ``|``."""
    fields = (spy.supervisor, spy.supervisor_name, spy.agent_id, spy.call_id, spy.mode)
    return "|".join(quote(field, safe="") for field in fields)


def spy_from_tag(spy_id: str, tag: str) -> Spy | None:
    """The session ``spy_tag`` named on the channel ``spy_id``; None for anything else."""
    fields = [unquote(field) for field in tag.split("|")]
    if len(fields) != 5 or fields[4] not in MODES or not fields[2]:
        return None
    supervisor, name, agent_id, call_id, mode = fields
    return Spy(spy_id, supervisor, name, agent_id, call_id, mode)


class SpyBook:
    def __init__(self, emit: Callable[[Event], None]) -> None:
        self.emit = emit
        self.expected: dict[str, Spy] = {}  # spy id -> a spy whose supervisor's phone rings
        self.active: dict[str, Spy] = {}  # spy id -> a spy on the call

    def expect(self, spy: Spy) -> None:
        """The spy command is about to ring the supervisor: follow the channel it will make."""
        now = time.time()
        spy.asked_at = now
        for key in [k for k, s in self.expected.items() if now - s.asked_at > EXPECTED_FOR]:
            del self.expected[key]  # never answered, and its Hangup missed (a reconnect between)
        self.expected[spy.spy_id] = spy

    def forget(self, spy_id: str) -> None:
        self.expected.pop(spy_id, None)

    def get(self, spy_id: str) -> Spy | None:
        return self.active.get(spy_id)

    def snapshot(self) -> list[dict[str, Any]]:
        return [s.snapshot() for s in self.active.values()]

    def handle(self, frame: Frame) -> None:
        # Every call's Hangups come here: with no spy followed, none is read (a field read
        # parses the frame, and spies are rare).
        if not (self.expected or self.active):
            return
        name = frame.name
        if name == "ChanSpyStart":
            spy = self.expected.pop(frame.get("SpyerUniqueid"), None)
            if spy is None:
                return
            spy.channel = frame.get("SpyerChannel")
            spy.started_at = _timestamp(frame)
            self.active[spy.spy_id] = spy
            self.emit(spy.event())
        elif name == "ChanSpyStop":
            self._end(frame.get("SpyerUniqueid"))
        elif name == "Hangup":
            unique_id = frame.get("Uniqueid")
            if unique_id.startswith(SPY_PREFIX):
                self.expected.pop(unique_id, None)
                self._end(unique_id)

    def restore(self, sessions: Iterable[SpyChanged]) -> None:
        """Sessions in progress as the bus tells them (a previous run published them)."""
        for e in sessions:
            self.active[e.spy_id] = Spy(
                e.spy_id,
                e.supervisor,
                e.supervisor_name,
                e.agent_id,
                e.call_id,
                e.mode,
                started_at=e.started_at,
            )

    def confirm(self, channels: Iterable[Frame]) -> None:
        """Keep the sessions whose spy channel still runs ChanSpy (``CoreShowChannels``); the
        channel's name may be news (a session restored from the bus). The others are over."""
        spying = {f.get("Uniqueid"): f.get("Channel") for f in channels if f.get("Application") == "ChanSpy"}
        for spy_id, spy in list(self.active.items()):
            channel = spying.get(spy_id)
            if channel is None:
                self._end(spy_id)
            else:
                spy.channel = channel

    def unfollowed(self, channels: Iterable[Frame]) -> list[Frame]:
        """The spy command's channels (``CoreShowChannels``) the book does not follow: ringing
        the supervisor, or running ChanSpy, while no bridge watched them start."""
        return [
            f
            for f in channels
            if f.get("Uniqueid").startswith(SPY_PREFIX)
            and ";" not in f.get("Uniqueid")  # a Local seat's other half
            and f.get("Uniqueid") not in self.active
            and f.get("Uniqueid") not in self.expected
        ]

    def adopt(self, spy: Spy, channel: Frame, now: float) -> None:
        """Follow a session its channel names (``spy_from_tag``): on the call already (its
        ChanSpyStart went by while no bridge watched: it starts now), or the supervisor's phone
        still ringing (its ChanSpyStart will come, as for a session this bridge asked for)."""
        if spy.spy_id in self.active or spy.spy_id in self.expected:
            return
        if channel.get("Application") == "ChanSpy":
            spy.channel, spy.started_at = channel.get("Channel"), now
            self.active[spy.spy_id] = spy
            self.emit(spy.event())
        else:
            self.expect(spy)

    def mode_changed(self, spy_id: str, mode: str) -> None:
        """Asterisk says nothing when ChanSpy switches mode: the switch's sender tells."""
        spy = self.active.get(spy_id)
        if spy is not None and spy.mode != mode:
            spy.mode = mode
            self.emit(spy.event())

    def call_ended(self, call_id: str) -> None:
        # ChanSpy's E option leaves with the agent's leg; this is for a Stop we did not see.
        for spy_id in [k for k, s in self.active.items() if s.call_id == call_id]:
            self._end(spy_id)

    def _end(self, spy_id: str) -> None:
        spy = self.active.pop(spy_id, None)
        if spy is not None:
            self.emit(spy.event(ended=True))


def _timestamp(frame: Frame) -> float:
    try:
        return float(frame.get("Timestamp"))
    except ValueError:
        return time.time()
