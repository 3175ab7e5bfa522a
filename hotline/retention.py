"""``hotline purge-recordings``: retention of recordings, voicemail, faxes and e-mail attachments.

Files older than the retention period are deleted, except those of calls (and e-mails) that
an open work order links (ticketing decides which); the recordings live under the Asterisk
root of the product's settings (several Asterisk servers: under each one's ``asterisk_root``,
a server not reachable here being skipped with a warning), the e-mails' attachments under
``<data_dir>/mail`` (kind ``mail``: their events are marked purged, ``ticketing.retention``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import ticketing
from hotline.config import Settings
from hotline.runtime import database_url, recording_store
from recordings.retention import PurgeReport, purge
from recordings.store import KINDS
from ticketing.retention import call_ids_of_open_orders, purge_mail_attachments

#: what the command purges: the recordings' kinds, and ``mail`` (e-mail attachments)
PURGE_KINDS = (*KINDS, "mail")


async def purge_recordings(
    settings: Settings, older_than_days: float, *, kinds: Iterable[str] = PURGE_KINDS, dry_run: bool = False
) -> PurgeReport:
    kinds = tuple(kinds)
    engine = ticketing.create_engine(database_url(settings))
    try:
        sessions = ticketing.sessionmaker(engine)
        async with sessions() as session:
            protected = await call_ids_of_open_orders(session)
        mail = None
        if "mail" in kinds:
            mail = await purge_mail_attachments(
                sessions, settings.data_dir / "mail", older_than_days, dry_run=dry_run
            )
    finally:
        await engine.dispose()
    store = recording_store(settings)  # several Asterisk servers: each one's root
    report = await asyncio.to_thread(
        purge,
        store,
        older_than_days,
        kinds=[k for k in kinds if k in KINDS],
        dry_run=dry_run,
        keep=lambda f: f.call_id in protected,
    )
    if mail is not None:
        report.deleted += mail.deleted
        report.kept += mail.kept
        report.failed += mail.failed
        report.bytes_freed += mail.bytes_freed
    return report
