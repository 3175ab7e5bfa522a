"""Automatic recording: link MixMonitor's file to the call, announce it when closed.

The dialplan MixMonitors every queue and outbound call into
``HOTLINE_REC_DIR/YYYYMMDD/<linkedid>.wav`` inside the Asterisk chroot, the
date being Asterisk's local date. So when ``MixMonitorStart`` arrives the
bridge knows the path without asking (``dialplan_path``; Asterisk's UTC offset
is read once per connection). When the call ends it waits for the file to be
closed (the WAV header's data size matches the file) and publishes
``RecordingReady`` with the path as seen from the host and the duration read
from the header. Only a file that is not where the rule says is searched for.
"""

from __future__ import annotations

import asyncio
import glob
import logging
import os
import re
import struct
import time
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
    with open(path, "rb") as fh:
        head = fh.read(4096)
    size = os.path.getsize(path)
    if len(head) < 44 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
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


def _info_and_size(path: str) -> tuple[float, bool, int]:
    duration, complete = wav_info(path)
    return duration, complete, os.path.getsize(path)


async def wait_closed(path: str, limit: float = 5.0, poll: float = 0.05) -> float | None:
    """Duration of the recording once Asterisk has closed it; None if it never appears.

    The file usually exists by the time the call has ended, so the first look finds it. When
    it never comes (no recording, or an Asterisk whose files this machine cannot see) the
    looks thin out (``poll`` doubling up to half a second): a handful per call, not a hundred.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    last_size, unchanged_since = -1, loop.time()
    duration = None
    while loop.time() < deadline:
        try:
            duration, complete, size = await asyncio.to_thread(_info_and_size, path)
        except OSError:  # not there (yet)
            await asyncio.sleep(poll)
            poll = min(poll * 2, 0.5)
            continue
        if complete:
            return duration
        # A header never finalised (Asterisk killed): accept a file that stopped growing.
        if size <= 0 or size != last_size:
            last_size, unchanged_since = size, loop.time()
        elif loop.time() - unchanged_since >= STABLE_SECONDS:
            return duration
        await asyncio.sleep(poll)
    return duration
