"""Automatic recording: link MixMonitor's file to the call, announce it when closed.

The dialplan MixMonitors every queue and outbound call into
``HOTLINE_REC_DIR/YYYYMMDD/<linkedid>.wav`` inside the Asterisk chroot, the
date being Asterisk's local date. So when ``MixMonitorStart`` arrives the
bridge knows the path without asking (``dialplan_path``; Asterisk's UTC offset
is read once per connection). When the call ends it waits for the file to be
closed (the WAV header's data size matches the file) and publishes
``RecordingReady`` with the path as seen from the host and the duration read
from the header. Only a file that is not where the rule says is searched for.
``Recordings`` makes the looks at the disk, every call's together.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import logging
import os
import re
import struct
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

REC_DIR = "/var/spool/asterisk/monitor/hotline"

#: a recording whose header was never finalised counts as closed once it stopped growing this long
STABLE_SECONDS = 1.0


def host_path(root: str, path: str) -> str:
    """A path inside the chroot as the host sees it."""
    if not root or not path.startswith("/") or path.startswith(root.rstrip("/") + "/"):
        return path
    return root.rstrip("/") + path


def dialplan_path(call_id: str, at: float, utc_offset: float, rec_dir: str = REC_DIR) -> str:
    """The chroot path the dialplan gives the recording of ``call_id`` started at ``at`` (Unix time)."""
    day = time.strftime("%Y%m%d", time.gmtime(at + utc_offset))
    return f"{rec_dir}/{day}/{call_id}.wav"


def local_utc_offset() -> float:
    """This host's offset from UTC now, in seconds (Asterisk's until it has told us its own)."""
    return float(time.localtime().tm_gmtoff)


_OFFSET = re.compile(r"^([+-])(\d\d)(\d\d)$")


def parse_utc_offset(text: str) -> float | None:
    """``strftime``'s ``%z`` ("+0800") in seconds; None if it is not one."""
    match = _OFFSET.match(text.strip())
    if match is None:
        return None
    seconds = int(match[2]) * 3600 + int(match[3]) * 60
    return float(-seconds if match[1] == "-" else seconds)


async def asterisk_utc_offset(ami: Any, fallback: float) -> float:
    """Asterisk's own UTC offset (its chroot may have another zone than this host), or ``fallback``."""
    from cti.ami import AmiError

    try:
        frame = await ami.action("Getvar", Variable="STRFTIME(,,%z)")
    except AmiError as exc:
        log.warning(
            "could not read Asterisk's time zone (%s); naming recordings by UTC%+.0f s", exc, fallback
        )
        return fallback
    offset = parse_utc_offset(frame.get("Value") or "")
    return fallback if offset is None else offset


def find_recording(root: str, call_id: str, rec_dir: str = REC_DIR) -> str:
    """The chroot path of a call's recording when MIXMONITOR_FILENAME was missed."""
    matches = sorted(glob.glob(host_path(root, f"{rec_dir}/*/{glob.escape(call_id)}.wav")))
    if not matches:
        return ""
    found = matches[-1]
    return found[len(root.rstrip("/")) :] if root else found


def wav_info(path: str) -> tuple[float, bool]:
    """(duration in seconds, header consistent with the file size) of a PCM WAV file.

    Asterisk writes the sizes into the header when it closes the file, so a
    consistent header means the recording is complete.
    """
    duration, complete, _size = _info_and_size(path)
    return duration, complete


def _info_and_size(path: str) -> tuple[float, bool, int]:
    # One open and one fstat: the bridge looks at every call's recording.
    with open(path, "rb") as fh:
        head = fh.read(4096)
        size = os.fstat(fh.fileno()).st_size
    return (*_header_info(head, size), size)


# The header MixMonitor writes: RIFF, WAVE, a 16-byte "fmt " chunk (byte rate at 28), then "data"
# (its length at 40). Read with one unpack: the chunk walk below costs about 150 bytecodes a call.
_PLAIN_WAV = struct.Struct("<4s4x4s4sI8xI4x4sI")
_PLAIN_WAV_END = _PLAIN_WAV.size  # 44: where its data begins


def _header_info(head: bytes, size: int) -> tuple[float, bool]:
    if len(head) < 44:
        return 0.0, False
    riff, wave, fmt, fmt_length, byte_rate, data, length = _PLAIN_WAV.unpack_from(head)
    if (
        riff == b"RIFF"
        and wave == b"WAVE"
        and fmt == b"fmt "
        and fmt_length == 16
        and data == b"data"
        and byte_rate
    ):
        complete = _PLAIN_WAV_END + length == size
        return (length if complete else size - _PLAIN_WAV_END) / byte_rate, complete
    return _walk_chunks(head, size)


