"""The call model on synthetic AMI frames (the integration stories run it on the real thing)."""

from __future__ import annotations

import pytest

from cti import agents as A
from cti.agents import AgentBook
from cti.ami.protocol import Frame
from cti.call_events import CallAnswered, CallEnded, CallHeld, CallOffered, CallQueued
from cti.calls import CallModel, MalformedEvent, listener
from cti.queues import QueueBoard
from cti.resync import History, apply_channels, apply_queue_status, restore

LINKED = "1700000000.1"
CALLER_1, CALLER_2 = "Local/95598@hotline-inbound-00000001;1", "Local/95598@hotline-inbound-00000001;2"
SEAT = "Local/2001@hotline-sim-phone/n"
AGENT_CH = "Local/2001@hotline-sim-phone-00000002;1"
SEAT_2 = "Local/2002@hotline-sim-phone/n"
AGENT_2_CH = "Local/2002@hotline-sim-phone-00000003;1"


class World:
    def __init__(self, acw: float = 0.0) -> None:
        self.events = []
        self.missed = []
        self.agents = AgentBook(self.events.append, acw_seconds=acw)
        self.queues = QueueBoard(self.events.append, self.agents)
        self.model = CallModel(
            self.events.append,
            self.agents,
            self.queues,
            on_missed=lambda a, c: self.missed.append((a.agent_id, c)),
        )
        agent = self.agents.ensure("2001", SEAT)
        self.agents.apply(agent, "login", 1.0)
        self.agents.apply(agent, "ready", 2.0)

    def feed(self, name: str, at: float, **fields: str) -> None:
        self.model.handle(Frame.build(Event=name, Timestamp=f"{at:.6f}", Linkedid=LINKED, **fields))

    def of(self, kind):
        return [e for e in self.events if isinstance(e, kind)]

    def incoming(self, at: float = 10.0) -> None:
        self.feed(
            "Newchannel",
            at,
            Channel=CALLER_1,
            Uniqueid=LINKED,
            Context="hotline-inbound",
            Exten="95598",
            CallerIDNum="<unknown>",
        )
        self.feed(
            "Newchannel",
            at,
            Channel=CALLER_2,
            Uniqueid="1700000000.2",
            Context="hotline-inbound",
            Exten="95598",
        )
        self.feed(
            "QueueCallerJoin",
            at + 0.01,
            Channel=CALLER_2,
            Queue="general",
            Position="1",
            CallerIDNum="13800138000",
            CallerIDName="Zhang",
        )

    def ring(self, at: float) -> None:
        self.feed("Newchannel", at, Channel=AGENT_CH, Uniqueid="1700000000.3", Context="hotline-sim-phone")
        self.feed("AgentCalled", at, Channel=CALLER_2, Queue="general", Interface=SEAT, MemberName="2001")

    def hangup(self, channel: str, uid: str, at: float, cause: str = "16") -> None:
        self.feed("Hangup", at, Channel=channel, Uniqueid=uid, Cause=cause)


def test_answered_queue_call_has_its_whole_record():
    w = World()
    w.incoming(10.0)
    w.ring(11.0)
    w.feed(
        "AgentConnect",
        13.0,
        Channel=CALLER_2,
        Queue="general",
        Interface=SEAT,
        MemberName="2001",
        HoldTime="3",
    )
    w.feed("BridgeEnter", 13.0, Channel=AGENT_CH, BridgeUniqueid="b1")
    w.feed("BridgeEnter", 13.0, Channel=CALLER_2, BridgeUniqueid="b1")
    w.hangup(AGENT_CH, "1700000000.3", 20.0)
    w.feed("AgentComplete", 20.0, Channel=CALLER_2, Queue="general", MemberName="2001", Reason="agent")
    w.hangup(CALLER_2, "1700000000.2", 20.1)
    w.hangup(CALLER_1, LINKED, 20.2)
    (ended,) = w.of(CallEnded)
    assert (ended.outcome, ended.direction, ended.dnis, ended.caller, ended.caller_name) == (
        "answered",
        "inbound",
        "95598",
        "13800138000",
        "Zhang",
    )
    assert (ended.started_at, ended.queued_at, ended.ringing_at, ended.answered_at, ended.ended_at) == (
        10.0,
        10.01,
        11.0,
        13.0,
        20.2,
    )
    assert ended.waited == pytest.approx(2.99)
    assert (ended.agent_id, ended.agents_offered, ended.hangup_side, ended.hangup_cause) == (
        "2001",
        ("2001",),
        "agent",
        16,
    )
    offered = w.of(CallOffered)[0]
    assert offered.waited == pytest.approx(0.99) and offered.caller == "13800138000"
    assert w.agents.get("2001").state == A.READY
    assert w.queues.get("general").answered == 1 and not w.queues.get("general").waiting


