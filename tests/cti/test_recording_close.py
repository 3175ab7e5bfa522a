"""Waiting for Asterisk to close a recording: the finished file, a file that stops growing,
and a file that never comes (looked for a handful of times, not every 50 ms); many calls'
recordings are looked at together (one thread hop per round, not per file)."""

from __future__ import annotations

import asyncio
import gc
import struct

from cti import recording


def _wav(seconds: float, *, finalised: bool = True) -> bytes:
    rate = 8000 * 2  # 8 kHz, 16-bit mono
    data = b"\0" * int(rate * seconds)
    size = len(data) if finalised else 0  # Asterisk writes the sizes when it closes the file
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, rate, 2, 16)
    return (
        b"RIFF"
        + struct.pack("<I", 36 + size)
        + b"WAVEfmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", size)
        + data
    )


async def test_a_closed_recording_gives_its_duration_at_once(tmp_path):
    path = tmp_path / "c1.wav"
    path.write_bytes(_wav(2.5))
    assert await recording.Recordings().closed(str(path), limit=1.0) == 2.5


async def test_a_recording_that_appears_late_is_still_found(tmp_path):
    path = tmp_path / "c2.wav"

    async def asterisk_closes_it() -> None:
        await asyncio.sleep(0.3)
        path.write_bytes(_wav(1.0))

    writer = asyncio.create_task(asterisk_closes_it())
    assert await recording.Recordings().closed(str(path), limit=3.0) == 1.0
    await writer


async def test_a_header_never_finalised_is_accepted_once_the_file_stops_growing(tmp_path, monkeypatch):
    monkeypatch.setattr(recording, "STABLE_SECONDS", 0.2)
    path = tmp_path / "c3.wav"
    path.write_bytes(_wav(1.0, finalised=False))
    assert await recording.Recordings().closed(str(path), limit=3.0) == 1.0


async def test_a_file_that_never_comes_is_looked_for_a_few_times_only(tmp_path, monkeypatch):
    looks = 0
    real = recording._info_and_size

    def counted(path: str):
        nonlocal looks
        looks += 1
        return real(path)

    monkeypatch.setattr(recording, "_info_and_size", counted)
    assert await recording.Recordings().closed(str(tmp_path / "never.wav"), limit=2.0) is None
    # 50, 100, 200, 400, 500, 500 ms ... within 2 s: about 7 looks (it used to be 40)
    assert 3 <= looks <= 10


async def test_many_recordings_are_looked_at_together_and_each_gets_its_own_answer(tmp_path, monkeypatch):
    rounds = looks = 0
    real_round, real_look = recording._look_all, recording._info_and_size

    def counted_round(requests):
        nonlocal rounds
        rounds += 1
        return real_round(requests)

    def counted_look(path: str):
        nonlocal looks
        looks += 1
        return real_look(path)

    monkeypatch.setattr(recording, "_look_all", counted_round)
    monkeypatch.setattr(recording, "_info_and_size", counted_look)
    recordings = recording.Recordings()
    late = tmp_path / "late.wav"

    async def asterisk_closes_one() -> None:
        await asyncio.sleep(0.3)
        late.write_bytes(_wav(1.5))

    writer = asyncio.create_task(asterisk_closes_one())
    (tmp_path / "done.wav").write_bytes(_wav(0.5))
    waits = [recordings.closed(str(tmp_path / f"never{i}.wav"), limit=1.0) for i in range(40)]
    answers = await asyncio.gather(
        recordings.closed(str(tmp_path / "done.wav"), limit=1.0),
        recordings.closed(str(late), limit=1.0),
        recordings.find(str(tmp_path), "nobody"),
        *waits,
    )
    await writer
    assert answers[:3] == [0.5, 1.5, ""]
    assert answers[3:] == [None] * 40
    # 40 files never came: each looked at several times, all of them in a few hops
    assert looks >= 40 * 4
    assert rounds <= 12


async def test_a_garbled_file_fails_its_own_wait_only(tmp_path):
    recordings = recording.Recordings()
    garbled = tmp_path / "garbled.wav"
    # a fmt chunk cut short after a padding chunk: the header cannot be read
    garbled.write_bytes(
        b"RIFF\0\0\0\0WAVE" + b"JUNK" + struct.pack("<I", 30) + b"\0" * 30 + b"fmt \x10\0\0\0\x01\0"
    )
    good = tmp_path / "good.wav"
    good.write_bytes(_wav(1.0))
    outcomes = await asyncio.gather(
        recordings.closed(str(garbled), limit=1.0),
        recordings.closed(str(good), limit=1.0),
        return_exceptions=True,
    )
    assert isinstance(outcomes[0], Exception)
    assert outcomes[1] == 1.0
    await recordings.close()


