"""A blind transfer's 转接备注 (``note``: the customer's words the agent typed so far) travels with
the caller: held on the call with the hand-over (``transferred_from``), carried on the target's
ring and answer (``transfer_note``), to a colleague and to whichever member a queue rings, and
kept by a web process's mirror and a restarted bridge's history where they keep who handed the
caller on. The bridge refuses one longer than ``TRANSFER_NOTE_LIMIT`` before anything moves. On
synthetic AMI frames, with the model in Python and with the C accelerator (whose seat ring is
built through ``_seat_rings``)."""

from __future__ import annotations

import pytest

from cti import agents as A
from cti.ami.client import AmiActionError
from cti.call_events import CallAnswered, CallOffered, CallTransferred
from cti.calls import CallModel
from cti.commands import AgentCommands, CommandResult
from cti.commands.service import TRANSFER_NOTE_LIMIT
from cti.local_bridges import LocalBridges
from cti.mirror import BridgeMirror
from cti.remote import bridge_handlers
from cti.resync import History
from tests.cti.test_calls import AGENT_2_CH, AGENT_CH, CALLER_2, LINKED, SEAT_2, World, _answered_by_2001
from tests.cti.test_remote import SeatBridge, bus, prefix, remote_bridge, serving  # noqa: F401 (fixtures)

NOTE = "客户说家里整栋楼停电两小时了，户号 0301234567，要求尽快派人"


class Actions:
    """``Actions`` that note what would be sent to Asterisk; ``refuse``: the transfer Asterisk refuses."""

    outbound_context = "hotline-outbound"

    def __init__(self, refuse: bool = False) -> None:
        self.sent: list[tuple] = []
        self.refuse = refuse

    async def queue_exists(self, queue: str) -> bool:
        return queue == "vip"

    async def blind_transfer(self, channel: str, context: str, exten: str) -> None:
        if self.refuse:
            raise AmiActionError("BlindTransfer", "Failed to transfer")
        self.sent.append(("blind_transfer", channel, context, exten))

    def __getattr__(self, name: str):
        async def act(*args: object, **kwargs: object) -> None:
            self.sent.append((name, *args))

        return act


@pytest.fixture(params=[False, True], ids=["python", "speedups"])
def talking(request):
    """2001 talks with the caller (answered in ``general``); 2002 is ready, in ``vip`` too."""
    w = World()
    w.model = CallModel(
        w.events.append,
        w.agents,
        w.queues,
        on_missed=lambda a, c: w.missed.append((a.agent_id, c)),
        speedups=request.param,
    )
    _answered_by_2001(w)
    assert w.agents.get("2001").state == A.TALKING
    return w


def _commands(w: World, actions: Actions) -> AgentCommands:
    return AgentCommands(w.model, actions, hotline_number="95598", pause_reasons=())


def _the_caller_leaves_2001(w: World) -> None:
    w.feed("BridgeLeave", 15.0, Channel=CALLER_2, BridgeUniqueid="b1")
    w.hangup(AGENT_CH, "1700000000.3", 15.5)


def _noted(events) -> list[tuple[str, str, str]]:
    return [(e.agent_id, e.transferred_from, e.transfer_note) for e in events]


def _mirrored(w: World) -> dict:
    mirror = BridgeMirror(bus=None)  # type: ignore[arg-type]
    for event in w.events:
        mirror.apply(event)
    (call,) = [c for c in mirror.calls() if c["call_id"] == LINKED]
    return call


def _restored(w: World):
    history = History(records_kept=2)
    for event in w.events:
        history.add(event)
    return history.calls[LINKED]


async def test_the_note_rings_and_is_answered_on_the_colleague_transferred_to(talking):
    w = talking
    actions = Actions()
    result = await _commands(w, actions).transfer("2001", "agent", "2002", note=f"  {NOTE}\n")
    assert result.ok, result
    assert actions.sent[-1][0] == "blind_transfer"
    _the_caller_leaves_2001(w)
    # the seat's own leg appearing rings it (built in C with the accelerator: _seat_rings)
    w.feed("Newchannel", 15.6, Channel=AGENT_2_CH, Uniqueid="1700000000.4", Context="hotline-sim-phone")
    w.feed("BridgeEnter", 17.0, Channel=AGENT_2_CH, BridgeUniqueid="b2")
    w.feed("BridgeEnter", 17.0, Channel=CALLER_2, BridgeUniqueid="b2")
    # as typed, without the blanks around it; the agent who handed the caller on is told nothing
    assert _noted(w.of(CallOffered)) == [("2001", "", ""), ("2002", "2001", NOTE)]
    assert _noted(w.of(CallAnswered)) == [("2001", "", ""), ("2002", "2001", NOTE)]
    (transferred,) = w.of(CallTransferred)
    assert (transferred.kind, transferred.note) == ("blind", NOTE)
    # a reload of 2002's console, a web process's mirror, a restarted bridge's history
    assert w.model.calls[LINKED].snapshot()["transfer_note"] == NOTE
    assert _mirrored(w)["transfer_note"] == NOTE
    assert _restored(w).transfer_note == NOTE


