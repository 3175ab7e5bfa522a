"""A delivery report that comes before the dispatcher has written the gateway's id down is held
and applied once it has (``ticketing.sms_status``), on SQLite and PostgreSQL: also when the two
race, report and dispatcher at the same moment, for many messages at once."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from ticketing.models import Notification
from ticketing.models.knowledge import SmsReport
from ticketing.notify import Dispatcher
from ticketing.sms_status import DeliveryReport, take_report


class ReportingGateway:
    """Answers each SMS with an id and reports it delivered at once, while the dispatcher is
    still to write the id down (a fast gateway's 状态报告)."""

    def __init__(self, sm) -> None:
        self.sm, self.n, self.reports, self.outcomes = sm, 0, [], []

    async def send(self, recipient: str, subject: str, body: str) -> str:
        self.n += 1
        gateway_id = f"race-{self.n}"

        async def report() -> None:
            self.outcomes.append(await take_report(self.sm, None, DeliveryReport(gateway_id, "delivered")))

        self.reports.append(asyncio.create_task(report()))
        await asyncio.sleep(0)  # the report's transaction under way first
        return gateway_id


async def _queue(sm, count: int) -> list[int]:
    async with sm.begin() as session:
        rows = [
            Notification(channel="sms", recipient=f"1380013{n:04d}", body="您的工单已受理。")
            for n in range(count)
        ]
        session.add_all(rows)
        await session.flush()
        return [row.id for row in rows]


async def test_a_report_before_the_id_is_written_is_applied_once_it_is(sm):
    held = await take_report(sm, None, DeliveryReport("early-1", "failed", "UNDELIV"))
    assert held.result == "unknown"
    [note_id] = await _queue(sm, 1)

    class Early:
        async def send(self, recipient, subject, body):
            return "early-1"

    assert await Dispatcher(sm, sms=Early()).deliver_pending() == (1, 0)
    async with sm() as session:
        note = await session.get(Notification, note_id)
        assert (note.state, note.delivery, note.delivery_reason) == ("failed", "failed", "UNDELIV")
        assert note.error == "delivery report: failed: UNDELIV"
        assert await session.scalar(select(SmsReport.notification_id)) == note_id


@pytest.mark.parametrize("count", [12])
async def test_reports_racing_the_dispatcher_are_all_applied(sm, count):
    ids = await _queue(sm, count)
    gateway = ReportingGateway(sm)
    assert await Dispatcher(sm, sms=gateway).deliver_pending() == (count, 0)
    await asyncio.gather(*gateway.reports)
    async with sm() as session:
        notes = list(await session.scalars(select(Notification).where(Notification.id.in_(ids))))
        held = list(await session.scalars(select(SmsReport).where(SmsReport.notification_id.is_(None))))
    assert [n.delivery for n in notes] == ["delivered"] * count, [(n.gateway_id, n.delivery) for n in notes]
    assert held == []
