"""The campaign outcomes report, from known contacts (SQLite and PostgreSQL)."""

import datetime as dt

from campaigns.report import campaign_outcomes
from ticketing.models import Campaign, CampaignContact

START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
END = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def _contact(n, state, *, attempts=1, outcome="", disposition=""):
    return CampaignContact(
        number=f"1380000{n:04d}",
        source_key=f"k{n}",
        state=state,
        attempts=attempts,
        last_outcome=outcome,
        disposition=disposition,
    )


async def test_outcomes_per_campaign(session):
    visit = Campaign(
        name="回访 11月", kind="visit_back", queue="service", created_at=START + dt.timedelta(days=2)
    )
    old = Campaign(
        name="上月",
        queue="service",
        created_at=START - dt.timedelta(days=40),
        finished_at=START - dt.timedelta(days=3),
    )
    session.add_all([visit, old])
    await session.flush()
    contacts = [
        _contact(1, "done", outcome="answered", disposition="satisfied"),
        _contact(2, "done", attempts=2, outcome="answered", disposition="satisfied"),
        _contact(3, "failed", attempts=3, outcome="no_answer"),
        _contact(4, "pending", attempts=0),
        _contact(5, "dnc", attempts=0),
    ]
    for c in contacts:
        c.campaign_id = visit.id
    finished = _contact(9, "done", outcome="answered")
    finished.campaign_id = old.id
    session.add_all([*contacts, finished])
    await session.flush()
    rows = (await campaign_outcomes(session, START, END))["rows"]
    assert [r["name"] for r in rows] == ["回访 11月"]  # the other was over before the period
    row = rows[0]
    assert row["contacts"] == 5 and row["attempts"] == 6 and row["answered"] == 2
    assert row["states"] == {"done": 2, "failed": 1, "pending": 1, "dnc": 1}
    assert row["dispositions"] == {"satisfied": 2}
    assert row["reach_rate"] == 0.5  # 2 reached of the 4 whose fate is settled