def test_caller_hanging_up_while_ringing_is_abandoned_ringing_and_the_agent_goes_back():
    w = World()
    w.incoming(10.0)
    w.ring(12.0)
    w.feed("QueueCallerAbandon", 14.0, Channel=CALLER_2, Queue="general", HoldTime="4")
    w.hangup(AGENT_CH, "1700000000.3", 14.0)
    w.hangup(CALLER_2, "1700000000.2", 14.0)
    w.hangup(CALLER_1, LINKED, 14.0)
    (ended,) = w.of(CallEnded)
    assert ended.outcome == "abandoned_ringing" and ended.hangup_side == "caller"
    assert ended.waited == pytest.approx(3.99)
    assert w.agents.get("2001").state == A.READY
    assert w.queues.get("general").abandoned == 1


def test_an_inbound_call_that_ends_in_the_ivr_is_no_failure_and_waited_for_no_one():
    # Self-service callers (outage notice, bill lookup) hang up before any queue: the
    # report called them 呼叫失败 and counted their minutes in the menus as queue wait.
    w = World()
    w.feed("Newchannel", 10.0, Channel=CALLER_1, Uniqueid=LINKED, Context="hotline-inbound", Exten="95598")
    w.feed(
        "Newchannel",
        10.0,
        Channel=CALLER_2,
        Uniqueid="1700000000.2",
        Context="hotline-inbound",
        Exten="95598",
    )
    w.hangup(CALLER_2, "1700000000.2", 70.0)
    w.hangup(CALLER_1, LINKED, 70.0)
    (ended,) = w.of(CallEnded)
    assert (ended.direction, ended.outcome, ended.waited, ended.queue) == ("inbound", "ivr", 0.0, "")
    assert ended.hangup_side != "system"


def test_ring_no_answer_marks_the_agent_missed():
    w = World()
    w.incoming(10.0)
    w.ring(11.0)
    w.feed("AgentRingNoAnswer", 14.0, Channel=CALLER_2, Queue="general", Interface=SEAT, MemberName="2001")
    assert w.missed == [("2001", LINKED)]
    agent = w.agents.get("2001")
    assert (agent.state, agent.reason) == (A.NOT_READY, "未接")


def test_overflow_is_the_outcome_and_is_counted_once():
    w = World()
    w.incoming(10.0)
    w.feed("UserEvent", 40.0, UserEvent="HotlineOverflow", Queue="general", Target="queue:fault")
    w.feed("UserEvent", 41.0, UserEvent="HotlineOverflow", Queue="general", Target="")
    w.hangup(CALLER_2, "1700000000.2", 50.0)
    w.hangup(CALLER_1, LINKED, 50.0)
    (ended,) = w.of(CallEnded)
    assert ended.outcome == "overflow" and ended.overflow_target == "voicemail"
    assert w.queues.get("general").overflowed == 1
    assert w.queues.get("general").offered == 1


def test_a_call_ends_once_even_if_frames_come_again():
    w = World()
    w.incoming(10.0)
    w.hangup(CALLER_2, "1700000000.2", 11.0)
    w.hangup(CALLER_1, LINKED, 11.0)
    w.incoming(12.0)  # a replay of the same frames after a reconnect
    w.hangup(CALLER_1, LINKED, 13.0)
    assert len(w.of(CallEnded)) == 1


def test_resync_closes_a_call_that_ended_unseen_and_keeps_bus_times():
    w = World()
    history = History()
    w.incoming(10.0)
    w.ring(11.0)
    w.feed(
        "AgentConnect",
        13.0,
        Channel=CALLER_2,
        Queue="general",
        Interface=SEAT,
        MemberName="2001",
        HoldTime="3",
    )
    for e in w.events:
        history.add(e)
    fresh = World()
    fresh.events.clear()
    restore(fresh.model, history)
    apply_channels(fresh.model, [], 30.0)
    (ended,) = fresh.of(CallEnded)
    assert ended.answered_at == 13.0 and ended.queued_at == 10.01 and ended.ended_at == 30.0
    assert not [e for e in fresh.events if e.name == "CallStarted"]


