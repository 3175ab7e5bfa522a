"""``hotline purge-recordings`` and inbound e-mails' attachments: the files of e-mails older than
the retention period go (not those of an e-mail an open order links), their events keep the
names marked purged, so the inbox says （已过期删除） instead of linking to nothing; old files no
event names go too, fresh ones stay."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import time
from email.message import EmailMessage

from sqlalchemy import update

import ticketing
from agent_ui.inbox import event_view
from hotline.cli import build_parser, main
from hotline.runtime import database_url
from tests.hotline.test_purge_recordings import DAY, link_to_an_open_order, platform  # noqa: F401 (the fixture)
from ticketing.intake import Intake, receive_email
from ticketing.models import Interaction


def _mail(message_id: str, *attachments: tuple[str, bytes]) -> bytes:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "zhang@example.com", "95598@hotline.demo", "停电"
    message["Message-ID"] = f"<{message_id}@example.com>"
    message.set_content("家里停电了，照片见附件。")
    for name, data in attachments:
        message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return bytes(message)


async def _receive(settings, message_id: str, age_days: float, *attachments, open_order: bool = False) -> int:
    """An e-mail taken in ``age_days`` ago (its event and its files as old), linked to an open
    order if asked."""
    engine = ticketing.create_engine(database_url(settings))
    try:
        async with ticketing.sessionmaker(engine).begin() as session:
            row = await receive_email(
                Intake(), session, _mail(message_id, *attachments), files_dir=settings.data_dir / "mail"
            )
            when = dt.datetime.now(dt.UTC) - dt.timedelta(days=age_days)
            await session.execute(
                update(Interaction).where(Interaction.id == row.id).values(occurred_at=when)
            )
            if open_order:
                await link_to_an_open_order(session, row)
            for entry in row.payload["files"]:
                stamp = time.time() - age_days * DAY
                os.utime(entry["path"], (stamp, stamp))
            return row.id
    finally:
        await engine.dispose()


async def _event(settings, event_id: int) -> Interaction:
    engine = ticketing.create_engine(database_url(settings))
    try:
        async with ticketing.sessionmaker(engine)() as session:
            return await session.get(Interaction, event_id)
    finally:
        await engine.dispose()


def test_old_mail_attachments_go_and_their_events_say_so(platform, capsys):  # noqa: F811
    old = asyncio.run(_receive(platform, "old", 100, ("照片.jpg", b"j" * 300), ("单据.pdf", b"p" * 200)))
    evidence = asyncio.run(_receive(platform, "evidence", 100, ("现场.jpg", b"e" * 50), open_order=True))
    fresh = asyncio.run(_receive(platform, "fresh", 2, ("new.txt", b"n" * 10)))
    old_files = [f["path"] for f in asyncio.run(_event(platform, old)).payload["files"]]
    kept_file = asyncio.run(_event(platform, evidence)).payload["files"][0]["path"]
    fresh_file = asyncio.run(_event(platform, fresh)).payload["files"][0]["path"]
    # the files of a message whose event was never stored (the MTA gave up on it)
    stray = platform.data_dir / "mail" / "0123456789abcdef" / "01-stray.bin"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"s" * 5)
    os.utime(stray, (time.time() - 100 * DAY, time.time() - 100 * DAY))

    assert main(["purge-recordings", "--days", "30", "--dry-run", "--kind", "mail"]) == 0
    out = capsys.readouterr().out
    assert all(f"would delete {path}" in out for path in [*old_files, str(stray)])
    assert all(os.path.exists(path) for path in [*old_files, kept_file, fresh_file, stray])
    assert "照片.jpg" in str(asyncio.run(_event(platform, old)).payload)
    assert all("path" in f for f in asyncio.run(_event(platform, old)).payload["files"])

    assert main(["purge-recordings", "--days", "30"]) == 0
    out = capsys.readouterr().out
    assert not any(os.path.exists(path) for path in [*old_files, str(stray)])
    assert not stray.parent.exists() and not os.path.exists(os.path.dirname(old_files[0]))
    assert os.path.exists(kept_file) and os.path.exists(fresh_file)
    assert "deleted 3 file(s), 505 bytes; kept 1" in out
    assert f"kept {kept_file} (linked to an open work order)" in out

    purged = asyncio.run(_event(platform, old))
    assert [f["name"] for f in purged.payload["files"]] == ["照片.jpg", "单据.pdf"]
    assert all("path" not in f and f["purged_at"] for f in purged.payload["files"])
    assert purged.payload["attachments"] == ["照片.jpg", "单据.pdf"]
    # the inbox names them, marked, with no link to a file that is gone
    shown = event_view(purged)["attachments"]
    assert [(a["name"], a["url"], a["purged"]) for a in shown] == [
        ("照片.jpg", None, True),
        ("单据.pdf", None, True),
    ]
    kept = event_view(asyncio.run(_event(platform, evidence)))["attachments"]
    assert kept[0]["url"] and kept[0]["purged"] is False

    # a second run finds nothing more to do
    assert main(["purge-recordings", "--days", "30", "--kind", "mail"]) == 0
    assert "deleted 0 file(s), 0 bytes; kept 1" in capsys.readouterr().out


def test_mail_is_a_kind_the_help_names():
    parser = build_parser()
    args = parser.parse_args(["purge-recordings", "--days", "90", "--kind", "mail"])
    assert args.kind == ["mail"]
    purge = parser._subparsers._group_actions[0].choices["purge-recordings"]
    assert "e-mail attachments" in purge.format_help()
