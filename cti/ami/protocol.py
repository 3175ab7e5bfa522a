"""Sans-I/O AMI framing: bytes in, frames out, no sockets, never an exception.

AMI is ``Key: Value`` lines separated by CRLF, one blank line ending a frame,
after a one-line greeting (``Asterisk Call Manager/11.0.0``). ``AmiProtocol``
buffers partial reads and splits bursts; ``Frame`` keeps the raw bytes and
reads only the first line (``Event:``/``Response:``) eagerly. Most of the
stream (DeviceStateChange, Newstate …) is never looked at, so its fields are
parsed into a dict only on first access: that is what makes the client several
times faster than panoramisk (see bench/ and issue 6). Even then, ``get``,
``[]`` and ``in`` find one field with a byte search in the raw frame instead of
splitting all of it (queue events carry 40 lines; a handler reads 3 or 4), and
the whole dict is built only when ``fields`` or ``getall`` asks for it.

With the C accelerator built (``cti.ami.speedups``), ``_speedups.Framer`` does
``_scan_parts``' work: the buffer cut at its separators, each wanted event made
a ``Frame`` from its first line and the others stepped over without a copy;
the same frames as the pure Python code below, which stays and runs without it.

Command output: Asterisk 22 sends ``Response: Success`` with ``Output:`` lines;
older versions send ``Response: Follows`` and free text ended by
``--END COMMAND--``. Both come out as ``Frame.output``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator

from cti.ami import fields
from cti.ami.speedups import chosen as _chosen_speedups

log = logging.getLogger(__name__)

_SEP = b"\r\n\r\n"
_END_COMMAND = b"--END COMMAND--"
_END_COMMAND_TEXT = "--END COMMAND--"
# A frame larger than this without a terminator is garbage (or an attack); drop it.
MAX_FRAME = 1 << 20
# Where a frame starts: right after a separator.
_EVERY_FRAME = re.compile(re.escape(_SEP))
# key -> b"\r\nKey:" for Frame._find; bounded by the field names the code asks for.
_NEEDLES: dict[str, bytes] = {}


class Frame:
    """One AMI frame. ``kind`` is "event", "response", "action" or "unknown"."""

    __slots__ = ("raw", "kind", "name", "_fields", "_multi")

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self._fields: dict[str, str] | None = None
        self._multi: dict[str, list[str]] | None = None
        if raw.startswith(b"Event: "):
            self.kind = "event"
            end = raw.find(b"\r\n")
            self.name = (raw[7:] if end < 0 else raw[7:end]).decode("utf-8", "replace").strip()
        elif raw.startswith(b"Response: "):
            self.kind = "response"
            end = raw.find(b"\r\n")
            self.name = (raw[10:] if end < 0 else raw[10:end]).decode("utf-8", "replace").strip()
        else:
            # Keys are case-insensitive in AMI; a frame may also put Event: later.
            fields = self.fields
            if "Event" in fields:
                self.kind, self.name = "event", fields["Event"]
            elif "Response" in fields:
                self.kind, self.name = "response", fields["Response"]
            elif "Action" in fields:
                self.kind, self.name = "action", fields["Action"]  # what a server reads
            else:
                self.kind, self.name = "unknown", ""

    @classmethod
    def event(cls, raw: bytes, name: str) -> Frame:
        """An event frame whose name the caller already read (``AmiProtocol``'s wanted events)."""
        frame = _new_frame(cls)
        frame.raw, frame.kind, frame.name, frame._fields, frame._multi = raw, "event", name, None, None
        return frame

    @classmethod
    def build(cls, **fields: object) -> Frame:
        """A frame from fields (tests, fakes); list values become repeated lines."""
        return cls(encode(fields)[: -len(_SEP)])

    def _parse(self) -> None:
        fields: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for line in self.raw.decode("utf-8", "replace").split("\r\n"):
            key, sep, value = line.partition(":")
            if not sep:
                for text in line.split("\n"):
                    if text and text != _END_COMMAND_TEXT:
                        multi.setdefault("Output", []).append(text)
                continue
            key = key.strip()
            if not key:
                continue
            value = value[1:] if value.startswith(" ") else value
            if key in fields:
                multi.setdefault(key, [fields[key]]).append(value)
            else:
                fields[key] = value
        if "Output" in multi and "Output" not in fields:
            fields["Output"] = multi["Output"][0]
        self._fields = fields
        self._multi = multi

    @property
    def fields(self) -> dict[str, str]:
        if self._fields is None:
            self._parse()
        return self._fields  # type: ignore[return-value]

    def _find(self, key: str) -> str | None:
        """One field's value without parsing the frame (None when absent); see ``fields.search``."""
        needle = _NEEDLES.get(key)
        if needle is None:
            if not fields.check_key(key):
                return self.fields.get(key)
            needle = _NEEDLES.setdefault(key, fields.needle(key))
        found = fields.search(self.raw, needle)
        return None if found is None else found[1].decode("utf-8", "replace")

    def __getitem__(self, key: str) -> str:
        if self._fields is not None:
            return self._fields[key]
        value = self._find(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: str) -> bool:
        if self._fields is not None:
            return key in self._fields
        return self._find(key) is not None

    def get(self, key: str, default: str = "") -> str:
        if self._fields is not None:
            return self._fields.get(key, default)
        value = self._find(key)
        return default if value is None else value

    def getall(self, key: str) -> list[str]:
        fields = self.fields
        if self._multi and key in self._multi:
            return list(self._multi[key])
        return [fields[key]] if key in fields else []

    @property
    def output(self) -> list[str]:
        """Command output lines (``Output:`` lines or old-style free text)."""
        return self.getall("Output")

    @property
    def action_id(self) -> str:
        """The ActionID, found without parsing the whole frame."""
        if self._fields is not None:
            return self._fields.get("ActionID", "")
        raw = self.raw
        i = raw.find(b"ActionID: ")
        if i < 0:
            return ""
        if i and raw[i - 1 : i] != b"\n":
            return self.fields.get("ActionID", "")
        end = raw.find(b"\r\n", i)
        return raw[i + 10 : end if end >= 0 else None].decode("utf-8", "replace").strip()

    @property
    def timestamp(self) -> float:
        """Asterisk's ``Timestamp:`` (manager.conf ``timestampevents``), 0.0 when absent."""
        try:
            return float(self.get("Timestamp", "0") or 0)
        except ValueError:
            return 0.0

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Frame) and other.raw == self.raw

    def __hash__(self) -> int:
        return hash(self.raw)

    def __repr__(self) -> str:
        return f"<Frame {self.kind} {self.name!r} {len(self.raw)}B>"


