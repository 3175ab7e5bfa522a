"""Who is only consulted on a call (咨询转接: ``consulted``, colleague → the agent who consults
them) in the copies other processes keep of the bridge's calls: a web process's mirror (the
snapshot a reloaded console gets: 咨询来电：来自 2001) and the bus history a restarted bridge or a
standby taking over rebuilds from, also while the colleague's phone still rings (only the ring,
``CallOffered``, has said it then)."""

from __future__ import annotations

from agent_ui.snapshot import calls_of
from cti.call_events import CallAnswered
from cti.mirror import BridgeMirror
from cti.resync import History
from tests.cti.test_calls import AGENT_CH, DIALING_1, LINKED, World, _consulting_2002


def _mirrored(events) -> dict:
    mirror = BridgeMirror(bus=None)  # type: ignore[arg-type]
    for event in events:
        mirror.apply(event)
    (call,) = [c for c in mirror.calls() if c["call_id"] == LINKED]
    return call


def _until_the_colleague_answers(w: World) -> list:
    """The events of 2001's consultation with 2002 up to 2002's answer: 2002's phone rings."""
    (answer,) = [e for e in w.of(CallAnswered) if e.agent_id == "2002"]
    return w.events[: w.events.index(answer)]


def test_a_web_process_mirror_says_who_is_consulted_as_the_bridge_does():
    w = World()
    _consulting_2002(w, by_command=True)
    ringing = _until_the_colleague_answers(w)
    assert _mirrored(ringing)["consulted"] == {"2002": "2001"}
    assert (
        _mirrored(w.events)["consulted"] == w.model.calls[LINKED].snapshot()["consulted"] == {"2002": "2001"}
    )
    # completed: the caller is 2002's, announced again without consult_from
    w.hangup(AGENT_CH, "1700000000.3", 20.0)
    w.feed("BridgeEnter", 20.0, Channel=DIALING_1, BridgeUniqueid="b1")
    assert _mirrored(w.events)["consulted"] == w.model.calls[LINKED].snapshot()["consulted"] == {}


def test_the_bus_history_keeps_a_colleague_consulted_whose_phone_still_rings():
    w = World()
    _consulting_2002(w, by_command=True)
    history = History()
    for event in _until_the_colleague_answers(w):
        history.add(event)
    # a bridge taking over now answers 2002's pick-up as 2001's question, not a caller of 2002's
    assert history.calls[LINKED].consulted == {"2002": "2001"}


def test_a_reloaded_console_of_the_colleague_talking_in_the_consultation_gets_the_call():
    w = World()
    _consulting_2002(w, by_command=True)
    mirror = BridgeMirror(bus=None)  # type: ignore[arg-type]
    for event in w.events:
        mirror.apply(event)
    colleague = mirror.agent("2002")
    assert (colleague["state"], colleague["call_id"]) == ("talking", LINKED)
    # the call stays 2001's; 2002's snapshot has it all the same, saying whose consultation it is
    (call,) = calls_of(mirror, "2002", None, colleague)
    assert (call["call_id"], call["agent_id"], call["consulted"]) == (LINKED, "2001", {"2002": "2001"})
