"""Every call a campaign placed, not only each contact's last outcome (SQLite and PostgreSQL):
the campaign's progress counts the calls and the late answers among them, and the 外呼拨打统计
report shows them per campaign and day in the site's time, with each campaign's 合计. QA: a late
answer (an agent took the customer only after 2 s) showed nowhere but in campaign_attempts, and
the report counted contacts, so a customer tried three times read as one no-answer."""

import datetime as dt

from campaigns import store
from campaigns.report import campaign_attempts as attempts_report
from ticketing.models import Campaign, CampaignAttempt, CampaignContact

START = dt.datetime(2026, 11, 9, 16, 0, tzinfo=dt.UTC)  # 11-10 00:00 in Shanghai
END = START + dt.timedelta(days=2)
#: 11-10 23:30 and 11-11 00:30 in Shanghai: the same UTC day, two of the site's
LATE_EVENING = dt.datetime(2026, 11, 10, 15, 30, tzinfo=dt.UTC)
AFTER_MIDNIGHT = dt.datetime(2026, 11, 10, 16, 30, tzinfo=dt.UTC)


async def calls_placed(session):
    """Two campaigns' calls over the site's 11-10 and 11-11 (and one the day before)."""
    predictive = Campaign(name="停电回呼", mode="predictive", queue="service", created_at=START)
    other = Campaign(name="回访", mode="preview", queue="service", created_at=START)
    session.add_all([predictive, other])
    await session.flush()
    contacts = []
    for n, campaign in enumerate([predictive] * 3 + [other]):
        contact = CampaignContact(campaign_id=campaign.id, number=f"1380000{n:04d}", source_key=f"k{n}")
        contacts.append(contact)
    session.add_all(contacts)
    await session.flush()
    a, b, c, d = contacts

    def call(contact, at, outcome, *, late=False, campaign=predictive):
        return CampaignAttempt(
            campaign_id=campaign.id,
            contact_id=contact.id,
            call_id=f"c{contact.id}-{at.timestamp()}",
            mode=campaign.mode,
            placed_at=at,
            ended_at=at if outcome else None,
            outcome=outcome,
            late=late,
        )

    session.add_all(
        [
            # 11-10: a tried twice, then answered late; b busy; the agent's phone missed c
            call(a, LATE_EVENING - dt.timedelta(hours=3), "no_answer"),
            call(a, LATE_EVENING - dt.timedelta(hours=2), "no_answer"),
            call(a, LATE_EVENING, "answered", late=True),
            call(b, LATE_EVENING, "busy"),
            call(c, LATE_EVENING, "agent_missed"),
            # 11-11: b answered in time, c abandoned, one still ringing
            call(b, AFTER_MIDNIGHT, "answered"),
            call(c, AFTER_MIDNIGHT, "abandoned"),
            call(c, AFTER_MIDNIGHT + dt.timedelta(minutes=5), ""),
            call(d, AFTER_MIDNIGHT, "answered", campaign=other),
            # before the period: not in the report, in the campaign's progress
            call(d, START - dt.timedelta(minutes=1), "failed", campaign=other),
        ]
    )
    a.last_outcome = "answered"  # the contact's own record: only its last try
    await session.flush()
    return predictive, other


async def test_the_progress_counts_every_call_and_the_late_answers(session):
    predictive, other = await calls_placed(session)
    attempts = (await store.progress(session, predictive.id))["attempts"]
    # the agent_missed call never rang the customer: not an attempt, counted on its own
    assert attempts == {
        "attempts": 7,
        "answered": 2,
        "late": 1,
        "no_answer": 2,
        "busy": 1,
        "failed": 0,
        "abandoned": 1,
        "agent_missed": 1,
        "interrupted": 0,
        "on_call": 1,
    }
    assert (await store.progress(session, other.id))["attempts"]["failed"] == 1
    empty = Campaign(name="草稿", queue="service", created_at=START)
    session.add(empty)
    await session.flush()
    assert (await store.progress(session, empty.id))["attempts"] == store.empty_attempts()


async def test_the_report_counts_calls_per_campaign_and_local_day(session):
    predictive, other = await calls_placed(session)
    found = await attempts_report(session, START, END, tz="Asia/Shanghai")
    by_row = {(r["name"], r["date"]): r for r in found["rows"]}
    assert list(by_row) == [("停电回呼", "2026-11-10"), ("停电回呼", "2026-11-11"), ("回访", "2026-11-11")]
    first = by_row["停电回呼", "2026-11-10"]
    assert (first["attempts"], first["answered"], first["late"], first["no_answer"], first["busy"]) == (
        4,
        1,
        1,
        2,
        1,
    )
    assert (first["agent_missed"], first["reach_rate"]) == (1, 0.25)
    second = by_row["停电回呼", "2026-11-11"]
    assert (second["attempts"], second["answered"], second["abandoned"], second["on_call"]) == (3, 1, 1, 1)
    totals = {r["name"]: r for r in found["totals"]}
    assert (totals["停电回呼"]["attempts"], totals["停电回呼"]["late"]) == (7, 1)
    assert totals["回访"]["attempts"] == 1  # its call before the period is not counted
    assert [(r["date"], r["attempts"]) for r in found["by_day"]] == [("2026-11-10", 4), ("2026-11-11", 4)]
    assert (found["overall"]["attempts"], found["overall"]["answered"], found["overall"]["reach_rate"]) == (
        8,
        3,
        0.375,
    )
