"""Reading fields out of a raw frame without splitting it: one field, or several in one pass.

Both give what the full parse (``Frame.fields``) gives: the first ``Key:`` at
the start of a line (the first line included), one space after the colon
dropped, and "" for a key the frame lacks.

``search`` finds one field with a byte search (``Frame.get`` uses it).
``FieldPicker`` reads a handler's few fields together: the call model's
handlers read three to eight fields of 15 to 40 line frames, and one search per
field was a fifth of the bridge's time. Asterisk writes each event's fields
in a fixed order, so the picker learns the order of its keys from the first
frame that has them all and compiles one regular expression for that order.
A frame that does not fit the pattern (a key missing or out of order, a value
holding a stray CR) gets the searches, field by field, and the same answer.

The pattern stays exact: it takes the first line holding each key, a line it
skips may not hold a key it reads later, and anything unexpected fails the
match (and goes to the searches) rather than moving on to a later line.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Sequence

# Distinct orders a picker compiles a pattern for; frames in any other order take the searches.
MAX_ORDERS = 8


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

    __slots__ = ("keys", "_needles", "_match", "_arrange", "_orders")

    def __init__(self, keys: Sequence[str]) -> None:
        bad = [k for k in keys if not check_key(k)]
        if bad or not keys:
            raise ValueError(f"cannot pick fields {bad or keys!r} in one pass")
        self.keys = tuple(keys)
        self._needles = tuple(needle(k) for k in self.keys)
        self._match: Callable[[str], re.Match[str] | None] | None = None
        self._arrange: Callable[[tuple[str, ...]], tuple[str, ...]] = tuple
        self._orders: dict[tuple[str, ...], tuple[Callable, Callable]] = {}

    def __call__(self, raw: bytes) -> tuple[str, ...]:
        if self._match is not None:
            m = self._match(raw.decode("utf-8", "replace"))
            if m is not None:
                return self._arrange(m.groups())
        return self._search_each(raw)

    def _search_each(self, raw: bytes) -> tuple[str, ...]:
        values: list[str] = []
        places: list[int] = []
        for n in self._needles:
            found = search(raw, n)
            if found is None:
                values.append("")
            else:
                places.append(found[0])
                values.append(found[1].decode("utf-8", "replace"))
        if len(places) == len(values):
            self._learn(tuple(k for _, k in sorted(zip(places, self.keys, strict=True))))
        return tuple(values)

    def _learn(self, order: tuple[str, ...]) -> None:
        compiled = self._orders.get(order)
        if compiled is None:
            if len(self._orders) >= MAX_ORDERS:
                return
            compiled = self._orders[order] = (_pattern(order).match, _arranger(order, self.keys))
        self._match, self._arrange = compiled


def _pattern(order: tuple[str, ...]) -> re.Pattern[str]:
    def guard(keys: tuple[str, ...]) -> str:
        return "(?!" + "|".join(re.escape(k) + ":" for k in keys) + ")" if keys else ""

    parts = [guard(order) + r"[^\r]*"]  # the first line, which holds none of the keys
    for i, key in enumerate(order):
        # The first line holding ``key``, passing no line that holds a key read after it.
        # Atomic: a value that turns out not to end the line (a stray CR) fails the
        # match instead of letting it move on to a later line holding ``key``.
        parts.append(rf"(?>(?:\r\n{guard(order[i + 1 :])}[^\r]*)*?\r\n{re.escape(key)}: ?([^\r]*))")
    return re.compile("".join(parts) + r"(?=\r\n|\Z)")


def _arranger(order: tuple[str, ...], keys: tuple[str, ...]) -> Callable[[tuple[str, ...]], tuple[str, ...]]:
    if order == keys:
        return tuple
    return operator.itemgetter(*[order.index(k) for k in keys])  # two keys at least: they differ


def reads(*keys: str) -> Callable[[Callable], Callable]:
    """Mark an event handler with the fields it is called with, in order (see ``FieldPicker``)."""

    def mark(handler: Callable) -> Callable:
        handler.reads = keys  # type: ignore[attr-defined]
        return handler

    return mark
