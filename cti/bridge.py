"""The CTI bridge: one Asterisk, seen and steered, publishing to the bus.

Construct it in the composition root::

    bridge = CtiBridge(CtiSettings(ami_host=…, skill_queues=…), bus, customer_lookup=lookup)
    await bridge.start()          # returns at once; connects in the background
    bridge.agents(), bridge.queues(), bridge.calls()        # snapshots
    await bridge.login("1001", "PJSIP/1001", {"service": 0, "fault": 5})
    await bridge.ready("1001")    # every command returns a CommandResult
    await bridge.stop()

``customer_lookup(normalized_number) -> dict | None`` is an async callable the
ticketing core provides for screen-pops; the bridge never imports ticketing.
The caller is looked up as soon as the call's first channel has a number, and a
``CallOffered`` waits for that answer (at most ``lookup_timeout``) without
holding back anything but its own call's and agent's later events
(``cti.publisher``). ``hotline.runtime.cti_settings`` builds the settings from
the product's configuration.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import functools
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from cti import agents as A
from cti import recording, resync
from cti.agents import AgentBook
from cti.ami import AmiClient, AmiError, Frame, speedups
from cti.ami.fields import needle, search
from cti.ami.speedups import untrack_plain
from cti.bus import Bus
from cti.call_events import (
    AcwHoldChanged,
    AmiConnectionChanged,
    CallEnded,
    CallOffered,
    CallStarted,
    FaxReceived,
    RecordingReady,
    VoicemailReceived,
)
from cti.calls import EVENTS, INBOUND_CONTEXTS, UNKNOWN, Call, CallModel, QueueLeg
from cti.commands import Actions, AgentCommands, CommandResult
from cti.commands.service import Refused, transfer_note
from cti.events import Event
from cti.phones import InvalidPhoneNumber, normalize
from cti.publisher import Publisher
from cti.queues import QueueBoard
from cti.spies import SPY_EVENTS, SpyBook

log = logging.getLogger(__name__)

ENDED_CALLS_KEPT = 2_000  # far more than the seats that may be in after-call work at once
#: what an ended call holds besides the builtin containers (cti.ami.speedups.untrack_plain)
_CALL_PARTS = (Call, QueueLeg)
# manager.conf's channelvars puts HOTLINE_IVR_PATH on every event of a channel. Found by a
# search: splitting the 40-line queue-join event to read it was most of the bridge's work on it.
_IVR_PATH = re.compile(rb"\r\nChanVariable: ?HOTLINE_IVR_PATH=([^\r\n]*)")
_IVR_LINE = b"\r\nChanVariable:"
_IVR_REST = re.compile(rb" ?HOTLINE_IVR_PATH=([^\r\n]*)")


def last_ivr_path(raw: bytes) -> bytes | None:
    """``_IVR_PATH.findall(raw)[-1]``, None when there is none, found from the end.

    Every match starts at a ``ChanVariable:`` line and ends before the next line, so the matches
    are the lines whose rest matches, and the last one is the last such line: a ``bytes.rfind``
    for the line and a ``match`` there. ``findall`` tried the pattern at each of the frame's 40
    line starts (its literal start, ``\r\n``, is at every one): 3,200 instructions a
    QueueCallerJoin, 59 per AMI event."""
    end = len(raw)
    # the literal cannot overlap itself: an earlier one ends before a later one starts
    while (at := raw.rfind(_IVR_LINE, 0, end)) >= 0:
        m = _IVR_REST.match(raw, at + len(_IVR_LINE))
        if m is not None:
            return m[1]
        end = at
    return None


_CHANNEL = needle("Channel")


def ivr_path_seen(raw: bytes) -> tuple[str, str] | None:
    """(the ``Channel``, its ``HOTLINE_IVR_PATH``) of a queue join, None when it has no such line:
    the channel as ``Frame.get`` reads it ("" when absent), the path as ``last_ivr_path`` finds
    it, both decoded. The C accelerator's ``channel_and_variable`` gives the same in one call
    (``_channel_and_ivr_path``): these two, and ``Frame.get``'s two frames under them, were about 100
    bytecodes a queued call."""
    found = last_ivr_path(raw)
    if found is None:
        return None
    channel = search(raw, _CHANNEL)
    return (
        "" if channel is None else channel[1].decode("utf-8", "replace"),
        found.decode("utf-8", "replace"),
    )


_channel_and_ivr_path = (
    functools.partial(speedups.c.channel_and_variable, b"HOTLINE_IVR_PATH")
    if speedups.c is not None and hasattr(speedups.c, "channel_and_variable")
    else ivr_path_seen
)


CustomerLookup = Callable[[str], Awaitable[dict[str, Any] | None]]
#: a restarted bridge (or a standby taking over) keeps the ACW holds the bus last told of for this
#: long after its first resync, in the name of this pseudo web process: the tabs hold again
#: themselves when told the bridge is back, and a hold no tab takes again then lapses
ACW_RESTORED_HOLD_SECONDS = 15.0
_RESTORED = A.acw_holder("bus-history", "")
#: the pauses ``sign_out_seat`` puts a seat on a call in until the call ends and it is signed out
SIGN_OUT_REASONS = (A.SIGN_OUT_REASON, A.FORCED_SIGN_OUT_REASON)


@dataclasses.dataclass
class CtiSettings:
    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_user: str = "hotline"
    ami_secret: str = "hotline-demo"
    asterisk_root: str = "/var/lib/hotline/asterisk-root"  # chroot: recordings are under it
    hotline_number: str = "95598"  # caller ID shown to customers on click-to-dial
    acw_seconds: float = 0.0  # after-call work limit; 0 = straight back to ready
    seat_ring_seconds: int = 30  # click-to-dial and campaign calls: how long the agent's phone rings
    pause_reasons: tuple[str, ...] = A.DEFAULT_PAUSE_REASONS
    default_area_code: str = ""
    lookup_timeout: float = 0.5
    keepalive: float = 2.0
    #: skill name -> queue (the routing file's ``skills``); a name not listed is taken as a queue name
    skill_queues: dict[str, str] = dataclasses.field(default_factory=dict)
    replay_history: bool = True  # rebuild from the bus at start (restart without double publishing)
    #: the ``systemname`` its Asterisk must report (asterisk.conf; it prefixes the call ids, which
    #: keeps those of several servers apart, hotline.config ``asterisk_servers``); None: not checked
    system_name: str | None = None


class SystemNameMismatch(AmiError):
    error_id = "ami_misconfigured"

    """The Asterisk reports another ``systemname`` than configured: its link is not taken."""


class CtiBridge:
    def __init__(
        self,
        settings: CtiSettings,
        bus: Bus,
        customer_lookup: CustomerLookup | None = None,
        *,
        serves: Callable[[str], bool] | None = None,
    ) -> None:
        """``serves``: with several Asterisk servers on the bus, whether an agent's seat is on this
        one (the consoles' routing, hotline.config ``server_of``): a restart takes back only those
        agents from the bus, and only the calls its ``system_name`` names (``resync.Ours``)."""
        self.settings = settings
        self.bus = bus
        self.customer_lookup = customer_lookup
        self.serves = serves
        self.ami = AmiClient(
            settings.ami_host,
            settings.ami_port,
            settings.ami_user,
            settings.ami_secret,
            keepalive=settings.keepalive,
        )
        self.publisher = Publisher(bus)
        # The agents' and the queues' events go to the publisher straight away: _emit does nothing
        # else with them (it looks at CallOffered, CallStarted and CallEnded only), and they are
        # half of what the bridge publishes; its Python frame was 500 instructions an event.
        self.agent_book = AgentBook(self.publisher.publish, acw_seconds=settings.acw_seconds)
        self.queue_board = QueueBoard(
            self.publisher.publish, self.agent_book, server=f"{settings.ami_host}:{settings.ami_port}"
        )
        self.model = CallModel(
            self._emit,
            self.agent_book,
            self.queue_board,
            on_missed=self._missed,
            on_call_end=self._call_ended,
            on_recording_started=self._recording_started,
            on_acw=self._acw_started,
            on_queued=self._queued,
        )
        self.actions = Actions(self.ami, seat_ring_seconds=settings.seat_ring_seconds)
        self.spy_book = SpyBook(self._emit)
        self.commands = AgentCommands(
            self.model,
            self.actions,
            hotline_number=settings.hotline_number,
            pause_reasons=settings.pause_reasons,
            spies=self.spy_book,
        )
        self.agent_book.watch(self._sign_out_after_call)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._acw_timers: dict[str, asyncio.TimerHandle] = {}
        #: agent id -> (the call an intake form holds unsaved input about, the tabs holding it):
        #: the ACW limit waits while any does. Per tab, because a reload's new page (often on
        #: another web process) holds it again before the old tab's release arrives
        self._acw_held: dict[str, tuple[str, set[str]]] = {}
        self._acw_overdue: set[str] = set()  # agents whose ACW limit passed while their form held it
        #: web process -> (loop time it was last heard from, its interval between signs of life):
        #: the holds of its tabs lapse once it has been silent for ``A.ACW_SILENT_BEATS`` intervals
        self._acw_processes: dict[str, tuple[float, float]] = {}
        self._acw_silence: dict[str, asyncio.TimerHandle] = {}  # process -> its next check
        self._acw_restored = False  # holds from the bus, not yet given their time (the first resync)
        #: agent id -> the ACW limit ending that agent's after-call work now (until Asterisk answers)
        self._acw_ending: dict[str, asyncio.Task[Any]] = {}
        #: the latest ended calls: a seat in ACW still shows its call. Kept as they are and
        #: copied only when asked for: a copy of every call at its end cost a tenth of the
        #: bridge's work per event (dataclasses.asdict deep-copies).
        self._ended_calls: collections.OrderedDict[str, Call] = collections.OrderedDict()
        self._ivr_paths: dict[str, asyncio.Task[None]] = {}
        self._ivr_path_seen: tuple[str, str] | None = None  # (channel, HOTLINE_IVR_PATH) of the event in hand
        #: call id -> (the number looked up, the lookup)
        self._customers: dict[str, tuple[str, asyncio.Task[dict[str, Any] | None]]] = {}
        self._utc_offset = recording.local_utc_offset()  # Asterisk's, once it told us (names recordings)
        self._recordings = recording.Recordings()
        self._started = False
        #: why this bridge refuses its Asterisk ("" when it does not): a ``systemname`` other than
        #: the configured one; cleared by the next connection to an Asterisk that has the right one
        self.misconfigured = ""

    # -- lifecycle --------------------------------------------------------------
    async def start(self) -> None:
        if self._started:
            return
        self._started = True
        if self.settings.replay_history:
            await self._replay()
        # Before the model's listener: the IVR path is read off the event the model queues the call on.
        self.ami.on_event("QueueCallerJoin", self._ivr_path_on_event)
        for name in EVENTS:
            self.ami.on_event(name, self.model.listeners[name])
        if self.customer_lookup is not None:
            self.ami.on_event("Newchannel", self._call_arriving)
            # a channel whose number is set just after it is made (Originate, a Local channel)
            self.ami.on_event("NewCallerid", self._call_arriving)
        self.ami.on_event("UserEvent", self._on_user_event)
        for name in SPY_EVENTS:
            self.ami.on_event(name, self.spy_book.handle)
        self.ami.on_connection(self._connection_changed)
        if self.settings.system_name is not None:
            self.ami.add_resync_hook(self._check_system_name)  # first: nothing is taken from a wrong one
        self.ami.add_resync_hook(self._resync)
        await self.ami.start()

    async def stop(self) -> None:
        await self.ami.stop()
        for timer in self._acw_timers.values():
            timer.cancel()
        for timer in self._acw_silence.values():
            timer.cancel()
        self._acw_silence.clear()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._recordings.close()
        await self.publisher.close()
        self._started = False

    async def wait_connected(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        await self.ami.wait_connected(timeout)

    async def flush(self) -> None:
        """Wait until everything the model emitted so far is on the bus (tests, shutdown)."""
        await self.publisher.flush()

    @property
    def connected(self) -> bool:
        return self.ami.connected

    # -- queries ---------------------------------------------------------------------
    def agents(self) -> list[dict[str, Any]]:
        return [self._snapshot(a) for a in self.agent_book.agents.values()]

    def agent(self, agent_id: str) -> dict[str, Any] | None:
        agent = self.agent_book.get(agent_id)
        return self._snapshot(agent) if agent is not None else None

    def _snapshot(self, agent: A.Agent) -> dict[str, Any]:
        # whether an intake form's unsaved input holds this ACW past its limit: a console opened
        # afresh says why the seat is still in 话后处理; and the call whose write-up a form holds,
        # also while it is still going on, so a tab opened during the call knows at its end
        held = self._acw_held.get(agent.agent_id)
        held_call = held[0] if held else ""
        return {
            **agent.snapshot(),
            "acw_held": A.acw_held(agent.state, agent.call_id, held_call),
            "acw_hold_call": held_call,
        }

    def queues(self) -> list[dict[str, Any]]:
        now = time.time()
        return [q.snapshot(now) for q in self.queue_board.queues.values()]

    def calls(self) -> list[dict[str, Any]]:
        # a call whose record ended while its agents still talk (the held caller hung up during
        # a consultation) is no one's call any more
        return [c.snapshot() for c in self.model.calls.values() if not c.ended_at]

    def spies(self) -> list[dict[str, Any]]:
        """Supervisors on agents' calls now (for the wallboards, never the agents' seats)."""
        return self.spy_book.snapshot()

    def ended_call(self, call_id: str) -> dict[str, Any] | None:
        """A call that ended lately, as it was at its end (the one an agent in ACW writes up)."""
        call = self._ended_calls.get(call_id)
        return call.snapshot() if call else None

    # -- commands (each returns a CommandResult) --------------------------------------
    async def login(self, agent_id: str, seat: str, skills: dict[str, int]) -> CommandResult:
        """Sign ``seat`` into the queue of each skill, at that skill's penalty."""
        queues: dict[str, int] = {}
        for skill, penalty in skills.items():
            queue = self.settings.skill_queues.get(skill, skill)
            queues[queue] = min(penalty, queues.get(queue, penalty))
        return await self.commands.login(agent_id, seat, queues)

    async def logout(self, agent_id: str) -> CommandResult:
        self._cancel_acw(agent_id)
        return await self.commands.logout(agent_id)

    async def queue_join(self, agent_id: str, queue: str, penalty: int = 0) -> CommandResult:
        """A supervisor adds a signed-in seat to a queue (调整技能队列, QueueAdd)."""
        return await self.commands.queue_join(agent_id, queue, penalty)

    async def queue_leave(self, agent_id: str, queue: str) -> CommandResult:
        """A supervisor takes a seat out of one of its queues, never its last (QueueRemove)."""
        return await self.commands.queue_leave(agent_id, queue)

    async def sign_out_seat(self, agent_id: str, reason: str = A.SIGN_OUT_REASON) -> CommandResult:
        """Sign out a seat whose account was disabled (or a supervisor's 强制下班, ``reason``
        班长强制下班); one on a call is paused in its queues with ``reason`` and signed out when
        the call ends (``pending``: logged_out)."""
        result = await self.commands.sign_out_seat(agent_id, reason)
        if result.ok and result.data.get("pending") != A.LOGGED_OUT:
            self._cancel_acw(agent_id)
        return result

    async def ready(self, agent_id: str) -> CommandResult:
        self._cancel_acw(agent_id)
        return await self.commands.ready(agent_id)

    async def pause(self, agent_id: str, reason: str) -> CommandResult:
        self._cancel_acw(agent_id)
        return await self.commands.pause(agent_id, reason)

    async def wrapup_done(self, agent_id: str) -> CommandResult:
        self._cancel_acw(agent_id)
        return await self.commands.end_after_call_work(agent_id)

    async def hold_after_call_work(
        self, agent_id: str, call_id: str, hold: bool, holder: str = ""
    ) -> CommandResult:
        """The intake form of the agent's tab ``holder`` holds unsaved input about ``call_id``
        (``hold``) or no longer.

        While any tab does, the ACW limit does not end that call's after-call work: the next call
        would find the agent still writing up this one. Once the last holding form is saved,
        emptied or closed, an ACW whose time has passed meanwhile ends at once; the agent's own
        就绪 / 暂停 / 下班 end it any time. ``held`` in the answer: whether any tab still holds it.

        A holder named after its web process (``agents.acw_holder``) lasts while that process
        is alive: it says so every few seconds (``acw_alive``) while its tabs hold anything, and
        a process silent for ``ACW_SILENT_BEATS`` of its intervals (killed, hung, cut off) has
        its tabs' holds let go as their own releases would, which it can no longer send.
        """
        process = A.holder_process(holder)
        if process:
            self._heard_from(process)
        held = self._acw_held.get(agent_id)
        if hold:
            if held is not None and held[0] == call_id:
                held[1].discard(_RESTORED)  # a tab holds it again itself: the bus's word is done
                held[1].add(holder)
            elif held is not None and self._holds_current_call(agent_id, held[0]):
                # a form about an earlier call, whose 话后处理 is over (ended by the agent, or by a
                # supervisor's 结束话后处理 over a tab left open), holding again when the bridge is
                # back: it must not take the hold of the call the agent is on or writes up now
                return CommandResult.done(held=False)
            else:  # a hold of an earlier call is over: this agent writes up this one now
                self._acw_held[agent_id] = (call_id, {holder})
                self._emit(AcwHoldChanged(agent_id=agent_id, call_id=call_id, held=True))
            return CommandResult.done(held=True)
        return CommandResult.done(held=self._let_go(agent_id, call_id, holder))

    def _holds_current_call(self, agent_id: str, held_call: str) -> bool:
        agent = self.agent_book.get(agent_id)
        return agent is not None and bool(agent.call_id) and agent.call_id == held_call

    async def acw_alive(self, process: str, interval: float = A.ACW_ALIVE_SECONDS) -> CommandResult:
        """The web process ``process`` is alive, and says so again within ``interval`` seconds while
        any of its tabs holds an ACW (``hold_after_call_work``)."""
        self._heard_from(process, max(0.05, float(interval)))
        return CommandResult.done()

    def _let_go(self, agent_id: str, call_id: str, holder: str) -> bool:
        """``holder`` no longer holds ``call_id``'s after-call work; whether another tab still does.
        Once none does, an ACW whose limit passed meanwhile ends at once."""
        held = self._acw_held.get(agent_id)
        if held is not None and held[0] == call_id:
            held[1].discard(holder)
            if held[1]:
                return True  # another tab (a reload's new page) holds it
            del self._acw_held[agent_id]
            self._emit(AcwHoldChanged(agent_id=agent_id, call_id=call_id, held=False))
        agent = self.agent_book.get(agent_id)
        if agent_id in self._acw_overdue and agent is not None and agent.call_id == call_id:
            self._acw_overdue.discard(agent_id)
            self._end_acw(agent_id, call_id)
        return False

    def _heard_from(self, process: str, interval: float | None = None) -> None:
        known = self._acw_processes.get(process)
        if interval is None:
            interval = known[1] if known is not None else A.ACW_ALIVE_SECONDS
        loop = asyncio.get_running_loop()
        self._acw_processes[process] = (loop.time(), interval)
        timer = self._acw_silence.get(process)
        due = loop.time() + interval * A.ACW_SILENT_BEATS
        if timer is None or timer.when() > due:  # a shorter interval announced: check sooner
            if timer is not None:
                timer.cancel()
            self._acw_silence[process] = loop.call_at(due, self._check_silence, process)

    def _check_silence(self, process: str) -> None:
        self._acw_silence.pop(process, None)
        holds = [
            (agent_id, call_id, holder)
            for agent_id, (call_id, holders) in self._acw_held.items()
            for holder in holders
            if A.holder_process(holder) == process
        ]
        heard, interval = self._acw_processes.get(process, (0.0, A.ACW_ALIVE_SECONDS))
        if not holds:
            self._acw_processes.pop(process, None)  # nothing of its to keep: forgotten
            return
        loop = asyncio.get_running_loop()
        due = heard + interval * A.ACW_SILENT_BEATS
        if loop.time() < due:
            self._acw_silence[process] = loop.call_at(due, self._check_silence, process)
            return
        log.warning(
            "web process %s silent for %.1f s: letting go of its tabs' ACW holds (%s)",
            process,
            loop.time() - heard,
            ", ".join(f"{agent_id} on {call_id}" for agent_id, call_id, _ in holds),
        )
        self._acw_processes.pop(process, None)
        for agent_id, call_id, holder in holds:
            self._let_go(agent_id, call_id, holder)

    async def answer(self, agent_id: str) -> CommandResult:
        return await self.commands.answer(agent_id)

    async def hangup(self, agent_id: str) -> CommandResult:
        return await self.commands.hangup(agent_id)

    async def hold(self, agent_id: str) -> CommandResult:
        return await self.commands.hold(agent_id)

    async def unhold(self, agent_id: str) -> CommandResult:
        return await self.commands.unhold(agent_id)

    async def transfer(
        self, agent_id: str, kind: str, target: str, server: str = "", note: str = ""
    ) -> CommandResult:
        """Blind transfer; ``kind`` is "agent", "queue" or "number"; ``server``: the Asterisk
        server of a colleague on another one (``cti.remote`` asked whether they are ready);
        ``note``: the 转接备注 the next seat's ring and answer carry (not over the trunk)."""
        return await self.commands.transfer(agent_id, kind, target, server, note)

    async def consult(self, agent_id: str, kind: str, target: str, server: str = "") -> CommandResult:
        return await self.commands.consult(agent_id, kind, target, server)

    async def complete_transfer(self, agent_id: str) -> CommandResult:
        return await self.commands.complete_transfer(agent_id)

    async def cancel_transfer(self, agent_id: str) -> CommandResult:
        return await self.commands.cancel_transfer(agent_id)

    async def consult_completed(self, agent_id: str, call_id: str, consulting: str) -> CommandResult:
        """``consulting``, an agent on another server, completed the transfer of ``call_id`` to
        ``agent_id``, a seat here their consultation rang over the trunk: the caller is theirs
        (``CallModel.relayed_consult_completed``). Sent by the routing (``RemoteBridge``,
        ``LocalBridges``) after that agent's own bridge completed it; nothing for any other call."""
        done = self.model.relayed_consult_completed(call_id, agent_id, consulting)
        return CommandResult.done(call_id=call_id, handed_over=done)

    async def relay_note(self, agent_id: str, call_id: str, by: str, note: str) -> CommandResult:
        """``by``, an agent on another server, is handing the caller of ``call_id`` on to a seat
        here (``agent_id``, or a queue's member) with the 转接备注 ``note``: the relayed call takes
        it (``CallModel.expect_relay_note``), as its ring and answer then carry it. The trunk's
        relay is a SIP header and carries no free text, so the routing (``RemoteBridge``,
        ``LocalBridges``) tells this bridge first, then that agent's own bridge transfers."""
        try:
            note = transfer_note(note)
        except Refused as exc:
            return CommandResult.refused(exc.reason, exc.message, **exc.data)
        self.model.expect_relay_note(call_id, by, note, time.time())
        return CommandResult.done(call_id=call_id)

    async def conference(self, agent_id: str, target_agent: str) -> CommandResult:
        return await self.commands.conference(agent_id, target_agent)

    async def dial(self, agent_id: str, number: str, ring_timeout: int | None = None) -> CommandResult:
        """Click-to-dial; ``ring_timeout``: seconds the customer may ring (campaigns set it)."""
        return await self.commands.dial(agent_id, number, ring_timeout)

    async def dial_to_queue(
        self, number: str, queue: str, ring_timeout: int = 30, connect_timeout: int = 2
    ) -> CommandResult:
        """Predictive dialing: the customer rings first; answered, the call waits in ``queue``
        at most ``connect_timeout`` seconds for an agent, then is hung up."""
        return await self.commands.dial_to_queue(number, queue, ring_timeout, connect_timeout)

    async def spy(
        self,
        supervisor_seat: str,
        agent_id: str,
        mode: str,
        supervisor: str = "",
        supervisor_name: str = "",
        supervisor_server: str = "",
    ) -> CommandResult:
        """Supervisor ``listen`` / ``whisper`` / ``barge`` from ``supervisor_seat`` on the agent's call;
        ``supervisor`` (工号) and ``supervisor_name`` name who listens on the wallboard (``SpyChanged``);
        ``supervisor_server``: the server of that seat when it is another one (rung over its trunk)."""
        return await self.commands.spy(
            supervisor_seat, agent_id, mode, supervisor, supervisor_name, supervisor_server
        )

    async def spy_stop(self, spy_id: str, supervisor: str) -> CommandResult:
        """Hang up ``supervisor``'s own spy channel; the agent's call goes on."""
        return await self.commands.spy_stop(spy_id, supervisor)

    async def spy_mode(self, spy_id: str, supervisor: str, mode: str) -> CommandResult:
        return await self.commands.spy_mode(spy_id, supervisor, mode)

    # -- publishing ---------------------------------------------------------------
    def _emit(self, event: Event) -> None:
        # the model's, the spies' and the bridge's own events (the agents' and the queues' go to
        # the publisher straight away: see __init__)
        kind = type(event)
        if kind is CallOffered:
            self._offer(event)  # type: ignore[arg-type]
            return
        if self.customer_lookup is not None:
            if kind is CallStarted and event.direction == "inbound" and event.caller:  # type: ignore[attr-defined]
                self._look_up(event.call_id, event.caller)  # type: ignore[attr-defined]
            elif kind is CallEnded:
                _, task = self._customers.pop(event.call_id, ("", None))  # type: ignore[attr-defined]
                if task is not None and not task.done():
                    task.cancel()
        self.publisher.publish(event)

    def _offer(self, event: CallOffered) -> None:
        # The pop waits for its IVR path and its customer, never for anyone else's.
        waiting: list[asyncio.Future[Any]] = []
        ivr = self._ivr_paths.get(event.call_id)
        if ivr is not None:
            waiting.append(ivr)
        lookup = None
        if self.customer_lookup is not None and event.caller:
            lookup = self._look_up(event.call_id, event.caller)
            waiting.append(lookup)
        complete = functools.partial(self._complete_offer, lookup)
        self.publisher.hold(event, waiting, self.settings.lookup_timeout, complete)  # type: ignore[arg-type]

    def _complete_offer(
        self, lookup: asyncio.Task[dict[str, Any] | None] | None, event: CallOffered
    ) -> CallOffered:
        changes: dict[str, Any] = {}
        call = self.model.calls.get(event.call_id)
        if call is not None and tuple(call.ivr_path) != event.ivr_path:
            changes["ivr_path"] = tuple(call.ivr_path)
        if lookup is not None:
            if not lookup.done():
                log.warning("customer lookup for %s not ready: timed out", event.caller)
            elif lookup.cancelled():
                log.warning("customer lookup for %s not ready: cancelled", event.caller)
            elif lookup.exception() is not None:
                log.warning("customer lookup for %s not ready: %r", event.caller, lookup.exception())
            elif lookup.result():
                changes["customer"] = lookup.result()
        return dataclasses.replace(event, **changes) if changes else event

    def _call_arriving(self, frame: Frame) -> None:
        # The caller's number is known from the call's first channel (or its first
        # NewCallerid), before the IVR and the queue: look it up now, so the pop finds
        # the answer ready.
        if frame.get("Context") not in INBOUND_CONTEXTS:
            return
        call_id = frame.get("Linkedid")
        caller = frame.get("CallerIDNum")
        if call_id and call_id == frame.get("Uniqueid") and caller not in UNKNOWN:
            self._look_up(call_id, caller)

    def _look_up(self, call_id: str, caller: str) -> asyncio.Task[dict[str, Any] | None]:
        """The lookup of ``caller`` for this call, started once (again if the number changed)."""
        known = self._customers.get(call_id)
        if known is not None and known[0] == caller:
            return known[1]
        if known is not None and not known[1].done():
            known[1].cancel()
        task = self._spawn(self._lookup(caller))
        # a call that ends before any phone rings never reads the result
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        self._customers[call_id] = (caller, task)
        if len(self._customers) > 10_000:  # calls whose end we never saw (a restart in between)
            for key in [k for k, (_, t) in self._customers.items() if t.done()]:
                del self._customers[key]
        return task

    async def _lookup(self, caller: str) -> dict[str, Any] | None:
        try:
            number = normalize(caller, self.settings.default_area_code)
        except InvalidPhoneNumber:
            return None
        return await self.customer_lookup(number)  # type: ignore[misc]

    # -- connection and resync -----------------------------------------------------
    def _connection_changed(self, connected: bool, reason: str) -> None:
        if connected and self.misconfigured:
            log.warning("Asterisk %s: systemname is right now; taking its calls again", self.ami.server)
            self.misconfigured = ""
        elif not connected and self.misconfigured:
            reason = self.misconfigured
        self._emit(AmiConnectionChanged(connected=connected, server=self.ami.server, reason=reason))

    async def _check_system_name(self, ami: AmiClient) -> None:
        """Each (re)connection, before anything is taken from it: its Asterisk's ``systemname`` is
        the configured one. Call ids are ``<systemname>-<epoch>.<n>``: with a wrong one, two
        servers' calls could have one id and be linked to each other's orders and recordings. The
        link is then refused (the client tries again, backing off, and so recovers once Asterisk
        has the right one); the consoles are told it is down, ``misconfigured`` says why."""
        expected = self.settings.system_name or ""
        found = str((await ami.action("CoreSettings")).get("SystemName") or "")
        if found == expected:
            return
        reason = f"misconfigured: systemname {found!r}, configured {expected!r}"
        if reason != self.misconfigured:
            log.error(
                "Asterisk %s reports systemname %r but its asterisk_servers entry says system_name %r: "
                "its calls and commands are refused until they agree (set systemname in its "
                "asterisk.conf and restart it, or fix system_name)",
                ami.server,
                found,
                expected,
            )
            self.misconfigured = reason
            # the consoles and the supervisors' server list: this server is down, and why
            self._emit(AmiConnectionChanged(connected=False, server=ami.server, reason=reason))
        raise SystemNameMismatch(reason)

    async def _replay(self) -> None:
        history = resync.History(
            records_kept=ENDED_CALLS_KEPT, ours=resync.Ours(self.settings.system_name, self.serves)
        )
        after = 0
        while True:
            batch = await self.bus.replay(after, 10_000)
            for event in batch:
                history.add(event)
            if len(batch) < 10_000:
                break
            after = batch[-1].seq
        resync.restore(self.model, history)
        self.spy_book.restore(history.spies.values())
        for record in history.records.values():
            self._ended_calls[record.call_id] = resync.record_call(record)
        for agent_id, call_id in history.acw_holds.items():
            agent = self.agent_book.get(agent_id)
            if agent is not None and agent.call_id == call_id:
                # the tabs holding it are told the bridge is back only once it is: until they hold
                # it again, an ACW whose limit passed meanwhile must not end at the first resync
                self._acw_held[agent_id] = (call_id, {_RESTORED})
                self._acw_restored = True

    async def _resync(self, ami: AmiClient) -> None:
        await resync.resync(ami, self.model, self.spy_book)
        self._utc_offset = await recording.asterisk_utc_offset(ami, self._utc_offset)
        if self._acw_restored:
            self._acw_restored = False
            self._heard_from(A.holder_process(_RESTORED), ACW_RESTORED_HOLD_SECONDS / A.ACW_SILENT_BEATS)
        self._find_leaving()
        for agent in self.agent_book.agents.values():
            if agent.state == A.AFTER_CALL_WORK and agent.agent_id not in self._acw_timers:
                # the limit counts from the ACW's start (the bus's, after a restart or a takeover),
                # not from this resync
                self._acw_started(agent, began=agent.since)

    # -- side effects the model asks for -------------------------------------------
    def _on_user_event(self, frame: Frame) -> None:
        # The dialplan announces messages left on the line (after hours, overflow,
        # fax); they become async events for ticketing.
        kind = frame.get("UserEvent")
        if kind in ("HotlineVoicemail", "HotlineFax") and frame.get("File"):
            self._spawn(self._message_left(kind, frame))

    async def _message_left(self, kind: str, frame: Frame) -> None:
        path = recording.host_path(self.settings.asterisk_root, frame.get("File"))
        call_id = frame.get("Linkedid") or frame.get("Uniqueid") or ""
        caller = frame.get("CallerIDNum") or ""
        if kind == "HotlineFax":
            pages = frame.get("Pages") or "0"
            self._emit(
                FaxReceived(
                    call_id=call_id,
                    caller=caller,
                    dnis=frame.get("DNIS") or "",
                    path=path,
                    pages=int(pages) if pages.isdigit() else 0,
                    status=frame.get("Status") or "",
                )
            )
            return
        duration = await self._recordings.closed(path)
        self._emit(
            VoicemailReceived(
                call_id=call_id,
                caller=caller,
                dnis=frame.get("DNIS") or "",
                path=path,
                duration=round(duration or 0.0, 2),
                reason=frame.get("Reason") or "",
            )
        )

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _missed(self, agent: A.Agent, call_id: str) -> None:
        # 95598 rule: a seat that lets a call ring out is not ready until the agent says so.
        async def pause() -> None:
            try:
                await self.actions.queue_pause(agent.interface, True, A.MISSED_REASON)
                agent.paused = True
            except AmiError as exc:
                log.warning("could not pause %s after a missed call: %s", agent.agent_id, exc)

        self._spawn(pause())

    def _find_leaving(self) -> None:
        """The seats ``sign_out_seat`` left on their call, found again by a resync (after a
        restart, a standby's takeover): ``commands.leaving`` is this process's memory only, but
        Asterisk keeps such a seat paused in its queues with the sign-out's reason, which no
        agent's own pause has. The resync reads it as any pause asked for during a call (the
        reason the call ends in: ``before_call_reason``; off the call, the seat's own reason). On
        its call, it is signed out when the call ends, as before; off it (the call ended while no
        bridge watched), now."""
        for agent in self.agent_book.agents.values():
            # on the call, or in the 话后处理 of one that ended while no bridge watched (live, the
            # seat goes from that 话后处理 straight to the sign-out too)
            if agent.state in (A.RINGING, A.TALKING, A.ON_HOLD, A.AFTER_CALL_WORK):
                reason = agent.before_call_reason if agent.before_call == A.NOT_READY else ""
            else:
                reason = agent.reason if agent.state == A.NOT_READY else ""
            if reason in SIGN_OUT_REASONS:
                self.commands.leaving.add(agent.agent_id)
                self._sign_out_after_call(agent)

    def _sign_out_after_call(self, agent: A.Agent) -> None:
        """A seat ``sign_out_seat`` left on its call leaves its queues once the call is over."""
        if agent.agent_id not in self.commands.leaving or agent.state in (A.RINGING, A.TALKING, A.ON_HOLD):
            return
        self.commands.leaving.discard(agent.agent_id)
        if agent.state == A.LOGGED_OUT:
            return

        async def sign_out() -> None:
            result = await self.logout(agent.agent_id)
            if not result.ok:
                log.warning("%s not signed out after the call: %s", agent.agent_id, result.reason)

        self._spawn(sign_out())

    def _acw_started(self, agent: A.Agent, began: float = 0.0) -> None:
        """The agent's after-call work began (at ``began``, when known: now otherwise); it ends by
        its limit ``acw_seconds`` after that."""

        async def pause() -> None:
            try:
                await self.actions.queue_pause(agent.interface, True, A.ACW_REASON)
            except AmiError as exc:
                log.warning("could not pause %s for after-call work: %s", agent.agent_id, exc)

        self._spawn(pause())
        self._cancel_acw(agent.agent_id)
        loop = asyncio.get_running_loop()
        left = self.settings.acw_seconds
        if began:
            left = min(left, max(0.0, began + left - time.time()))
        self._acw_timers[agent.agent_id] = loop.call_later(left, self._end_acw, agent.agent_id, agent.call_id)

    def _end_acw(self, agent_id: str, call_id: str) -> None:
        self._acw_timers.pop(agent_id, None)
        task = self._spawn(self._acw_expired(agent_id, call_id))
        self._acw_ending[agent_id] = task
        task.add_done_callback(
            lambda done: self._acw_ending.pop(agent_id) if self._acw_ending.get(agent_id) is done else None
        )

    async def _acw_expired(self, agent_id: str, call_id: str) -> None:
        agent = self.agent_book.get(agent_id)
        if agent is None or agent.state != A.AFTER_CALL_WORK or agent.call_id != call_id:
            # the agent ended this ACW first (话后处理完毕, 就绪, 暂停, 下班): nothing left to end
            log.debug("ACW limit of %s on %s: after-call work already over", agent_id, call_id)
            return
        held = self._acw_held.get(agent_id)
        if agent.call_id and held is not None and held[0] == agent.call_id:
            self._acw_overdue.add(agent_id)  # ends when the form is saved or emptied
            return
        result = await self.commands.end_after_call_work(agent_id)
        if not result.ok:
            log.warning("after-call work of %s did not end: %s", agent_id, result.reason)

    def _cancel_acw(self, agent_id: str) -> None:
        """The agent ends their ACW themselves: the limit's timer, and a limit already ending it
        (its unpause not yet answered), give way, so their 暂停 is not followed by its unpause."""
        self._acw_overdue.discard(agent_id)
        timer = self._acw_timers.pop(agent_id, None)
        if timer is not None:
            timer.cancel()
        ending = self._acw_ending.pop(agent_id, None)
        if ending is not None:
            ending.cancel()

    def _ivr_path_on_event(self, frame: Frame) -> None:
        # "ChanVariable: HOTLINE_IVR_PATH=top:1/…", empty when the IVR set none.
        self._ivr_path_seen = _channel_and_ivr_path(frame.raw)

    def _queued(self, call: Call, channel: str) -> None:
        # The IVR's choices ride on the channel (HOTLINE_IVR_PATH, set by the AGI route).
        seen, self._ivr_path_seen = self._ivr_path_seen, None
        if seen is not None and seen[0] == channel:
            _add_ivr_path(call, seen[1])  # on the event itself: the pop waits for nothing
            return
        # An Asterisk without that channelvar: VarSet is filtered out of the stream, so
        # ask once per queued call (and the pop waits for the answer).
        if call.call_id in self._ivr_paths:
            return

        async def fetch() -> None:
            try:
                path = await self.actions.getvar(channel, "HOTLINE_IVR_PATH")
            except AmiError:
                return
            _add_ivr_path(call, path)

        task = self._spawn(fetch())
        self._ivr_paths[call.call_id] = task
        task.add_done_callback(lambda _t: self._forget_ivr_path(call.call_id))

    def _forget_ivr_path(self, call_id: str) -> None:
        # Keep the finished task until the call ends (CallOffered may still await it); bound the map.
        if len(self._ivr_paths) > 10_000:
            for key in [k for k, t in self._ivr_paths.items() if t.done()]:
                del self._ivr_paths[key]

    def _recording_started(self, call: Call, channel: str) -> None:
        # The dialplan names the file by the call id and Asterisk's date: no need to ask.
        if not call.recording:
            call.recording = recording.dialplan_path(call.call_id, time.time(), self._utc_offset)

    def _call_ended(self, call: Call) -> None:
        self._ivr_paths.pop(call.call_id, None)
        self._ended_calls[call.call_id] = call
        # Kept for ended_call(), each with a dozen sets, lists and dicts of plain values: out of
        # the collector's sight (it can be in no cycle), not walked again by every collection.
        untrack_plain(call, _CALL_PARTS)
        while len(self._ended_calls) > ENDED_CALLS_KEPT:
            self._ended_calls.popitem(last=False)
        self.spy_book.call_ended(call.call_id)
        if not call.recording:
            if call.answered_at:
                self._spawn(self._search_recording(call))
            return  # never bridged: MixMonitor (option b) only writes while bridged
        # Every call comes here: the wait is a callback on the look, not a task of its own.
        waiting = self._recordings.closed(recording.host_path(self.settings.asterisk_root, call.recording))
        waiting.add_done_callback(functools.partial(self._recording_closed, call))

    def _recording_closed(self, call: Call, waiting: asyncio.Future[float | None]) -> None:
        if waiting.cancelled():
            return  # the bridge is stopping
        if waiting.exception() is not None:
            log.warning(
                "recording %s of call %s unreadable: %r", call.recording, call.call_id, waiting.exception()
            )
            return
        duration = waiting.result()
        if duration is None and call.answered_at:
            self._spawn(self._search_recording(call))
        elif duration:
            self._announce_recording(call, call.recording, duration)

    async def _search_recording(self, call: Call) -> None:
        # Not where the dialplan's rule says (recorded just before midnight, named by
        # someone else, or MixMonitorStart missed): look for the call's file.
        root = self.settings.asterisk_root
        found = await self._recordings.find(root, call.call_id)
        if found and found != call.recording:
            duration = await self._recordings.closed(recording.host_path(root, found))
            if duration:
                self._announce_recording(call, found, duration)

    def _announce_recording(self, call: Call, path: str, duration: float) -> None:
        self._emit(
            RecordingReady(
                call_id=call.call_id,
                path=recording.host_path(self.settings.asterisk_root, path),
                duration=round(duration, 3),
                agent_id=call.agent_id,
            )
        )


def _add_ivr_path(call: Call, path: str) -> None:
    steps = [p for p in path.split("/") if p]
    if steps and not any(p in call.ivr_path for p in steps):
        call.ivr_path[:0] = steps
