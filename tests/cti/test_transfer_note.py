"""A blind transfer's 转接备注 (``note``: the customer's words the agent typed so far) travels with
the caller: held on the call with the hand-over (``transferred_from``), carried on the target's
ring and answer (``transfer_note``), to a colleague and to whichever member a queue rings, and
kept by a web process's mirror and a restarted bridge's history where they keep who handed the
caller on. The bridge refuses one longer than ``TRANSFER_NOTE_LIMIT`` before anything moves. To a
colleague on another server the note does not go over the trunk (its relay is a SIP header): the
console's routing tells their bridge first (``relay_note``), and the relayed call takes it. On
synthetic AMI frames, with the model in Python and with the C accelerator (whose seat ring is
built through ``_seat_rings``)."""

from __future__ import annotations

import logging

import pytest

from cti import agents as A
from cti.ami.client import AmiActionError
from cti.bridge import CtiBridge, CtiSettings
from cti.bus import InProcessBus
from cti.call_events import AgentStateChanged, CallAnswered, CallOffered, CallTransferred
from cti.calls import RELAY_NOTE_SECONDS, Call, CallModel
from cti.commands import AgentCommands, CommandResult
from cti.commands.service import TRANSFER_NOTE_LIMIT
from cti.local_bridges import LocalBridges
from cti.redis_bus import RedisBus
from cti.remote import bridge_handlers
from hotline.runtime import remote_bridge as hotline_remote_bridge
from tests.cti.test_calls import AGENT_2_CH, AGENT_CH, CALLER_2, LINKED, SEAT_2, World, _answered_by_2001
from tests.cti.test_relayed_call import CALL_ID, CALLER, TRUNK, _relayed, world  # noqa: F401 (fixture)
from tests.cti.test_remote import SeatBridge, bus, prefix, remote_bridge, serving  # noqa: F401 (fixtures)
from tests.cti.test_remote_servers import REDIS_URL, SiteBridge, active_bridge, settings, until  # noqa: F401
from tests.cti.test_transferred_from import _history, _mirrored

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
    assert _history(w).transfer_note == NOTE


async def test_the_command_log_names_the_transfer_but_not_the_callers_words(talking, caplog):
    w = talking
    with caplog.at_level(logging.INFO, logger="cti.commands.service"):
        assert (await _commands(w, Actions()).transfer("2001", "agent", "2002", note=NOTE)).ok
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith("command transfer")]
    assert "2002" in line and f"<{len(NOTE)} characters>" in line
    assert NOTE not in line


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


# -- a colleague on another server ----------------------------------------------------------


def test_a_caller_relayed_from_another_server_brings_the_note_its_bridge_was_told(world):  # noqa: F811
    model, events, _missed, feed = world
    model.expect_relay_note(CALL_ID, "7001", NOTE, 9.0)
    _relayed(feed, by="7001")
    feed("BridgeEnter", 12.0, Channel=TRUNK, BridgeUniqueid="b1")
    feed("BridgeEnter", 12.0, Channel="Local/8001@hotline-sim-phone-00000002;1", BridgeUniqueid="b1")
    assert _noted(e for e in events if isinstance(e, CallOffered)) == [("8001", "7001", NOTE)]
    assert _noted(e for e in events if isinstance(e, CallAnswered)) == [("8001", "7001", NOTE)]
    assert model.relay_notes == {}  # taken


def test_a_note_told_by_another_agent_or_too_long_ago_is_not_the_relayed_callers(world):  # noqa: F811
    model, events, _missed, feed = world
    model.expect_relay_note("another-call", "7001", NOTE, 9.0 - RELAY_NOTE_SECONDS - 1)
    model.expect_relay_note(CALL_ID, "7002", NOTE, 9.0)  # not the agent the relay names
    assert list(model.relay_notes) == [CALL_ID]  # the stale one is forgotten meanwhile
    _relayed(feed, by="7001")
    assert _noted(e for e in events if isinstance(e, CallOffered)) == [("8001", "7001", "")]