def test_resync_takes_pauses_and_members_from_queue_status():
    w = World()
    w.events.clear()
    frames = [
        Frame.build(Event="QueueParams", Queue="general"),
        Frame.build(
            Event="QueueMember",
            Queue="general",
            Name="2001",
            StateInterface=SEAT,
            Penalty="2",
            Paused="1",
            PausedReason="用餐",
        ),
        Frame.build(
            Event="QueueMember",
            Queue="general",
            Name="2002",
            StateInterface="PJSIP/2002",
            Penalty="0",
            Paused="0",
        ),
    ]
    apply_queue_status(w.model, frames, 50.0)
    assert (w.agents.get("2001").state, w.agents.get("2001").reason) == (A.NOT_READY, "用餐")
    assert w.agents.get("2002").state == A.READY and w.agents.get("2002").skills == {"general": 0}
    apply_queue_status(w.model, frames, 51.0)
    assert len([e for e in w.events if e.name == "AgentStateChanged"]) == 2  # nothing twice
    apply_queue_status(w.model, frames[:2], 52.0)
    assert w.agents.get("2002").state == A.LOGGED_OUT


@pytest.mark.parametrize(("answer_at", "in_sl"), [(13.0, 1), (40.0, 0)])
def test_the_service_level_counts_calls_answered_within_twenty_seconds(answer_at, in_sl):
    w = World()
    w.incoming(10.0)
    w.ring(answer_at - 1)
    w.feed("AgentConnect", answer_at, Channel=CALLER_2, Queue="general", Interface=SEAT, MemberName="2001")
    w.feed("BridgeEnter", answer_at, Channel=AGENT_CH, BridgeUniqueid="b1")
    w.feed("BridgeEnter", answer_at, Channel=CALLER_2, BridgeUniqueid="b1")
    w.hangup(AGENT_CH, "1700000000.3", answer_at + 5)
    w.hangup(CALLER_2, "1700000000.2", answer_at + 5.1)
    w.hangup(CALLER_1, LINKED, answer_at + 5.2)
    queue = w.queues.get("general")
    assert (queue.offered, queue.answered, queue.answered_in_sl) == (1, 1, in_sl)
    last = [e for e in w.events if type(e).__name__ == "QueueUpdated"][-1]
    assert (last.answered, last.answered_in_sl, last.service_level_seconds) == (1, in_sl, 20.0)


def test_the_wallboard_counts_an_answer_when_the_agent_answers_not_when_the_call_ends():
    w = World()
    w.incoming(10.0)
    w.ring(12.0)
    w.feed("QueueCallerLeave", 13.0, Channel=CALLER_2, Queue="general")  # Asterisk says so first
    w.feed("AgentConnect", 13.0, Channel=CALLER_2, Queue="general", Interface=SEAT, MemberName="2001")
    last = [e for e in w.events if type(e).__name__ == "QueueUpdated"][-1]
    assert (last.offered, last.answered, last.answered_in_sl, last.waiting) == (1, 1, 1, 0)
    w.feed("BridgeEnter", 13.0, Channel=AGENT_CH, BridgeUniqueid="b1")
    w.feed("BridgeEnter", 13.0, Channel=CALLER_2, BridgeUniqueid="b1")
    w.hangup(AGENT_CH, "1700000000.3", 300.0)
    w.hangup(CALLER_2, "1700000000.2", 300.1)
    w.hangup(CALLER_1, LINKED, 300.2)
    queue = w.queues.get("general")
    assert (queue.offered, queue.answered, queue.answered_in_sl) == (1, 1, 1)  # once, at the answer


def test_a_caller_behind_a_local_channel_who_hangs_up_first_is_the_side_that_hung_up():
    """The caller's far half goes first; the near half and the agent's channel then go together,
    in either order (seen on the real Asterisk: the agent's first, now and then)."""
    w = World()
    w.incoming(10.0)
    w.ring(11.0)
    w.feed("AgentConnect", 13.0, Channel=CALLER_2, Queue="general", Interface=SEAT, MemberName="2001")
    w.feed("BridgeEnter", 13.0, Channel=AGENT_CH, BridgeUniqueid="b1")
    w.feed("BridgeEnter", 13.0, Channel=CALLER_2, BridgeUniqueid="b1")
    w.hangup(CALLER_1, LINKED, 20.0)
    w.hangup(AGENT_CH, "1700000000.3", 20.01)
    w.hangup(CALLER_2, "1700000000.2", 20.02)
    (ended,) = w.of(CallEnded)
    assert ended.hangup_side == "caller"


