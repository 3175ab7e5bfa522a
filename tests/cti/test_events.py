"""``@event``: the events' constructor writes the fields itself, and the event stays a frozen dataclass."""

from __future__ import annotations

import dataclasses

import pytest

from cti.ami import speedups
from cti.call_events import CallOffered
from cti.events import Event, event, event_from_json


@event
class Sample(Event):
    name_: str
    count: int = 3
    tags: list[str] = dataclasses.field(default_factory=list)


@event
class Named(Event):
    d: str  # names the generated constructor might have used for itself
    self: str = "s"


@event
class Checked(Event):
    value: int

    def __post_init__(self) -> None:
        if self.value < 0:
            raise ValueError("negative")


def test_an_event_is_built_with_its_defaults_and_a_fresh_factory_default_each_time():
    a, b = Sample(name_="x"), Sample(name_="y", count=5, seq=7)
    assert (a.name_, a.count, a.tags, a.seq, a.ts) == ("x", 3, [], 0, 0.0)
    assert (b.count, b.seq) == (5, 7)
    assert a.tags is not b.tags
    assert Sample(name_="z", tags=["t"]).tags == ["t"]


def test_an_event_stays_frozen_comparable_and_replaceable():
    offered = CallOffered(call_id="1.1", agent_id="2001", caller="13800000001")
    with pytest.raises(dataclasses.FrozenInstanceError):
        offered.caller = "x"  # type: ignore[misc]
    assert offered == CallOffered(call_id="1.1", agent_id="2001", caller="13800000001")
    assert dataclasses.replace(offered, caller="2").caller == "2"
    assert event_from_json(offered.stamped(4, 1.5).to_json()) == offered.stamped(4, 1.5)


def test_a_missing_or_unknown_field_is_refused_as_dataclasses_refuse_it():
    with pytest.raises(TypeError, match="agent_id"):
        CallOffered(call_id="1.1")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="nope"):
        CallOffered(call_id="1.1", agent_id="2001", nope=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        CallOffered("1.1", "2001")  # type: ignore[misc]  # keyword-only


def test_any_field_name_works():
    assert (Named(d="x").d, Named(d="x").self, Named(d="x", self="y").self) == ("x", "s", "y")


def test_post_init_still_runs():
    assert Checked(value=1).value == 1
    with pytest.raises(ValueError, match="negative"):
        Checked(value=-1)


def test_a_field_the_constructor_would_not_set_is_refused_at_declaration():
    with pytest.raises(TypeError, match="set by its constructor"):

        @event
        class _Derived(Event):
            total: int = dataclasses.field(init=False, default=0)


def test_make_builds_what_the_class_call_builds_and_only_for_its_own_class():
    """``Cls.make(**fields)`` (the call model's way to build its events, without a class call) is
    ``Cls(**fields)``: equal, the same fields in the same order, frozen, checked alike."""
    from cti.call_events import CallAnswered, CallEnded

    fields = dict(call_id="c1", agent_id="1001", queue="q", caller="138", answered_at=1.5, waited=3.2)
    made, called = CallAnswered.make(**fields), CallAnswered(**fields)
    assert type(made) is CallAnswered
    assert made == called and hash(made) == hash(called)
    assert list(made.__dict__.items()) == list(called.__dict__.items())
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.call_id = "c2"  # type: ignore[misc]
    with pytest.raises(TypeError):
        CallAnswered.make(call_id="c1")  # the fields without a default are required
    ended = CallEnded.make(call_id="c1", direction="inbound", outcome="answered")
    assert ended == CallEnded(call_id="c1", direction="inbound", outcome="answered")
    assert (
        ended.legs == ()
        and ended.to_json() == CallEnded(call_id="c1", direction="inbound", outcome="answered").to_json()
    )

    class Undeclared(CallAnswered):  # a subclass not declared with @event builds no parent
        pass

    with pytest.raises(TypeError):
        Undeclared.make(**fields)


@pytest.mark.skipif(speedups.c is None, reason="the C accelerator is not built (pip install -e .)")
def test_the_c_make_takes_an_event_of_plain_values_out_of_the_collector_s_sight_and_no_other():
    """An event whose fields are all str, numbers, None or tuples of them can be in no reference
    cycle, so the C ``make`` untracks it (and its dict and tuples), as the collector would untrack
    such tuples and dicts itself later: the bus's history of 100,000 events is then nothing for a
    full collection to walk. An event holding a dict or a list stays in the collector's sight. The
    event is the same either way."""
    import gc

    from cti.call_events import CallEnded
    from cti.events import _maker

    fields = dict(call_id="c1", direction="inbound", outcome="answered", agents_offered=("1001",),
                  legs=(("1001", 1.0, 2.5),), queue_legs=(("q", 0.5, 1.0, "answered", "1001"),))  # fmt: skip
    ended = _maker(CallEnded, speedups=True)(**fields)
    assert ended == CallEnded(**fields) and ended.to_json() == CallEnded(**fields).to_json()
    for part in (ended, ended.__dict__, ended.legs, ended.legs[0], ended.queue_legs[0], ended.agents_offered):
        assert not gc.is_tracked(part), part
    assert ended.stamped_in_place(7, 2.0).seq == 7 and not gc.is_tracked(ended)  # the bus's stamp
    offered = _maker(CallOffered, speedups=True)(call_id="c1", agent_id="1001", customer={"name": "张三"})
    sample = _maker(Sample, speedups=True)(name_="x", tags=["a"])
    nested = _maker(CallEnded, speedups=True)(
        call_id="c1", direction="inbound", outcome="x", legs=(["1001"],)
    )
    assert gc.is_tracked(offered) and gc.is_tracked(sample) and gc.is_tracked(nested)
    assert offered == CallOffered(call_id="c1", agent_id="1001", customer={"name": "张三"})
