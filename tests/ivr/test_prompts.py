"""The prompt catalogue and its installation into Asterisk's sounds tree (ivr/prompts.py)."""

from __future__ import annotations

import math
import re
import shutil
import struct
import subprocess
import wave
from pathlib import Path

import pytest

from ivr import prompts
from ivr.prompts import (
    STAMP,
    PromptCatalogueError,
    PromptInstallError,
    install,
    load_catalogue,
    parse_catalogue,
)

REPO = Path(__file__).resolve().parents[2]
ZH = REPO / "deploy" / "prompts" / "zh.yaml"

needs_ffmpeg = pytest.mark.skipif(
    shutil.which("ffmpeg") is None, reason="needs ffmpeg (deploy/system-deps.sh)"
)


def tone_wav(path: Path, seconds: float, rate: int = 22050, hz: float = 440.0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / rate)))
        for i in range(int(seconds * rate))
    )
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)


class FakeTts:
    """Speaks every text as a tone 0.1 s per character, and counts what it was asked."""

    def __init__(self) -> None:
        self.spoken: list[str] = []

    def __call__(self, text: str, voice: str, speed: int, out: Path) -> None:
        self.spoken.append(text)
        tone_wav(out, 0.1 * len(text))


def wav_info(path: Path) -> tuple[int, int, int, float]:
    with wave.open(str(path), "rb") as w:
        return w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes() / w.getframerate()


def catalogue(**prompts_: str):
    return parse_catalogue({"language": "zh", "voice": "cmn-latn-pinyin", "prompts": prompts_})


# -- the catalogue ------------------------------------------------------------------


def test_the_shipped_catalogue_loads():
    cat = load_catalogue(ZH)
    assert (cat.language, cat.voice) == ("zh", "cmn-latn-pinyin")
    assert cat.prompts["hotline/welcome"].startswith("您好，欢迎致电九五五九八")


def test_the_catalogue_has_every_digit_file_chinese_say_needs():
    """What say.c plays for SayNumber/SayDigits (ast_say_number_full_zh) and the
    Chinese date format (ast_say_date_with_format_zh, 'BdAp IM')."""
    names = set(load_catalogue(ZH).prompts)
    numbers = {f"digits/{n}" for n in [*range(10), *range(10, 100, 10)]}
    numbers |= {"digits/hundred", "digits/thousand", "digits/wan", "digits/yi", "digits/minus"}
    dates = {f"digits/mon-{m}" for m in range(12)} | {f"digits/day-{d}" for d in range(7)}
    dates |= {f"digits/{h}" for h in range(1, 13)}
    dates |= {"digits/day", "digits/a-m", "digits/p-m", "digits/oclock", "digits/minute"}
    assert (numbers | dates) - names == set()


def test_the_catalogue_has_what_the_queues_and_the_dialplan_play():
    names = set(load_catalogue(ZH).prompts)
    etc = REPO / "deploy" / "asterisk" / "etc"
    queue_sounds = {
        "queue-thereare",
        "queue-callswaiting",
        "queue-youarenext",
        "queue-holdtime",
        "queue-minute",
        "queue-minutes",
        "queue-seconds",
        "queue-thankyou",
        "queue-less-than",
    }
    queue_sounds |= set(
        re.findall(r"^periodic-announce\s*=\s*(\S+)", (etc / "queues.conf").read_text(), re.M)
    )
    played = {
        sound
        for sounds in re.findall(r"Playback\(([^),]+)", (etc / "extensions.conf").read_text())
        for sound in sounds.split("&")  # Playback(a&b) plays a then b
    }
    assert "hotline/queue-callback" in queue_sounds
    assert (queue_sounds | played) - names == set()


def test_a_bad_catalogue_names_every_problem():
    raw = {
        "language": "Mandarin Chinese",
        "voice": "",
        "speed": 5,
        "colour": "red",
        "prompts": {"../etc/passwd": "x", "hotline/welcome.wav": "x", "hotline/ok": "", "digits/1": 1},
    }
    with pytest.raises(PromptCatalogueError) as info:
        parse_catalogue(raw, "zh.yaml")
    assert [(p.error_id, p.where) for p in info.value.problems] == [
        ("prompts.unknown_field", "file.colour"),
        ("prompts.bad_value", "language"),
        ("prompts.bad_value", "voice"),
        ("prompts.bad_value", "speed"),
        ("prompts.bad_name", "prompts.../etc/passwd"),
        ("prompts.bad_name", "prompts.hotline/welcome.wav"),
        ("prompts.bad_value", "prompts.hotline/ok"),
        ("prompts.bad_value", "prompts.digits/1"),
    ]
    assert "zh.yaml: 8 problem(s)" in str(info.value)


def test_a_broken_file_and_a_duplicate_name_are_reported(tmp_path):
    path = tmp_path / "zh.yaml"
    path.write_text("language: zh\nvoice: cmn\nprompts:\n  a: 一\n  a: 二\n", encoding="utf-8")
    with pytest.raises(PromptCatalogueError) as info:
        load_catalogue(path)
    assert info.value.error_ids == ["prompts.yaml_invalid"]
    assert "duplicate key 'a'" in str(info.value)
    with pytest.raises(PromptCatalogueError) as info:
        load_catalogue(tmp_path / "missing.yaml")
    assert info.value.error_ids == ["prompts.unreadable"]


def test_the_command_reports_a_bad_catalogue_and_fails(tmp_path, capsys):
    path = tmp_path / "zh.yaml"
    path.write_text("language: zh\nvoice: cmn\nprompts: {'/abs': x}\n", encoding="utf-8")
    assert prompts.main(["install", "--sounds", str(tmp_path / "s"), "--catalogue", str(path)]) == 2
    err = capsys.readouterr().err
    assert "prompts.bad_name at prompts./abs" in err
    assert not (tmp_path / "s" / "zh").exists()