@pytest.mark.parametrize(("gone_at", "short"), [(13.0, 1), (25.0, 0)])
def test_a_caller_who_gives_up_within_seconds_is_a_short_abandon(gone_at, short):
    w = World()
    w.incoming(10.0)  # joins the queue at 10
    w.feed("QueueCallerAbandon", gone_at, Channel=CALLER_2, Queue="general", HoldTime="3")
    w.hangup(CALLER_2, "1700000000.2", gone_at)
    w.hangup(CALLER_1, LINKED, gone_at)
    queue = w.queues.get("general")
    assert (queue.abandoned, queue.short_abandoned) == (1, short)
    last = [e for e in w.events if type(e).__name__ == "QueueUpdated"][-1]
    assert (last.abandoned, last.short_abandoned) == (1, short)


def test_a_hold_made_right_after_the_answer_survives_the_answers_late_bridge_events():
    w = World()
    w.incoming(10.0)
    w.ring(11.0)
    w.feed("AgentConnect", 13.0, Channel=CALLER_2, Queue="general", Interface=SEAT, MemberName="2001")
    call = w.model.calls[LINKED]
    w.model.set_hold(call, True, 13.5)  # the agent pressed 保持 at 13.5
    assert w.agents.get("2001").state == A.ON_HOLD
    # the answer's BridgeEnter events of 13.0 are read only now: the call stays on hold
    w.feed("BridgeEnter", 13.0, Channel=AGENT_CH, BridgeUniqueid="b1")
    w.feed("BridgeEnter", 13.0, Channel=CALLER_2, BridgeUniqueid="b1")
    assert w.agents.get("2001").state == A.ON_HOLD
    # resuming puts both legs in a new bridge, after the hold began
    w.feed("BridgeEnter", 20.0, Channel=AGENT_CH, BridgeUniqueid="b2")
    w.feed("BridgeEnter", 20.0, Channel=CALLER_2, BridgeUniqueid="b2")
    assert w.agents.get("2001").state == A.TALKING
    assert call.hold_seconds == pytest.approx(6.5)


def test_an_event_missing_a_field_the_model_needs_is_refused_clearly_and_the_next_ones_still_count():
    w = World()
    with pytest.raises(MalformedEvent, match="Newchannel without Uniqueid"):
        w.feed("Newchannel", 10.0, Channel=CALLER_1, Context="hotline-inbound", Exten="95598")
    with pytest.raises(MalformedEvent, match="BridgeEnter without Channel"):
        w.feed("BridgeEnter", 10.0, BridgeUniqueid="b1")
    assert not w.model.calls and not w.model.bridges  # nothing half-done
    w.incoming(10.0)
    assert w.model.calls[LINKED].queue == "general" and w.of(CallQueued)


def test_fields_come_whatever_their_order_and_a_garbled_timestamp_means_now(monkeypatch):
    w = World()
    monkeypatch.setattr("time.time", lambda: 1234.5)
    # Another field order than the first frame's, and extra lines: read field by field, same answer.
    w.model.handle(Frame.build(Event="Newchannel", Timestamp="10.0", Linkedid=LINKED, Uniqueid=LINKED,
                               Channel=CALLER_1, Context="hotline-inbound", Exten="95598"))  # fmt: skip
    w.model.handle(Frame.build(Event="Newchannel", Exten="95598", Uniqueid="1700000000.2", Foo="Linkedid: x",
                               Channel=CALLER_2, Linkedid=LINKED, Timestamp="soon", Context="hotline-inbound"))  # fmt: skip
    call = w.model.calls[LINKED]
    assert call.channels == {LINKED, "1700000000.2"} and call.started_at == 10.0
    assert w.model.channels["1700000000.2"].name == CALLER_2
    w.feed("Hangup", 0.0, Channel=CALLER_2, Uniqueid="1700000000.2", Cause="16")
    w.feed("Hangup", 0.0, Channel=CALLER_1, Uniqueid=LINKED, Cause="16")
    (ended,) = w.of(CallEnded)
    assert ended.ended_at == 1234.5  # a zero timestamp is no time: now


