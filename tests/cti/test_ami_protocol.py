"""The AMI framing: any split of a stream gives the same frames; garbage never raises."""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from cti.ami.protocol import AmiProtocol, Frame, encode

GREETING = b"Asterisk Call Manager/11.0.0\r\n"
EVENTS = [
    b"Event: Newchannel\r\nPrivilege: call,all\r\nTimestamp: 1795633205.847339\r\nChannel: Local/95598@hotline-inbound-00000003;1\r\nUniqueid: 1795633205.6\r\nLinkedid: 1795633205.6\r\n\r\n",
    b"Response: Success\r\nActionID: 7\r\nMessage: Command output follows\r\nOutput: System uptime: 2 minutes\r\nOutput: Last reload: 1 minute\r\n\r\n",
    b"Event: AgentCalled\r\nTimestamp: 1.5\r\nQueue: test-a\r\nMemberName: agent-1\r\nCallerIDName: \xe5\xbc\xa0\xe4\xb8\x89\r\n\r\n",
    b"Response: Error\r\nActionID: 8\r\nMessage: Interface not found\r\n\r\n",
    b"Response: Follows\r\nPrivilege: Command\r\nActionID: 9\r\nline one\n\r\n\r\nline after blank\n--END COMMAND--\r\n\r\n",
    b"Event: QueueMember\r\nActionID: 3\r\nQueue: test-a\r\nPaused: 1\r\nPausedReason: \xe6\x9c\xaa\xe6\x8e\xa5\r\n\r\n",
]
STREAM = GREETING + b"".join(EVENTS)


def frames_of(chunks):
    proto = AmiProtocol()
    out = []
    for chunk in chunks:
        out.extend(proto.feed(chunk))
    return proto, out


def test_whole_stream_gives_every_frame_and_the_greeting():
    proto, frames = frames_of([STREAM])
    assert proto.greeting == "Asterisk Call Manager/11.0.0"
    assert [f.name for f in frames] == [
        "Newchannel",
        "Success",
        "AgentCalled",
        "Error",
        "Follows",
        "QueueMember",
    ]
    assert frames[0]["Linkedid"] == "1795633205.6"
    assert frames[0].timestamp == 1795633205.847339
    assert frames[1].output == ["System uptime: 2 minutes", "Last reload: 1 minute"]
    assert frames[2]["CallerIDName"] == "张三"
    assert frames[4].action_id == "9"
    assert "line after blank" in frames[4].output
    assert frames[5]["PausedReason"] == "未接"


def test_name_and_action_id_need_no_full_parse():
    frame = Frame(EVENTS[5][:-4])
    assert frame.name == "QueueMember" and frame.kind == "event"
    assert frame.action_id == "3"
    assert frame._fields is None


@settings(max_examples=300)
@given(st.lists(st.integers(min_value=0, max_value=len(STREAM)), max_size=30))
def test_any_split_gives_the_same_frames(cuts):
    points = sorted(set(cuts))
    chunks = [STREAM[a:b] for a, b in zip([0, *points], [*points, len(STREAM)], strict=True)]
    _, expected = frames_of([STREAM])
    _, got = frames_of(chunks)
    assert got == expected


@settings(max_examples=500)
@given(st.lists(st.binary(max_size=200), max_size=20))
def test_garbage_never_raises(chunks):
    proto = AmiProtocol()
    for chunk in chunks:
        for frame in proto.feed(chunk):
            assert frame.kind in ("event", "response", "action")
            frame.get("Anything")
            assert isinstance(frame.fields, dict)


@given(st.binary(max_size=300))
def test_garbage_between_valid_frames_does_not_lose_them(junk):
    junk = junk.replace(b"\r", b"")
    if junk.startswith(b"Response: Follows"):
        junk = b"x" + junk  # that one legitimately waits for --END COMMAND--
    proto, frames = frames_of([GREETING + EVENTS[0] + junk + b"\r\n\r\n" + EVENTS[2]])
    names = [f.name for f in frames]
    assert names[0] == "Newchannel" and names[-1] == "AgentCalled"


def test_malformed_frames_are_counted_and_skipped():
    proto, frames = frames_of([GREETING + b"no colon here\r\nnor here\r\n\r\n" + EVENTS[0]])
    assert [f.name for f in frames] == ["Newchannel"]
    assert proto.malformed == 1


def test_endless_frame_is_dropped_not_buffered_forever():
    proto = AmiProtocol()
    proto.feed(GREETING)
    for _ in range(20):
        proto.feed(b"X: " + b"y" * 100_000)
    assert proto.malformed >= 1
    assert [f.name for f in proto.feed(b"\r\n\r\n" + EVENTS[0])] == ["Newchannel"]


def test_encode_repeats_list_values_and_refuses_header_injection():
    raw = encode({"Action": "Originate", "Variable": ["A=1", "B=2"], "CallerID": "x\r\nAction: Hangup"})
    assert raw.count(b"Variable: ") == 2
    assert b"\r\nAction: Hangup" not in raw
    assert raw.endswith(b"\r\n\r\n")


def test_events_nobody_wants_are_dropped_after_their_first_line():
    proto = AmiProtocol()
    proto.wanted = frozenset({b"AgentCalled"})
    frames = proto.feed(STREAM)
    # Responses always pass; of the events only the wanted one, and list items only while asked for.
    assert [f.name for f in frames] == ["Success", "AgentCalled", "Error", "Follows"]
    proto2 = AmiProtocol()
    proto2.wanted = frozenset()
    proto2.keep_listed = True
    assert [f.name for f in proto2.feed(STREAM)][-1] == "QueueMember"


_piece = (
    st.sampled_from(EVENTS)
    | st.sampled_from([b"\r\n", b"\r\n\r\n", b"Event: Hangup\r\nA: b\r\n\r\n"])
    | st.binary(max_size=40)
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_piece, max_size=12), st.lists(st.integers(min_value=0, max_value=2000), max_size=10))
# found by the search: whitespace around a wanted name (Frame.name strips it)
@example(pieces=[b"Event: Hangup\t", b"\r\nA: b\r\n\r\n"], cuts=[])
@example(pieces=[b"Event:  AgentCalled \r\r\nA: b\r\n\r\n"], cuts=[])
def test_wanted_events_are_picked_out_as_reading_every_frame_would(pieces, cuts):
    # The filtered search steps over unwanted events in C; it must frame the stream
    # exactly as reading every frame and dropping the unwanted ones does, however cut.
    stream = GREETING + b"".join(pieces)
    points = sorted({c for c in cuts if c <= len(stream)})
    chunks = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]
    wanted = frozenset({b"AgentCalled", b"Hangup"})
    every, all_frames = frames_of(chunks)
    picky = AmiProtocol()
    picky.wanted = wanted
    got = [f for chunk in chunks for f in picky.feed(chunk)]
    kept = [f for f in all_frames if not (f.raw.startswith(b"Event: ") and f.name.encode() not in wanted)]
    assert [(f.raw, f.kind, f.name) for f in got] == [(f.raw, f.kind, f.name) for f in kept]
    assert picky.malformed == every.malformed
