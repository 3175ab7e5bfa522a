"""Audio for the player: a format the browser plays, and waveform peaks.

Conversion to mp3/ogg goes through pydub, which needs ffmpeg. Without ffmpeg
the recording is still playable: Asterisk writes 8 kHz PCM WAV, which every
browser plays, and ``to_pcm_wav`` (pure Python, the ``wave`` module) rewrites
any PCM WAV as 16-bit mono so odd sample widths and stereo files play too.
Peaks come straight from the WAV samples, so the waveform never needs ffmpeg.

Everything here is blocking file work: call it through ``asyncio.to_thread``.
"""

from __future__ import annotations

import array
import shutil
import sys
import warnings
import wave
from pathlib import Path

FORMATS = {"mp3": "audio/mpeg", "ogg": "audio/ogg", "wav": "audio/wav"}
_CODECS = {"mp3": ("mp3", "libmp3lame"), "ogg": ("ogg", "libvorbis")}


class ConversionError(Exception):
    """The file cannot be converted (no ffmpeg for that format, or not audio we can read)."""

    def __init__(self, error_id: str, message: str) -> None:
        self.error_id = error_id
        super().__init__(message)


def ffmpeg_available() -> bool:
    return shutil.which("ffmpeg") is not None or shutil.which("avconv") is not None


def convert(src: str | Path, fmt: str, dst: str | Path | None = None, bitrate: str = "32k") -> Path:
    """``src`` (WAV) converted to ``fmt`` (mp3, ogg or wav) at ``dst`` (default: beside ``src``)."""
    src = Path(src)
    if fmt not in FORMATS:
        raise ConversionError(
            "recordings.unknown_format", f"cannot convert to {fmt!r} (known: {', '.join(FORMATS)})"
        )
    dst = Path(dst) if dst is not None else src.with_suffix(f".{fmt}")
    if fmt == "wav":
        return to_pcm_wav(src, dst)
    if not ffmpeg_available():
        raise ConversionError(
            "recordings.no_ffmpeg", f"converting to {fmt} needs ffmpeg, which is not installed"
        )
    with warnings.catch_warnings():
        # Imported here: pydub warns at import when ffmpeg is missing, and about audioop.
        warnings.simplefilter("ignore")
        from pydub import AudioSegment

    try:
        segment = AudioSegment.from_file(src)
        container, codec = _CODECS[fmt]
        tmp = dst.with_name(dst.name + ".part")
        segment.export(tmp, format=container, codec=codec, bitrate=bitrate)
        tmp.replace(dst)  # a half-written file is never served
    except Exception as exc:
        raise ConversionError("recordings.conversion_failed", f"cannot convert {src.name}: {exc}") from exc
    return dst


def playable(
    src: str | Path, cache_dir: str | Path, prefer: tuple[str, ...] = ("mp3", "ogg")
) -> tuple[Path, str]:
    """A browser-playable version of ``src`` (cached in ``cache_dir``) and its content type.

    mp3/ogg when ffmpeg is there (smaller), else a PCM WAV made in pure Python.
    """
    src = Path(src)
    cache = Path(cache_dir)
    cache.mkdir(parents=True, exist_ok=True)
    for fmt in (*prefer, "wav") if ffmpeg_available() else ("wav",):
        dst = cache / f"{src.stem}.{fmt}"
        if dst.exists() and dst.stat().st_mtime >= src.stat().st_mtime:
            return dst, FORMATS[fmt]
        try:
            return convert(src, fmt, dst), FORMATS[fmt]
        except ConversionError:
            if fmt == "wav":
                raise
    raise AssertionError("unreachable")


def _read_pcm(src: Path) -> tuple[array.array, int]:
    """Mono 16-bit samples and the frame rate of a PCM WAV file."""
    try:
        with wave.open(str(src), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise ConversionError("recordings.not_pcm_wav", f"{src.name} is not a PCM WAV file: {exc}") from exc
    except OSError as exc:
        raise ConversionError("recordings.unreadable", f"cannot read {src.name}: {exc}") from exc
    samples = _to_int16(raw, width)
    if channels > 1:
        frames = len(samples) // channels
        samples = array.array(
            "h", (sum(samples[i * channels + c] for c in range(channels)) // channels for i in range(frames))
        )
    return samples, rate


def _to_int16(raw: bytes, width: int) -> array.array:
    if width == 2:
        out = array.array("h")
        out.frombytes(raw[: len(raw) - len(raw) % 2])
        if sys.byteorder == "big":
            out.byteswap()
        return out
    if width == 1:  # unsigned 8-bit
        return array.array("h", ((b - 128) << 8 for b in raw))
    if width in (3, 4):
        step = width
        return array.array(
            "h",
            (
                int.from_bytes(raw[i + step - 2 : i + step], "little", signed=True)
                for i in range(0, len(raw) - step + 1, step)
            ),
        )
    raise ConversionError("recordings.not_pcm_wav", f"unsupported sample width {width}")


def to_pcm_wav(src: str | Path, dst: str | Path) -> Path:
    """Rewrite a PCM WAV as 16-bit mono at its own rate (pure Python)."""
    samples, rate = _read_pcm(Path(src))
    dst = Path(dst)
    tmp = dst.with_name(dst.name + ".part")
    if sys.byteorder == "big":
        samples.byteswap()
    with wave.open(str(tmp), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    tmp.replace(dst)
    return dst


def duration(src: str | Path) -> float:
    with wave.open(str(src), "rb") as wav:
        return wav.getnframes() / float(wav.getframerate())


def peaks(src: str | Path, buckets: int = 800) -> list[float]:
    """The waveform for a player: ``buckets`` values in 0..1, the loudest sample of each slice."""
    if buckets < 1:
        raise ValueError("buckets must be at least 1")
    samples, _ = _read_pcm(Path(src))
    if not samples:
        return [0.0] * buckets
    count = len(samples)
    out = []
    for i in range(buckets):
        lo, hi = i * count // buckets, max((i + 1) * count // buckets, i * count // buckets + 1)
        chunk = samples[lo:hi] if lo < count else samples[count - 1 :]
        out.append(round(max(max(chunk), -min(chunk)) / 32768, 4))
    return out