def test_a_seat_removed_from_its_queues_outside_the_bridge_leaves_them_then_is_signed_out():
    w = World()
    agent = w.agents.get("2001")
    agent.skills = {"general": 0, "vip": 5}
    w.feed("QueueMemberRemoved", 20.0, Queue="vip", Interface=SEAT, MemberName="2001")
    assert (agent.state, agent.skills) == (A.READY, {"general": 0})
    w.feed("QueueMemberRemoved", 21.0, Queue="general", Interface=SEAT, MemberName="2001")
    assert agent.state == A.LOGGED_OUT and agent.skills == {}
    assert [e.state for e in w.events if e.name == "AgentStateChanged"][-1] == A.LOGGED_OUT
    w.feed("QueueMemberRemoved", 22.0, Queue="general", Interface=SEAT, MemberName="2001")  # nothing twice
    assert [e.state for e in w.events if e.name == "AgentStateChanged"].count(A.LOGGED_OUT) == 1


def _answered_by_2001(w: World) -> None:
    w.incoming(10.0)
    w.ring(11.0)
    w.feed("AgentConnect", 13.0, Channel=CALLER_2, Queue="general", Interface=SEAT, MemberName="2001")
    w.feed("BridgeEnter", 13.0, Channel=AGENT_CH, BridgeUniqueid="b1")
    w.feed("BridgeEnter", 13.0, Channel=CALLER_2, BridgeUniqueid="b1")
    second = w.agents.ensure("2002", SEAT_2)
    w.agents.apply(second, "login", 1.0)
    w.agents.apply(second, "ready", 2.0)


def test_a_transferred_call_keeps_each_agents_leg_and_the_target_answers_it_too():
    w = World()
    _answered_by_2001(w)
    # blind transfer: 2001 is left alone and hangs up, 2002's phone rings outside app_queue
    w.feed("BridgeLeave", 15.0, Channel=CALLER_2, BridgeUniqueid="b1")
    w.hangup(AGENT_CH, "1700000000.3", 15.5)
    w.feed("Newchannel", 15.6, Channel=AGENT_2_CH, Uniqueid="1700000000.4", Context="hotline-sim-phone")
    assert w.agents.get("2002").state == A.RINGING
    w.feed("BridgeEnter", 17.0, Channel=AGENT_2_CH, BridgeUniqueid="b2")
    w.feed("BridgeEnter", 17.0, Channel=CALLER_2, BridgeUniqueid="b2")
    w.hangup(AGENT_2_CH, "1700000000.4", 30.0)
    w.hangup(CALLER_2, "1700000000.2", 30.1)
    w.hangup(CALLER_1, LINKED, 30.2)
    answered = [(e.agent_id, e.answered_at) for e in w.of(CallAnswered)]
    assert answered == [("2001", 13.0), ("2002", 17.0)]
    (ended,) = w.of(CallEnded)
    assert ended.agent_id == "2002" and ended.answered_at == 13.0
    assert ended.legs == (("2001", 13.0, 15.5), ("2002", 17.0, 30.0))


def test_a_conference_member_has_a_leg_beside_the_first_agents():
    w = World()
    _answered_by_2001(w)
    w.feed("Newchannel", 15.0, Channel=AGENT_2_CH, Uniqueid="1700000000.4", Context="hotline-sim-phone")
    w.feed("BridgeEnter", 16.0, Channel=AGENT_2_CH, BridgeUniqueid="b1")
    # the same bridge again (an event read twice, a hold's return) is not a new leg
    w.feed("BridgeEnter", 16.5, Channel=AGENT_2_CH, BridgeUniqueid="b1")
    w.hangup(AGENT_CH, "1700000000.3", 20.0)
    w.hangup(CALLER_2, "1700000000.2", 25.0)
    w.hangup(CALLER_1, LINKED, 25.1)
    w.hangup(AGENT_2_CH, "1700000000.4", 25.2)
    assert [e.agent_id for e in w.of(CallAnswered)] == ["2001", "2002"]
    (ended,) = w.of(CallEnded)
    assert ended.legs == (("2001", 13.0, 20.0), ("2002", 16.0, 25.2))


