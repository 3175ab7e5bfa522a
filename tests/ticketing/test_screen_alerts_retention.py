"""提醒 does not grow for ever: the SLA worker deletes the screen notices read and older than the
configured days (90 by default, ``HOTLINE_NOTIFICATION_RETENTION_DAYS``); unread ones wait for
their user however old, and the outbox's SMS and email rows are kept."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import select

from hotline.config import ConfigError, load_settings
from hotline.runtime import _sla_worker
from ticketing import SlaWorker
from ticketing.models import Notification

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)


async def _notices(sm, user_id: int, now: dt.datetime = NOW) -> dict[str, int]:
    """Rows by name: (channel, age in days at ``now``, read or not)."""
    rows = {}
    async with sm.begin() as db:
        for channel, days, read in [
            ("screen", 200, True),
            ("screen", 91, True),
            ("screen", 200, False),
            ("screen", 89, True),
            ("screen", 1, False),
            ("sms", 200, False),
            ("email", 200, False),
        ]:
            made = now - dt.timedelta(days=days)
            row = Notification(
                channel=channel,
                recipient="5101",
                user_id=user_id,
                body="工单已超期",
                state="sent",
                kind="overrun",
                created_at=made,
                read_at=made + dt.timedelta(hours=1) if read else None,
            )
            db.add(row)
            await db.flush()
            rows[f"{channel} {days}d {'read' if read else 'unread'}"] = row.id
    return rows


async def _left(sm) -> set[int]:
    async with sm() as db:
        return set(await db.scalars(select(Notification.id)))


async def test_read_notices_past_the_retention_are_deleted_unread_ones_kept(sm, seeded):
    rows = await _notices(sm, seeded.users["5101"].id)
    worker = SlaWorker(sm)
    assert worker.notice_days == 90
    assert await worker.purge_notices(NOW) == 2
    gone = {name for name, row_id in rows.items() if row_id not in await _left(sm)}
    assert gone == {"screen 200d read", "screen 91d read"}
    assert await worker.purge_notices(NOW) == 0
    # a shorter retention: the read one of 89 days goes too, the unread stay
    assert await SlaWorker(sm, notice_days=30).purge_notices(NOW) == 1
    assert await _left(sm) == {
        rows[n] for n in ("screen 200d unread", "screen 1d unread", "sms 200d unread", "email 200d unread")
    }


async def test_the_running_worker_purges_with_the_configured_days(sm, seeded, tmp_path):
    rows = await _notices(sm, seeded.users["5101"].id, dt.datetime.now(dt.UTC))  # the worker's clock
    settings = load_settings(
        env={"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_NOTIFICATION_RETENTION_DAYS": "150"}
    )
    worker = _sla_worker(settings, sm, None)
    assert worker.notice_days == 150
    worker.poll_seconds = 0.05
    task = asyncio.create_task(worker.run())
    try:
        for _ in range(100):
            if rows["screen 200d read"] not in await _left(sm):
                break
            await asyncio.sleep(0.05)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    left = await _left(sm)
    assert rows["screen 200d read"] not in left and rows["screen 91d read"] in left


def test_the_retention_is_90_days_unless_configured_and_at_least_one(tmp_path):
    assert load_settings(env={"HOTLINE_DATA_DIR": str(tmp_path)}).notification_retention_days == 90
    with pytest.raises(ConfigError, match="notification_retention_days must be at least 1"):
        load_settings(env={"HOTLINE_DATA_DIR": str(tmp_path), "HOTLINE_NOTIFICATION_RETENTION_DAYS": "0"})
