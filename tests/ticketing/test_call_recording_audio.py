"""A call given up in the queue has no recording to offer: MixMonitor wrote only a WAV header
(44 bytes, 0 s) and the 通话明细 linked it as 播放 (QA F10). ``CallLinker`` keeps a call's file
only when it was answered, and the call detail links a file only of a call someone talked on,
rows stored before included (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from cti.call_events import CallEnded
from ticketing.call_reports import CallsQuery, call_detail
from ticketing.calls import CallLinker
from ticketing.models import Interaction

START = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)
END = START + dt.timedelta(days=1)


def _ended(call_id: str, at: float, *, answered: bool) -> CallEnded:
    return CallEnded(
        call_id=call_id,
        direction="inbound",
        outcome="answered" if answered else "abandoned_queue",
        caller="13000000410",
        queue="complaint",
        agent_id="1001" if answered else "",
        started_at=at,
        queued_at=at,
        answered_at=at + 10 if answered else 0.0,
        ended_at=at + 70,
        # the dialplan starts MixMonitor on entering the queue, answered or not
        recording=f"/var/spool/asterisk/monitor/hotline/20261126/{call_id}.wav",
    )


async def test_only_a_call_talked_on_is_linked_to_its_recording(sm, session):
    at = START.timestamp() + 3600
    linker = CallLinker(sm)
    await linker.handle(_ended("talked.1", at, answered=True))
    await linker.handle(_ended("given-up.2", at + 100, answered=False))
    async with sm.begin() as db:
        # as CallLinker stored a given-up call before: its header-only file on the row
        db.add(
            Interaction(
                kind="call",
                external_id="stored-before.3",
                number="13000000410",
                occurred_at=START + dt.timedelta(hours=2),
                status="ended",
                duration=0.0,
                file_path="/var/spool/asterisk/monitor/hotline/20261126/stored-before.3.wav",
                payload={"outcome": "abandoned_queue", "queue": "complaint"},
            )
        )
    files = dict(
        (
            await session.execute(
                select(Interaction.external_id, Interaction.file_path).where(Interaction.kind == "call")
            )
        ).all()
    )
    assert files["talked.1"].endswith("talked.1.wav") and files["given-up.2"] == ""
    rows = {
        r["call_id"]: r["recording"] for r in (await call_detail(session, CallsQuery(START, END)))["rows"]
    }
    assert rows == {"talked.1": files["talked.1"], "given-up.2": "", "stored-before.3": ""}