DIALING_1, DIALING_2 = "Local/2002@hotline-transfer-00000009;1", "Local/2002@hotline-transfer-00000009;2"


def _consulting_2002(w: World, *, by_command: bool = False) -> None:
    """2001 answers, then consults 2002 (Atxfer): 2001 leaves the caller's bridge, on hold, for
    one with a Local channel dialing 2002's seat, and 2002 answers at 16.0. ``by_command``: the
    consultation begun by the console's command first (the service's ``consult_started`` comes
    before Asterisk's Atxfer moves any leg)."""
    _answered_by_2001(w)
    if by_command:
        w.model.consult_started(w.agents.get("2001"), w.model.calls[LINKED], AGENT_CH, "agent:2002", 14.9)
    w.feed("Hold", 15.0, Channel=AGENT_CH)
    w.feed("BridgeLeave", 15.0, Channel=AGENT_CH, BridgeUniqueid="b1")
    w.feed("Newchannel", 15.0, Channel=DIALING_1, Uniqueid="1700000000.5", Context="hotline-transfer")
    w.feed("Newchannel", 15.0, Channel=DIALING_2, Uniqueid="1700000000.6", Context="hotline-transfer")
    w.feed("BridgeEnter", 15.1, Channel=AGENT_CH, BridgeUniqueid="c1")
    w.feed("BridgeEnter", 15.1, Channel=DIALING_1, BridgeUniqueid="c1")
    w.feed("Newchannel", 15.2, Channel=AGENT_2_CH, Uniqueid="1700000000.4", Context="hotline-sim-phone")
    w.feed("BridgeEnter", 16.0, Channel=AGENT_2_CH, BridgeUniqueid="c2")
    w.feed("BridgeEnter", 16.0, Channel=DIALING_2, BridgeUniqueid="c2")


def _cancelled_at_18(w: World) -> None:
    """The consultation is cancelled: 2002's side goes, 2001 is back with the caller."""
    for channel, uid in (
        (AGENT_2_CH, "1700000000.4"),
        (DIALING_2, "1700000000.6"),
        (DIALING_1, "1700000000.5"),
    ):
        w.hangup(channel, uid, 18.0)
    w.feed("Unhold", 18.1, Channel=CALLER_2)
    w.feed("BridgeEnter", 18.1, Channel=AGENT_CH, BridgeUniqueid="b1")


def test_an_agent_consulted_is_on_the_call_from_the_consultation_on():
    w = World()
    _consulting_2002(w)
    assert [(e.agent_id, e.answered_at) for e in w.of(CallAnswered)] == [("2001", 13.0), ("2002", 16.0)]
    assert w.model.calls[LINKED].agent_id == "2001"  # only consulted: the caller is still 2001's
    # completed: the first agent goes, and the target has the call; the target stays until the end
    w.hangup(AGENT_CH, "1700000000.3", 20.0)
    call = w.model.calls[LINKED]
    assert (call.agent_id, call.hold_started, call.hold_seconds) == ("2002", 0.0, 5.0)  # held no more
    assert w.agents.get("2002").state == A.TALKING
    for channel, uid, at in (
        (AGENT_2_CH, "1700000000.4", 30.0),
        (DIALING_2, "1700000000.6", 30.0),
        (DIALING_1, "1700000000.5", 30.0),
        (CALLER_2, "1700000000.2", 30.1),
        (CALLER_1, LINKED, 30.2),
    ):
        w.hangup(channel, uid, at)
    (ended,) = w.of(CallEnded)
    assert ended.legs == (("2001", 13.0, 20.0), ("2002", 16.0, 30.0))


def test_a_cancelled_consultation_leaves_the_call_with_the_agent_who_consulted():
    w = World()
    _consulting_2002(w)
    call = w.model.calls[LINKED]
    assert call.agent_id == "2001"  # the caller waits for 2001, who is only consulting
    assert (w.agents.get("2001").state, w.agents.get("2002").state) == (A.ON_HOLD, A.TALKING)
    _cancelled_at_18(w)
    assert call.agent_id == "2001" and w.agents.get("2001").state == A.TALKING
    assert w.of(CallHeld)[-1] == CallHeld(call_id=LINKED, agent_id="2001", held=False, at=18.1)
    w.hangup(AGENT_CH, "1700000000.3", 25.0)
    w.hangup(CALLER_2, "1700000000.2", 25.1)
    w.hangup(CALLER_1, LINKED, 25.2)
    (ended,) = w.of(CallEnded)
    assert ended.legs == (("2001", 13.0, 25.0), ("2002", 16.0, 18.0))
    assert ended.agent_id == "2001"


