"""``hotline purge-recordings``: retention of recordings, voicemail and faxes.

Files older than the retention period are deleted, except those of calls that
an open work order links (ticketing decides which); the files live under the
Asterisk root of the product's settings (several Asterisk servers: under each one's
``asterisk_root``, a server not reachable here being skipped with a warning).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import ticketing
from hotline.config import Settings
from hotline.runtime import database_url, recording_store
from recordings.retention import PurgeReport, purge
from recordings.store import KINDS
from ticketing.retention import call_ids_of_open_orders


async def purge_recordings(
    settings: Settings, older_than_days: float, *, kinds: Iterable[str] = tuple(KINDS), dry_run: bool = False
) -> PurgeReport:
    engine = ticketing.create_engine(database_url(settings))
    try:
        async with ticketing.sessionmaker(engine)() as session:
            protected = await call_ids_of_open_orders(session)
    finally:
        await engine.dispose()
    store = recording_store(settings)  # several Asterisk servers: each one's root
    return await asyncio.to_thread(
        purge, store, older_than_days, kinds=kinds, dry_run=dry_run, keep=lambda f: f.call_id in protected
    )
