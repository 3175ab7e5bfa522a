"""A caller whose number is withheld, waiting in a queue on the real Asterisk, is not offered
"press 9 for a callback": the periodic announcement they hear is zh_withheld's, which only asks
them to hold, while a caller with a number hears the offer (zh's). What each caller hears is
recorded off their own phone's line and measured against the two sounds.

The queue ``ivr-a`` (queues.conf) makes the production announcement every 2 s instead of 45."""

from __future__ import annotations

import array
import asyncio
import contextlib
import uuid
import wave
from pathlib import Path

import pytest
from ivr_harness import CALLER_CONTEXTS, Harness, QueueLine, ami_fixture, joined, serving, unique_caller

pytestmark = pytest.mark.asterisk
__all__ = ["ami_fixture"]

LINE = "95585"
QUEUE = "ivr-a"
WITHHELD = "unknown"  # what Asterisk shows for a number the network withholds (no digit in it)
SOUNDS = "usr/share/asterisk/sounds"


class AnnouncementLine(QueueLine):
    line, queue, settings = LINE, QUEUE, {"timeout": 60}


@pytest.fixture
async def line(ami, asterisk):
    async with serving(AnnouncementLine(ami, asterisk)) as h:
        yield h


def voiced(path: Path, threshold: int = 300, gap: float = 1.0) -> list[tuple[float, float]]:
    """The stretches of sound in a WAV (start, end in seconds), apart by at least ``gap`` of quiet."""
    with wave.open(str(path)) as w:
        rate, width = w.getframerate(), w.getsampwidth()
        raw = w.readframes(w.getnframes())
    assert width == 2, f"{path}: {width * 8}-bit"
    data = array.array("h", raw)
    step = rate // 50
    loud = [max(map(abs, data[i : i + step]), default=0) > threshold for i in range(0, len(data), step)]
    found: list[tuple[float, float]] = []
    start = last = None
    for i, is_loud in enumerate(loud):
        if is_loud:
            start = i if start is None else start
            last = i
        elif start is not None and (i - last) * 0.02 >= gap:
            found.append((start * 0.02, (last + 1) * 0.02))
            start = None
    if start is not None:
        found.append((start * 0.02, (last + 1) * 0.02))
    return found


def length(path: Path) -> float:
    (first, *_) = voiced(path)
    return first[1] - first[0]


async def phone_of(line: Harness, caller: str) -> str:
    for frame in await line.ami.action_list("CoreShowChannels"):
        if frame.get("CallerIDNum") == caller and frame.get("Context") in CALLER_CONTEXTS:
            return frame.get("Channel")
    raise AssertionError(f"no phone for {caller}")


@contextlib.asynccontextmanager
async def paused_member(line: Harness, ext: str):
    """A member on a break: the caller may join (joinempty is only invalid,unavailable) and waits,
    nobody rung, in app_queue's loop that makes the periodic announcement every time round (a
    caller ringing a member that never answers heard none here: app_queue rang on and on)."""
    interface = f"Local/{ext}@hotline-sim-phone/n"
    with contextlib.suppress(Exception):  # left over from an interrupted run (members persist)
        await line.ami.action("QueueRemove", Queue=QUEUE, Interface=interface)
    await line.ami.action(
        "QueueAdd", Queue=QUEUE, Interface=interface, Penalty="0", MemberName=f"ivr{ext}", Paused="true"
    )
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            await line.ami.action("QueueRemove", Queue=QUEUE, Interface=interface)


async def hears(line: Harness, asterisk, caller: str, seconds: float) -> list[tuple[float, float]]:
    """What ``caller``, alone in the queue, hears in the first ``seconds`` there: the stretches of
    sound their phone receives (the queue's sounds, none of its own tones)."""
    inside = f"/var/spool/asterisk/monitor/hotline/ivr-{uuid.uuid4().hex[:8]}"
    heard = asterisk.host_path(f"{inside}-heard.wav")
    async with paused_member(line, "2981"):
        await line.call(LINE, caller, stay=int(seconds) + 10)
        join = await line.wait_event(joined(caller))
        try:
            phone = await phone_of(line, caller)
            await line.ami.action(
                "MixMonitor", Channel=phone, File=f"{inside}-both.wav", Options=f"r({inside}-heard.wav)"
            )
            language = await line.getvar(join.get("Channel"), "CHANNEL(language)")
            assert language == ("zh_withheld" if caller == WITHHELD else "zh")
            await asyncio.sleep(seconds)
        finally:
            with contextlib.suppress(Exception):
                await line.ami.action("StopMixMonitor", Channel=await phone_of(line, caller))
            await line.hangup_caller(caller)
    await asyncio.sleep(0.5)  # MixMonitor closes its files
    try:
        return voiced(heard)
    finally:
        heard.unlink(missing_ok=True)
        heard.with_name(heard.name.replace("-heard", "-both")).unlink(missing_ok=True)


async def test_a_withheld_caller_in_the_queue_is_not_offered_a_callback(line, asterisk):
    offer = asterisk.root / SOUNDS / "zh" / "hotline" / "queue-callback.wav"
    hold_on = asterisk.root / SOUNDS / "zh_withheld" / "hotline" / "queue-callback.wav"
    assert hold_on.exists(), "hotline-asterisk start did not speak zh.yaml's withheld variant"
    assert length(offer) - length(hold_on) > 3  # they tell apart by their length alone
    # The announcement comes 2-3 s after joining (a ring of 2 s first), then every loop.
    (first, *_) = await hears(line, asterisk, WITHHELD, 3 + length(hold_on) + 2)
    assert abs((first[1] - first[0]) - length(hold_on)) < 1.0, (first, length(hold_on))
    # a caller with a number hears the offer of 9, whole
    (first, *_) = await hears(line, asterisk, unique_caller(), 3 + length(offer) + 2)
    assert abs((first[1] - first[0]) - length(offer)) < 1.0, (first, length(offer))
