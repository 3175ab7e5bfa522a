"""Several fields in one pass (``FieldPicker``) answer exactly as the full parse does."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cti.ami.fields import MAX_LAYOUTS, FieldPicker
from cti.ami.protocol import Frame

NEWCHANNEL = (
    b"Event: Newchannel\r\nPrivilege: call,all\r\nTimestamp: 1795651620.959918\r\n"
    b"Channel: Local/95598@hotline-inbound-00001bd9;2\r\nChannelState: 4\r\nChannelStateDesc: Ring\r\n"
    b"CallerIDNum: <unknown>\r\nCallerIDName: <unknown>\r\nConnectedLineNum: <unknown>\r\n"
    b"Language: en\r\nAccountCode: \r\nContext: hotline-inbound\r\nExten: 95598\r\nPriority: 1\r\n"
    b"Uniqueid: 1795651620.14259\r\nLinkedid: 1795651620.14258"
)


def _full(raw: bytes, keys) -> tuple[str, ...]:
    frame = Frame(raw)
    return tuple(frame.fields.get(k, "") for k in keys)


def test_the_fields_come_in_the_order_asked_whatever_their_order_in_the_frame():
    pick = FieldPicker(("Linkedid", "Uniqueid", "Channel", "Exten", "Timestamp"))
    expected = ("1795651620.14258", "1795651620.14259", "Local/95598@hotline-inbound-00001bd9;2", "95598")
    assert pick(NEWCHANNEL) == (*expected, "1795651620.959918")
    # The first frame taught the picker its layout: the next ones take the one-pass pattern.
    assert pick._layouts
    again = NEWCHANNEL.replace(b"14258", b"99999").replace(b"Exten: 95598", b"Exten: 12345")
    assert pick(again) == ("1795651620.99999", expected[1], expected[2], "12345", "1795651620.959918")


def test_each_layout_is_learned_once_and_read_by_its_own_pattern(monkeypatch):
    from cti.ami import fields

    pick = FieldPicker(("Linkedid", "Channel"))
    # AgentComplete-like: with the agent's channel block, and without it once that channel is gone
    full = b"Event: X\r\nChannel: c\r\nDestChannel: d\r\nDestUniqueid: 2\r\nLinkedid: 1"
    short = b"Event: X\r\nChannel: c\r\nLinkedid: 1"
    for frame in (full, short, full, short):
        assert pick(frame) == ("1", "c")
    assert len(pick._layouts) == 2
    searched = []
    monkeypatch.setattr(fields, "search", lambda raw, n: searched.append(n))
    assert pick(full.replace(b"c", b"e")) == ("1", "e") and pick(short) == ("1", "c")
    assert searched == []  # both layouts now read in one pass


def test_a_layout_lacking_a_key_is_learned_whole(monkeypatch):
    """A DialEnd of an Originate has no Channel: half a capture's DialEnds were searched field by
    field every time, never learned. Learned whole, a frame with a line more (which could hold
    the key) does not pass for it."""
    from cti.ami import fields

    pick = FieldPicker(("Channel", "DestUniqueid", "DialStatus"))
    originate = b"Event: DialEnd\r\nDestChannel: d\r\nDestUniqueid: 2\r\nDialStatus: ANSWER"
    assert pick(originate) == ("", "2", "ANSWER")
    searched = []
    monkeypatch.setattr(fields, "search", lambda raw, n: searched.append(n))
    assert pick(originate.replace(b"ANSWER", b"NOANSWER")) == ("", "2", "NOANSWER")
    assert searched == []  # read in one pass
    monkeypatch.undo()
    longer = originate + b"\r\nChannel: c"
    assert pick(longer) == ("c", "2", "ANSWER")


def test_a_picker_learns_a_few_layouts_at_most():
    pick = FieldPicker(("Queue",))
    for n in range(MAX_LAYOUTS + 3):
        frame = b"Event: X\r\n" + b"".join(b"Pad%d: v\r\n" % i for i in range(n)) + b"Queue: q"
        assert pick(frame) == ("q",)
    assert len(pick._layouts) == MAX_LAYOUTS


def test_an_absent_field_is_empty_and_the_others_still_come():
    pick = FieldPicker(("Linkedid", "Queue", "Channel"))
    assert pick(NEWCHANNEL) == ("1795651620.14258", "", "Local/95598@hotline-inbound-00001bd9;2")
    assert pick(b"Event: Hangup") == ("", "", "")


def test_a_frame_in_another_order_or_with_a_key_twice_still_gets_the_first_occurrence():
    pick = FieldPicker(("Queue", "Channel"))
    assert pick(b"Event: X\r\nQueue: a\r\nChannel: c") == ("a", "c")
    assert pick(b"Event: X\r\nChannel: c\r\nQueue: a\r\nQueue: b") == ("a", "c")
    assert pick(b"Event: X\r\nQueue: a\r\nChannel: c\r\nQueue: b\r\nChannel: d") == ("a", "c")
    # A later key met before an earlier one: the pattern of the first order may not pass it.
    assert pick(b"Event: X\r\nChannel: z\r\nQueue: a\r\nChannel: c") == ("a", "z")


def test_a_value_with_a_stray_carriage_return_is_read_whole():
    pick = FieldPicker(("Queue", "Channel"))
    pick(b"Event: X\r\nQueue: a\r\nChannel: c")
    assert pick(b"Event: X\r\nQueue: a\rb\r\nChannel: c\r\nQueue: z") == ("a\rb", "c")
    assert pick(b"Event: X\r\nQueue: a\r\nChannel: c\rd") == ("a", "c\rd")


@pytest.mark.parametrize("keys", [(), ("Output",), ("A:B",), (" Queue",), ("Queue\r\n",), ("",)])
def test_keys_a_search_cannot_answer_like_the_parse_are_refused(keys):
    with pytest.raises(ValueError, match="one pass"):
        FieldPicker(keys)


POOL = ["Linkedid", "Channel", "Queue", "Uniqueid", "Chan", "QueueX", "Event"]
_value = st.text(st.characters(blacklist_categories=("Cs",)) | st.sampled_from("\r\n: "), max_size=8)
_field = st.tuples(st.sampled_from(POOL), st.sampled_from([":", ": ", ":  "]), _value).map("".join)
_line = (
    _field
    | _field
    | st.text(st.characters(blacklist_categories=("Cs",)) | st.sampled_from("\r\n:"), max_size=10)
)


@settings(max_examples=500, deadline=None)  # no deadline: the suite runs on busy machines
@given(
    keys=st.lists(st.sampled_from(POOL), min_size=1, max_size=4, unique=True),
    lines=st.lists(_line, min_size=1, max_size=10),
    extra=st.lists(st.tuples(st.integers(0, 10), _line), max_size=3),
)
def test_one_pass_agrees_with_the_full_parse(keys, lines, extra):
    pick = FieldPicker(keys)
    first = "\r\n".join(["Event: Sample", *lines])
    changed = list(lines)
    for at, line in extra:  # the same frame with lines slipped in: the learned pattern meets it
        changed.insert(at, line)
    second = "\r\n".join(["Event: Sample", *changed])
    for text in (first, second, first):
        # Keys with surrounding spaces are stripped by the parse: Asterisk never sends them.
        if any(line.partition(":")[0] != line.partition(":")[0].strip() for line in text.split("\r\n")):
            return
        raw = text.encode()
        assert pick(raw) == _full(raw, keys)


@st.composite
def _frames_holding(draw, keys):
    """A frame holding every key at least once (so the learned pattern is tried), among other lines."""
    lines = [draw(st.sampled_from([":", ": "])).join([k, draw(_value)]) for k in keys]
    lines += draw(st.lists(_line, max_size=6))
    return "\r\n".join(["Event: Sample", *draw(st.permutations(lines))])


@settings(max_examples=500, deadline=None)
@given(data=st.data(), keys=st.lists(st.sampled_from(POOL[:-1]), min_size=2, max_size=4, unique=True))
def test_the_learned_pattern_agrees_with_the_full_parse(data, keys):
    pick = FieldPicker(keys)
    for _ in range(3):
        text = data.draw(_frames_holding(keys))
        if any(line.partition(":")[0] != line.partition(":")[0].strip() for line in text.split("\r\n")):
            continue
        raw = text.encode()
        assert pick(raw) == _full(raw, keys)
