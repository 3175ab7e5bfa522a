"""The call model's objects keep their fields in slots, which the C accelerator reads and writes
straight (``_speedups``' Slot: the offset learnt once per class, checked against the class's
version at each use); a class changed after that is read as changed, as getattr reads it."""

from __future__ import annotations

import dataclasses
import sys

import pytest

from cti.agents import Agent, AgentBook
from cti.ami import speedups
from cti.ami.protocol import Frame
from cti.calls import Call, CallModel
from cti.channel_calls import Channel
from cti.queue_calls import QueueLeg
from cti.queues import QueueBoard

SEAT = "Local/2001@hotline-sim-phone/n"


def test_the_model_s_objects_have_slots_and_no_instance_dict():
    for obj in (Call("1.1"), Channel("1.1", "PJSIP/trunk-1", "1.1"), Agent("2001"), QueueLeg("general", 1.0)):
        assert not hasattr(obj, "__dict__"), type(obj).__name__
        assert type(obj).__slots__


def _call(model: CallModel, n: int) -> None:
    """An inbound call, its customer's leg and the seat's leg, hung up: Newchannel and Hangup
    through the model's listeners (the C ChannelBook, when built)."""
    linkedid, at = f"{n}.1", 100.0 * n
    legs = [
        (f"{n}.1", f"PJSIP/trunk-{n:08x}", "hotline-inbound", "95598", "13800138000"),
        (f"{n}.2", f"Local/95598@hotline-inbound-{n:08x};2", "hotline-inbound", "95598", "13800138000"),
        (f"{n}.3", f"Local/2001@hotline-sim-phone-{n:08x};1", "hotline-sim-phone", "2001", "95598"),
    ]
    for uid, name, context, exten, num in legs:
        model.handle(
            Frame.build(
                Event="Newchannel",
                Timestamp=f"{at}",
                Linkedid=linkedid,
                Uniqueid=uid,
                Channel=name,
                Context=context,
                Exten=exten,
                CallerIDNum=num,
                CallerIDName="",
            )  # fmt: skip
        )
    for uid, *_ in reversed(legs):
        model.handle(Frame.build(Event="Hangup", Timestamp=f"{at + 5}", Uniqueid=uid, Cause="16"))


@pytest.mark.parametrize("c", [True, False] if speedups.c is not None else [False])
def test_a_class_changed_after_its_slots_were_learnt_is_read_as_changed(c, monkeypatch):
    ended: list[Call] = []
    agents = AgentBook(lambda event: None)
    model = CallModel(lambda event: None, agents, QueueBoard(lambda event: None, agents), speedups=c,
                      on_call_end=ended.append)  # fmt: skip
    agent = agents.ensure("2001", SEAT)
    agents.apply(agent, "login", 1.0)
    agents.apply(agent, "ready", 2.0)
    _call(model, 1)  # every slot the ChannelBook reads learnt
    assert (ended[-1].caller, ended[-1].direction, ended[-1].customer_channel) == (
        "13800138000",
        "inbound",
        "Local/95598@hotline-inbound-00000001;2",
    )

    # The class changed: caller ID kept apart, a property in place of the slot. The C code must
    # see the property (its version tag changed), not the slot it learnt.
    kept: dict[int, str] = {}
    seen: list[str] = []

    def read(call: Call) -> str:
        seen.append(kept.get(id(call), ""))
        return kept.get(id(call), "")

    def write(call: Call, value: str) -> None:
        kept[id(call)] = "+" + value if value else ""

    monkeypatch.setattr(Call, "caller", property(read, write))
    _call(model, 2)
    call = ended[-1]
    assert call.call_id == "2.1" and call.caller == "+13800138000" and seen
    assert kept[id(call)] == "+13800138000"
    monkeypatch.undo()
    _call(model, 3)  # and learnt again once the class is as it was
    assert ended[-1].caller == "13800138000"
    assert agent.state == "ready"


@pytest.mark.skipif(speedups.c is None, reason="the C accelerator is not built (pip install -e .)")
def test_the_c_bookkeeping_builds_calls_and_channels_straight_into_their_slots():
    """The calls and channels the C ChannelBook makes (a ``_speedups.Maker`` of each class) are what
    the Python handlers make, field by field, each with containers of its own, and no Python
    ``__init__`` runs for them."""
    models = {}
    for c in (True, False):
        agents = AgentBook(lambda event: None)
        models[c] = CallModel(lambda event: None, agents, QueueBoard(lambda event: None, agents), speedups=c)
        agents.ensure("2001", SEAT)
    inits: list[str] = []

    def profile(frame: object, what: str, _arg: object) -> None:
        if what == "call" and frame.f_code.co_name == "__init__":  # type: ignore[attr-defined]
            inits.append(frame.f_code.co_filename)  # type: ignore[attr-defined]

    frames = [
        Frame.build(
            Event="Newchannel",
            Timestamp=f"{100.0 * n}",
            Linkedid=f"{n}.1",
            Uniqueid=uid,
            Channel=name,
            Context="hotline-inbound",
            Exten="95598",
            CallerIDNum="13800138000",
            CallerIDName="",
        )  # fmt: skip
        for n in (1, 2)
        for uid, name in ((f"{n}.1", f"PJSIP/trunk-{n}"), (f"{n}.2", f"Local/95598@hotline-inbound-{n};2"))
    ]
    for c, model in models.items():
        sys.setprofile(profile if c else None)
        try:
            for frame in frames:
                model.handle(frame)
        finally:
            sys.setprofile(None)
    assert inits == []
    c, python = models[True], models[False]
    assert [dataclasses.asdict(call) for call in c.calls.values()] == [
        dataclasses.asdict(call) for call in python.calls.values()
    ]
    assert [dataclasses.asdict(chan) for chan in c.channels.values()] == [
        dataclasses.asdict(chan) for chan in python.channels.values()
    ]
    first, second = c.calls.values()
    for field in dataclasses.fields(Call):
        if field.default_factory is not dataclasses.MISSING:
            assert getattr(first, field.name) is not getattr(second, field.name), field.name
