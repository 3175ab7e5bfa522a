"""``python -m recordings purge --days 180 [--dry-run] [--kind recording] [--root DIR]``.

Retention from cron or a systemd timer; prints what was (or would be) deleted.
"""

from __future__ import annotations

import argparse
import sys

from recordings.retention import purge
from recordings.store import KINDS, RecordingStore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recordings")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("purge", help="delete files older than N days")
    p.add_argument("--days", type=float, required=True)
    p.add_argument("--dry-run", action="store_true")
    p.add_argument("--kind", action="append", choices=sorted(KINDS), help="repeatable; default: all kinds")
    p.add_argument("--root", default=None, help="Asterisk root (default: $HOTLINE_ASTERISK_ROOT)")
    args = parser.parse_args(argv)
    if args.days <= 0:
        parser.error("--days must be positive")
    store = RecordingStore(args.root) if args.root is not None else RecordingStore.from_env()
    report = purge(store, args.days, kinds=args.kind or tuple(KINDS), dry_run=args.dry_run)
    verb = "would delete" if args.dry_run else "deleted"
    for path in report.deleted:
        print(f"{verb} {path}")
    for path, reason in report.failed:
        print(f"FAILED {path}: {reason}", file=sys.stderr)
    print(f"{verb} {len(report.deleted)} file(s), {report.bytes_freed} bytes")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
