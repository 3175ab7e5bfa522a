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
the composition root gives: ticketing's, read every ``interval`` seconds): each pass lists what is
there, removes the file of a notice that ended, was withdrawn or revised once it has not been
wanted for ``grace`` seconds (a caller who was just told of it may still be hearing it), and puts
the new or changed words in line (a file is one version of a notice's words, so nothing already
spoken is spoken again). The line is spoken beside the passes, one notice at a time (~0.2 s
each), in the source's order (soonest outage first), a notice a caller asked for (``sound_for``
found no file) in front: a start with hundreds of notices to speak holds neither the passes nor
the IVR, and the next caller for that area hears the words. Nothing here is on the publishing path: the console publishes,
revises, ends and withdraws as before, whether or not this runs, and a TTS that is missing or
fails is logged and tried again on a later pass. ``sound_for`` gives the IVR a notice's sound
only when its file is there, never waiting for one; without it the caller hears the times alone.

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
        self._pending: dict[str, str] = {}  # file name -> words: wanted, not spoken yet, in order
        self._asked: dict[str, bool] = {}  # pending names a caller asked for (sound_for): first
        self._ready = asyncio.Event()  # something is pending

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
            ready = (self.directory / name).is_file()
        except OSError:
            ready = False
        if not ready:
            # The caller hears the times now, never waiting for the TTS; the next one hears the
            # words: a notice asked for is spoken before the rest of the line.
            if name not in self._asked:  # (put in front once the next pass has its words)
                self._asked[name] = True
                self._ready.set()
            return ""
        return f"{DIRECTORY}/{self.installation}/{name[:-4]}"

    # -- keeping the directory in step -------------------------------------------------------
    async def sync(self, notices: Iterable[NoticeWords], *, speak_all: bool = True) -> None:
        """Bring the directory in step with ``notices``: the files no notice has wanted for
        ``grace`` removed, and what is not spoken yet put in line (``pending``). With
        ``speak_all`` the line is spoken before this returns (a one-off catch-up); ``run`` passes
        False and speaks it beside the passes, one notice at a time."""
        wanted: dict[str, str] = {}
        for n in notices:
            name = self.file_name(n.key, n.area, n.reason)
            if name:
                wanted[name] = spoken_text(n.area, n.reason)
        missing = await asyncio.to_thread(self._reconcile, wanted)
        # New or changed words only (a file is a version of a notice's words): in the order the
        # source gives them, the notices a caller asked for (sound_for) kept in front.
        self._asked = {name: True for name in self._asked if name in missing}
        self._pending = {**{name: missing[name] for name in self._asked}, **missing}
        if self._pending:
            self._ready.set()
        if speak_all:
            while await self.speak_next():
                pass

    def _reconcile(self, wanted: dict[str, str]) -> dict[str, str]:
        """Lists the directory and removes what is unwanted; the wanted files missing (name ->
        words). Fast whatever the number of notices: it speaks nothing."""
        self.directory.mkdir(parents=True, exist_ok=True)
        for path in (self.directory.parent, self.directory):
            with contextlib.suppress(OSError):
                path.chmod(0o755)  # Asterisk runs as its own user
        with _locked(self.directory):
            present = {p.name for p in self.directory.iterdir() if _FILE.match(p.name)}
            missing = {name: text for name, text in wanted.items() if name not in present}
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
        return missing

    @property
    def pending(self) -> list[str]:
        """The files wanted and not spoken yet, in the order they will be (asked-for first)."""
        return list(self._pending)

    async def speak_next(self) -> bool:
        """Speak the first notice in line (a thread: a TTS call is ~0.2 s); False when none is."""
        while self._pending:
            name = next((n for n in self._asked if n in self._pending), "") or next(iter(self._pending))
            text = self._pending.pop(name)
            self._asked.pop(name, None)
            if (self.directory / name).is_file():
                continue  # spoken meanwhile (another process of this installation)
            await asyncio.to_thread(self._make, name, text)
            return True
        self._ready.clear()
        return False

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
        """Every ``interval`` seconds: the notices published now put in line, the rest removed;
        beside it, the line spoken one notice at a time. A start with many notices to speak (a new
        installation, a new voice) neither holds the passes (a new or withdrawn notice is seen
        within ``interval``) nor keeps a notice a caller asks for waiting behind the others."""
        speaker = asyncio.get_running_loop().create_task(self._speak_forever(), name="notice-voices-tts")
        last = ""
        try:
            while True:
                try:
                    await self.sync(await source(), speak_all=False)
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
        finally:
            speaker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await speaker

    async def _speak_forever(self) -> None:
        while True:
            await self._ready.wait()
            try:
                await self.speak_next()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the directory gone meanwhile: the next pass makes it again
                log.warning("notice voices: speaking failed: %r", exc)
                self._ready.clear()


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Two processes of one installation (a restart overlapping) do not build the same files."""
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield
