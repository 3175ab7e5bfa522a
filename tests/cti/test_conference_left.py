"""三方通话: the agent who brought a colleague into the room is told when the colleague leaves it
(``ConferenceLeft``), whether they hung up or never answered, so that agent's bar says 三方通话 no
more while the call goes on with the caller; nothing when the agent left first. The call's
``invited`` (colleague → who brought them) says it meanwhile, in the bridge's snapshot, in a
restarted bridge's history and in a web process's mirror alike."""

from __future__ import annotations

from cti.call_events import CallTransferred, ConferenceLeft
from cti.mirror import BridgeMirror
from cti.resync import History
from tests.cti.test_calls import AGENT_2_CH, AGENT_CH, CALLER_1, CALLER_2, LINKED, World, _answered_by_2001


def _conference(w: World, *, answered: bool = True) -> None:
    """2001, answered at 13.0, brings 2002 into a 三方通话 at 14.0: 2002's seat rings into the
    room, and joins the caller's bridge at 16.0 when ``answered``."""
    _answered_by_2001(w)
    w.model.conference_invited(w.model.calls[LINKED], "2001", "2002", 14.0)
    w.feed("Newchannel", 15.0, Channel=AGENT_2_CH, Uniqueid="1700000000.4", Context="hotline-sim-phone")
    if answered:
        w.feed("BridgeEnter", 16.0, Channel=AGENT_2_CH, BridgeUniqueid="b1")


def _mirror_of(w: World) -> dict:
    mirror = BridgeMirror(bus=None)  # type: ignore[arg-type]
    for event in w.events:
        mirror.apply(event)
    (call,) = [c for c in mirror.calls() if c["call_id"] == LINKED]
    return call


def test_the_inviting_agent_is_told_when_the_colleague_leaves_the_room():
    w = World()
    _conference(w)
    (invitation,) = w.of(CallTransferred)
    assert (invitation.agent_id, invitation.kind, invitation.target) == ("2001", "conference", "agent:2002")
    assert w.model.calls[LINKED].snapshot()["invited"] == {"2002": "2001"}
    assert _mirror_of(w)["invited"] == {"2002": "2001"}
    assert not w.of(ConferenceLeft)
    w.hangup(AGENT_2_CH, "1700000000.4", 20.0)  # the colleague leaves; the caller and 2001 talk on
    (left,) = w.of(ConferenceLeft)
    assert (left.agent_id, left.call_id, left.target, left.at) == ("2001", LINKED, "agent:2002", 20.0)
    assert w.model.calls[LINKED].snapshot()["invited"] == {}
    assert _mirror_of(w)["invited"] == {}


def test_a_colleague_who_never_answers_the_invitation_has_left_it_too():
    w = World()
    _conference(w, answered=False)
    w.hangup(AGENT_2_CH, "1700000000.4", 45.0)  # rang out, or rejected
    (left,) = w.of(ConferenceLeft)
    assert (left.agent_id, left.target) == ("2001", "agent:2002")


def test_nobody_is_told_when_the_inviting_agent_left_first():
    w = World()
    _conference(w)
    w.hangup(AGENT_CH, "1700000000.3", 20.0)  # 2001 leaves: the caller stays with 2002
    w.hangup(AGENT_2_CH, "1700000000.4", 25.0)
    w.hangup(CALLER_2, "1700000000.2", 25.1)
    w.hangup(CALLER_1, LINKED, 25.2)
    assert not w.of(ConferenceLeft)


def test_a_restarted_bridge_knows_who_is_in_the_room_from_the_bus():
    w = World()
    _conference(w)
    history = History()
    for event in w.events:
        history.add(event)
    assert history.calls[LINKED].invited == {"2002": "2001"}
    w.hangup(AGENT_2_CH, "1700000000.4", 20.0)
    history.add(w.of(ConferenceLeft)[0])
    assert history.calls[LINKED].invited == {}
