"""Audio for the player: conversion (ffmpeg or pure-Python WAV) and waveform peaks."""

from __future__ import annotations

import shutil
import warnings
import wave

import pytest

from recordings import ConversionError, convert, peaks, playable, to_pcm_wav
from recordings import audio as audio_module

from .conftest import write_wav

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")


def test_peaks_follow_the_loudness(tmp_path):
    loud = write_wav(tmp_path / "loud.wav", amplitude=0.8)
    quiet = write_wav(tmp_path / "quiet.wav", amplitude=0.1)
    values = peaks(loud, buckets=50)
    assert len(values) == 50 and all(0.75 < v <= 0.81 for v in values)
    assert max(peaks(quiet, buckets=10)) < 0.11


def test_peaks_of_silence_and_of_a_file_shorter_than_the_buckets(tmp_path):
    silent = write_wav(tmp_path / "s.wav", amplitude=0.0)
    assert peaks(silent, 20) == [0.0] * 20
    tiny = write_wav(tmp_path / "t.wav", seconds=0.001)  # 8 samples
    assert len(peaks(tiny, 100)) == 100


@pytest.mark.parametrize(("channels", "width"), [(2, 2), (1, 1), (1, 3), (1, 4)])
def test_peaks_and_pcm_rewrite_for_other_layouts(tmp_path, channels, width):
    src = write_wav(tmp_path / "x.wav", amplitude=0.5, channels=channels, width=width)
    assert 0.45 < max(peaks(src, 10)) < 0.52
    out = to_pcm_wav(src, tmp_path / "out.wav")
    with wave.open(str(out)) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()) == (1, 2, 8000, 8000)


def test_not_a_wav_is_a_named_error(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF nonsense")
    with pytest.raises(ConversionError) as info:
        peaks(bad)
    assert info.value.error_id == "recordings.not_pcm_wav"
    with pytest.raises(ConversionError) as info:
        convert(bad, "flac")
    assert info.value.error_id == "recordings.unknown_format"


def test_without_ffmpeg_playback_falls_back_to_wav(tmp_path, wav, monkeypatch):
    monkeypatch.setattr(audio_module, "ffmpeg_available", lambda: False)
    with pytest.raises(ConversionError) as info:
        convert(wav, "mp3")
    assert info.value.error_id == "recordings.no_ffmpeg"
    path, kind = playable(wav, tmp_path / "cache")
    assert kind == "audio/wav" and path.suffix == ".wav"
    with wave.open(str(path)) as w:
        assert w.getnframes() == 8000


@needs_ffmpeg
@pytest.mark.parametrize("fmt", ["mp3", "ogg"])
def test_ffmpeg_conversion(tmp_path, wav, fmt):
    out = convert(wav, fmt, tmp_path / f"out.{fmt}")
    head = out.read_bytes()[:4]
    if fmt == "mp3":
        assert head[:3] == b"ID3" or head[:2] == b"\xff\xfb"
    else:
        assert head == b"OggS"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pydub import AudioSegment
    assert abs(len(AudioSegment.from_file(out)) - 1000) < 150  # milliseconds


@needs_ffmpeg
def test_playable_prefers_mp3_and_caches(tmp_path, wav):
    path, kind = playable(wav, tmp_path / "cache")
    assert kind == "audio/mpeg" and path.suffix == ".mp3"
    mtime = path.stat().st_mtime_ns
    again, _ = playable(wav, tmp_path / "cache")
    assert again == path and again.stat().st_mtime_ns == mtime
