"""Where call recordings, voicemail and faxes live, by call id.

Asterisk writes files under paths it sees (``/var/spool/asterisk/monitor/hotline/
YYYYMMDD/<call id>.wav``); when it runs in a chroot (the development setup,
the Asterisk root of the product's settings) the same file is at root + that path on this
machine. ``RecordingStore`` does that mapping in one place and finds a call's
files by id. Day directories follow Asterisk's clock (UTC in the chroot).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import wave
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from cti.call_events import system_name_of

KINDS = {
    "recording": "/var/spool/asterisk/monitor/hotline",
    "voicemail": "/var/spool/asterisk/voicemail/hotline",
    "fax": "/var/spool/asterisk/fax/hotline",
    # faxes we send, named by their notification id (recordings/fax_out.py)
    "fax_out": "/var/spool/asterisk/fax/hotline-out",
}
EXTENSIONS = {"recording": ".wav", "voicemail": ".wav", "fax": ".tif", "fax_out": ".tif"}


class UnsafePath(ValueError):
    """A path or call id that would leave the store's directories."""


@dataclasses.dataclass(frozen=True)
class StoredFile:
    kind: str
    call_id: str
    path: Path  # on this machine
    size: int
    mtime: float


class RecordingStore:
    def __init__(self, asterisk_root: str | os.PathLike, dirs: dict[str, str] | None = None) -> None:
        # "" means no chroot: Asterisk's paths are this machine's paths.
        self.asterisk_root = Path(asterisk_root) if asterisk_root else Path("/")
        self.dirs = {**KINDS, **(dirs or {})}

    def host_path(self, asterisk_path: str | os.PathLike) -> Path:
        """The file Asterisk calls ``asterisk_path``, as this machine sees it. A path already
        under the root (or relative) is returned as is."""
        path = Path(asterisk_path)
        if self.asterisk_root == Path("/") or not path.is_absolute():
            return path
        if path.is_relative_to(self.asterisk_root):
            return path
        return self.asterisk_root / path.relative_to("/")

    def asterisk_path(self, kind: str, call_id: str, day: dt.date | None = None, suffix: str = "") -> str:
        """The path Asterisk should write a ``kind`` file for ``call_id`` to."""
        _check_id(call_id + suffix)
        day = day or dt.datetime.now(dt.UTC).date()
        name = f"{call_id}{suffix}{EXTENSIONS[kind]}"
        return str(PurePosixPath(self.dirs[kind]) / day.strftime("%Y%m%d") / name)

    def kind_dir(self, kind: str) -> Path:
        return self.host_path(self.dirs[kind])

    def files(self, kind: str) -> Iterator[StoredFile]:
        """Every file of ``kind`` (day directories), oldest day first."""
        base = self.kind_dir(kind)
        if not base.is_dir():
            return
        for day_dir in sorted(p for p in base.iterdir() if p.is_dir()):
            for path in sorted(day_dir.iterdir()):
                if path.is_file():
                    stat = path.stat()
                    yield StoredFile(kind, call_id_of(path.stem), path, stat.st_size, stat.st_mtime)

    def find(self, call_id: str, kind: str = "recording") -> list[Path]:
        """A call's files of ``kind`` (several for per-leg or fault-report files) that hold
        something: a WAV of its header alone (a call given up in the queue, which MixMonitor
        never heard) is no recording to play. Such a file stays on disk until retention
        deletes it with the others of its age (``files`` lists it)."""
        _check_id(call_id)
        base = self.kind_dir(kind)
        if not base.is_dir():
            return []
        return sorted(p for p in base.glob(f"*/{call_id}*") if p.is_file() and not _no_audio(p))

    def resolve(self, path: str | os.PathLike) -> Path:
        """A host path for ``path`` that is guaranteed to be inside one of the store's directories."""
        host = self.host_path(path).resolve()
        for kind in self.dirs:
            if host.is_relative_to(self.kind_dir(kind).resolve()):
                return host
        raise UnsafePath(f"{path} is outside the recording directories")

    def wav_duration(self, path: str | os.PathLike) -> float | None:
        """Seconds of audio in a WAV file, or None when it is missing or not a WAV."""
        try:
            with wave.open(str(self.host_path(path)), "rb") as wav:
                return wav.getnframes() / float(wav.getframerate())
        except (OSError, wave.Error, EOFError):
            return None


