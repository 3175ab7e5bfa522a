"""An outage's 停电范围 and 停电原因 are free text: ivr.notice_voice speaks each published notice's
words with the prompts' TTS into Asterisk's sounds (hotline-notices/<installation>/), and the IVR
plays that sound before the times. A revision's new words are a new file; an ended, withdrawn or
revised notice's file goes once no caller can still be hearing it. Publishing never waits for it
or fails by it: a TTS that fails leaves the times alone."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import os
import shutil
import time
import wave

import pytest

from cti.bus import InProcessBus
from hotline.selfservice import notice_voices, published_notices, ticketing_hooks
from ivr import Outage, SelfServiceHooks
from ivr.notice_voice import NoticeVoices, NoticeWords, spoken_text
from ivr.prompts import PromptInstallError, espeak
from ticketing import db
from ticketing.demo import seed_demo
from ticketing.knowledge import change_notice, delete_notice, end_now, publish_notice
from ticketing.seed import seed_defaults

from .conftest import FakeChannel
from .test_route import run, services

needs_tts = pytest.mark.skipif(
    not (shutil.which("espeak-ng") and shutil.which("ffmpeg")),
    reason="espeak-ng and ffmpeg (deploy/system-deps.sh)",
)
CODE = "7701"  # the affected area's code a caller keys in


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_words_said():
    assert spoken_text("天河区中山路一带（1-200号）", "10kV线路计划检修") == (
        "停电范围：天河区中山路一带（1至200号）。停电原因：10kV线路计划检修。"
    )
    assert spoken_text("福田区  滨江路\n沿线。", "") == "停电范围：福田区 滨江路 沿线。"
    assert spoken_text("", "") == ""


@needs_tts
async def test_a_notice_is_spoken_and_a_revision_of_its_words_replaces_it(tmp_path):
    clock = Clock()
    voices = NoticeVoices(tmp_path, installation="t", grace=60, clock=clock)
    first = NoticeWords("abc123", "天河区中山路1-200号", "线路检修")
    assert voices.sound_for(first.key, first.area, first.reason) == ""  # not spoken yet
    await voices.sync([first])
    sound = voices.sound_for(first.key, first.area, first.reason)
    assert sound.startswith("hotline-notices/t/abc123-")
    wav = tmp_path / f"{sound}.wav"
    with wave.open(str(wav)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (8000, 1, 2)
        assert w.getnframes() / 8000 > 2  # words, not a click
    assert wav.stat().st_mode & 0o777 == 0o644  # Asterisk, its own user, reads it
    # a revision of the times only is the same words: the same file
    assert voices.sound_for(first.key, first.area, first.reason) == sound
    # a revision of the reason is a new file; the old one outlives it for the grace only
    revised = NoticeWords("abc123", first.area, "变压器故障抢修")
    await voices.sync([revised])
    new = voices.sound_for(revised.key, revised.area, revised.reason)
    assert new and new != sound
    assert wav.exists()
    clock.now += 61
    await voices.sync([revised])
    assert not wav.exists()
    assert voices.sound_for(first.key, first.area, first.reason) == ""
    # withdrawn or ended: no notice wants it
    await voices.sync([])
    clock.now += 61
    await voices.sync([])
    assert voices.sound_for(revised.key, revised.area, revised.reason) == ""
    assert [p.name for p in voices.directory.glob("*.wav")] == []


async def test_a_failing_tts_leaves_no_file_and_raises_nothing(tmp_path, caplog):
    calls = []

    def broken(text, voice, speed, out):
        calls.append(text)
        raise PromptInstallError("espeak-ng is not installed")

    voices = NoticeVoices(tmp_path, installation="t", speak=broken)
    words = NoticeWords("abc123", "天河区", "检修")
    await voices.sync([words])
    await voices.sync([words])  # tried again on every pass, logged once
    assert len(calls) == 2
    assert voices.sound_for(words.key, words.area, words.reason) == ""
    assert list(voices.directory.iterdir()) == [voices.directory / ".lock"]
    assert sum("not spoken" in r.message for r in caplog.records) == 1


async def test_the_ivr_says_the_area_and_reason_before_the_times(agi_server, tmp_path):
    async def lookup(area):
        return [
            Outage(area="天河区", starts_at=1.7e9, ends_at=1.7e9 + 7200, voice="hotline-notices/t/abc-0123"),
            Outage(area="越秀区", starts_at=1.7e9, ends_at=1.7e9 + 3600),  # not spoken (yet): times only
        ]

    bus = InProcessBus()
    svc = services(bus, None, tmp_path, self_service=SelfServiceHooks(outage_lookup=lookup))
    ch = await run(agi_server, svc, FakeChannel("10101#10"))  # 1: the next outage
    await bus.close()
    steps = [c[:3] for c in ch.commands if c[:2] in (["EXEC", "Playback"], ["SAY", "DATETIME"])]
    assert steps == [
        ["EXEC", "Playback", "hotline-notices/t/abc-0123"],
        ["SAY", "DATETIME", str(int(1.7e9 + 7200))],
        ["SAY", "DATETIME", str(int(1.7e9 + 3600))],
    ]


@pytest.fixture
async def book(tmp_path):
    url = f"sqlite:///{tmp_path}/notices.db"
    await db.migrate(url)
    engine = db.create_engine(url)
    sessions = db.sessionmaker(engine)
    async with sessions() as session:
        await seed_defaults(session)
        demo = await seed_demo(session, customers=0, notices=False)
        await session.commit()
    yield sessions, demo
    await engine.dispose()


async def publish(sessions, demo, **values):
    now = dt.datetime.now(dt.UTC)
    async with sessions() as session:
        notice = await publish_notice(
            session,
            demo.users["3001"],
            site_id=demo.sites["440106"].id,
            area=values.get("area", "天河区中山路一带（1-200号）"),
            reason=values.get("reason", "10kV线路计划检修"),
            affected_areas=[{"kind": "district", "name": "测试区", "code": CODE}],
            starts_at=values.get("starts_at", now - dt.timedelta(hours=1)),
            ends_at=now + dt.timedelta(hours=5),
        )
        await session.commit()
        return notice.notice_key


@needs_tts
async def test_the_ivr_hears_each_published_version_and_nothing_of_a_withdrawn_one(book, tmp_path):
    sessions, demo = book
    clock = Clock()
    voices = NoticeVoices(tmp_path, installation="t", grace=60, clock=clock)
    hooks = ticketing_hooks(sessions, voices)
    source = published_notices(sessions)
    key = await publish(sessions, demo)
    # published: the IVR says the times until the upkeep's next pass has spoken the words
    (told,) = await hooks.outage_lookup(CODE)
    assert told.voice == ""
    await voices.sync(await source())
    (told,) = await hooks.outage_lookup(CODE)
    assert told.voice.startswith(f"hotline-notices/t/{key}-")
    assert (tmp_path / f"{told.voice}.wav").is_file()
    # revised: the new words once spoken, never the old ones
    async with sessions() as session:
        await change_notice(session, demo.users["3001"], key, remark="原因更正", reason="变压器故障抢修")
        await session.commit()
    (revised,) = await hooks.outage_lookup(CODE)
    assert revised.voice == ""
    await voices.sync(await source())
    (revised,) = await hooks.outage_lookup(CODE)
    assert revised.voice and revised.voice != told.voice
    # withdrawn: not told, and its files go
    async with sessions() as session:
        await delete_notice(session, demo.users["3001"], key, remark="发布有误")
        await session.commit()
    assert await hooks.outage_lookup(CODE) == []
    await voices.sync(await source())
    clock.now += 61
    await voices.sync(await source())
    assert list(voices.directory.glob("*.wav")) == []


@needs_tts
async def test_an_outage_ended_early_loses_its_voice(book, tmp_path):
    sessions, demo = book
    clock = Clock()
    voices = NoticeVoices(tmp_path, installation="t", grace=0, clock=clock)
    key = await publish(sessions, demo)
    await voices.sync(await published_notices(sessions)())
    assert len(list(voices.directory.glob(f"{key}-*.wav"))) == 1
    async with sessions() as session:
        await end_now(session, demo.users["3001"], key, {"remark": "已恢复送电"})
        await session.commit()
    await voices.sync(await published_notices(sessions)())
    assert list(voices.directory.glob("*.wav")) == []


async def test_publishing_does_not_wait_for_the_voice(book, tmp_path, monkeypatch):
    # Nothing on the publishing path speaks: a TTS that would hang or fail is never asked.
    sessions, demo = book

    def never(*_):
        raise AssertionError("the TTS ran while publishing")

    monkeypatch.setattr("ivr.notice_voice.espeak", never)
    monkeypatch.setattr("ivr.prompts.espeak", never)
    key = await publish(sessions, demo)
    (told,) = await ticketing_hooks(sessions, NoticeVoices(tmp_path)).outage_lookup(CODE)
    assert told.voice == "" and key


def test_the_setting(tmp_path):
    url = f"sqlite:///{tmp_path}/a.db"
    assert notice_voices("off", tmp_path, url) is None
    assert notice_voices("auto", tmp_path, url) is None  # no Asterisk sounds on this machine
    (tmp_path / "usr/share/asterisk/sounds").mkdir(parents=True)
    voices = notice_voices("auto", tmp_path, url)
    assert voices is not None and voices.sounds == tmp_path / "usr/share/asterisk/sounds"
    assert (voices.voice, voices.speed) == ("cmn-latn-pinyin", 150)  # deploy/prompts/zh.yaml's
    # two installations (databases) on one Asterisk keep apart
    other = notice_voices("auto", tmp_path, f"sqlite:///{tmp_path}/b.db")
    assert other.directory != voices.directory
    assert voices.speak is espeak


async def test_a_stopped_installations_files_go_after_a_day(tmp_path):
    words = [NoticeWords("abc123", "天河区", "检修")]
    demo = NoticeVoices(tmp_path, installation="demo", speak=lambda *_: None)
    gone = tmp_path / "hotline-notices" / "old-test"
    gone.mkdir(parents=True)
    (gone / ".lock").touch()
    (gone / "abc-0123456789abcdef.wav").touch()
    await demo.sync([])
    assert gone.exists()  # stopped a moment ago: kept
    long_ago = time.time() - 2 * 86400
    os.utime(gone / ".lock", (long_ago, long_ago))
    await demo.sync(words)
    assert not gone.exists()
    assert demo.directory.exists()


@needs_tts
async def test_the_ivr_role_keeps_the_published_notices_spoken(book, tmp_path, monkeypatch):
    from hotline import runtime
    from hotline.config import Settings

    sessions, demo = book
    sounds = tmp_path / "root/usr/share/asterisk/sounds"
    sounds.mkdir(parents=True)
    settings = Settings(
        asterisk_root=tmp_path / "root", database_url=f"sqlite+aiosqlite:///{tmp_path}/notices.db"
    )
    monkeypatch.setattr(runtime, "_ivr_services", lambda _s, _b, _sessions, voices=None: voices)
    key = await publish(sessions, demo)
    async with contextlib.AsyncExitStack() as stack:
        voices = await runtime._ivr_role_services(stack, settings, InProcessBus(), sessions)
        assert voices is not None
        for _ in range(100):
            if list(voices.directory.glob(f"{key}-*.wav")):
                break
            await asyncio.sleep(0.05)
        (spoken,) = voices.directory.glob(f"{key}-*.wav")
        assert spoken.parent.parent == sounds / "hotline-notices"
    off = dataclasses.replace(settings, notice_voices="off")
    async with contextlib.AsyncExitStack() as stack:
        assert await runtime._ivr_role_services(stack, off, InProcessBus(), sessions) is None