# -- installing ------------------------------------------------------------------


@needs_ffmpeg
def test_install_writes_telephone_wavs_and_a_stamp_then_does_nothing_again(tmp_path):
    tts = FakeTts()
    cat = catalogue(**{"hotline/welcome": "您好", "digits/10": "十"})
    first = install(cat, tmp_path, None, speak=tts)
    assert first.changed and first.synthesised == 2
    welcome = tmp_path / "zh" / "hotline" / "welcome.wav"
    rate, channels, width, seconds = wav_info(welcome)
    assert (rate, channels, width) == (8000, 1, 2)
    assert seconds == pytest.approx(0.2, abs=0.01)
    assert (tmp_path / "zh" / "digits" / "10.wav").exists()
    assert (tmp_path / "zh" / STAMP).read_text().strip() == prompts.fingerprint(cat, {})
    assert welcome.stat().st_mode & 0o777 == 0o644  # readable by the asterisk user

    before = welcome.stat().st_mtime_ns
    again = install(cat, tmp_path, None, speak=tts)
    assert not again.changed
    assert sorted(tts.spoken) == sorted(["十", "您好"])  # nothing spoken the second time
    assert welcome.stat().st_mtime_ns == before


@needs_ffmpeg
def test_a_changed_catalogue_is_rebuilt_whole(tmp_path):
    tts = FakeTts()
    install(catalogue(**{"hotline/welcome": "您好", "hotline/old": "旧"}), tmp_path, None, speak=tts)
    changed = install(catalogue(**{"hotline/welcome": "您好，欢迎"}), tmp_path, None, speak=tts)
    assert changed.changed
    assert wav_info(tmp_path / "zh" / "hotline" / "welcome.wav")[3] == pytest.approx(0.5, abs=0.01)
    assert not (tmp_path / "zh" / "hotline" / "old.wav").exists()  # no stale prompt left behind
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".zh")) == []  # no staging left


@needs_ffmpeg
def test_a_site_recording_wins_over_the_spoken_text(tmp_path):
    sounds, recorded = tmp_path / "sounds", tmp_path / "recorded"
    tts = FakeTts()
    cat = catalogue(**{"hotline/welcome": "您好", "hotline/goodbye": "再见"})
    install(cat, sounds, recorded, speak=tts)
    tone_wav(recorded / "zh" / "hotline" / "welcome.wav", 1.5, rate=16000)  # a real recording
    tone_wav(recorded / "zh" / "hotline" / "extra.wav", 0.3, rate=8000)  # a prompt the catalogue lacks
    result = install(cat, sounds, recorded, speak=tts)
    assert (result.changed, result.synthesised, result.recorded) == (True, 1, 2)
    assert wav_info(sounds / "zh" / "hotline" / "welcome.wav") == (8000, 1, 2, pytest.approx(1.5, abs=0.01))
    assert wav_info(sounds / "zh" / "hotline" / "extra.wav")[3] == pytest.approx(0.3, abs=0.01)
    assert "您好" not in tts.spoken[2:]
    # A re-recorded file (same name, new sound) is picked up too.
    tone_wav(recorded / "zh" / "hotline" / "welcome.wav", 2.0, rate=16000)
    assert install(cat, sounds, recorded, speak=tts).changed
    assert wav_info(sounds / "zh" / "hotline" / "welcome.wav")[3] == pytest.approx(2.0, abs=0.01)


def test_two_recordings_of_one_prompt_are_refused(tmp_path):
    for name in ("welcome.wav", "welcome.mp3"):
        (tmp_path / "zh" / "hotline").mkdir(parents=True, exist_ok=True)
        (tmp_path / "zh" / "hotline" / name).write_bytes(b"x")
    with pytest.raises(PromptInstallError, match="two recordings for 'hotline/welcome'"):
        prompts.recordings(tmp_path, "zh")


def test_a_missing_tts_is_a_clear_error_and_keeps_the_old_prompts(tmp_path, monkeypatch):
    (tmp_path / "zh").mkdir()
    (tmp_path / "zh" / "kept.wav").write_bytes(b"old")
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    with pytest.raises(PromptInstallError, match="espeak-ng is not installed; run deploy/system-deps.sh"):
        install(catalogue(**{"hotline/welcome": "您好"}), tmp_path, None)
    assert (tmp_path / "zh" / "kept.wav").read_bytes() == b"old"


@pytest.mark.skipif(
    shutil.which("espeak-ng") is None or shutil.which("ffmpeg") is None, reason="needs espeak-ng"
)
def test_espeak_speaks_the_catalogue_in_mandarin_into_a_telephone_wav(tmp_path):
    cat = load_catalogue(ZH)
    text = cat.prompts["hotline/welcome"]
    # The plain "cmn" voice of espeak-ng 1.51 turns 您好 into pinyin and reads that
    # as English ("nin two hao three"): its phonemes switch to (en).
    phonemes = subprocess.run(
        ["espeak-ng", "-v", cat.voice, "-q", "-x", text], capture_output=True, text=True, check=True
    ).stdout
    assert phonemes.strip() and "(en)" not in phonemes
    install(catalogue(**{"hotline/welcome": text}), tmp_path, None)
    rate, channels, width, seconds = wav_info(tmp_path / "zh" / "hotline" / "welcome.wav")
    assert (rate, channels, width) == (8000, 1, 2)
    assert 2 < seconds < 10
