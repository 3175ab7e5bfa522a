"""通话明细 says what came of a campaign's call nobody answered, in the campaign reports' words, and
whose seat placed it (QA #11): the bridge ends every outbound call nobody answered as ``failed``
with no agent, so two attempts 外呼拨打统计 counted as 无人接听 read 呼叫失败 with 工号 and 姓名 empty.
Now the attempt's own outcome (no_answer 无人接听, busy 忙, agent_missed 坐席未接) and agent stand
there; a real failure (CONGESTION) stays failed, with its agent; an agent's own dial-out nobody
answered, which no campaign placed, stays as it was. SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from campaigns import store
from campaigns.report import campaign_attempts
from cti.call_events import CallEnded, CallStarted
from ticketing.call_reports import CallsQuery, call_detail
from ticketing.calls import CallLinker
from ticketing.models import Campaign, CampaignContact, User

TZ = ZoneInfo("Asia/Shanghai")
DAY = dt.datetime(2026, 11, 30, tzinfo=TZ)


def t(hm: str) -> float:
    h, m = (int(x) for x in hm.split(":"))
    return DAY.replace(hour=h, minute=m).timestamp()


async def unanswered(linker: CallLinker, call_id: str, number: str, at: str) -> None:
    """An outbound call the bridge placed and nobody answered, as it records one."""
    await linker.handle(CallStarted(call_id=call_id, direction="outbound", caller=number, started_at=t(at)))
    await linker.handle(
        CallEnded(
            call_id=call_id, direction="outbound", outcome="failed", caller=number,
            started_at=t(at), ended_at=t(at) + 30, hangup_side="system",
        )
    )  # fmt: skip


async def test_an_unanswered_campaign_attempt_reads_as_the_campaign_reports_say(sm, session, seeded):
    async with sm.begin() as db:
        campaign = Campaign(
            name="QA测试回访", queue="service", mode="progressive", created_at=DAY - dt.timedelta(days=1)
        )
        db.add(campaign)
        await db.flush()
        contact = CampaignContact(campaign_id=campaign.id, number="13800138000", source_key="qa-11")
        db.add(contact)
        await db.flush()
        # the dialer's own writes (campaigns.dialer): the attempt for 1001's seat, its call id,
        # and what the DialStatus said of it (campaigns.rules.outcome_of)
        for call_id, outcome in (("c-na1", "no_answer"), ("c-na2", "no_answer"), ("c-busy", "busy"),
                                 ("c-cong", "failed"), ("c-seat", "agent_missed")):  # fmt: skip
            attempt = await store.start_attempt(db, campaign, contact.id, agent_id="1001")
            await store.placed(db, attempt.id, contact.id, call_id)
            await store.attempt_ended(db, call_id, outcome, DAY.astimezone(dt.UTC))
    linker = CallLinker(sm)
    for n, call_id in enumerate(("c-na1", "c-na2", "c-busy", "c-cong", "c-seat")):
        await unanswered(linker, call_id, "13800138000", f"03:{28 + n:02d}")
    await unanswered(linker, "c-own", "13900139000", "03:40")  # an agent's dial-out: no campaign's

    rows = {
        r["call_id"]: r
        for r in (await call_detail(session, CallsQuery(DAY, DAY + dt.timedelta(days=1))))["rows"]
    }
    name = await session.scalar(select(User.name).where(User.staff_no == "1001"))
    assert name
    said = {call_id: (r["outcome"], r["agent_id"], r["agent_name"]) for call_id, r in rows.items()}
    assert said == {
        "c-na1": ("no_answer", "1001", name),
        "c-na2": ("no_answer", "1001", name),
        "c-busy": ("busy", "1001", name),
        "c-cong": ("failed", "1001", name),  # a real failure keeps its word, 呼叫失败
        "c-seat": ("agent_missed", "1001", name),
        "c-own": ("failed", "", ""),
    }
    # nobody talked on them: no one handled them, and the calls are still no queue's
    assert all(r["handled_by"] == [] and r["talk"] == 0.0 for r in rows.values())

    # 外呼拨打统计 counts the same calls with the same words (placed now: the dialer's clock)
    now = dt.datetime.now(dt.UTC)
    figures = (await campaign_attempts(session, now - dt.timedelta(days=1), now + dt.timedelta(days=1)))[
        "overall"
    ]
    assert (figures["no_answer"], figures["busy"], figures["failed"]) == (2, 1, 1), figures
