"""A start with many outage notices to speak (a new installation, a new voice): the IVR role's
upkeep (ivr.notice_voice) lines them up and speaks them one at a time beside its passes. A pass
is not held by the TTS (a withdrawn notice's file still goes on time), a caller never waits for a
voice (the times alone until it is ready) and the notice a caller asked for is spoken next, not
after all the others; only new or changed words are spoken again."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import threading
import time

from ivr import notice_voice
from ivr.notice_voice import NoticeVoices, NoticeWords

MANY = 150
TTS_SECONDS = 0.03  # a fake TTS (espeak-ng is ~0.2 s a notice): the whole line takes 4.5 s


class SlowTts:
    def __init__(self) -> None:
        self.spoken: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, text, voice, speed, out) -> None:
        time.sleep(TTS_SECONDS)
        out.write_bytes(b"RIFF" + text.encode())
        with self.lock:
            self.spoken.append(text)


async def until(check, timeout: float) -> float:  # noqa: ASYNC109
    started = time.monotonic()
    while not check():
        assert time.monotonic() - started < timeout, "not in time"
        await asyncio.sleep(0.01)
    return time.monotonic() - started


async def test_many_notices_are_spoken_beside_the_passes_the_one_asked_for_first(tmp_path, monkeypatch):
    monkeypatch.setattr(notice_voice, "to_telephone_wav", lambda raw, out: shutil.copy(raw, out))
    tts = SlowTts()
    voices = NoticeVoices(tmp_path, installation="t", speak=tts, grace=0)
    notices = [NoticeWords(f"n{i:04d}", f"天河区第{i}街", "线路检修") for i in range(MANY)]
    # a notice withdrawn while nothing ran: its file is still there
    voices.directory.mkdir(parents=True)
    old = voices.directory / voices.file_name("gone", "越秀区", "检修")
    old.write_bytes(b"RIFF")
    source_notices = list(notices)

    async def source():
        return list(source_notices)

    task = asyncio.create_task(voices.run(source, interval=0.05))
    try:
        # the first pass is done at once: the withdrawn notice's file goes with it, the TTS of the
        # 150 others (4.5 s) notwithstanding
        await until(lambda: not old.exists(), timeout=1.0)
        assert len(tts.spoken) < MANY // 2

        # a caller asks for the last one in line: told the times at once, no wait for a voice ...
        last = notices[-1]
        started = time.monotonic()
        assert voices.sound_for(last.key, last.area, last.reason) == ""
        assert time.monotonic() - started < 0.05
        # ... and the next caller hears its words, long before the line is through
        await until(lambda: voices.sound_for(last.key, last.area, last.reason) != "", timeout=1.0)
        assert len(tts.spoken) < MANY // 2

        # the last one spoken is made the caller's sound a moment after the TTS returns (converted)
        await until(lambda: all(voices.sound_for(n.key, n.area, n.reason) for n in notices), timeout=20)
        assert len(tts.spoken) == len(set(tts.spoken)) == MANY  # each once

        # only what is new or changed is spoken again: one revision, one new notice
        source_notices[3] = NoticeWords(notices[3].key, notices[3].area, "台风抢修")
        source_notices.append(NoticeWords("fresh1", "海珠区", "计划检修"))
        await until(lambda: len(tts.spoken) == MANY + 2, timeout=2)
        await asyncio.sleep(0.3)  # more passes: nothing else
        assert len(tts.spoken) == MANY + 2
        assert voices.sound_for("fresh1", "海珠区", "计划检修")

        # a restart speaks nothing again: every version is there already
        again = SlowTts()
        restarted = NoticeVoices(tmp_path, installation="t", speak=again, grace=0)
        await restarted.sync(source_notices)
        assert again.spoken == [] and restarted.pending == []
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
