"""Frame field lookups without a full parse answer exactly as the full parse does."""

from hypothesis import given, settings
from hypothesis import strategies as st

from cti.ami.protocol import Frame

KEYS = [
    "Event",
    "Channel",
    "Uniqueid",
    "Queue",
    "Output",
    "ActionID",
    "X",
    "Chan",
    "channel",
    "Key:x",
    " Queue",
    "",
]


def _parsed(raw: bytes) -> Frame:
    frame = Frame(raw)
    frame._parse()
    return frame


def test_a_field_is_found_without_parsing_the_frame():
    frame = Frame(b"Event: AgentCalled\r\nQueue: test-a\r\nChannel: Local/1@x;1\r\nInterface: Local/3001@p/n")
    assert frame.get("Queue") == "test-a"
    assert frame["Interface"] == "Local/3001@p/n"
    assert "Channel" in frame and "Missing" not in frame
    assert frame.get("Missing", "none") == "none"
    assert frame._fields is None


def test_the_first_occurrence_wins_also_on_the_first_line():
    frame = Frame(b"Queue: a\r\nEvent: X\r\nQueue: b\r\nQueueX: c")
    assert frame.get("Queue") == "a" == _parsed(frame.raw).get("Queue")
    assert frame.get("QueueX") == "c"


def test_a_key_is_not_found_inside_another_key_or_a_value():
    frame = Frame(b"Event: X\r\nMyQueue: a\r\nNote: Queue: b")
    assert frame.get("Queue", "-") == "-"
    assert "Queue" not in frame


def test_only_one_space_after_the_colon_is_dropped_and_empty_values_stay():
    frame = Frame(b"Event: X\r\nA:  two\r\nB:none\r\nC:\r\nD: ")
    assert [frame.get(k, "?") for k in "ABCD"] == [" two", "none", "", ""]


def test_a_missing_key_raises_key_error():
    frame = Frame(b"Event: X\r\nA: 1")
    try:
        frame["B"]
    except KeyError:
        pass
    else:
        raise AssertionError("KeyError expected")


_line = st.one_of(
    st.tuples(st.sampled_from(KEYS[:8] + ["Queue", "Queue"]), st.text(max_size=12)).map(
        lambda kv: f"{kv[0]}:{' ' if len(kv[1]) % 2 else ''}{kv[1]}"
    ),
    st.text(max_size=15),
)


@settings(max_examples=400, deadline=None)  # no deadline: the suite runs on busy machines
@given(st.lists(_line, min_size=1, max_size=8), st.sampled_from(KEYS))
def test_lookup_matches_the_full_parse(lines, key):
    # Starting with "Event:" keeps the frame unparsed (other frames parse at once).
    raw = "\r\n".join(["Event: Sample", *lines]).encode("utf-8", "surrogatepass")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return
    lazy, full = Frame(raw), _parsed(raw)
    assert lazy._fields is None
    full_fields = full.fields
    # Keys with surrounding spaces are stripped by the parse: Asterisk never sends them.
    if any(line.partition(":")[0] != line.partition(":")[0].strip() for line in raw.decode().split("\r\n")):
        return
    assert lazy.get(key, "<none>") == full_fields.get(key, "<none>")
    assert (key in lazy) == (key in full_fields)
