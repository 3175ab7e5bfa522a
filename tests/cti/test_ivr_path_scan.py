"""The IVR path read off a QueueCallerJoin (``cti.bridge.last_ivr_path``) is what the pattern's
``findall`` found last: the same value, or None, whatever the frame's lines. With the channel
(``ivr_path_seen``, and the C accelerator's ``channel_and_variable`` the bridge reads them with),
it is what the bridge read with ``Frame.get("Channel")`` and ``last_ivr_path``."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cti import bridge
from cti.ami import speedups
from cti.ami.protocol import Frame
from cti.bridge import _IVR_PATH, ivr_path_seen, last_ivr_path

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
CHANNELS = [
    b"Channel: Local/95598@hotline-inbound-00000001;2",
    b"Channel:PJSIP/trunk-00000006",
    b"Channel:  two spaces",
    b"Channel: ",
    b"Channel: \xe4\xb8\xad\xff",  # not UTF-8 at its end: replaced
    b"Channel: stray\rCR",
    b"ChannelState: 6",
    b"DestChannel: PJSIP/not-mine",
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


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.one_of(st.sampled_from(LINES + CHANNELS), st.binary(max_size=12)), max_size=12),
    st.booleans(),
)
def test_the_channel_and_ivr_path_are_what_the_frame_gives(lines, ended):
    """(Frame.get("Channel"), last_ivr_path decoded), None without a path: the bridge's old reading."""
    raw = b"\r\n".join(lines) + (b"\r\n\r\n" if ended else b"")
    found = last_ivr_path(raw)
    old = None if found is None else (Frame(raw).get("Channel"), found.decode("utf-8", "replace"))
    assert ivr_path_seen(raw) == old
    if speedups.c is not None:
        assert speedups.c.channel_and_variable(b"HOTLINE_IVR_PATH", raw) == old


@pytest.mark.skipif(speedups.c is None, reason="the C accelerator is not built (pip install -e .)")
def test_the_bridge_reads_the_queue_join_in_one_c_call():
    """The bridge's listener on QueueCallerJoin makes no Python frame under it with the C accelerator
    (last_ivr_path, then Frame.get's _find and fields.search were about 100 bytecodes a call)."""
    assert bridge._channel_and_ivr_path.func is speedups.c.channel_and_variable
    raw = b"Event: QueueCallerJoin\r\nChannel: Local/1@x-1;2\r\nChanVariable: HOTLINE_IVR_PATH=top:1\r\n\r\n"
    assert bridge._channel_and_ivr_path(raw) == ("Local/1@x-1;2", "top:1")
    assert bridge._channel_and_ivr_path(b"Event: QueueCallerJoin\r\nChannel: Local/1@x-1;2\r\n\r\n") is None
    with pytest.raises(TypeError):
        speedups.c.channel_and_variable(b"", raw)
