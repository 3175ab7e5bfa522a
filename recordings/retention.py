"""Retention: delete recordings, voicemail and faxes older than N days.

Age is the file's modification time (when Asterisk closed it). A ``keep``
predicate lets the caller protect files (a legal hold, a recording attached to
an open complaint). ``dry_run`` reports what would go without touching
anything. Empty day directories are removed too.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from recordings.store import KINDS, RecordingStore, ServerStores, StoredFile

log = logging.getLogger(__name__)


@dataclasses.dataclass
class PurgeReport:
    dry_run: bool
    deleted: list[Path] = dataclasses.field(default_factory=list)
    kept: list[Path] = dataclasses.field(default_factory=list)  # old enough but protected by ``keep``
    failed: list[tuple[Path, str]] = dataclasses.field(default_factory=list)
    bytes_freed: int = 0


def purge(
    store: RecordingStore | ServerStores,
    older_than_days: float,
    *,
    kinds: Iterable[str] = tuple(KINDS),
    dry_run: bool = False,
    keep: Callable[[StoredFile], bool] | None = None,
    now: float | None = None,
) -> PurgeReport:
    if older_than_days <= 0:
        raise ValueError("older_than_days must be positive")
    cutoff = (time.time() if now is None else now) - older_than_days * 86400
    for name, each in _stores(store):
        if name and not each.asterisk_root.is_dir():
            log.warning(
                "retention: the files of Asterisk server %s are not reachable here (%s): kept",
                name,
                each.asterisk_root,
            )
    report = PurgeReport(dry_run=dry_run)
    for kind in kinds:
        for item in list(store.files(kind)):
            if item.mtime >= cutoff:
                continue
            if keep is not None and keep(item):
                report.kept.append(item.path)
                continue
            if not dry_run:
                try:
                    item.path.unlink()
                except OSError as exc:
                    report.failed.append((item.path, str(exc)))
                    log.warning("retention: cannot delete %s: %s", item.path, exc)
                    continue
            report.deleted.append(item.path)
            report.bytes_freed += item.size
        if not dry_run:
            for _, each in _stores(store):
                _remove_empty_days(each.kind_dir(kind))
    log.info(
        "retention%s: %d files, %d bytes older than %s days",
        " (dry run)" if dry_run else "",
        len(report.deleted),
        report.bytes_freed,
        older_than_days,
    )
    return report


def _stores(store: RecordingStore | ServerStores) -> list[tuple[str, RecordingStore]]:
    """Each root the store reads (several Asterisk servers: each server's, ``ServerStores``)."""
    return store.stores() if isinstance(store, ServerStores) else [("", store)]


def _remove_empty_days(base: Path) -> None:
    if not base.is_dir():
        return
    for day in base.iterdir():
        if day.is_dir() and not any(day.iterdir()):
            day.rmdir()