async def test_looking_for_files_that_never_come_leaves_no_garbage_cycles(tmp_path):
    # A missing file used to leave its OSError, traceback and frame in a cycle: thousands of
    # them per second at a few hundred calls a second, and full collections that held the loop.
    recordings = recording.Recordings()

    def ours() -> list:
        # only the waits' own: other tests' leftovers (loops, threads, pytest) may hold some too
        return [o for o in gc.get_objects() if type(o).__name__ == "traceback" and _in_recording(o)]

    gc.collect()
    gc.disable()
    try:
        waits = [recordings.closed(str(tmp_path / f"never{i}.wav"), limit=0.3) for i in range(20)]
        assert await asyncio.gather(*waits) == [None] * 20
        tracebacks = ours()
    finally:
        gc.enable()
    assert tracebacks == []


def _in_recording(tb) -> bool:
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == recording.__file__:
            return True
        tb = tb.tb_next
    return False


def _header(*chunks: tuple[bytes, bytes], riff: bytes = b"RIFF", wave: bytes = b"WAVE") -> bytes:
    """A WAV header of ``chunks`` ((id, body) each, odd bodies padded as RIFF pads them)."""
    body = b"".join(cid + struct.pack("<I", len(b)) + b + b"\0" * (len(b) & 1) for cid, b in chunks)
    return riff + struct.pack("<I", 4 + len(body)) + wave + body


FMT = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)  # 8 kHz, 16-bit mono: 16,000 bytes a second


def _with_data(head: bytes, length: int) -> bytes:
    """``head`` ending in an empty "data" chunk, its length field set to ``length``."""
    return head[:-4] + struct.pack("<I", length)


def test_a_wav_header_is_read_the_same_however_its_chunks_lie():
    """Asterisk's own header (read with one unpack) and any other (its chunks walked) give the
    duration and whether the file is finished: the data's length against the file's size."""
    plain = _header((b"fmt ", FMT), (b"data", b""))
    assert len(plain) == 44
    listed = _header((b"fmt ", FMT), (b"LIST", b"INFOISFT\x05\0\0\0Lavf\0"), (b"data", b""))
    extended = _header((b"fmt ", FMT + b"\0\0"), (b"junk", b"x"), (b"data", b""))
    for head, start in ((plain, 44), (listed, len(listed)), (extended, len(extended))):
        finished = _with_data(head, 32000)
        assert recording._header_info(finished, start + 32000) == (2.0, True)
        # still being written (sizes not yet in the header): what is on the disk so far
        assert recording._header_info(_with_data(head, 0), start + 8000) == (0.5, False)
        assert recording._header_info(finished, start + 48000) == (3.0, False)
        for size in (0, start, start + 1, start + 32000, start + 32001):
            for length in (0, 1, 32000, 2**32 - 1):
                raw = _with_data(head, length)
                assert recording._header_info(raw, size) == recording._walk_chunks(raw, size), (
                    head,
                    size,
                    length,
                )
    no_rate = _with_data(_header((b"fmt ", struct.pack("<HHIIHH", 1, 1, 8000, 0, 2, 16)), (b"data", b"")), 10)
    for broken in (b"", plain[:43], b"RIFX" + plain[4:], plain[:8] + b"WAVX" + plain[12:], no_rate):
        assert recording._header_info(broken, 1000) == (0.0, False)


def test_asterisk_s_wav_header_is_read_without_walking_its_chunks():
    """Every call's recording is looked at: the header MixMonitor writes is read by one unpack, in a
    about 60 bytecodes (the chunk walk took about 150)."""
    import sys

    head = _with_data(_header((b"fmt ", FMT), (b"data", b"")), 32000)
    counted = 0

    def trace(frame, event, arg):
        nonlocal counted
        if event == "call":
            frame.f_trace_opcodes = True
        elif event == "opcode":
            counted += 1
        return trace

    sys.settrace(trace)
    try:
        assert recording._header_info(head, 44 + 32000) == (2.0, True)
    finally:
        sys.settrace(None)
    assert 0 < counted <= 70, counted
