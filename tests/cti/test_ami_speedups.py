"""The AMI hot path's two implementations, C (``cti.ami._speedups``) and pure Python, give the same
answers on the same input: the framing of the wanted events (``AmiProtocol``) and the model's
listeners (``cti.calls.listener``: a handler's fields and the Timestamp's float)."""

import math
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from cti.ami import speedups
from cti.ami.protocol import AmiProtocol, Frame
from cti.calls import listener

ROOT = Path(__file__).resolve().parents[2]
needs_c = pytest.mark.skipif(speedups.c is None, reason="the C accelerator is not built (pip install -e .)")
IMPLEMENTATIONS = [False, pytest.param(True, marks=needs_c)]

GREETING = b"Asterisk Call Manager/11.0.0\r\n"
WANTED = frozenset({b"AgentCalled", b"Hangup", b"Newchannel"})
EVENTS = [
    b"Event: Newchannel\r\nPrivilege: call,all\r\nTimestamp: 1795633205.847339\r\n"
    b"Channel: Local/95598@hotline-inbound-00000003;1\r\nUniqueid: 1795633205.6\r\nLinkedid: 1795633205.6\r\n\r\n",
    b"Response: Success\r\nActionID: 7\r\nOutput: System uptime: 2 minutes\r\n\r\n",
    b"Event: AgentCalled\r\nTimestamp: 1.5\r\nQueue: test-a\r\nCallerIDName: \xe5\xbc\xa0\xe4\xb8\x89\r\n\r\n",
    b"Event: Newstate\r\nChannel: SIP/1001\r\n\r\n",
    b"Response: Follows\r\nActionID: 9\r\nline one\n\r\n\r\nline after blank\n--END COMMAND--\r\n\r\n",
    b"Event: QueueMember\r\nActionID: 3\r\nQueue: test-a\r\n\r\n",
]


def _frames(chunks, speedups, wanted=WANTED):
    proto = AmiProtocol(speedups=speedups)
    proto.wanted = wanted
    got = [(f.raw, f.kind, f.name) for chunk in chunks for f in proto.feed(chunk)]
    return got, proto.malformed, proto._buf


def _cut(stream, cuts):
    points = sorted({c for c in cuts if c <= len(stream)})
    return [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]


@needs_c
def test_the_c_framing_runs_by_default_when_built():
    assert speedups.IMPLEMENTATION == "c"
    proto = AmiProtocol()
    proto.wanted = WANTED
    assert proto.implementation == "c" and proto._framer is not None
    assert AmiProtocol(speedups=False).implementation == "python"


