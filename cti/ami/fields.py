"""Reading fields out of a raw frame without splitting it: one field, or several in one pass.

Both give what the full parse (``Frame.fields``) gives: the first ``Key:`` at
the start of a line (the first line included), one space after the colon
dropped, and "" for a key the frame lacks.

``search`` finds one field with a byte search (``Frame.get`` uses it).
``FieldPicker`` reads a handler's few fields together: the call model's
handlers read three to eight fields of 15 to 40 line frames, and one search per
field was a fifth of the bridge's time. Asterisk writes each event with the
same lines in the same order, call after call; only the values change. So the
picker learns the layout of a frame (the key of every line, up to the last one
it reads; every line, when one of its keys is absent) and compiles one regular
expression that steps over those lines in turn. A frame laid out otherwise (a line more or less, a key elsewhere, a value
holding a stray CR) fails the match and gets the searches, field by field, and
the same answer; its layout is learned in turn, up to ``MAX_LAYOUTS``.

The pattern is exact because it spells out each key it reads and, of every line
before, enough of its key to tell it holds none of the keys read further down:
the line it reads a key from is the first line holding that key.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence

from cti.ami.speedups import chosen as chosen_speedups

# Distinct layouts a picker compiles a pattern for; frames laid out otherwise take the searches.
MAX_LAYOUTS = 8


def check_key(key: str) -> bool:
    """Whether a byte search answers ``key`` as the full parse does.

    Not: ``Output`` (free text is gathered under it), keys holding a colon or a
    line break, keys with surrounding spaces (the parse strips them).
    """
    return bool(key) and key != "Output" and key == key.strip() and not any(c in key for c in ":\r\n")


def needle(key: str) -> bytes:
    return b"\r\n" + key.encode() + b":"


def search(raw: bytes, needle: bytes) -> tuple[int, bytes] | None:
    """(line start, value) of the first line starting with ``needle``'s key, or None.

    ``needle`` is ``b"\\r\\nKey:"`` (see ``needle``); the frame's first line counts too.
    """
    if raw.startswith(needle[2:]):
        at, start = 0, len(needle) - 2
    else:
        at = raw.find(needle)
        if at < 0:
            return None
        start = at + len(needle)
        at += 2
    end = raw.find(b"\r\n", start)
    value = raw[start:end] if end >= 0 else raw[start:]
    return at, value[1:] if value[:1] == b" " else value


class FieldPicker:
    """``picker(raw) -> tuple`` of the values of ``keys`` in one frame, "" for each one absent."""

    __slots__ = ("keys", "_needles", "_layouts", "_seen")

    def __init__(self, keys: Sequence[str]) -> None:
        bad = [k for k in keys if not check_key(k)]
        if bad or not keys:
            raise ValueError(f"cannot pick fields {bad or keys!r} in one pass")
        self.keys = tuple(keys)
        self._needles = tuple(needle(k) for k in self.keys)
        # (match, arrange) per layout learned, in the order learned: the usual one first.
        self._layouts: list[tuple[Callable[[str], re.Match[str] | None], Callable]] = []
        self._seen: set[tuple[str, ...]] = set()

    def __call__(self, raw: bytes) -> tuple[str, ...]:
        if self._layouts:
            text = raw.decode("utf-8", "replace")
            for match, arrange in self._layouts:
                m = match(text)
                if m is not None:
                    return arrange(m.groups())  # type: ignore[no-any-return]
        return self._search_each(raw)

    def _search_each(self, raw: bytes) -> tuple[str, ...]:
        values: list[str] = []
        for n in self._needles:
            found = search(raw, n)
            values.append("" if found is None else found[1].decode("utf-8", "replace"))
        if len(self._seen) < MAX_LAYOUTS:
            self._learn(raw)
        return tuple(values)

    def _learn(self, raw: bytes) -> None:
        lines = raw.decode("utf-8", "replace").split("\r\n")
        if not all(":" in line for line in lines):
            return  # a line the parse does not read as a field: searched, never learned
        line_keys = [line.partition(":")[0] for line in lines]
        first = {}  # key -> its first line
        for i, key in enumerate(line_keys):
            first.setdefault(key, i)
        read = sorted(first[k] for k in self.keys if k in first)
        # With every key there, the lines up to the last one read are the layout. With a key
        # absent (a DialEnd of an Originate has no Channel), only the whole frame says it is
        # absent: a frame with a line more could hold it further down.
        whole = len(read) < len(self.keys)
        layout = tuple(line_keys if whole else line_keys[: read[-1] + 1])
        if (whole, layout) in self._seen:
            return  # a layout that failed its own pattern (a stray CR): searching is right
        self._seen.add((whole, layout))
        absent = [k for k in self.keys if k not in first] if whole else []
        self._layouts.append(
            (
                _pattern(layout, set(read), whole, absent).match,
                _arranger(tuple(line_keys[i] for i in read), self.keys),
            )
        )


def _pattern(
    layout: tuple[str, ...], read: set[int], whole: bool, absent: Sequence[str] = ()
) -> re.Pattern[str]:
    # Every line of the layout; the lines read by their key, captured; the others stepped over.
    # A value runs to the line's end: a CR inside it fails the match (the searches then read it).
    # ``whole``: the layout is the frame's every line, and nothing may follow it.
    # A line stepped over is told by the shortest start of its key that no key it must not hold
    # can have (a key read further down, or one the layout lacks): spelling each key out in full
    # was most of the match's work (the engine takes a literal character as dearly as a step),
    # and a line that cannot hold those keys is all the answer needs. The repeats are possessive:
    # a value ends at its CR, there is nothing to give back.
    lines = []
    for i, key in enumerate(layout):
        if i in read:
            lines.append(re.escape(key) + r": ?([^\r]*+)")
            continue
        banned = [k + ":" for k in absent] + [layout[j] + ":" for j in read if j > i]
        lines.append(re.escape(_distinct_start(key + ":", banned)) + r"[^\r]*+")
    return re.compile("\r\n".join(lines) + (r"\Z" if whole else r"(?=\r\n|\Z)"))


def _distinct_start(head: str, banned: Sequence[str]) -> str:
    """The shortest start of ``head`` (a key and its colon) that no line starting with one of
    ``banned`` (other keys with their colon) can start with: neither is a start of the other. The
    whole of ``head`` always is one (a key holds no colon)."""
    for n in range(1, len(head) + 1):
        start = head[:n]
        if not any(b.startswith(start) or start.startswith(b) for b in banned):
            return start
    return head


def _arranger(order: tuple[str, ...], keys: tuple[str, ...]) -> Callable[[tuple[str, ...]], tuple[str, ...]]:
    """The values captured in line ``order``, as the picker's ``keys`` ask for them ("" for a key
    the layout lacks)."""
    if order == keys:
        return tuple
    if len(order) == len(keys) and len(keys) > 1:
        return operator.itemgetter(*[order.index(k) for k in keys])  # the same keys, reordered
    at = [order.index(k) if k in order else -1 for k in keys]
    return lambda values: tuple(values[i] if i >= 0 else "" for i in at)


def reads(*keys: str, only_if: bytes | None = None) -> Callable[[Callable], Callable]:
    """Mark an event handler with the fields it is called with, in order (see ``FieldPicker``).
    ``only_if``: a pattern the raw frame must hold for the handler to be called at all (searched
    before any field is read, by ``searcher``): a handler that acts on one outcome of a frequent
    event (DialEnd's NOANSWER among its ANSWERs) costs the others almost nothing."""

    def mark(handler: Callable) -> Callable:
        handler.reads = keys  # type: ignore[attr-defined]
        handler.only_if = searcher(only_if) if only_if else None  # type: ignore[attr-defined]
        return handler

    return mark


def searcher(pattern: bytes, *, speedups: bool | None = None) -> Callable[[bytes], object]:
    """``re.compile(pattern).search``, None where it finds nothing, for a pattern whose every
    match starts with the same literal bytes (``\\r\\nDialStatus: …``): those bytes are looked
    for first (``bytes.find``; ``memmem`` in C with the accelerator), and the pattern tried only
    where they are. The regular expression engine's own search tried each line start of the
    frame (4,400 instructions for a DialEnd). Found or not as ``search`` finds it, at the same
    place: every match starts at one of those places, tried from the left."""
    compiled = re.compile(pattern)
    literal = _literal_start(compiled)
    if len(literal) < 2:
        return compiled.search
    c = chosen_speedups(speedups)
    if c is not None and hasattr(c, "Searcher"):
        return c.Searcher(literal, compiled.match)  # type: ignore[no-any-return]
    match = compiled.match

    def search(raw: bytes) -> re.Match[bytes] | None:
        at = raw.find(literal)
        while at >= 0:
            found = match(raw, at)
            if found is not None:
                return found
            at = raw.find(literal, at + 1)
        return None

    return search


def _literal_start(compiled: re.Pattern[bytes]) -> bytes:
    """The literal bytes every match of ``compiled`` starts with (b"" when not known: a pattern
    read without case, or one the parser shows otherwise than expected)."""
    if not isinstance(compiled.pattern, bytes) or compiled.flags & re.IGNORECASE:
        return b""
    try:
        from re import _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(compiled.pattern, compiled.flags)
        if parsed.state.flags & re.IGNORECASE:
            return b""
        start = bytearray()
        for op, value in parsed:
            if op is not _parser.LITERAL:
                break
            start.append(value)
        return bytes(start)
    except Exception:  # a parser of another Python: the engine's own search
        return b""