class ServerUnreachable(LookupError):
    """A call's files are on an Asterisk server whose directories this process cannot read (its
    ``asterisk_root`` in ``asterisk_servers`` is not mounted or synced here)."""

    def __init__(self, server: str, root: Path) -> None:
        super().__init__(f"the files of Asterisk server {server} are not reachable here ({root})")
        self.server = server
        self.root = root


class ServerStores:
    """The files of several Asterisk servers (``asterisk_servers``), each under its own root as
    this machine sees it (a mount or a synced copy of that server's directories): a call's
    recording, voicemail or fax is looked for on the server that had the call, named by its
    call id's systemname (``<systemname>-<epoch>.<n>``; an id without one: the server that has
    no systemname, else ``default_server``). Anything else (faxes sent, paths of files written
    here) is ``default``'s, the platform's own root; ``files`` lists every reachable server's."""

    def __init__(
        self,
        servers: list[tuple[str, str, RecordingStore]],
        default: RecordingStore,
        default_server: str = "",
    ) -> None:
        #: (server name, its systemname, its store), as configured
        self.servers = list(servers)
        self.default = default
        self._by_system_name = {system_name: (name, store) for name, system_name, store in servers}
        self._fallback = next(((n, st) for n, _, st in servers if n == default_server), ("", default))

    def __getattr__(self, name: str):
        return getattr(self.default, name)

    def server_of(self, call_id: str) -> tuple[str, RecordingStore]:
        """The server (name and store) whose files a call's are."""
        return self._by_system_name.get(system_name_of(call_id), self._fallback)

    def find(self, call_id: str, kind: str = "recording") -> list[Path]:
        """``RecordingStore.find`` on the call's server; ``ServerUnreachable`` when its root is
        not there (not mounted): no file could be told missing or present."""
        _check_id(call_id)
        name, store = self.server_of(call_id)
        if not store.asterisk_root.is_dir():
            raise ServerUnreachable(name, store.asterisk_root)
        return store.find(call_id, kind)

    def stores(self) -> list[tuple[str, RecordingStore]]:
        """Each root once (``default``'s first, named ""), with the server it is of."""
        out: dict[Path, tuple[str, RecordingStore]] = {self.default.asterisk_root: ("", self.default)}
        for name, _, store in self.servers:
            out.setdefault(store.asterisk_root, (name, store))
        return list(out.values())

    def files(self, kind: str) -> Iterator[StoredFile]:
        """Every reachable server's files of ``kind`` (retention); an unmounted one's are skipped."""
        for _, store in self.stores():
            if store.asterisk_root.is_dir():
                yield from store.files(kind)


#: a canonical WAV header, all Asterisk writes before the first sample
WAV_HEADER_BYTES = 44


def _no_audio(path: Path) -> bool:
    """A WAV header saying 0 frames with nothing after it. The size first: a file Asterisk is
    still writing says 0 frames too, and only the rare tiny file is opened."""
    if path.suffix.lower() != ".wav" or path.stat().st_size > WAV_HEADER_BYTES:
        return False
    try:
        with wave.open(str(path), "rb") as wav:
            return wav.getnframes() == 0
    except (OSError, wave.Error, EOFError):
        return False  # not a WAV at all: served as it is, the player says what it is


#: a file's name: the call id (Asterisk's linkedid, ``<epoch>.<n>``, after ``<systemname>-`` when
#: its Asterisk has one: several servers, hotline.config) and maybe a suffix (``-fault``, ``-leg2``)
_NAMED_BY_CALL = re.compile(r"^(.*?\d+\.\d+)(?:-[A-Za-z]\w*)?$")


def call_id_of(stem: str) -> str:
    """The call id a file is named by (its name without the extension)."""
    named = _NAMED_BY_CALL.match(stem)
    return named[1] if named else stem.split("-")[0]


def _check_id(call_id: str) -> None:
    if not call_id or "/" in call_id or "\\" in call_id or call_id.startswith(".") or "\x00" in call_id:
        raise UnsafePath(f"not a usable call id: {call_id!r}")