def test_hotline_no_speedups_chooses_the_pure_python_implementation():
    code = "from cti.ami import speedups, protocol; print(speedups.IMPLEMENTATION, protocol.AmiProtocol().implementation)"
    env = {**os.environ, "HOTLINE_NO_SPEEDUPS": "1", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    assert out.stdout.split() == ["python", "python"]


@pytest.mark.parametrize("c", IMPLEMENTATIONS)
def test_wanted_events_responses_and_command_output_come_out_in_order(c):
    frames, malformed, rest = _frames([GREETING + b"".join(EVENTS)], c)
    assert [name for _, _, name in frames] == ["Newchannel", "Success", "AgentCalled", "Follows"]
    assert frames[2][0] == EVENTS[2][:-4] and frames[2][1] == "event"
    assert b"line after blank" in frames[3][0]
    assert (malformed, rest) == (0, b"")


@pytest.mark.parametrize("c", IMPLEMENTATIONS)
def test_a_frame_split_across_reads_is_kept_until_its_end(c):
    stream = GREETING + EVENTS[0] + EVENTS[2]
    cut = len(GREETING) + len(EVENTS[0]) + 20
    proto = AmiProtocol(speedups=c)
    proto.wanted = WANTED
    first = proto.feed(stream[:cut])
    assert [f.name for f in first] == ["Newchannel"]
    assert [f.name for f in proto.feed(stream[cut:])] == ["AgentCalled"]


@pytest.mark.parametrize("c", IMPLEMENTATIONS)
def test_malformed_frames_are_counted_and_unwanted_or_garbled_event_lines_dropped(c):
    stream = GREETING + (
        b"Event: Hangup\r\n\r\n"  # only its name line (the separator took its CRLF): kept
        b"Event: Hangup\r\nEvent: Hangup\r\nX: 1\r\n\r\n"  # a wanted first line: kept
        b"Event:  Hangup \r\r\nCause: 16\r\n\r\n"  # whitespace around the name: kept
        b"Event: Hangupx\r\nCause: 16\r\n\r\n"  # another name: dropped
        b"just garbage\r\n\r\n"  # no frame kind: malformed
        b"Event: AgentCalled\xff\r\nQueue: q\r\n\r\n"  # a byte more: dropped
        b"event: Hangup\r\nCause: 1\r\n\r\n"  # not "Event: ": read as any frame is, no kind
        b"Response: Success\r\nEvent: Hangup\r\n\r\n"  # a response: kept
        b"\r\n\r\n\r\n"  # stray blank lines
    )
    frames, malformed, _ = _frames([stream], c)
    assert [(name, raw.split(b"\r\n")[-1]) for raw, _, name in frames] == [
        ("Hangup", b"Event: Hangup"),
        ("Hangup", b"X: 1"),
        ("Hangup", b"Cause: 16"),
        ("Success", b"Event: Hangup"),
    ]
    assert malformed == 2


@pytest.mark.parametrize("c", IMPLEMENTATIONS)
def test_names_the_c_framing_cannot_compare_are_framed_by_the_pattern(c):
    # A wanted name with whitespace at its end: the pattern's PAD takes it, a stripped compare would not.
    odd = frozenset({b"Hangup ", b"AgentCalled"})
    proto = AmiProtocol(speedups=c)
    proto.wanted = odd
    assert proto._framer is None
    stream = GREETING + b"Event: Hangup \r\nCause: 1\r\n\r\n" + EVENTS[2]
    assert [f.name for f in proto.feed(stream)] == ["Hangup", "AgentCalled"]


_piece = (
    st.sampled_from(EVENTS)
    | st.sampled_from(
        [
            b"\r\n",
            b"\r\n\r\n",
            b"Event: Hangup\r\nA: b\r\n\r\n",
            b"Event:\tHangup\x0c\r\nA: \xe4\xb8\r\n\r\n",  # whitespace, a broken UTF-8 value
            b"Event: Newchannel",
            b"Event: ",
            b"Response: Follows\r\n",
            b"--END COMMAND--\r\n\r\n",
            b"Event: AgentCalled\r\nEvent: Hangup\r\n\r\n",
            b"Event: Hangup\r",
            b"\nCause: 16\r\n\r\n",
            b"\xff\xfe: \x00\r\n\r\n",
        ]
    )
    | st.binary(max_size=40)
)


@needs_c
@settings(max_examples=500, deadline=None)  # no deadline: the suite runs on busy machines
@given(st.lists(_piece, max_size=14), st.lists(st.integers(min_value=0, max_value=2000), max_size=10))
@example(pieces=[b"Event: Hangup\t", b"\r\nA: b\r\n\r\n"], cuts=[])
@example(pieces=[b"Response: Follows\r\n", EVENTS[2], b"--END COMMAND--\r\n\r\n", EVENTS[0]], cuts=[40])
def test_both_framings_give_the_same_frames_however_the_stream_is_cut(pieces, cuts):
    stream = GREETING + b"".join(pieces)
    chunks = _cut(stream, cuts)
    python = _frames(chunks, False)
    assert _frames(chunks, True) == python  # the frames, the malformed count, what is left over


@needs_c
def test_separators_are_found_wherever_they_fall_in_the_c_framing_s_16_byte_blocks():
    # Values of every length from 0 to 40: each frame's end falls at every offset of a block, the
    # CRLF pairs straddle block ends, and a lone CR, a lone LF or "\r\n\r" sits just before it.
    frames = []
    for n in range(41):
        tail = [b"", b"\r", b"\n", b"\r\n\r", b"\n\r\n"][n % 5]
        frames.append(b"Event: Hangup\r\nCause: " + b"x" * n + tail + b"\r\n\r\n")
        frames.append(b"Event: Newstate\r\nChannel: " + b"y" * n + b"\r\n\r\n\r\n")
    stream = GREETING + b"".join(frames)
    for chunk in (len(stream), 1000, 97, 17):
        chunks = [stream[i : i + chunk] for i in range(0, len(stream), chunk)]
        python = _frames(chunks, False)
        assert len(python[0]) >= 41  # the Hangups, and frames after a stray CRLF read whole
        assert _frames(chunks, True) == python


@needs_c
def test_the_16_byte_search_finds_the_same_separators_without_avx2():
    # The processor's AVX2 path runs above; this one is what runs on a processor without it.
    code = (
        "from tests.cti.test_ami_speedups import test_separators_are_found_wherever_they_fall_in_the_c_"
        "framing_s_16_byte_blocks as t, test_both_framings_give_the_same_frames_however_the_stream_is_cut as h;"
        " t(); h(); print('ok')"
    )
    env = {**os.environ, "HOTLINE_SPEEDUPS_NO_AVX2": "1", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT)
    assert out.stdout.split() == ["ok"], out.stderr[-2000:]


# -- the listeners --------------------------------------------------------------------------------


def _spy(*keys, only_if=None):
    seen = []

    def handler(*values):
        seen.append(values)

    handler.reads = keys
    handler.only_if = only_if
    return handler, seen


def _heard(raw, keys, c, only_if=None):
    handler, seen = _spy(*keys, only_if=only_if)
    listen = listener(handler, speedups=c)
    listen(Frame(raw))
    return seen


def _same(a, b):
    """Equal, NaN included (a NaN Timestamp is a NaN on both sides)."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
            continue
        if x != y or type(x) is not type(y):
            return False
    return True


NOW = 1_700_000_123.25


@pytest.fixture
def fixed_clock(monkeypatch):
    monkeypatch.setattr(time, "time", lambda: NOW)


@pytest.mark.parametrize("c", IMPLEMENTATIONS)
def test_a_listener_calls_its_handler_with_the_time_and_the_fields_asked(c, fixed_clock):
    raw = (
        b"Event: AgentCalled\r\nTimestamp: 1795651620.959918\r\nQueue: vip\r\n"
        b"MemberName: \xe5\xbc\xa0\xe4\xb8\x89\r\nInterface: Local/1001@x\r\nLinkedid: 17.5"
    )
    assert _heard(raw, ("Linkedid", "MemberName", "Absent", "Queue"), c) == [
        (1795651620.959918, "17.5", "张三", "", "vip")
    ]
    # no Timestamp: now
    assert _heard(b"Event: Hold\r\nLinkedid: 9", ("Linkedid",), c) == [(NOW, "9")]


@pytest.mark.parametrize("c", IMPLEMENTATIONS)
def test_a_listener_skips_frames_without_its_only_if_pattern(c, fixed_clock):
    import re

    only = re.compile(rb"\r\nDialStatus: (?:NOANSWER|BUSY)(?:\r|$)").search
    ring = b"Event: DialEnd\r\nTimestamp: 5.0\r\nDialStatus: "
    assert _heard(ring + b"ANSWER", ("DialStatus",), c, only) == []
    assert _heard(ring + b"BUSY", ("DialStatus",), c, only) == [(5.0, "BUSY")]


@needs_c
def test_a_handler_s_error_reaches_the_caller():
    def handler(at, value):
        raise LookupError(value)

    handler.reads, handler.only_if = ("Queue",), None
    with pytest.raises(LookupError, match="vip"):
        listener(handler, speedups=True)(Frame(b"Event: X\r\nQueue: vip"))


TIMESTAMPS = [
    "1795651620.959918",
    "1.5",
    "0",
    "0.000000",
    "-0.0",
    "",
    "abc",
    " 12.5 ",
    "1_000.5",
    "nan",
    "inf",
    "1e5",
    "+3.25",
    ".5",
    "5.",
    ".",
    "9007199254740993.5",  # above 2**53 as digits: float() reads it
    "9007199254740992",
    "12345678901234567890.5",
    "0.1234567890123456789012345",
    "١٢٣.٥",  # Arabic-Indic digits, which float() reads
    "1795651620.959918\x00",
    "1795651620..5",
]


@pytest.mark.parametrize("text", TIMESTAMPS)
@pytest.mark.parametrize("c", IMPLEMENTATIONS)
def test_the_timestamp_is_float_of_its_text_or_now(c, text, fixed_clock):
    raw = b"Event: Hold\r\nTimestamp: " + text.encode() + b"\r\nLinkedid: 1"
    try:
        expected = float(text) or NOW
    except ValueError:
        expected = NOW
    (heard,) = _heard(raw, ("Linkedid",), c)
    assert _same(heard, (expected, "1"))


@needs_c
@settings(max_examples=2000, deadline=None)
@given(st.integers(min_value=0, max_value=10**19), st.integers(min_value=0, max_value=25))
def test_the_exact_timestamp_path_is_float_s_answer(digits, point):
    text = str(digits)
    if point and point <= len(text):
        text = text[: len(text) - point] + "." + text[len(text) - point :]
    got = speedups.c.timestamp(text.encode())
    if got is not None:  # the fast path took it: bit for bit float()'s
        assert got == float(text) and math.copysign(1, got) == 1
    elif text.replace(".", "").isdigit():
        assert digits > 2**53 or len(text.replace(".", "")) > 19 or point > 22 or text.startswith(".")


_key = st.sampled_from(["Linkedid", "Channel", "Queue", "Uniqueid", "Chan", "QueueX", "Timestamp", "Event"])
_value = st.text(
    st.characters(blacklist_categories=("Cs",)) | st.sampled_from("\r\n: 0123456789."), max_size=10
)
_line = st.tuples(_key, st.sampled_from([":", ": ", ":  "]), _value).map("".join) | st.text(
    st.characters(blacklist_categories=("Cs",)) | st.sampled_from("\r\n:"), max_size=10
)


@needs_c
@settings(max_examples=700, deadline=None)
@given(
    keys=st.lists(_key.filter(lambda k: k != "Timestamp"), min_size=1, max_size=4, unique=True),
    lines=st.lists(_line, min_size=0, max_size=10),
    junk=st.binary(max_size=6),
)
@example(keys=["Queue"], lines=["Queue:  x", "Timestamp: 1795651620.959918"], junk=b"")
@example(keys=["Queue"], lines=["Queue:\r", "Queue: y\rz", "Timestamp:1.5"], junk=b"\xe4\xb8")
def test_both_listeners_read_the_same_fields(keys, lines, junk):
    raw = "\r\n".join(["Event: Sample", *lines]).encode() + junk
    frame = Frame(raw)
    heard = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time", lambda: NOW)
        for c in (False, True):
            handler, seen = _spy(*keys)
            listener(handler, speedups=c)(frame)
            heard.append(seen[0])
    assert _same(heard[0], heard[1])
    # and what the full parse reads ("" for a key absent)
    assert heard[0][1:] == tuple(frame.fields.get(k, "") for k in keys) or any(
        line.partition(":")[0] != line.partition(":")[0].strip()
        for line in raw.decode("utf-8", "replace").split("\r\n")
    )


# -- an event's make -------------------------------------------------------------------------


def _every_event_class():
    import cti.call_events  # noqa: F401 - declares the bridge's events
    from cti.events import Event

    return sorted(Event.registry.values(), key=lambda cls: cls.__name__)


def _required(cls):
    import dataclasses

    return {
        f.name: f"{f.name}-1"
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }


@needs_c
def test_the_c_make_is_every_event_class_s_and_builds_what_the_python_one_builds():
    import dataclasses

    from cti.events import _maker

    # every class declared with @event (the bridge's own, and whatever else is declared so far)
    classes = [cls for cls in _every_event_class() if type(cls.make).__name__ == "Maker"]
    bridge = [cls for cls in _every_event_class() if cls.__module__ == "cti.call_events"]
    assert len(bridge) >= 15 and set(bridge) <= set(classes)
    for cls in classes:
        python, c = _maker(cls, speedups=False), _maker(cls, speedups=True)
        for fields in (_required(cls), {**_required(cls), "seq": 7, "ts": 1.5}):
            try:
                a = python(**fields)
            except Exception as exc:  # a __post_init__ that refuses the sample values: refused alike
                with pytest.raises(type(exc)) as refused:
                    c(**fields)
                assert str(refused.value) == str(exc)
                continue
            b = c(**fields)
            assert type(a) is type(b) is cls
            assert list(vars(a).items()) == list(vars(b).items())  # the same fields, in the same order
            assert a == b and a.to_dict() == b.to_dict()
            with pytest.raises(dataclasses.FrozenInstanceError):
                b.seq = 3


@pytest.mark.parametrize("c", IMPLEMENTATIONS)
def test_make_fills_defaults_calls_factories_runs_post_init_and_refuses_as_python_does(c):
    import dataclasses

    from cti.events import Event, _maker, event

    made = []

    @event
    class SpeedupsProbe(Event):
        name_: str
        tags: tuple = ()
        seen: list = dataclasses.field(default_factory=list)

        def __post_init__(self):
            made.append(self.name_)

    make = _maker(SpeedupsProbe, speedups=c)
    a, b = make(name_="a"), make(name_="b", tags=("x",))
    assert list(vars(a).items()) == [("seq", 0), ("ts", 0.0), ("name_", "a"), ("tags", ()), ("seen", [])]
    assert a.seen is not b.seen and b.tags == ("x",)
    assert made == ["a", "b"]
    key = "".join(["na", "me_"])  # a keyword that is not the field name's own string object
    assert make(**{key: "c"}).name_ == "c"
    python = _maker(SpeedupsProbe, speedups=False)
    for args, kwargs in (((), {}), ((), {"name_": "a", "bogus": 1}), (("a",), {})):
        with pytest.raises(TypeError) as ours:
            make(*args, **kwargs)
        with pytest.raises(TypeError) as theirs:
            python(*args, **kwargs)
        assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("c", IMPLEMENTATIONS)
def test_an_event_class_with_its_own_new_or_slots_is_declared_and_made_as_in_python(c):
    from cti.events import Event, _maker, event

    # the C maker refuses such classes (TypeError); @event used to raise it at class creation,
    # so a module declaring one failed to import
    @event
    class SpeedupsOwnNew(Event):
        who: str
        n: int = 0

        def __new__(cls, *args, **kwargs):
            return super().__new__(cls)

    @event
    class SpeedupsSlotted(Event):
        __slots__ = ("extra",)
        who: str
        n: int = 0

    for cls in (SpeedupsOwnNew, SpeedupsSlotted):
        make, python = _maker(cls, speedups=c), _maker(cls, speedups=False)
        for fields in ({"who": "a"}, {"who": "b", "n": 2, "seq": 7, "ts": 1.5}):
            a, b = make(**fields), python(**fields)
            assert type(a) is type(b) is cls
            assert list(vars(a).items()) == list(vars(b).items())
            assert a == b == cls(**fields) and a.to_dict() == b.to_dict()
        assert cls.make(who="x") == cls(who="x")


@pytest.mark.parametrize("c", IMPLEMENTATIONS)
@pytest.mark.parametrize("line", [b"Event: Hangup", b"Event:  Hangup \t", b"Event: Hangup\r"])
def test_a_wanted_event_that_is_only_its_event_line_is_kept_as_when_every_frame_is_read(c, line):
    stream = GREETING + line + b"\r\n\r\n" + EVENTS[1] + b"Event: Newstate\r\n\r\n" + line + b"\r\n\r\n"
    filtered, malformed, rest = _frames([stream], c)
    every, _, _ = _frames([stream], c, wanted=None)
    assert [(kind, name) for _raw, kind, name in filtered] == [
        ("event", "Hangup"),
        ("response", "Success"),
        ("event", "Hangup"),
    ]
    assert filtered == [f for f in every if f[2] != "Newstate"]
    assert (malformed, rest) == (0, b"")


# -- the client's dispatch (AmiClient._on_frames: Python loop, or _speedups.Dispatcher) --------


class _Sub(Frame):
    __slots__ = ()


def _dispatch_story(c):
    """One batch of every kind of frame through a client's _on_frames: what each listener saw, in
    order, what was logged, the answers and lists it resolved, and the frames it held."""
    import asyncio
    import logging

    from cti.ami import AmiClient

    async def story():
        client = AmiClient(speedups=c)
        seen = []
        later = []

        def first(frame):
            seen.append(("first", frame.name, frame.get("N")))
            if frame.get("N") == "2":
                raise ValueError("listener broke on 2")
            if frame.get("N") == "3":
                client.on_event("Hangup", lambda f: seen.append(("late", f.name, f.get("N"))))

        def second(frame):
            seen.append(("second", frame.name, frame.get("N")))

        async def awaited(frame):
            later.append(frame.get("N"))

        def every(frame):
            seen.append(("every", frame.name, frame.get("N")))
            return 17  # not awaitable: ignored

        client.on_event("Hangup", first)
        client.on_event("Hangup", second)
        client.on_event("Newchannel", lambda f: awaited(f))
        client.on_event("*", every)
        loop = asyncio.get_running_loop()
        answer = loop.create_future()
        client._pending["a1"] = answer
        listed = _PendingListFor(loop)
        client._lists["l1"] = listed
        client._live = True

        def ev(name, n, extra=b""):
            return Frame(b"Event: " + name + b"\r\nN: " + n + b"\r\n" + extra)

        frames = [
            ev(b"Hangup", b"1"),
            Frame(b"Response: Success\r\nActionID: a1\r\nN: r\r\n"),
            ev(b"Hangup", b"2"),
            ev(b"QueueMember", b"4", b"ActionID: l1\r\n"),
            ev(b"Hangup", b"3"),
            ev(b"Hangup", b"5"),
            ev(b"Newchannel", b"6"),
            ev(b"Other", b"7", b"ActionID: nobody\r\n"),
            Frame(b"Action: Ping\r\nN: 8\r\n"),
            _Sub(b"Event: Hangup\r\nN: 9\r\n"),
            ev(b"QueueMemberStatusComplete", b"10", b"ActionID: l1\r\nEventList: Complete\r\n"),
        ]
        client._on_frames(frames)
        client._live = False
        client._held = []
        client._on_frames([ev(b"Hangup", b"11")])
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        return (
            seen,
            later,
            answer.result().get("N"),
            [f.get("N") for f in listed.items],
            listed.done.done() and [f.get("N") for f in listed.done.result()],
            [f.get("N") for f in client._held],
        )

    class Capture(logging.Handler):
        def __init__(self):
            super().__init__()
            self.records = []

        def emit(self, record):
            # the listener's repr without its address; the exception and where it was raised
            message = re.sub(r" at 0x[0-9a-f]+", "", record.getMessage())
            raised = record.exc_info[2]
            while raised.tb_next is not None:
                raised = raised.tb_next
            self.records.append(
                (record.levelname, message, repr(record.exc_info[1]), raised.tb_frame.f_code.co_name)
            )

    handler = Capture()
    log = logging.getLogger("cti.ami.client")
    log.addHandler(handler)
    try:
        result = asyncio.run(story())
    finally:
        log.removeHandler(handler)
    return result, handler.records


def _PendingListFor(loop):
    from cti.ami.client import _PendingList

    return _PendingList(loop.create_future())


@needs_c
def test_the_c_dispatch_runs_by_default_when_built():
    import asyncio

    from cti.ami import AmiClient

    async def made():
        return AmiClient(), AmiClient(speedups=False)

    c_client, python_client = asyncio.run(made())
    assert type(c_client._on_frames).__name__ == "Dispatcher"
    assert python_client._on_frames.__func__ is type(python_client)._on_frames


@pytest.mark.parametrize("c", IMPLEMENTATIONS)
def test_the_client_hands_frames_to_listeners_answers_lists_and_holds_as_python_does(c):
    got = _dispatch_story(c)
    assert got == _dispatch_story(False)
    (seen, later, answered, listed, done, held), logged = got
    assert seen == [
        ("first", "Hangup", "1"),
        ("second", "Hangup", "1"),
        ("every", "Hangup", "1"),
        ("first", "Hangup", "2"),  # raised: logged, the next listener still runs
        ("second", "Hangup", "2"),
        ("every", "Hangup", "2"),
        ("first", "Hangup", "3"),  # subscribes "late", heard from the next frame on
        ("second", "Hangup", "3"),
        ("every", "Hangup", "3"),
        ("first", "Hangup", "5"),
        ("second", "Hangup", "5"),
        ("late", "Hangup", "5"),
        ("every", "Hangup", "5"),
        ("every", "Newchannel", "6"),
        ("every", "Other", "7"),  # an ActionID no list claims: a plain event
        ("first", "Hangup", "9"),  # a Frame subclass: the same
        ("second", "Hangup", "9"),
        ("late", "Hangup", "9"),
        ("every", "Hangup", "9"),
    ]
    assert later == ["6"] and answered == "r" and listed == ["4"] and done == ["4"] and held == ["11"]
    assert logged == [
        (
            "ERROR",
            "AMI callback <function _dispatch_story.<locals>.story.<locals>.first>"
            " failed on b'Event: Hangup\\r\\nN: 2\\r\\n'",
            "ValueError('listener broke on 2')",
            "first",
        )
    ]


@needs_c
def test_values_seen_again_are_the_same_text_whatever_else_was_read_between(fixed_clock):
    """The C listener keeps short ASCII values it decoded (a call's Linkedid, its channels, queues)
    and hands the same str out again: every value still equals the Python listener's, however
    many other values took their places in between, at the length limit and past it, non-ASCII
    and broken UTF-8 included."""
    import random

    rng = random.Random(7)
    values = [f"1795633205.{n}".encode() for n in range(6000)]
    values += [b"x" * 63, b"y" * 64, b"z" * 65, b"Local/95598@hotline-inbound-00000003;1"]
    values += [b"\xe5\xbc\xa0\xe4\xb8\x89", b"bad \xe4\xb8 utf-8", b"a" * 7 + b"\xff", b""]
    stream = [rng.choice(values) for _ in range(20000)] + values
    for c in (False, True):
        handler, seen = _spy("Linkedid", "Queue")
        listen = listener(handler, speedups=c)
        for value in stream:
            listen(Frame(b"Event: X\r\nTimestamp: 1.5\r\nLinkedid: " + value + b"\r\nQueue: test-a\r\n"))
        if c:
            got_c = seen
        else:
            got_python = seen
    assert got_c == got_python
    assert [v[1] for v in got_c] == [value.decode("utf-8", "replace") for value in stream]


# -- a listener's only_if (cti.ami.fields.searcher) ------------------------------------------

_SEARCHED = [
    rb"\r\nDialStatus: (?:NOANSWER|BUSY)(?:\r|$)",
    rb"abc|abd",
    rb"aa+b",
    rb"(?x) a a b",
    rb"(?i)dialstatus",  # read without case: the engine's own search
    rb"x?y",  # no literal start: the engine's own search
]
_piece = st.sampled_from(
    [b"\r\n", b"\r", b"DialStatus: ", b"DialStatus:", b"NOANSWER", b"BUSY", b"ANSWER", b"a", b"b", b"c", b"d",
     b"y", b"x", b"\xe4"]
)  # fmt: skip


@pytest.mark.parametrize("c", IMPLEMENTATIONS)
@settings(max_examples=400, deadline=None)
@given(pieces=st.lists(_piece, max_size=24))
def test_only_if_is_found_where_the_engine_s_search_finds_it(c, pieces):
    import re

    from cti.ami.fields import searcher

    raw = b"".join(pieces)
    for pattern in _SEARCHED:
        found, expected = searcher(pattern, speedups=c)(raw), re.compile(pattern).search(raw)
        assert (found and found.span()) == (expected and expected.span()), pattern


@needs_c
def test_the_dialend_handler_s_only_if_looks_for_its_literal_start_in_c():
    from cti.ami import _speedups
    from cti.calls import CallModel

    assert type(CallModel._on_DialEnd.only_if) is _speedups.Searcher


@pytest.mark.parametrize("c", IMPLEMENTATIONS)
def test_a_listener_reads_raw_of_any_frame_like_object_whatever_came_before(c, fixed_clock):
    """The C listener reads a Frame's raw straight from its slot: frames of other types in
    between (a subclass, a raw property, a __getattribute__ of its own, a plain object) are read
    as getattr reads them."""

    class Sub(Frame):
        __slots__ = ()

    class Property(Frame):
        __slots__ = ()

        @property
        def raw(self):
            return b"Event: X\r\nQueue: from-property\r\n"

    class Asks(Frame):
        __slots__ = ()

        def __getattribute__(self, name):
            if name == "raw":
                return b"Event: X\r\nQueue: from-getattribute\r\n"
            return super().__getattribute__(name)

    class Plain:
        raw = b"Event: X\r\nQueue: plain\r\n"

    def frame(queue):
        return b"Event: X\r\nQueue: " + queue + b"\r\n"

    handler, seen = _spy("Queue")
    listen = listener(handler, speedups=c)
    property_frame = object.__new__(Property)
    asks = Asks(frame(b"slot of Asks"))
    for made in [Frame(frame(b"a")), Sub(frame(b"b")), property_frame, Frame(frame(b"c")), asks, Plain(),
                 asks, Frame(frame(b"d"))]:  # fmt: skip
        listen(made)
    assert [v[1] for v in seen] == [
        "a", "b", "from-property", "c", "from-getattribute", "plain", "from-getattribute", "d",
    ]  # fmt: skip
    empty = object.__new__(Frame)  # no raw at all: getattr's AttributeError
    with pytest.raises(AttributeError):
        listen(empty)


@needs_c
def test_the_c_dispatcher_holds_what_the_client_holds_whoever_sets_it():
    import asyncio

    from cti.ami import AmiClient

    async def story():
        client = AmiClient()
        dispatcher = client._on_frames
        states = [(dispatcher.live, dispatcher.targets, dispatcher.any_targets)]
        client.on_event("Hangup", print)
        client._live = True  # as a harness feeding frames by hand does
        states.append((dispatcher.live, dispatcher.targets, dispatcher.any_targets))
        client.on_event("*", repr)
        states.append((dispatcher.live, dispatcher.targets, dispatcher.any_targets))
        return client, states

    client, states = asyncio.run(story())
    assert states == [
        (False, {}, ()),
        (True, {"Hangup": (print,)}, ()),
        (True, {"Hangup": (print, repr)}, (repr,)),
    ]
    assert states[-1] == (client._live, client._targets, client._any_targets)