def _walk_chunks(head: bytes, size: int) -> tuple[float, bool]:
    """``_header_info`` of any WAV header: its chunks walked until "data" (others before it, a
    "fmt " of another length)."""
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return 0.0, False
    byte_rate = 0
    pos = 12
    while pos + 8 <= len(head):
        chunk, length = head[pos : pos + 4], struct.unpack("<I", head[pos + 4 : pos + 8])[0]
        if chunk == b"fmt ":
            byte_rate = struct.unpack("<I", head[pos + 16 : pos + 20])[0]
        elif chunk == b"data":
            data_start = pos + 8
            if not byte_rate:
                return 0.0, False
            complete = data_start + length == size
            data = length if complete else size - data_start
            return data / byte_rate, complete
        pos += 8 + length + (length & 1)
    return 0.0, False


class Recordings:
    """Waits for Asterisk to close recordings, and searches for misplaced ones, all in one go.

    A look at the disk must not stall the event loop, so it runs in a worker
    thread. A thread hop costs about 30 µs of CPU, thirty times the look
    itself: with one hop per look per call, recordings that never appear (an
    Asterisk whose files this machine cannot see, or a replayed stream) took
    a large share of the bridge's CPU at a few hundred calls a second. So the
    looks that are due are gathered, and every ``tick`` one hop makes all of
    them. A recording is first looked at within one tick of being asked for.
    The waits are plain futures, so a caller can wait with a callback instead
    of a task of its own (the bridge waits for every call's recording).
    """

    def __init__(self, tick: float = 0.05) -> None:
        self.tick = tick
        self._looks: list[_Look] = []
        self._runner: asyncio.Task[None] | None = None

    def closed(self, path: str, limit: float = 5.0, poll: float = 0.05) -> asyncio.Future[float | None]:
        """Duration of the recording at ``path`` once Asterisk has closed it; None if it never appears.

        The file usually exists by the time the call has ended, so the first look finds it. When
        it never comes, the looks thin out (``poll`` doubling up to half a second): a handful
        within ``limit``, not a hundred.
        """
        now = asyncio.get_running_loop().time()
        return self._add(_Closed(path, now, now + limit, poll))

    def find(self, root: str, call_id: str) -> asyncio.Future[str]:
        """``find_recording``, made in the next round of looks."""
        return self._add(_Find(root, call_id))

    async def close(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
        for look in self._looks:
            look.future.cancel()
        self._looks = []

    def _add(self, look: _Look) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        look.future = loop.create_future()
        self._looks.append(look)
        if self._runner is None:
            self._runner = loop.create_task(self._run(), name="cti-recordings")
        return look.future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                now = loop.time()
                self._looks = [look for look in self._looks if not look.future.done()]  # cancelled waits go
                if not self._looks:
                    return
                due = [look for look in self._looks if look.due <= now]
                if due:
                    answers = await asyncio.to_thread(_look_all, [look.request for look in due])
                    now = loop.time()
                    for look, answer in zip(due, answers, strict=True):
                        if look.future.done():
                            continue
                        if isinstance(answer, Exception):
                            look.future.set_exception(answer)  # a garbled file: its waiter's failure alone
                        else:
                            look.seen(answer, now)
                await asyncio.sleep(self.tick)
        finally:
            if self._runner is asyncio.current_task():
                self._runner = None


_MISSING = object()  # a look that found no file (yet)


class _Look:
    future: asyncio.Future[Any]
    due = 0.0  # loop time of the next look

    def request(self) -> Any:
        raise NotImplementedError

    def seen(self, answer: Any, now: float) -> None:
        raise NotImplementedError


class _Find(_Look):
    def __init__(self, root: str, call_id: str) -> None:
        self.root, self.call_id = root, call_id

    def request(self) -> str:
        return find_recording(self.root, self.call_id)

    def seen(self, answer: Any, now: float) -> None:
        self.future.set_result("" if answer is _MISSING else answer)


class _Closed(_Look):
    def __init__(self, path: str, now: float, deadline: float, poll: float) -> None:
        self.path, self.due, self.deadline, self.poll = path, now, deadline, poll
        self.duration: float | None = None
        self.last_size, self.unchanged_since = -1, now

    def request(self) -> tuple[float, bool, int]:
        return _info_and_size(self.path)

    def seen(self, answer: Any, now: float) -> None:
        if answer is _MISSING:  # not there (yet): look less and less often
            poll, self.poll = self.poll, min(self.poll * 2, 0.5)
        else:
            poll = self.poll
            self.duration, complete, size = answer
            if complete:
                self.future.set_result(self.duration)
                return
            # A header never finalised (Asterisk killed): accept a file that stopped growing.
            if size <= 0 or size != self.last_size:
                self.last_size, self.unchanged_since = size, now
            elif now - self.unchanged_since >= STABLE_SECONDS:
                self.future.set_result(self.duration)
                return
        self.due = now + poll
        if self.due >= self.deadline:
            self.future.set_result(self.duration)


def _look_all(requests: list[Callable[[], Any]]) -> list[Any]:
    answers: list[Any] = []
    for request in requests:
        try:
            answers.append(request())
        except OSError:
            answers.append(_MISSING)
        except Exception as exc:
            # Without its traceback: the traceback's frame holds ``answers``, which would hold it,
            # a cycle per failure that only a full garbage collection frees.
            answers.append(exc.with_traceback(None))
    return answers
