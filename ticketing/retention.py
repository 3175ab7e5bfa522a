"""Retention's part in ticketing: what must be kept, and the e-mail attachments' files.

A recording, voicemail or fax is named by its call id (Asterisk's linkedid) and its
interaction row carries the same id as ``external_id``. While an order that links it is open
(a complaint under investigation, a repair in progress), the file is evidence and must outlive
the usual retention period (``call_ids_of_open_orders``).

An e-mail's attachments are files too (``intake.receive_email`` writes them under
``<data_dir>/mail``), named on the event's ``payload["files"]``. ``purge_mail_attachments``
holds them to the same rule as the recordings (``hotline purge-recordings``): the files of an
e-mail received more than N days ago go, unless an open order links the e-mail; each purged
file's entry on the event loses its ``path`` and gets ``purged_at``, so the inbox names it as
deleted instead of offering a link to nothing. Files no event names (a message whose event was
never stored: the MTA's retry wrote them again, or gave up) go once as old.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import os
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ticketing.models import Interaction, WorkOrder, order_interactions, utcnow

log = logging.getLogger(__name__)


async def call_ids_of_open_orders(session: AsyncSession) -> set[str]:
    """Call ids of every interaction linked to a work order that is still open."""
    rows = await session.scalars(
        select(Interaction.external_id)
        .join(order_interactions, order_interactions.c.interaction_id == Interaction.id)
        .join(WorkOrder, WorkOrder.id == order_interactions.c.order_id)
        .where(WorkOrder.is_open.is_(True))
        .distinct()
    )
    return set(rows)


@dataclasses.dataclass
class MailPurge:
    """What ``purge_mail_attachments`` did (or, dry, would do)."""

    dry_run: bool
    deleted: list[Path] = dataclasses.field(default_factory=list)
    kept: list[Path] = dataclasses.field(default_factory=list)  # old enough, but an open order links it
    failed: list[tuple[Path, str]] = dataclasses.field(default_factory=list)
    bytes_freed: int = 0
    events: int = 0  # e-mail events whose attachments were marked purged


async def purge_mail_attachments(
    sessionmaker: async_sessionmaker[AsyncSession],
    files_dir: Path,
    older_than_days: float,
    *,
    dry_run: bool = False,
    now: dt.datetime | None = None,
) -> MailPurge:
    """Delete the attachment files of e-mails received more than ``older_than_days`` ago (not
    those of an e-mail an open order links) and mark them purged on their events."""
    if older_than_days <= 0:
        raise ValueError("older_than_days must be positive")
    cutoff = (now or utcnow()) - dt.timedelta(days=older_than_days)
    report = MailPurge(dry_run=dry_run)
    async with sessionmaker() as session:
        linked = set(
            await session.scalars(
                select(order_interactions.c.interaction_id)
                .join(WorkOrder, WorkOrder.id == order_interactions.c.order_id)
                .where(WorkOrder.is_open.is_(True))
            )
        )
        rows = (
            await session.execute(
                select(Interaction.id, Interaction.occurred_at, Interaction.payload).where(
                    Interaction.kind == "email"
                )
            )
        ).all()
    named: set[Path] = set()  # every file an event names: the sweep leaves them to their event
    due: dict[int, list[Path]] = {}
    for event_id, occurred_at, payload in rows:
        paths = [_absolute(f["path"]) for f in _files(payload) if f.get("path")]
        named.update(paths)
        if not paths or occurred_at >= cutoff:
            continue
        if event_id in linked:
            report.kept += paths
        else:
            due[event_id] = paths
    gone = await asyncio.to_thread(_delete, [p for paths in due.values() for p in paths], report)
    if not dry_run:
        # one event at a time, read again under lock: an agent may be closing it meanwhile, and
        # their change to the payload must not be lost
        marked_at = (now or utcnow()).isoformat()
        for event_id, paths in due.items():
            purged = {p for p in paths if p in gone}
            if purged and await _mark(sessionmaker, event_id, purged, marked_at):
                report.events += 1
    await asyncio.to_thread(_sweep, files_dir, named, cutoff.timestamp(), report)
    log.info(
        "mail retention%s: %d attachment files, %d bytes older than %s days; %d kept for open orders",
        " (dry run)" if dry_run else "",
        len(report.deleted),
        report.bytes_freed,
        older_than_days,
        len(report.kept),
    )
    return report


def _absolute(path: str | Path) -> Path:
    # the events name files as they were written (under data_dir, perhaps relative): compared
    # with what the sweep finds, each is taken from the root
    return Path(os.path.abspath(path))


def _files(payload: Any) -> list[dict[str, Any]]:
    files = payload.get("files") if isinstance(payload, dict) else None
    return [f for f in files or [] if isinstance(f, dict)]


def _delete(paths: list[Path], report: MailPurge) -> set[Path]:
    """Delete ``paths`` (not when dry); the ones gone now, those missing already included."""
    gone = set()
    for path in paths:
        try:
            size = path.stat().st_size
            if not report.dry_run:
                path.unlink()
        except FileNotFoundError:
            gone.add(path)  # deleted by hand already: the event is marked all the same
            continue
        except OSError as exc:
            report.failed.append((path, str(exc)))
            log.warning("mail retention: cannot delete %s: %s", path, exc)
            continue
        gone.add(path)
        report.deleted.append(path)
        report.bytes_freed += size
    if not report.dry_run:
        for folder in {p.parent for p in gone}:
            _remove_if_empty(folder)
    return gone


async def _mark(
    sessionmaker: async_sessionmaker[AsyncSession], event_id: int, purged: set[Path], at: str
) -> bool:
    async with sessionmaker() as session:
        async with session.begin():
            row = await session.get(Interaction, event_id, with_for_update=True)
            if row is None:
                return False
            payload = dict(row.payload or {})
            files = []
            for entry in payload.get("files") or []:
                if isinstance(entry, dict) and entry.get("path") and _absolute(entry["path"]) in purged:
                    entry = {k: v for k, v in entry.items() if k != "path"} | {"purged_at": at}
                files.append(entry)
            payload["files"] = files
            row.payload = payload  # a new dict: the JSON column sees the change
    return True


def _sweep(files_dir: Path, named: set[Path], cutoff: float, report: MailPurge) -> None:
    """Old files under ``files_dir`` that no event names (their message's event was never
    stored), and the folders left empty."""
    if not files_dir.is_dir():
        return
    for path in sorted(files_dir.rglob("*")):
        if not path.is_file() or _absolute(path) in named:
            continue
        try:
            stat = path.stat()
            if stat.st_mtime >= cutoff:
                continue
            if not report.dry_run:
                path.unlink()
        except OSError as exc:
            report.failed.append((path, str(exc)))
            log.warning("mail retention: cannot delete %s: %s", path, exc)
            continue
        report.deleted.append(path)
        report.bytes_freed += stat.st_size
    if not report.dry_run:
        for folder in sorted((p for p in files_dir.iterdir() if p.is_dir()), reverse=True):
            _remove_if_empty(folder)


def _remove_if_empty(folder: Path) -> None:
    try:
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    except OSError:
        pass  # a file arriving this moment: the folder stays, as it should