async def test_a_queue_transfers_note_goes_to_the_member_the_queue_rings(talking):
    w = talking
    assert (await _commands(w, Actions()).transfer("2001", "queue", "vip", note=NOTE)).ok
    w.feed("BridgeLeave", 15.0, Channel=CALLER_2, BridgeUniqueid="b1")
    w.feed("QueueCallerJoin", 15.1, Channel=CALLER_2, Queue="vip", Position="1", CallerIDNum="13800138000")
    w.hangup(AGENT_CH, "1700000000.3", 15.2)
    w.feed("Newchannel", 16.0, Channel=AGENT_2_CH, Uniqueid="1700000000.4", Context="hotline-sim-phone")
    w.feed("AgentCalled", 16.0, Channel=CALLER_2, Queue="vip", Interface=SEAT_2, MemberName="2002")
    w.feed("AgentConnect", 18.0, Channel=CALLER_2, Queue="vip", Interface=SEAT_2, MemberName="2002")
    w.feed("BridgeEnter", 18.0, Channel=AGENT_2_CH, BridgeUniqueid="b2")
    w.feed("BridgeEnter", 18.0, Channel=CALLER_2, BridgeUniqueid="b2")
    offers = [(e.queue, *n) for e, n in zip(w.of(CallOffered), _noted(w.of(CallOffered)), strict=True)]
    assert offers[-1] == ("vip", "2002", "2001", NOTE)
    assert _noted(w.of(CallAnswered))[-1] == ("2002", "2001", NOTE)


async def test_a_transfer_without_a_note_carries_none_and_drops_an_earlier_one(talking):
    w = talking
    call = w.model.calls[LINKED]
    w.model.handing_on(call, "1009", 5.0, "an earlier agent's note")  # handed to 2001 with one
    assert (await _commands(w, Actions()).transfer("2001", "agent", "2002")).ok
    _the_caller_leaves_2001(w)
    w.feed("Newchannel", 15.6, Channel=AGENT_2_CH, Uniqueid="1700000000.4", Context="hotline-sim-phone")
    assert _noted(w.of(CallOffered))[-1] == ("2002", "2001", "")
    assert call.transfer_note == ""


async def test_a_note_too_long_is_refused_and_nothing_moves(talking):
    w = talking
    actions = Actions()
    too_long = "停" * (TRANSFER_NOTE_LIMIT + 1)
    refused = await _commands(w, actions).transfer("2001", "agent", "2002", note=too_long)
    assert (refused.ok, refused.reason) == (False, "transfer_note_too_long")
    assert (refused.data["limit"], refused.data["length"]) == (TRANSFER_NOTE_LIMIT, TRANSFER_NOTE_LIMIT + 1)
    assert actions.sent == [] and not w.of(CallTransferred)
    call = w.model.calls[LINKED]
    assert (call.transferred_from, call.transfer_note) == ("", "")
    # at the limit it goes
    assert (await _commands(w, actions).transfer("2001", "agent", "2002", note=too_long[1:])).ok
    assert call.transfer_note == too_long[1:]


async def test_a_transfer_asterisk_refuses_leaves_the_call_as_it_was(talking):
    w = talking
    call = w.model.calls[LINKED]
    w.model.handing_on(call, "1009", 5.0, "an earlier agent's note")
    refused = await _commands(w, Actions(refuse=True)).transfer("2001", "agent", "2002", note=NOTE)
    assert not refused.ok
    assert (call.transferred_from, call.transferred_at, call.transfer_note) == (
        "1009",
        5.0,
        "an earlier agent's note",
    )


async def test_the_console_process_routes_the_note_to_the_agents_own_bridge(prefix, bus):  # noqa: F811
    """Over Redis (``RemoteBridge``, real Redis) as in one process (``LocalBridges``): the note goes
    after the server ("" for a target on the agent's own), and without one the request is as before."""
    bridge = SeatBridge(bus)
    async with serving(prefix, bridge_handlers(bridge)), remote_bridge(prefix) as remote:
        await remote.transfer("1001", "agent", "1002", note=NOTE)
        await remote.transfer("1001", "queue", "service")
    assert bridge.seen == [
        ("transfer", "1001", "agent", "1002", "", NOTE),
        ("transfer", "1001", "queue", "service"),
    ]

    class Bridge:
        connected, customer_lookup = True, None
        asked: list[tuple] = []

        async def transfer(self, *args, **kwargs) -> CommandResult:
            self.asked.append((*args, kwargs))
            return CommandResult.done()

    one = Bridge()
    routed = LocalBridges({"main": one}, lambda agent: None, "main")
    await routed.transfer("1001", "agent", "1002", note=NOTE)
    await routed.transfer("1001", "queue", "service")
    assert one.asked == [("1001", "agent", "1002", {"note": NOTE}), ("1001", "queue", "service", {})]
