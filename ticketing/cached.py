"""Per-database caches of rows that rarely change and are read on every order: staff and sites
(operator resolution, data scope, SLA calendars), the enabled workflow versions, the
notification templates, the categories' number patterns and the category rows intake offers.

A cache belongs to one database (one engine's pool), so two databases in one process never
share entries. It is kept correct in three ways:

* A flush in this process that touches one of a cache's models clears that cache for its
  database at once, and again when the flushing transaction ends (another session may have
  reloaded the old rows in between).
* Until then the session that made the change reads past the cache, straight from its own
  transaction, without storing what it read: its change is not committed yet.
* Changes made by other processes are seen after ``TTL`` seconds at the latest.

A load that started before an invalidation is not stored (a generation count per database).
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

T = TypeVar("T")
TTL = 5.0  # seconds: how long another process's change to these rows may go unseen
_CHANGED = "ticketing.cached.changed"  # session.info: names of the caches this transaction changed
_watched: dict[type, list[str]] = {}  # model class → names of the caches it feeds
_stores: weakref.WeakKeyDictionary[Any, dict[str, _Store]] = weakref.WeakKeyDictionary()


class _Store:
    __slots__ = ("generation", "values")

    def __init__(self) -> None:
        self.generation = 0
        self.values: dict[Hashable, tuple[float, Any]] = {}

    def clear(self) -> None:
        self.generation += 1
        self.values.clear()


def _pool(session: Session) -> Any:
    # get_bind() without a mapper or clause is the session's bind (or its error when it has
    # none); the attribute is read straight, as this runs on every cached read
    return (session.bind or session.get_bind()).pool


def _store(pool: Any, name: str) -> _Store:
    stores = _stores.get(pool)
    if stores is None:
        stores = _stores[pool] = {}
    store = stores.get(name)
    if store is None:
        store = stores[name] = _Store()
    return store


class Cache(Generic[T]):
    """One named cache; ``models`` are the tables whose changes invalidate it."""

    def __init__(
        self, name: str, models: tuple[type, ...], load: Callable[[AsyncSession, Any], Awaitable[T]]
    ):
        self.name = name
        self.load = load
        #: the pool this cache was last read for (a weak reference) and its store there: a
        #: process has one database nearly always, and a new order reads about ten caches, so
        #: the store is not looked up through the weak-keyed map (which makes a weak reference
        #: on every look-up). None until the first read.
        self._last: tuple[weakref.ref[Any], _Store] | None = None
        for model in models:
            _watched.setdefault(model, []).append(name)

    async def get(self, session: AsyncSession, key: Hashable = None) -> T:
        sync = session.sync_session
        changed = sync.info.get(_CHANGED)
        if changed is not None and self.name in changed:
            return await self.load(session, key)
        pool = _pool(sync)
        last = self._last
        if last is not None and last[0]() is pool:
            store = last[1]
        else:
            store = _store(pool, self.name)
            self._last = (weakref.ref(pool), store)
        hit = store.values.get(key)
        now = time.monotonic()
        if hit is not None and hit[0] > now:
            return hit[1]
        generation = store.generation
        value = await self.load(session, key)
        if store.generation == generation:
            store.values[key] = (now + TTL, value)
        return value

    def clear(self, session: AsyncSession | Session) -> None:
        sync = session.sync_session if isinstance(session, AsyncSession) else session
        _store(_pool(sync), self.name).clear()


def _clear(session: Session, names: set[str]) -> None:
    pool = _pool(session)
    for name in names:
        _store(pool, name).clear()


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: Any) -> None:
    names = {
        name
        for objects in (session.new, session.dirty, session.deleted)
        for obj in objects
        for name in _watched.get(type(obj), ())
    }
    if names:
        session.info.setdefault(_CHANGED, set()).update(names)
        _clear(session, names)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _after_transaction(session: Session) -> None:
    if session.in_nested_transaction():
        # a savepoint ended (SQLAlchemy says after_commit for it too): the transaction it was
        # in goes on with its changes, which must stay out of the shared store until it ends
        return
    names = session.info.pop(_CHANGED, None)
    if names:
        _clear(session, names)
