from __future__ import annotations

import math
import wave
from pathlib import Path

import pytest


def write_wav(
    path: Path,
    seconds: float = 1.0,
    rate: int = 8000,
    freq: float = 440.0,
    amplitude: float = 0.5,
    channels: int = 1,
    width: int = 2,
) -> Path:
    """A sine tone as Asterisk would write it (PCM), optionally stereo or another sample width."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = bytearray()
    for i in range(int(seconds * rate)):
        value = amplitude * math.sin(2 * math.pi * freq * i / rate)
        if width == 1:
            sample = bytes([int(value * 127) + 128])
        else:
            sample = int(value * (2 ** (8 * width - 1) - 1)).to_bytes(width, "little", signed=True)
        frames += sample * channels
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(bytes(frames))
    return path


@pytest.fixture
def wav(tmp_path) -> Path:
    return write_wav(tmp_path / "call.wav")