_new_frame = object.__new__


def _complete(buf: bytes) -> int:
    """Where the last complete frame of ``buf`` ends, its separator included.

    Separators pair up from the left: in a run of blank lines, the last one
    found from the right may not be one of them.
    """
    last = buf.rfind(_SEP)
    run_start = last
    while run_start >= 2 and buf[run_start - 2 : run_start] == b"\r\n":
        run_start -= 2
    crlfs = (last + 4 - run_start) // 2
    return run_start + 4 * (crlfs // 2)


_PAD = rb"[ \t\r\x0b\x0c]*"


def _plain_name(name: bytes) -> bool:
    """Whether the C framing compares ``name`` as the pattern matches it: its first line stripped
    of the pattern's whitespace (``_PAD``) and compared whole. Not: an empty name, one with that
    whitespace at either end or a line feed inside, or one ``Frame.name`` would read otherwise."""
    return (
        bool(name)
        and name == name.strip(b" \t\r\x0b\x0c")
        and b"\n" not in name
        and name.decode("utf-8", "replace").strip() == name.decode("utf-8", "replace")
    )


def _starts_of(names: list[bytes]) -> tuple[re.Pattern[bytes], re.Pattern[bytes], list[bytes]]:
    """Where the frames worth reading start: events of ``names`` and every non-event; and the
    same test on one frame alone (a wanted event, or a frame that is no event nor empty).

    The names go in as a tree (``Agent(?:C(?:alled|o…)|Dump)|…``), so that an
    unwanted name fails on its first differing letter instead of against each
    name in turn; a name has its own empty group, numbered in the order
    returned, so ``match.lastindex`` tells which one without copying it out.
    """
    order: list[bytes] = []
    # whitespace around the name, as Frame.name strips it (Asterisk writes none; a stream that
    # has some must still frame as reading every frame would)
    wanted = b"Event: " + _PAD + _tree(sorted(names), order) + _PAD + rb"\r\n|" if names else b""
    starts = re.compile(re.escape(_SEP) + rb"(?=" + wanted + rb"(?!Event: ))")
    # a frame alone ends at its end: a frame that is only its ``Event:`` line is kept, as in the
    # buffer (where a separator follows it) and when every frame is read
    alone = b"Event: " + _PAD + _tree(sorted(names), []) + _PAD + rb"(?:\r\n|\Z)|" if names else b""
    return starts, re.compile(alone + rb"(?!Event: |\Z)"), order


def _tree(names: list[bytes], order: list[bytes], prefix: bytes = b"") -> bytes:
    branches: dict[bytes, list[bytes]] = {}
    for name in names:
        branches.setdefault(name[:1], []).append(name[1:])
    alternatives = []
    for first, rests in branches.items():
        if first:
            alternatives.append(re.escape(first) + _tree(rests, order, prefix + first))
        else:  # a name ends here
            order.append(prefix)
            alternatives.append(b"()")
    return alternatives[0] if len(alternatives) == 1 else b"(?:" + b"|".join(alternatives) + b")"


class AmiProtocol:
    """Feed bytes, get frames. Keeps counters for malformed input.

    ``speedups``: the wanted events framed by the C accelerator (True) or in Python (False);
    by default C when it is built (``cti.ami.speedups``). Both give the same frames.
    """

    def __init__(self, *, speedups: bool | None = None) -> None:
        self._c = _chosen_speedups(speedups)
        self._framer = None  # the C framing of the wanted events (``_scan_parts``), when C runs
        self.implementation = "python" if self._c is None else "c"
        self._buf = b""
        self.greeting: str | None = None
        self.malformed = 0
        self.frames = 0
        self._wanted: frozenset[bytes] | None = None
        self._names: list[str] = []  # the wanted names, as ``_starts`` numbers them (from 1)
        self._starts = _EVERY_FRAME
        self._worth: Callable[[bytes], re.Match[bytes] | None] | None = None  # see _scan_parts
        # Events carrying an ActionID (action lists) are kept, whatever their name, while ``keep_listed``.
        self.keep_listed = False

    @property
    def wanted(self) -> frozenset[bytes] | None:
        """Event names (bytes) somebody listens to; None = all.

        Other events are dropped unread: the search for the frames to return
        steps over them in C, so only wanted events, responses and anything
        that is no event reach Python. (Each pass over the bytes costs about
        0.3 µs per event, so the stream is searched once, not split and counted.)
        """
        return self._wanted

    @wanted.setter
    def wanted(self, names: frozenset[bytes] | None) -> None:
        self._wanted = names
        if names is None:
            self._starts, self._worth, order = _EVERY_FRAME, None, []
        else:
            self._starts, worth, order = _starts_of(list(names))
            self._worth = worth.match
        self._names = ["", *(n.decode("utf-8", "replace").strip() for n in order)]
        self._framer = None
        if self._c is not None and names is not None and all(map(_plain_name, order)):
            self._framer = self._c.Framer(Frame, tuple(order), tuple(self._names[1:]))

    def reset(self) -> None:
        """Start over for a new connection (a new greeting is expected)."""
        self._buf = b""
        self.greeting = None

    def feed(self, data: bytes) -> list[Frame]:
        if self.greeting is None:
            buf = self._take_greeting(self._buf + data)
            if self.greeting is None:
                self._buf = buf
                return []
            buf = _SEP + buf
        else:
            # A separator in front, so that every frame, the first too, starts right after one.
            buf = b"".join((_SEP, self._buf, data))
        end = _complete(buf)
        if end == len(_SEP):
            self._buf = self._check_size(buf[end:])
            return []
        every = self._wanted is None or self.keep_listed
        out: list[Frame] = []
        pending = self._scan(buf, 0, end, every, out)
        rest = buf[end:]
        self._buf = self._check_size(rest if pending is None else pending + _SEP + rest)
        self.frames += len(out)
        return out

    def _scan(self, buf: bytes, pos: int, end: int, every: bool, out: list[Frame]) -> bytes | None:
        """The frames in ``buf[pos:end]`` (each after a separator) into ``out``.

        Returns old-style command output still waiting for its end marker.
        """
        if not every and pos == 0 and self._worth is not None:
            found = len(out)
            if self._scan_parts(buf, end, out):
                return None
            del out[found:]  # old-style command output, whose blank lines are no frame ends
        pending: bytes | None = None
        names = self._names
        for m in (_EVERY_FRAME if every else self._starts).finditer(buf, pos, end):
            start = m.end()
            if start == end:
                break
            part = buf[start : buf.find(_SEP, start)]
            if pending is not None:
                # Old-style command output may hold blank lines: glue until the end marker.
                pending += _SEP + part
                if _END_COMMAND in part:
                    out.append(Frame(pending))
                    pending = None
                continue
            if m.lastindex:  # a wanted event, found by its name
                out.append(Frame.event(part, names[m.lastindex]))
                continue
            if not part:
                continue  # stray blank lines between frames
            if every and self._wanted is not None and part[:7] == b"Event: ":
                cut = part.find(b"\r\n")
                if part[7 : cut if cut >= 0 else len(part)].strip() not in self._wanted and not (
                    self.keep_listed and b"\nActionID: " in part
                ):
                    continue
            if part.startswith(b"Response: Follows") and _END_COMMAND not in part:
                if not every:  # what follows is output, not frames to pick from: look at every part
                    return self._scan(buf, m.start(), end, True, out)
                pending = part
                continue
            frame = Frame(part)
            if frame.kind == "unknown":
                self.malformed += 1
                log.warning("AMI: skipped a malformed frame (%d bytes): %r", len(part), part[:120])
                continue
            out.append(frame)
        return pending

    def _scan_parts(self, buf: bytes, end: int, out: list[Frame]) -> bool:
        """``_scan`` of the wanted events and every non-event, the buffer cut at its separators in C
        and each frame tested by ``_worth`` in C: searching the whole buffer with ``_starts`` and
        then each wanted frame again for its end took twice the work (the pattern engine steps
        through bytes several times slower than ``bytes.split``). False, with ``out`` holding only
        part of the frames, when old-style command output comes (its blank lines end no frame):
        ``_scan`` then reads that buffer as before."""
        if self._framer is not None:  # the same, in C
            malformed = self._framer.scan(buf, end, out)
            if malformed is None:
                return False
            self._log_malformed(malformed)
            return True
        names = self._names
        malformed: list[bytes] = []
        for m in filter(None, map(self._worth, buf[len(_SEP) : end - len(_SEP)].split(_SEP))):  # type: ignore[arg-type]
            part = m.string
            if m.lastindex:  # a wanted event, found by its name: Frame.event, inline
                frame = _new_frame(Frame)
                frame.raw, frame.kind, frame.name, frame._fields, frame._multi = (
                    part,
                    "event",
                    names[m.lastindex],
                    None,
                    None,
                )
                out.append(frame)
                continue
            if part.startswith(b"Response: Follows") and _END_COMMAND not in part:
                return False
            frame = Frame(part)
            if frame.kind == "unknown":
                malformed.append(part)
                continue
            out.append(frame)
        self._log_malformed(malformed)
        return True

    def _log_malformed(self, malformed: list[bytes]) -> None:
        for part in malformed:
            self.malformed += 1
            log.warning("AMI: skipped a malformed frame (%d bytes): %r", len(part), part[:120])

    def _take_greeting(self, buf: bytes) -> bytes:
        end = buf.find(b"\r\n")
        if end < 0:
            if len(buf) > 4096:
                self.malformed += 1
                self.greeting = ""
            return buf
        line = buf[:end]
        if b": " in line:
            # No greeting (a fake server, or we joined mid-stream): treat as frames.
            self.greeting = ""
            return buf
        self.greeting = line.decode("utf-8", "replace")
        return buf[end + 2 :]

    def _check_size(self, rest: bytes) -> bytes:
        if len(rest) > MAX_FRAME:
            self.malformed += 1
            log.warning("AMI: dropped %d bytes without a frame end", len(rest))
            return b""
        return rest


def encode(fields: dict[str, object]) -> bytes:
    """Serialise an action; list/tuple values become one line each (Variable: …)."""
    lines = []
    for key, value in fields.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            lines.extend(f"{key}: {_clean(v)}" for v in value)
        else:
            lines.append(f"{key}: {_clean(value)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _clean(value: object) -> str:
    # A CR or LF inside a value would end the line and let a caller inject headers.
    if isinstance(value, bool):
        value = "true" if value else "false"
    return str(value).replace("\r", " ").replace("\n", " ")


def iter_frames(stream: bytes, chunk: int = 65536) -> Iterator[Frame]:
    """Frames of a whole captured stream (benchmarks, replays)."""
    proto = AmiProtocol()
    for i in range(0, len(stream), chunk):
        yield from proto.feed(stream[i : i + chunk])
