"""A notice's writes as the audit log and the agents' screen-pops learn them (QA #3, #8).

撤销 keeps every version (the last one says who withdrew it and why): its audit row is
``notice.withdraw`` (撤销停电信息), not a deletion. Each write queues ``OutageNoticeChanged`` for
after its commit, so the pops listing the outages of a site follow it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ticketing.events import OutageNoticeChanged, discard_pending, pending_events
from ticketing.knowledge import change_notice, delete_notice, end_now, publish_notice
from ticketing.models import AuditLog


def _told(session) -> list[tuple[str, str, bool, int | None]]:
    return [
        (e.key, e.change, e.active, e.site_id)
        for e in pending_events(session)
        if isinstance(e, OutageNoticeChanged)
    ]


async def test_each_write_of_a_notice_is_told_and_a_withdrawal_is_audited_as_such(session, seeded):
    discard_pending(session)  # the demo's own notices, published while seeding
    user = seeded.users["3001"]
    site = seeded.sites["440106"].id
    now = dt.datetime.now(dt.UTC)
    notice = await publish_notice(
        session,
        user,
        site_id=site,
        area="天河路",
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=3),
    )
    key = notice.notice_key
    await change_notice(session, user, key, remark="检修延长", ends_at=now + dt.timedelta(hours=5))
    other = await publish_notice(
        session, user, site_id=site, area="中山路", starts_at=now, ends_at=now + dt.timedelta(hours=2)
    )
    await end_now(session, user, other.notice_key, {"remark": "已恢复送电"})
    await delete_notice(session, user, key, remark="客户来电核实：线路已恢复")
    assert _told(session) == [
        (key, "published", True, site),
        (key, "changed", True, site),
        (other.notice_key, "published", True, site),
        (other.notice_key, "ended", False, site),
        (key, "withdrawn", False, site),
    ]
    await session.commit()

    rows = list(
        await session.scalars(
            select(AuditLog)
            .where(AuditLog.entity == "outage_notice", AuditLog.entity_id == key)
            .order_by(AuditLog.id)
        )
    )
    assert [r.action for r in rows] == ["notice.publish", "notice.change", "notice.withdraw"]
    # the stored state of the last version (已删除, read 已撤销 on the pages and in the audit log)
    assert (rows[-1].before["state"], rows[-1].after["state"]) == ("发布中", "已删除")
