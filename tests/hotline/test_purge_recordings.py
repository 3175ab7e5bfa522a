"""``hotline purge-recordings``: old files go, those of calls open work orders link stay."""

from __future__ import annotations

import asyncio
import os
import time

import pytest

import ticketing
from hotline.cli import main
from hotline.config import load_settings
from hotline.runtime import database_url, seed
from ticketing import create_order
from ticketing.calls import link, upsert_interaction
from ticketing.models import Site, User

DAY = 86400


async def link_to_an_open_order(session, interaction) -> None:
    """A 故障报修 order 1001 opened for 广州, still open, linked to ``interaction``: its files are
    evidence, which the purge keeps."""
    from sqlalchemy import select

    agent = await session.scalar(select(User).where(User.staff_no == "1001"))
    site = await session.scalar(select(Site).where(Site.code == "440100"))
    order = await create_order(
        session,
        agent,
        workflow="fault_repair",
        site_id=site.id,
        form={"故障地址": "天河路1号", "所属供电局": "440100"},
        caller_number="13800138000",
    )
    await link(session, order, interaction)


async def _linked_order(settings, call_id: str) -> None:
    engine = ticketing.create_engine(database_url(settings))
    try:
        async with ticketing.sessionmaker(engine).begin() as session:
            await link_to_an_open_order(session, await upsert_interaction(session, "recording", call_id))
    finally:
        await engine.dispose()


@pytest.fixture
def platform(tmp_path, monkeypatch):
    """The demo's platform on files of this test's own: data dir, SQLite database (seeded with
    the demo) and Asterisk root under ``tmp_path``; its settings."""
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'hotline.sqlite3'}")
    monkeypatch.setenv("HOTLINE_ASTERISK_ROOT", str(tmp_path / "root"))
    settings = load_settings()
    asyncio.run(seed(settings, demo=True))
    return settings


def _file(settings, rel: str, age_days: float):
    path = settings.asterisk_root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * 100)
    os.utime(path, (time.time() - age_days * DAY, time.time() - age_days * DAY))
    return path


def test_purge_keeps_evidence_of_open_orders(platform, capsys):
    asyncio.run(_linked_order(platform, "1700000000.11"))
    evidence = _file(platform, "var/spool/asterisk/monitor/hotline/20260101/1700000000.11.wav", 100)
    old = _file(platform, "var/spool/asterisk/monitor/hotline/20260101/1700000000.22.wav", 100)
    fresh = _file(platform, "var/spool/asterisk/monitor/hotline/20261120/1700000000.33.wav", 1)
    old_fax = _file(platform, "var/spool/asterisk/fax/hotline/20260101/1700000000.44.tif", 100)

    assert main(["purge-recordings", "--days", "30", "--dry-run", "--kind", "fax"]) == 0
    out = capsys.readouterr().out
    assert "would delete" in out and old_fax.name in out and old.name not in out and old_fax.exists()

    assert main(["purge-recordings", "--days", "30"]) == 0
    out = capsys.readouterr().out
    assert not old.exists() and not old_fax.exists()
    assert evidence.exists() and fresh.exists()
    assert "deleted 2 file(s), 200 bytes; kept 1" in out and "linked to an open work order" in out


def test_days_must_be_positive(platform, capsys):
    assert main(["purge-recordings", "--days", "0"]) == 2
    assert "--days must be positive" in capsys.readouterr().err
