"""Outage notices spoken: each published notice's 停电范围 and 停电原因 as a sound the IVR plays.

An outage's area and reason are free text typed in the console, so no prompt catalogue holds
them. The same offline TTS as the prompts (``ivr.prompts``: espeak-ng, the zh catalogue's voice
and speed, ffmpeg to 8 kHz mono WAV) speaks them into Asterisk's sounds tree, one file per
notice and text::

    <sounds>/hotline-notices/<installation>/<notice key>-<hash of what is said>.wav

played as ``hotline-notices/<installation>/<key>-<hash>`` (a sound with no language directory:
Asterisk finds it whatever the channel's language). The hash is of the words and the voice,
so a revision that changes the area or the reason is a new file and a caller never hears the
words of an older version; a revision of the times only keeps the file.

``NoticeVoices.run`` keeps the directory in step with the notices published now (the source
the composition root gives: ticketing's, read every ``interval`` seconds): a new or revised
notice is spoken within that, and the file of a notice that ended, was withdrawn or revised is
removed once it has not been wanted for ``grace`` seconds (a caller who was just told of it
may still be hearing it). Nothing here is on the publishing path: the console publishes,
revises, ends and withdraws as before, whether or not this runs, and a TTS that is missing or
fails is logged and tried again on a later pass. ``sound_for`` gives the IVR a notice's sound
only when its file is there; without one the caller hears the times alone.

It needs Asterisk's sounds directory on this machine: the single-host layout (our chroot), or
the directory mounted at the same place under ``asterisk_root``. Each installation (database)
has its own directory, so two installations using one Asterisk (a demo beside the tests) never
remove each other's files; the folder of one whose upkeep has not run for a day is removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import fcntl
import hashlib
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from pathlib import Path

from ivr.prompts import PromptInstallError, Speak, espeak, to_telephone_wav

log = logging.getLogger(__name__)

DIRECTORY = "hotline-notices"
# Bump when the produced files change for the same words (format, tool options, wording).
GENERATOR_VERSION = "1"
_KEY = re.compile(r"^[0-9A-Za-z]{1,64}$")
_FILE = re.compile(r"^([0-9A-Za-z]{1,64})-([0-9a-f]{16})\.wav$")
# "1-200号", "3～5 栋": a range is read 一至二百号, not 一 二百号.
_RANGE = re.compile(r"(\d)\s*[-–—~～]\s*(\d)")
_MOST_CHARACTERS = 400  # a long 停电范围 is cut: the caller hears the start, the times follow
# An installation whose upkeep has not run for this long is gone (a test's database, a demo
# not started since): its folder is removed by the others' upkeep.
STALE_SECONDS = 86400.0


@dataclasses.dataclass(frozen=True)
class NoticeWords:
    """What one published notice says: its key, its 停电范围 and its 停电原因."""

    key: str
    area: str
    reason: str = ""


Source = Callable[[], Awaitable[Iterable[NoticeWords]]]


def spoken_text(area: str, reason: str = "") -> str:
    """The sentence said for a notice: 停电范围：…。停电原因：…。 ('' if there is nothing to say)."""
    area = " ".join(area.split())
    reason = " ".join(reason.split())
    parts = []
    if area:
        parts.append(f"停电范围：{area.rstrip('。.')}。")
    if reason:
        parts.append(f"停电原因：{reason.rstrip('。.')}。")
    text = _RANGE.sub(r"\1至\2", "".join(parts))
    return text[:_MOST_CHARACTERS]


class NoticeVoices:
    """The spoken notices of one installation in Asterisk's sounds tree (``sounds``)."""

    def __init__(
        self,
        sounds: Path,
        *,
        installation: str = "default",
        voice: str = "cmn-latn-pinyin",
        speed: int = 150,
        speak: Speak = espeak,
        grace: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sounds = Path(sounds)
        self.installation = re.sub(r"[^0-9A-Za-z_-]", "_", installation) or "default"
        self.directory = self.sounds / DIRECTORY / self.installation
        self.voice = voice
        self.speed = speed
        self.speak = speak
        self.grace = grace
        self.clock = clock
        self._unwanted_since: dict[str, float] = {}
        self._failed: dict[str, str] = {}  # file name -> the error, logged once

    # -- names -------------------------------------------------------------------------------
    def _digest(self, text: str) -> str:
        head = f"{GENERATOR_VERSION}\0{self.voice}\0{self.speed}\0"
        return hashlib.sha256((head + text).encode()).hexdigest()[:16]

    def file_name(self, key: str, area: str, reason: str = "") -> str:
        """``<key>-<hash>.wav``, or '' when there is nothing to say or the key is no plain key."""
        text = spoken_text(area, reason)
        if not text or not _KEY.match(key):
            return ""
        return f"{key}-{self._digest(text)}.wav"

    def sound_for(self, key: str, area: str, reason: str = "") -> str:
        """The sound saying this version's area and reason, if it has been spoken; else ''."""
        name = self.file_name(key, area, reason)
        if not name:
            return ""
        try:
            if not (self.directory / name).is_file():
                return ""
        except OSError:
            return ""
        return f"{DIRECTORY}/{self.installation}/{name[:-4]}"

    # -- keeping the directory in step -------------------------------------------------------
    async def sync(self, notices: Iterable[NoticeWords]) -> None:
        """Speak the notices not spoken yet; remove the files no notice has wanted for ``grace``."""
        wanted = {}
        for n in notices:
            name = self.file_name(n.key, n.area, n.reason)
            if name:
                wanted[name] = spoken_text(n.area, n.reason)
        await asyncio.to_thread(self._sync, wanted)

    def _sync(self, wanted: dict[str, str]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        for path in (self.directory.parent, self.directory):
            with contextlib.suppress(OSError):
                path.chmod(0o755)  # Asterisk runs as its own user
        with _locked(self.directory):
            present = {p.name for p in self.directory.iterdir() if _FILE.match(p.name)}
            for name, text in wanted.items():
                if name not in present:
                    self._make(name, text)
            now = self.clock()
            for name in present - set(wanted):
                since = self._unwanted_since.setdefault(name, now)
                if now - since >= self.grace:
                    with contextlib.suppress(FileNotFoundError):
                        (self.directory / name).unlink()
                    self._unwanted_since.pop(name, None)
                    log.info("notice voice %s removed (the notice ended, was revised or withdrawn)", name)
            for name in list(self._unwanted_since):
                if name in wanted or name not in present:
                    del self._unwanted_since[name]
        self._forget_stale_installations()

    def _forget_stale_installations(self) -> None:
        """Remove the folders of installations whose upkeep stopped a day ago or more (each pass
        rewrites its own ``.lock``)."""
        limit = time.time() - STALE_SECONDS
        for other in self.directory.parent.iterdir():
            if other == self.directory or not other.is_dir():
                continue
            try:
                stale = (other / ".lock").stat().st_mtime < limit
            except FileNotFoundError:
                stale = other.stat().st_mtime < limit
            except OSError:
                continue
            if stale:
                shutil.rmtree(other, ignore_errors=True)
                log.info("notice voices of a stopped installation removed: %s", other)

    def _make(self, name: str, text: str) -> None:
        try:
            with tempfile.TemporaryDirectory(prefix=".tts-", dir=self.directory) as tmp:
                raw, out = Path(tmp) / "tts.wav", Path(tmp) / name
                self.speak(text, self.voice, self.speed, raw)
                to_telephone_wav(raw, out)
                out.chmod(0o644)
                os.replace(out, self.directory / name)  # whole or not at all: never half a file played
        except (PromptInstallError, OSError) as exc:
            if self._failed.get(name) != str(exc):
                log.warning("notice voice %s not spoken (the IVR says the times only): %s", name, exc)
            self._failed[name] = str(exc)
            return
        self._failed.pop(name, None)
        log.info("notice voice %s spoken", name)

    async def run(self, source: Source, interval: float = 5.0) -> None:
        """Every ``interval`` seconds: the notices published now, spoken; the rest removed."""
        last = ""
        while True:
            try:
                await self.sync(await source())
                last = ""
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a database or disk hiccup (no right to write?): tried again
                if repr(exc) != last:  # said once, not every pass
                    log.warning(
                        "notice voices: pass failed, the IVR says the times only: %r", exc, exc_info=True
                    )
                last = repr(exc)
            await asyncio.sleep(interval)


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Two processes of one installation (a restart overlapping) do not build the same files."""
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
