"""What a restarted bridge takes from the bus (``cti.resync.History``) before Asterisk confirms it."""

from __future__ import annotations

from cti import agents as A
from cti.ami.protocol import Frame
from cti.call_events import (
    AgentStateChanged,
    CallAnswered,
    CallEnded,
    CallHeld,
    CallStarted,
    CallTransferred,
    ConsultChanged,
    SpyChanged,
)
from cti.events import Event
from cti.resync import History
from cti.spies import SpyBook


def history(*events: Event) -> History:
    h = History(records_kept=2)
    for event in events:
        h.add(event)
    return h


def state(agent_id: str, new: str, previous: str, reason: str = "", call_id: str = "") -> AgentStateChanged:
    return AgentStateChanged(
        agent_id=agent_id,
        state=new,
        previous=previous,
        seconds_in_previous=0.0,
        reason=reason,
        call_id=call_id,
    )


def test_the_caller_stays_the_first_agents_while_a_colleague_is_consulted():
    h = history(
        CallStarted(call_id="c1", direction="inbound"),
        CallAnswered(call_id="c1", agent_id="1001", answered_at=10.0),
        CallHeld(call_id="c1", agent_id="1001", held=True, at=20.0),
        CallAnswered(call_id="c1", agent_id="1002", answered_at=21.0),
    )
    call = h.calls["c1"]
    assert (call.agent_id, call.answered_at, call.hold_started) == ("1001", 10.0, 20.0)
    assert [leg[0] for leg in call.legs] == ["1001", "1002"]


def test_a_blind_transfer_hands_the_caller_to_the_next_agent_who_answers():
    h = history(
        CallAnswered(call_id="c1", agent_id="1001", answered_at=10.0),
        CallHeld(call_id="c1", agent_id="1001", held=True, at=11.0),
        CallHeld(call_id="c1", agent_id="1001", held=False, at=14.0),
        CallTransferred(call_id="c1", agent_id="1001", kind="blind", target="agent:1002"),
        CallAnswered(call_id="c1", agent_id="1002", answered_at=20.0),
    )
    call = h.calls["c1"]
    assert (call.agent_id, call.hold_started, call.hold_seconds) == ("1002", 0.0, 3.0)


def test_the_end_of_a_call_takes_the_agent_back_where_it_found_them():
    h = history(
        state("1001", A.NOT_READY, A.READY, reason="小休"),
        state("1001", A.RINGING, A.NOT_READY, call_id="c1"),
        state("1002", A.RINGING, A.AFTER_CALL_WORK, call_id="c2"),
        state("1003", A.RINGING, A.READY, call_id="c3"),
        state("1003", A.TALKING, A.RINGING, call_id="c3"),
    )
    assert h.before_call == {"1001": (A.NOT_READY, "小休"), "1002": (A.READY, ""), "1003": (A.READY, "")}


def test_sessions_in_progress_and_the_latest_records():
    spy = {"supervisor": "8001", "agent_id": "1001", "call_id": "c1", "mode": "listen"}
    h = history(
        SpyChanged(spy_id="spy-1", **spy),
        SpyChanged(spy_id="spy-2", **spy),
        SpyChanged(spy_id="spy-1", **{**spy, "mode": "whisper"}),
        SpyChanged(spy_id="spy-2", ended=True, **spy),
        ConsultChanged(agent_id="1001", call_id="c1", target="agent:1002"),
        ConsultChanged(agent_id="1003", call_id="c3", target="agent:1004"),
        ConsultChanged(agent_id="1003", call_id="c3", target="agent:1004", state="ended"),
        *(CallEnded(call_id=f"c{i}", direction="inbound", outcome="answered") for i in range(1, 4)),
    )
    assert {k: v.mode for k, v in h.spies.items()} == {"spy-1": "whisper"}
    assert list(h.consults) == ["1001"]
    assert list(h.records) == ["c2", "c3"]  # the latest, up to records_kept


def test_spies_are_kept_only_while_asterisk_runs_chanspy_on_their_channel():
    published: list[Event] = []
    book = SpyBook(published.append)
    spy = {"supervisor": "8001", "agent_id": "1001", "call_id": "c1", "mode": "barge"}
    book.restore([SpyChanged(spy_id="spy-1", **spy), SpyChanged(spy_id="spy-2", **spy)])
    book.confirm(
        [
            Frame.build(
                Event="CoreShowChannel", Uniqueid="spy-1", Channel="Local/8001@x-01;1", Application="ChanSpy"
            ),
            Frame.build(
                Event="CoreShowChannel", Uniqueid="spy-2", Channel="Local/8001@x-02;1", Application="Wait"
            ),
        ]
    )
    assert [s["spy_id"] for s in book.snapshot()] == ["spy-1"]
    assert book.get("spy-1").channel == "Local/8001@x-01;1"  # type: ignore[union-attr]
    assert [(e.spy_id, e.ended, e.mode) for e in published] == [("spy-2", True, "barge")]
    book.confirm([])
    book.confirm([])
    assert [(e.spy_id, e.ended) for e in published] == [("spy-2", True), ("spy-1", True)]