def test_resync_keeps_the_legs_the_bus_announced():
    w = World()
    _answered_by_2001(w)
    w.feed("Newchannel", 15.0, Channel=AGENT_2_CH, Uniqueid="1700000000.4", Context="hotline-sim-phone")
    w.feed("BridgeEnter", 16.0, Channel=AGENT_2_CH, BridgeUniqueid="b1")
    history = History()
    for e in w.events:
        history.add(e)
    fresh = World()
    fresh.events.clear()
    restore(fresh.model, history)
    apply_channels(fresh.model, [], 40.0)
    (ended,) = fresh.of(CallEnded)
    assert ended.answered_at == 13.0 and ended.agent_id == "2002"
    assert ended.legs == (("2001", 13.0, 40.0), ("2002", 16.0, 40.0))


def test_the_legs_of_a_call_the_bridge_placed_show_the_hotline_not_the_customer():
    """回呼: the customer is the number dialled; the legs (the seat's, the customer's) carry the
    hotline's caller ID, 95598, which is no customer's name or number."""
    w = World()
    w.model.expect(LINKED, direction="outbound", dnis="13900139001", caller="13900139001")
    for uid, channel in (
        (LINKED, AGENT_CH),
        ("1700000000.7", "Local/13900139001@hotline-outbound-0000009;1"),
    ):
        w.feed("Newchannel", 10.0, Channel=channel, Uniqueid=uid, CallerIDNum="95598", CallerIDName="95598")
        w.feed("NewCallerid", 10.1, Channel=channel, Uniqueid=uid, CallerIDNum="95598", CallerIDName="95598")
    (offered,) = w.of(CallOffered)
    call = w.model.calls[LINKED]
    assert (offered.caller, offered.caller_name) == ("13900139001", "")
    assert (call.caller, call.caller_name) == ("13900139001", "")


def test_a_caller_answered_then_transferred_to_a_queue_who_gives_up_there_abandons_that_queue():
    """Answered in ``general``, blind-transferred to ``vip``, gone before anyone there answers:
    ``vip``'s abandon (counted there), not an answered call; the record keeps the first answer."""
    w = World()
    _answered_by_2001(w)
    w.feed("BridgeLeave", 15.0, Channel=CALLER_2, BridgeUniqueid="b1")
    w.feed("QueueCallerJoin", 15.1, Channel=CALLER_2, Queue="vip", Position="1", CallerIDNum="13800138000")
    w.hangup(AGENT_CH, "1700000000.3", 15.2)
    assert list(w.queues.get("vip").waiting) == [LINKED]
    w.feed("QueueCallerAbandon", 40.0, Channel=CALLER_2, Queue="vip")
    w.hangup(CALLER_2, "1700000000.2", 40.0)
    w.hangup(CALLER_1, LINKED, 40.0)
    (ended,) = w.of(CallEnded)
    assert (ended.outcome, ended.queue, ended.hangup_side) == ("abandoned_queue", "vip", "caller")
    assert (ended.agent_id, ended.answered_at) == ("2001", 13.0)
    vip, general = w.queues.get("vip"), w.queues.get("general")
    assert (vip.abandoned, vip.answered, general.abandoned, general.answered) == (1, 0, 0, 1)


def test_a_handler_for_one_outcome_is_not_called_for_the_others():
    """DialEnd is read for a transfer that rang out (NOANSWER, BUSY); the queue's ANSWERs and
    CANCELs, most of them, reach no handler and have no field read (reads(only_if=...))."""
    w = World()
    seen = []

    def spy(*values):
        seen.append(values)

    spy.reads, spy.only_if = w.model._on_DialEnd.reads, w.model._on_DialEnd.only_if
    w.model.listeners["DialEnd"] = listener(spy)
    for status in ("ANSWER", "CANCEL", "NOANSWER", "BUSY", "CONGESTION"):
        w.feed(
            "DialEnd",
            12.0,
            Channel=CALLER_2,
            DestChannel=AGENT_CH,
            DestUniqueid="1700000000.3",
            DialStatus=status,
        )
    assert [values[-1] for values in seen] == ["NOANSWER", "BUSY"]
