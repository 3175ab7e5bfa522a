"""A caller handed on to a colleague (转接, or 完成转接 of a consultation) rings and is answered on
their seat saying who handed them on and when (``transferred_from``, ``transferred_at``), so the
pop says 转接自 1001 (QA 2026-11-29 #9); a restarted bridge (the bus history) and a web process's
mirror keep it as the bridge does, and a consultation's ring says none of it."""

from __future__ import annotations

import pytest

from cti.call_events import CallAnswered, CallOffered
from cti.mirror import BridgeMirror
from cti.resync import History
from tests.cti.test_calls import (
    AGENT_2_CH,
    AGENT_CH,
    CALLER_2,
    LINKED,
    World,
    _answered_by_2001,
    _consulting_2002,
)


def _mirrored(w: World) -> dict:
    mirror = BridgeMirror(bus=None)  # type: ignore[arg-type]
    for event in w.events:
        mirror.apply(event)
    (call,) = [c for c in mirror.calls() if c["call_id"] == LINKED]
    return call


def _history(w: World):
    history = History(records_kept=2)
    for event in w.events:
        history.add(event)
    return history.calls[LINKED]


def _handed(events) -> list[tuple[str, str, float]]:
    return [(e.agent_id, e.transferred_from, e.transferred_at) for e in events]


def test_a_blind_transfer_tells_the_colleague_who_handed_the_caller_on_and_when():
    w = World()
    _answered_by_2001(w)
    call = w.model.calls[LINKED]
    # the transfer command's word, before Asterisk moves the caller, then once it has
    w.model.handing_on(call, "2001", 14.5)
    w.model.transferred(call, "2001", "blind", "agent:2002", 14.5)
    w.feed("BridgeLeave", 15.0, Channel=CALLER_2, BridgeUniqueid="b1")
    w.hangup(AGENT_CH, "1700000000.3", 15.5)
    w.feed("Newchannel", 15.6, Channel=AGENT_2_CH, Uniqueid="1700000000.4", Context="hotline-sim-phone")
    w.feed("BridgeEnter", 17.0, Channel=AGENT_2_CH, BridgeUniqueid="b2")
    w.feed("BridgeEnter", 17.0, Channel=CALLER_2, BridgeUniqueid="b2")
    assert _handed(w.of(CallOffered)) == [("2001", "", 0.0), ("2002", "2001", 14.5)]
    assert _handed(w.of(CallAnswered)) == [("2001", "", 0.0), ("2002", "2001", 14.5)]
    # a reload of 2002's console (the call's snapshot), a web process's mirror, a restarted bridge
    assert (call.snapshot()["transferred_from"], call.snapshot()["transferred_at"]) == ("2001", 14.5)
    mirrored = _mirrored(w)
    assert (mirrored["transferred_from"], mirrored["transferred_at"]) == ("2001", 14.5)
    restored = _history(w)
    assert (restored.transferred_from, restored.transferred_at) == ("2001", 14.5)


@pytest.mark.parametrize(("by_command", "at"), [(True, 19.9), (False, 20.0)], ids=["完成转接", "desk-phone"])
def test_a_completed_consultation_is_announced_as_handed_on_by_the_agent_who_asked(by_command, at):
    w = World()
    _consulting_2002(w, by_command=True)
    # the consultation's ring and answer are a question, not a caller handed on
    assert [e.transferred_from for e in w.of(CallOffered) if e.agent_id == "2002"] == [""]
    if by_command:  # 完成转接 says it before its hang-up of the agent's leg; else that hang-up does
        w.model.handing_on(w.model.calls[LINKED], "2001", 19.9)
    w.hangup(AGENT_CH, "1700000000.3", 20.0)  # the consulting agent leaves: the transfer completes
    if by_command:
        w.model.transferred(w.model.calls[LINKED], "2001", "attended", "agent:2002", 19.9)
    answers = [(e.agent_id, e.consult_from, e.transferred_from, e.transferred_at) for e in w.of(CallAnswered)]
    assert answers == [("2001", "", "", 0.0), ("2002", "2001", "", 0.0), ("2002", "", "2001", at)]
    assert (w.model.calls[LINKED].transferred_from, w.model.calls[LINKED].transferred_at) == ("2001", at)
    mirrored = _mirrored(w)
    assert (mirrored["transferred_from"], mirrored["transferred_at"]) == ("2001", at)
    restored = _history(w)
    assert (restored.transferred_from, restored.transferred_at) == ("2001", at)
