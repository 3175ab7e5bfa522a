"""The IVR path read off a QueueCallerJoin (``cti.bridge.last_ivr_path``) is what the pattern's
``findall`` found last: the same value, or None, whatever the frame's lines."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cti.bridge import _IVR_PATH, last_ivr_path

LINES = [
    b"Event: QueueCallerJoin",
    b"ChanVariable: HOTLINE_IVR_PATH=top:1/outage:1",
    b"ChanVariable: HOTLINE_IVR_PATH=",
    b"ChanVariable:HOTLINE_IVR_PATH=top:2",
    b"ChanVariable:  HOTLINE_IVR_PATH=two spaces",
    b"ChanVariable: HOTLINE_LANG=zh",
    b"ChanVariable: HOTLINE_IVR_PATH=top:3\rstray",
    b"DestChanVariable: HOTLINE_IVR_PATH=not:mine",
    b"ChanVariable: HOTLINE_IVR_PATH=\xe4\xb8\xad",
    b"ChanVariable:",
    b"Channel: Local/95598@hotline-inbound-00000001;2",
    b"",
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(LINES), st.binary(max_size=12)), max_size=12), st.booleans())
def test_the_last_ivr_path_is_the_one_findall_finds_last(lines, ended):
    raw = b"\r\n".join(lines) + (b"\r\n\r\n" if ended else b"")
    found = _IVR_PATH.findall(raw)
    assert last_ivr_path(raw) == (found[-1] if found else None)


def test_a_frame_s_last_ivr_path_line_is_read_and_others_are_not():
    raw = b"Event: QueueCallerJoin\r\nChanVariable: HOTLINE_IVR_PATH=top:1\r\nChanVariable: X=1\r\n"
    assert last_ivr_path(raw + b"ChanVariable: HOTLINE_IVR_PATH=top:2/fault:3\r\n\r\n") == b"top:2/fault:3"
    assert last_ivr_path(raw + b"DestChanVariable: HOTLINE_IVR_PATH=no\r\n\r\n") == b"top:1"
    assert last_ivr_path(b"Event: QueueCallerJoin\r\nChanVariable: HOTLINE_IVR_PATH=\r\n\r\n") == b""
    assert last_ivr_path(b"Event: QueueCallerJoin\r\n\r\n") is None