def test_a_restarted_bridge_keeps_the_note_of_a_relayed_call_it_reads_again(world):  # noqa: F811
    """The resync reads the relay off the trunk's channel again (``take_relay``): the call, as its
    bus history had it, keeps its note; one handed on by someone else has none."""
    model, _events, _missed, _feed = world
    relay = f"blind|{CALL_ID}|{CALLER}|cti-a|95598|7001"
    restored = Call(CALL_ID, transferred_from="7001", transferred_at=10.0, transfer_note=NOTE)
    model.take_relay(restored, relay, 30.0, TRUNK)
    assert (restored.transferred_from, restored.transfer_note) == ("7001", NOTE)
    other = Call(CALL_ID, transferred_from="7009", transfer_note="7009's note")
    model.take_relay(other, relay, 30.0, TRUNK)
    assert (other.transferred_from, other.transfer_note) == ("7001", "")


async def test_the_bridge_there_is_told_the_note_before_the_caller_is_handed_on():
    """``LocalBridges`` (one process) tells the colleague's bridge first, then the agent's own
    transfers over the trunk; ``CtiBridge.relay_note`` holds it for the call, within the limit."""
    told: list[tuple] = []

    class Bridge:
        connected, customer_lookup = True, None

        def __init__(self, seats: dict[str, dict]) -> None:
            self.seats = seats

        def agent(self, agent_id: str) -> dict | None:
            return self.seats.get(agent_id)

        def __getattr__(self, name: str):
            async def command(*args, **kwargs) -> CommandResult:
                told.append((name, *args, kwargs))
                return CommandResult.done()

            return command

    main = Bridge({"7001": {"state": "talking", "call_id": CALL_ID}})
    second = Bridge({"8001": {"state": "ready", "reason": ""}})
    routed = LocalBridges(
        {"main": main, "second": second}, lambda agent: "second" if agent.startswith("8") else None, "main"
    )
    assert (await routed.transfer("7001", "agent", "8001", note=NOTE)).ok
    assert told == [
        ("relay_note", "8001", CALL_ID, "7001", NOTE, {}),
        ("transfer", "7001", "agent", "8001", "second", {"note": NOTE}),
    ]

    bridge = CtiBridge(CtiSettings(), InProcessBus())
    assert (await bridge.relay_note("8001", CALL_ID, "7001", NOTE)).ok
    assert bridge.model.relay_notes[CALL_ID][:2] == ("7001", NOTE)
    refused = await bridge.relay_note("8001", "c2", "7001", "停" * (TRANSFER_NOTE_LIMIT + 1))
    assert (refused.ok, refused.reason) == (False, "transfer_note_too_long")
    assert "c2" not in bridge.model.relay_notes


async def test_a_web_process_tells_the_colleagues_server_first_over_redis(settings):  # noqa: F811
    """``RemoteBridge`` with two servers (real Redis, stand-in bridges): gz's agent hands their
    caller on to sz's colleague with a note; sz's bridge is told it, then gz's transfers."""
    gz, sz = settings.servers
    buses = [RedisBus(REDIS_URL, stream=f"{settings.redis_prefix}:events", block_ms=50) for _ in range(3)]
    at_gz, at_sz = SiteBridge(buses[0], "95598", "spy-gz"), SiteBridge(buses[1], "95598", "spy-sz")
    remote = hotline_remote_bridge(settings, buses[2], timeout=2.0, holder_poll=0.1)
    try:
        async with active_bridge(settings, gz, at_gz), active_bridge(settings, sz, at_sz):
            await remote.start()
            await until(lambda: remote.connected_for("5101") and remote.connected_for("5201"))
            await buses[0].publish(
                AgentStateChanged(
                    agent_id="5101",
                    state="talking",
                    previous="ringing",
                    seconds_in_previous=0,
                    call_id="gz-7",
                )
            )
            await buses[1].publish(
                AgentStateChanged(agent_id="5201", state="ready", previous="not_ready", seconds_in_previous=0)
            )
            await until(lambda: (remote.agent("5201") or {}).get("state") == "ready")
            await until(lambda: (remote.agent("5101") or {}).get("call_id") == "gz-7")
            assert (await remote.transfer("5101", "agent", "5201", note=NOTE)).ok
            assert at_sz.seen == [("relay_note", "5201", "gz-7", "5101", NOTE)]
            assert at_gz.seen == [("transfer", "5101", "agent", "5201", "sz", NOTE)]
            # without a note, nothing is told there
            assert (await remote.transfer("5101", "agent", "5201")).ok
            assert at_sz.seen == [("relay_note", "5201", "gz-7", "5101", NOTE)]
            assert at_gz.seen[-1] == ("transfer", "5101", "agent", "5201", "sz")
    finally:
        await remote.stop()
        for b in buses:
            await b.close()
