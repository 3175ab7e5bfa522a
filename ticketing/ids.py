"""The one rule for a row id read from outside (a path, a JSON body, a form, a command).

Ids are 64-bit integers in every table (SQLite's INTEGER, PostgreSQL's BIGINT): a whole number
outside ``1..MAX_ID`` names no row, and handing it to the database fails (SQLite's
OverflowError, PostgreSQL's DataError) instead of finding nothing. Everything that takes an id
from input goes through these: ``whole`` (is it a whole number at all, for ``field_not_number``)
and ``is_id`` / ``parse_id`` (may it name a row; when not, the row is simply unknown).
"""

from __future__ import annotations

from typing import Any, TypeVar

from ticketing.errors import NotFound

T = TypeVar("T")

MAX_ID = 2**63 - 1


def whole(value: Any) -> bool:
    """A JSON whole number (``true`` is not 1)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_id(value: Any) -> bool:
    """A whole number that can name a row: ``1..MAX_ID``."""
    return whole(value) and 1 <= value <= MAX_ID


def parse_id(raw: Any) -> int | None:
    """The id that ``raw`` (text: ASCII digits only, as in a URL; or a whole number) names, or
    None when it cannot name a row (not digits, 0, too large)."""
    if whole(raw):
        return raw if is_id(raw) else None
    if not isinstance(raw, str) or not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        return None
    value = int(raw)
    return value if is_id(value) else None


async def fetch(session: Any, model: type[T], value: Any) -> T | None:
    """The ``model`` row that ``value`` (an id from input) names, or None: an id no row can have
    is not asked of the database (where it would fail instead of finding nothing)."""
    return await session.get(model, value) if is_id(value) else None


async def known(session: Any, model: type[T], value: Any, entity: str, what: str) -> T:
    """The ``model`` row that ``value`` names (as ``fetch`` finds it), else ``NotFound``: "no
    <what> #<value>", with ``entity`` and the id as its details."""
    row = await fetch(session, model, value)
    if row is None:
        raise NotFound(f"no {what} #{value}", entity=entity, key=value)
    return row
