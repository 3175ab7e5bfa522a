"""Campaigns on the database (SQLite and PostgreSQL): sources, import, and the
dialer driven with a fake telephony and a fake clock."""

import contextlib
import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import select

from campaigns import importer, rules, sources, store
from campaigns.dialer import Dialer
from campaigns.events import CampaignCallEnded, CampaignCallPlaced, CampaignContactOffered
from cti.bus import InProcessBus
from cti.calendar import WorkCalendar
from ivr.events import CallbackRequested
from ticketing.models import (
    AuditLog,
    Campaign,
    CampaignAttempt,
    CampaignContact,
    Customer,
    Interaction,
    WorkflowDefinition,
    WorkOrder,
)
from ticketing.seed import seed_defaults

NOW = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)  # Thursday 10:00 in Shanghai


class FakeTelephony:
    def __init__(self, ready: dict[str, list[str]]) -> None:
        self.ready = ready
        self.placed: list[tuple[str, str, str]] = []
        self.started = False

    def start(self, on_outcome, on_connected=None) -> None:
        self.on_outcome = on_outcome
        self.on_connected = on_connected

    async def stop(self) -> None:
        pass

    def ready_agents(self, queue: str) -> list[str]:
        return list(self.ready.get(queue, []))

    async def place(self, agent_id: str, number: str, ring_seconds: int):
        call_id = f"out-{len(self.placed) + 1}"
        self.placed.append((agent_id, number, call_id))
        self.ready = {q: [a for a in agents if a != agent_id] for q, agents in self.ready.items()}
        return True, call_id, ""

    async def place_predictive(self, queue: str, number: str, ring_seconds: int):
        call_id = f"out-{len(self.placed) + 1}"
        self.placed.append(("", number, call_id))
        return True, call_id, ""

    def connected(self, call_id: str) -> bool:
        return call_id in self.taken

    taken: set = set()


class Clock:
    def __init__(self) -> None:
        self.mono = 1000.0
        self.utc = NOW

    def advance(self, seconds: float) -> None:
        self.mono += seconds
        self.utc += dt.timedelta(seconds=seconds)


def collect(bus, *types) -> list:
    seen: list = []

    async def keep(event) -> None:
        seen.append(event)

    bus.subscribe(keep, types=list(types))
    return seen


@pytest.fixture
def bus():
    return InProcessBus()


def dialer_for(sm, phone, bus, clock) -> Dialer:
    d = Dialer(sm, phone, bus, calendar=WorkCalendar.china(), clock=lambda: clock.mono, now=lambda: clock.utc)
    phone.start(d.on_outcome)
    return d


async def new_campaign(sm, **kw) -> int:
    async with sm.begin() as s:
        await store.ensure_dispositions(s)
        kw.setdefault("calls_per_second", 10)
        c = await store.create_campaign(s, name=kw.pop("name", "回访"), queue=kw.pop("queue", "camp-a"), **kw)
        return c.id


async def add(sm, cid, *numbers, start=True):
    async with sm.begin() as s:
        c = await s.get(Campaign, cid)
        for n, number in enumerate(numbers):
            await store.add_contact(
                s, c, number, source_key=f"t{n}", priority_at=NOW + dt.timedelta(seconds=n)
            )
        if start:
            await store.set_status(s, c, "start")


async def contacts(sm, cid) -> dict[str, CampaignContact]:
    async with sm() as s:
        rows = await s.scalars(select(CampaignContact).where(CampaignContact.campaign_id == cid))
        return {r.number: r for r in rows}


async def test_progressive_dials_one_call_per_ready_agent_and_retries_busy(sm, bus):
    cid = await new_campaign(sm, retry_minutes={"busy": 5}, max_attempts=2)
    await add(sm, cid, "13800000001", "13800000002", "13800000003")
    phone, clock = FakeTelephony({"camp-a": ["1001", "1002"]}), Clock()
    seen = collect(bus, CampaignCallPlaced, CampaignCallEnded)
    d = dialer_for(sm, phone, bus, clock)

    await d.tick()
    assert [(a, n) for a, n, _ in phone.placed] == [("1001", "13800000001"), ("1002", "13800000002")]
    await d.tick()  # nobody ready: no third call
    assert len(phone.placed) == 2

    await d.on_outcome("out-1", rules.ANSWERED)
    await d.on_outcome("out-2", rules.BUSY)
    await d.on_outcome("out-2", rules.BUSY)  # seen twice: changes nothing
    got = await contacts(sm, cid)
    assert got["13800000001"].state == "done" and got["13800000001"].attempts == 1
    busy = got["13800000002"]
    assert (busy.state, busy.attempts, busy.last_outcome) == ("pending", 1, "busy")
    assert busy.next_attempt_at == NOW + dt.timedelta(minutes=5)

    phone.ready = {"camp-a": ["1001", "1002"]}
    clock.advance(1)
    await d.tick()  # the busy one is not due yet: the third contact goes out
    assert phone.placed[-1][1] == "13800000003"
    await d.on_outcome("out-3", rules.NO_ANSWER)
    clock.advance(6 * 60)
    phone.ready = {"camp-a": ["1001"]}
    await d.tick()
    assert phone.placed[-1][1] == "13800000002"  # retried after its delay
    await d.on_outcome("out-4", rules.BUSY)
    assert (await contacts(sm, cid))["13800000002"].state == "failed"  # 2 attempts: the limit
    await bus.drain()
    assert [type(e).__name__ for e in seen][:2] == ["CampaignCallPlaced", "CampaignCallPlaced"]
    assert {e.outcome for e in seen if isinstance(e, CampaignCallEnded)} == {"answered", "busy", "no_answer"}


async def test_no_calls_outside_the_calling_window_or_at_rest_times(sm, bus):
    cid = await new_campaign(sm, windows=["14:00-18:00"])
    await add(sm, cid, "13800000001")
    phone, clock = FakeTelephony({"camp-a": ["1001"]}), Clock()
    d = dialer_for(sm, phone, bus, clock)
    await d.tick()
    assert phone.placed == []  # 10:00 is outside 14:00-18:00
    clock.advance(4 * 3600)
    await d.tick()
    assert len(phone.placed) == 1


async def test_pacing_caps_calls_in_flight_and_the_rate(sm, bus):
    cid = await new_campaign(sm, max_in_flight=2, calls_per_second=1)
    await add(sm, cid, *[f"1380000000{i}" for i in range(6)])
    phone, clock = FakeTelephony({"camp-a": [f"10{i:02d}" for i in range(6)]}), Clock()
    d = dialer_for(sm, phone, bus, clock)
    await d.tick()
    assert len(phone.placed) == 1  # one call a second
    clock.advance(1)
    await d.tick()
    assert len(phone.placed) == 2
    clock.advance(1)
    await d.tick()
    assert len(phone.placed) == 2  # two in flight: the cap
    await d.on_outcome(phone.placed[0][2], rules.ANSWERED)
    await d.tick()
    assert len(phone.placed) == 3


async def test_dnc_is_checked_at_dial_time(sm, bus):
    cid = await new_campaign(sm)
    await add(sm, cid, "13800000001", "13800000002")
    async with sm.begin() as s:
        await store.add_dnc(s, "+86 138 0000 0001", "客户要求")
    async with sm.begin() as s:  # added to the list after the contact was: still never dialed
        s.add(CampaignContact(campaign_id=cid, number="13800000009", source_key="late", priority_at=NOW))
    async with sm.begin() as s:
        await store.add_dnc(s, "13800000009")
        await s.execute(
            CampaignContact.__table__.update()
            .where(CampaignContact.number == "13800000009")
            .values(state="pending")
        )
    phone, clock = FakeTelephony({"camp-a": ["1001", "1002", "1003"]}), Clock()
    d = dialer_for(sm, phone, bus, clock)
    await d.tick()
    assert [n for _, n, _ in phone.placed] == ["13800000002"]
    got = await contacts(sm, cid)
    assert got["13800000001"].state == "dnc" and got["13800000009"].state == "dnc"


async def test_preview_offers_a_contact_and_the_agent_dials_or_skips(sm, bus):
    cid = await new_campaign(sm, mode="preview", script="您好，这里是95598回访")
    await add(sm, cid, "13800000001", "13800000002")
    offers = collect(bus, CampaignContactOffered)
    phone, clock = FakeTelephony({"camp-a": ["1001"]}), Clock()
    d = dialer_for(sm, phone, bus, clock)
    await d.tick()
    await d.tick()  # one offer per agent at a time
    await bus.drain()
    assert [(o.staff_no, o.number, o.script) for o in offers] == [
        ("1001", "13800000001", "您好，这里是95598回访")
    ]
    assert phone.placed == []
    ok, call_id = await d.preview_dial("1001", offers[0].contact_id)
    assert ok and phone.placed == [("1001", "13800000001", call_id)]
    assert (await d.preview_dial("1001", offers[0].contact_id))[0] is False  # not offered any more
    await d.on_outcome(call_id, rules.ANSWERED)
    phone.ready = {"camp-a": ["1001"]}
    await d.tick()
    await bus.drain()
    assert offers[-1].number == "13800000002"
    assert await d.preview_skip("1001", offers[-1].contact_id)
    assert (await contacts(sm, cid))["13800000002"].state == "skipped"


async def test_disposition_and_progress_counts(sm, bus):
    cid = await new_campaign(sm)
    await add(sm, cid, "13800000001", "13800000002", "13800000003")
    phone, clock = FakeTelephony({"camp-a": ["1001", "1002"]}), Clock()
    d = dialer_for(sm, phone, bus, clock)
    await d.tick()
    await d.on_outcome("out-1", rules.ANSWERED)
    await d.on_outcome("out-2", rules.ANSWERED)
    got = await contacts(sm, cid)
    async with sm.begin() as s:
        await store.set_disposition(s, got["13800000001"].id, "satisfied", notes="很满意", agent_id="1001")
        await store.set_disposition(s, got["13800000002"].id, "call_later", agent_id="1002", now=NOW)
        with pytest.raises(store.CampaignError) as refused:
            await store.set_disposition(s, got["13800000002"].id, "nonsense", agent_id="1002")
        assert refused.value.code == "campaign.bad_disposition"
        with pytest.raises(store.CampaignError) as refused:  # 1001 did not call it
            await store.set_disposition(s, got["13800000002"].id, "refused", agent_id="1001")
        assert refused.value.code == "campaign.contact_not_yours"
    async with sm() as s:
        p = await store.progress(s, cid)
    assert p["states"] == {"done": 1, "pending": 2}
    assert p["dispositions"] == {"satisfied": 1, "call_later": 1}
    assert p["outcomes"] == {"answered": 2}


async def test_an_imported_list_finishes_when_every_contact_is_done(sm, bus):
    cid = await new_campaign(sm)
    await add(sm, cid, "13800000001")
    phone, clock = FakeTelephony({"camp-a": ["1001"]}), Clock()
    d = dialer_for(sm, phone, bus, clock)
    await d.tick()
    await d.on_outcome("out-1", rules.ANSWERED)
    await d.tick()
    async with sm() as s:
        assert (await s.get(Campaign, cid)).status == "finished"


async def test_callbacks_keep_the_callers_place(sm, bus):
    async with sm.begin() as s:
        for call_id, caller, entered in [("c2", "13800000002", 200.0), ("c1", "13800000001", 100.0)]:
            event = CallbackRequested(
                call_id=f"{1_780_000_000 + entered}.{call_id}",
                caller=caller,
                queue="service",
                entered_at=1_780_000_000 + entered,
                requested_at=1_780_000_500,
            )
            assert await sources.add_callback(s, event) is not None
        assert await sources.add_callback(s, event) is None  # the same request again: once
    async with sm() as s:
        campaign = await s.scalar(select(Campaign).where(Campaign.kind == "callback"))
        assert (campaign.status, campaign.queue) == ("running", "service")
        due = await store.due_contacts(s, campaign.id, NOW, 10)
    assert [c.number for c in due] == ["13800000001", "13800000002"]  # who called first is called first


async def test_missed_calls_and_visit_backs_become_contacts(sm, bus):
    async with sm.begin() as s:
        s.add_all(
            [
                Interaction(
                    kind="missed_call",
                    external_id="m1",
                    number="13800000001",
                    occurred_at=NOW - dt.timedelta(hours=1),
                ),
                Interaction(
                    kind="missed_call",
                    external_id="m2",
                    number="13800000001",
                    occurred_at=NOW - dt.timedelta(minutes=5),
                ),
                Interaction(
                    kind="missed_call",
                    external_id="m3",
                    number="13800000003",
                    occurred_at=NOW - dt.timedelta(days=3),
                ),
            ]
        )
        await seed_defaults(s)
        workflow_id = await s.scalar(select(WorkflowDefinition.id).limit(1))
        for n, days in enumerate((1, 2, 5)):
            s.add(
                WorkOrder(
                    number=f"GZ-{n}",
                    category="fault",
                    status="closed",
                    caller_number=f"1390000000{n}",
                    closed_at=NOW - dt.timedelta(days=days),
                    is_open=False,
                    workflow_id=workflow_id,
                    workflow_key="fault",
                    workflow_version=1,
                    current_node="archive",
                )
            )
        missed = await store.create_campaign(s, name="未接来电", queue="service", kind="missed_call")
        visits = await store.create_campaign(s, name="满意度回访", queue="service", kind="visit_back")
        assert await sources.refresh(s, missed, NOW) == 1  # one per number; the 3-day-old one is out of range
        assert await sources.refresh(s, missed, NOW) == 0
        assert await sources.refresh(s, visits, NOW) == 2  # every order closed within 3 days
        assert await sources.refresh(s, visits, NOW) == 0
        rows = list(
            await s.scalars(
                select(CampaignContact)
                .where(CampaignContact.campaign_id == visits.id)
                .order_by(CampaignContact.priority_at)
            )
        )
    assert [r.data["order"] for r in rows] == ["GZ-1", "GZ-0"]
    assert all(r.order_id for r in rows)


async def test_csv_import_reports_rows_before_commit(sm):
    async with sm.begin() as s:
        s.add(Customer(account_no="0100000001", name="张三"))
        campaign = await store.create_campaign(s, name="名单", queue="camp-a")
        await store.add_contact(s, campaign, "13800000005", source_key="old")
        await store.add_dnc(s, "13800000004")
        cid = campaign.id
    text = (
        "电话,姓名,户号\n"
        "13800000001,张三,0100000001\n"
        ",无号码,\n"
        "abc,坏号码,\n"
        "138-0000-0001,重复,\n"
        "13800000004,免打扰,\n"
        "13800000005,已有,\n"
        "13800000006,没户号,0199999999\n"
        "020-88886666,座机,\n"
    )
    mapping = {"number": "电话", "name": "姓名", "account_no": "户号"}
    async with sm() as s:
        report = await importer.check(s, await s.get(Campaign, cid), text.encode("gbk"), "list.csv", mapping)
    summary = report.summary()
    assert (summary["total"], summary["accepted"], summary["rejected"]) == (8, 2, 6)
    assert {r["line"]: r["reason"] for r in summary["rejected_rows"]} == {
        3: "missing_number",
        4: "invalid_number",
        5: "duplicate_in_file",
        6: "dnc",
        7: "already_in_campaign",
        8: "unknown_account",
    }
    async with sm() as s:  # the check wrote nothing
        assert (
            len(list(await s.scalars(select(CampaignContact).where(CampaignContact.campaign_id == cid)))) == 1
        )
    async with sm.begin() as s:
        await importer.commit(s, await s.get(Campaign, cid), text.encode("utf-8"), "list.csv", mapping)
    got = await contacts(sm, cid)
    assert set(got) == {"13800000005", "13800000001", "02088886666"}
    assert got["13800000001"].customer_id is not None and got["13800000001"].name == "张三"
    with pytest.raises(importer.ImportError_):
        async with sm() as s:
            await importer.check(s, await s.get(Campaign, cid), text.encode(), "list.csv", {"number": "手机"})


async def test_xlsx_import(sm):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["号码", "备注"])
    sheet.append([13800000001, "老客户"])
    sheet.append(["13800000002", ""])
    buf = io.BytesIO()
    book.save(buf)
    async with sm.begin() as s:
        campaign = await store.create_campaign(s, name="名单", queue="camp-a")
        report = await importer.commit(
            s, campaign, buf.getvalue(), "list.xlsx", {"number": "号码", "notes": "备注"}
        )
    assert report.summary()["accepted"] == 2
    got = await contacts(sm, campaign.id)
    assert got["13800000001"].notes == "老客户"


async def test_a_visit_back_not_reached_within_three_days_expires_and_is_never_dialed(sm, bus):
    async with sm.begin() as s:
        await seed_defaults(s)
        workflow_id = await s.scalar(select(WorkflowDefinition.id).limit(1))
        for n, closed_ago in enumerate((dt.timedelta(days=3) - dt.timedelta(hours=1), dt.timedelta(days=1))):
            s.add(
                WorkOrder(
                    number=f"GZ-{n}",
                    category="fault",
                    status="closed",
                    caller_number=f"1390000000{n}",
                    closed_at=NOW - closed_ago,
                    is_open=False,
                    workflow_id=workflow_id,
                    workflow_key="fault",
                    workflow_version=1,
                    current_node="archive",
                )
            )
        visits = await store.create_campaign(s, name="满意度回访", queue="service", kind="visit_back")
        await store.set_status(s, visits, "start")
        cid = visits.id
    phone, clock = FakeTelephony({}), Clock()
    d = dialer_for(sm, phone, bus, clock)

    await d.tick()  # nobody ready: both orders become contacts, with their deadline
    got = await contacts(sm, cid)
    old, recent = got["13900000000"], got["13900000001"]
    assert (old.state, recent.state) == ("pending", "pending")
    assert old.expires_at == NOW + dt.timedelta(hours=1)
    assert recent.expires_at == NOW + dt.timedelta(days=2)

    clock.advance(2 * 3600)  # 12:00: the deadline passed during the lunch break (no calling)
    await d.tick()
    got = await contacts(sm, cid)
    assert (got["13900000000"].state, got["13900000000"].attempts) == ("expired", 0)
    assert got["13900000001"].state == "pending"

    clock.advance(2 * 3600)  # 14:00: calling again, an agent is ready
    phone.ready = {"service": ["1001"]}
    await d.tick()
    assert [n for _, n, _ in phone.placed] == ["13900000001"]  # the expired one is never dialed
    async with sm() as s:
        assert (await store.progress(s, cid))["states"] == {"expired": 1, "dialing": 1}


async def test_predictive_dials_the_customers_first_and_keeps_abandons_under_the_cap(sm, bus):
    cid = await new_campaign(sm, mode="predictive", max_in_flight=50, calls_per_second=10)
    await add(sm, cid, *[f"1380000{n:04d}" for n in range(200)])
    phone, clock = FakeTelephony({"camp-a": ["1001", "1002"]}), Clock()
    phone.taken = set()
    seen = collect(bus, CampaignCallPlaced, CampaignCallEnded)
    d = dialer_for(sm, phone, bus, clock)

    await d.tick()  # no history: one call per ready agent, nobody named yet
    assert [a for a, _, _ in phone.placed] == ["", ""]
    await bus.drain()
    assert not [e for e in seen if isinstance(e, CampaignCallPlaced)]  # the card waits for an agent
    await d.tick()
    assert len(phone.placed) == 2  # both still wait for an answer: no more

    # the first is answered and taken by 1001 at once: their console gets the contact
    phone.taken.add("out-1")
    await d.on_connected("out-1", "1001")
    await bus.drain()
    (placed,) = [e for e in seen if isinstance(e, CampaignCallPlaced)]
    assert (placed.staff_no, placed.call_id, placed.number) == ("1001", "out-1", "13800000000")
    await d.on_outcome("out-1", rules.ANSWERED)
    await d.on_outcome("out-2", rules.ABANDONED)  # answered, no agent within 2 s
    got = await contacts(sm, cid)
    assert (got["13800000000"].state, got["13800000000"].agent_id) == ("done", "1001")
    abandoned = got["13800000001"]
    assert (abandoned.state, abandoned.last_outcome) == ("pending", "abandoned")
    assert abandoned.next_attempt_at == NOW + dt.timedelta(minutes=10)
    assert (d.tallies[cid].answered, d.tallies[cid].abandoned) == (2, 1)

    # 1 abandon in 2 answers is over the cap: one call per ready agent, never ahead
    await d.tick()
    assert len(phone.placed) == 4
    for call_id in ("out-3", "out-4"):
        await d.on_outcome(call_id, rules.ANSWERED)
    for n in range(100):  # a long run of calls, half answered, none abandoned
        d.tallies[cid].record(answered=n % 2 == 0)
    await d.tick()
    # answered half the time: it would place 2 per agent; the cap (3 % of 53 answers,
    # 1 already abandoned) allows 0 extra abandons, so still one per agent
    assert len(phone.placed) == 6
    for call_id in ("out-5", "out-6"):
        await d.on_outcome(call_id, rules.NO_ANSWER)
    for n in range(100):
        d.tallies[cid].record(answered=n % 2 == 0)
    await d.tick()
    assert len(phone.placed) == 9  # 103 answers allow 3 abandons: one call ahead
    await d.on_outcome("out-7", rules.ANSWERED, late=True)  # taken after 2 s: counts as abandoned
    assert d.tallies[cid].abandoned == 2


async def test_the_abandon_count_survives_a_restart_of_the_dialer(sm, bus):
    cid = await new_campaign(sm, mode="predictive", max_in_flight=50, calls_per_second=10)
    await add(sm, cid, *[f"1390000{n:04d}" for n in range(50)])
    phone, clock = FakeTelephony({"camp-a": ["1001", "1002"]}), Clock()
    phone.taken = set()
    first = dialer_for(sm, phone, bus, clock)
    await first.tick()
    await first.tick()
    assert len(phone.placed) == 2
    phone.taken.add("out-1")
    await first.on_connected("out-1", "1002")
    await first.on_outcome("out-1", rules.ANSWERED, late=True)  # taken after 2 s
    await first.on_outcome("out-2", rules.ABANDONED)
    clock.advance(1)
    await first.tick()  # two more calls, then the dialer stops before they end
    assert len(phone.placed) == 4
    async with sm() as s:
        rows = (await s.execute(select(CampaignAttempt).order_by(CampaignAttempt.id))).scalars().all()
    assert [(a.call_id, a.mode, a.agent_id, a.outcome, a.late) for a in rows] == [
        ("out-1", "predictive", "1002", "answered", True),
        ("out-2", "predictive", "", "abandoned", False),
        ("out-3", "predictive", "", "", False),
        ("out-4", "predictive", "", "", False),
    ]
    assert rows[0].ended_at is not None and rows[2].ended_at is None

    async with sm.begin() as s:
        assert await store.recover(s) == 2  # the two calls in flight: their contacts are pending again
    second = dialer_for(sm, phone, bus, clock)  # a new process: nothing in memory
    clock.advance(1)
    await second.tick()
    tally = second.tallies[cid]
    assert (tally.answered, tally.abandoned) == (2, 2)  # from the database; interrupted calls not counted
    assert len(phone.placed) == 6  # over the cap: one call per ready agent, never ahead
    async with sm() as s:
        outcomes = (await s.scalars(select(CampaignAttempt.outcome).order_by(CampaignAttempt.id))).all()
    assert outcomes == ["answered", "abandoned", "interrupted", "interrupted", "", ""]


async def test_an_agent_who_signs_out_with_a_preview_contact_gives_it_back(sm, bus):
    import asyncio

    from campaigns.events import CampaignOfferWithdrawn
    from cti.call_events import AgentStateChanged

    cid = await new_campaign(sm, mode="preview")
    await add(sm, cid, "13800000001")
    seen = collect(bus, CampaignContactOffered, CampaignOfferWithdrawn)
    phone, clock = FakeTelephony({"camp-a": ["1001"]}), Clock()
    d = Dialer(
        sm,
        phone,
        bus,
        calendar=WorkCalendar.china(),
        clock=lambda: clock.mono,
        now=lambda: clock.utc,
        tick=0.01,
    )
    running = asyncio.create_task(d.run())
    try:
        await _until(lambda: seen)
        (offered,) = seen
        assert (await contacts(sm, cid))["13800000001"].state == "dialing"
        phone.ready = {"camp-a": []}  # signed out: no longer ready in the queue either
        await bus.publish(
            AgentStateChanged(agent_id="1001", state="logged_out", previous="ready", seconds_in_previous=3)
        )
        await _until(lambda: len(seen) == 2)
        withdrawn = seen[1]
        assert isinstance(withdrawn, CampaignOfferWithdrawn)
        assert (withdrawn.staff_no, withdrawn.contact_id) == ("1001", offered.contact_id)
        assert withdrawn.campaign_id == cid
        got = (await contacts(sm, cid))["13800000001"]
        assert (got.state, got.attempts) == ("pending", 0)  # back in the list, no attempt spent
        assert d.offered("1001") is None
        assert (await d.preview_dial("1001", offered.contact_id))[0] is False
    finally:
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running


async def _until(condition, within: float = 5.0) -> None:
    import asyncio

    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 (polls what a background task changes)
            await asyncio.sleep(0.01)


async def test_a_number_with_letters_is_refused_at_import_not_cut_to_its_digits(sm):
    async with sm.begin() as s:
        campaign = await store.create_campaign(s, name="名单", queue="camp-a")
        cid = campaign.id
    text = "电话,姓名\n13800000001,张三\nabc123,字母\n138O0000002,字母O\n(020) 8888-6666,座机\n"
    async with sm.begin() as s:
        report = await importer.commit(
            s, await s.get(Campaign, cid), text.encode(), "list.csv", {"number": "电话"}
        )
    summary = report.summary()
    assert {r["line"]: (r["reason"], r["text"]) for r in summary["rejected_rows"]} == {
        3: ("invalid_number", "电话号码无效"),
        4: ("invalid_number", "电话号码无效"),
    }
    assert set(await contacts(sm, cid)) == {"13800000001", "02088886666"}


async def test_service_numbers_are_refused_at_import_like_other_bad_numbers(sm):
    async with sm.begin() as s:
        campaign = await store.create_campaign(s, name="名单", queue="camp-a")
        cid = campaign.id
    text = "电话,姓名\n13800000001,张三\n95598,客服\n400-820-8820,热线\n12345,政务\n"
    async with sm.begin() as s:
        report = await importer.commit(
            s, await s.get(Campaign, cid), text.encode(), "list.csv", {"number": "电话"}
        )
    assert {r["line"]: r["reason"] for r in report.summary()["rejected_rows"]} == {
        3: "service_number",
        4: "service_number",
        5: "service_number",
    }
    assert set(await contacts(sm, cid)) == {"13800000001"}


async def test_service_numbers_from_missed_calls_visit_backs_and_callbacks_are_kept_out_and_counted(sm, bus):
    async with sm.begin() as s:
        s.add_all(
            [
                Interaction(kind="missed_call", external_id=f"m{n}", number=number, occurred_at=NOW)
                for n, number in enumerate(("95598", "4008208820", "13800000001"))
            ]
        )
        await seed_defaults(s)
        workflow_id = await s.scalar(select(WorkflowDefinition.id).limit(1))
        for n, number in enumerate(("12345", "13900000001")):
            s.add(
                WorkOrder(
                    number=f"GZ-S{n}",
                    category="fault",
                    status="closed",
                    caller_number=number,
                    closed_at=NOW - dt.timedelta(hours=1),
                    is_open=False,
                    workflow_id=workflow_id,
                    workflow_key="fault",
                    workflow_version=1,
                    current_node="archive",
                )
            )
        missed = await store.create_campaign(s, name="未接来电", queue="service", kind="missed_call")
        visits = await store.create_campaign(s, name="满意度回访", queue="service", kind="visit_back")
        await sources.refresh(s, missed, NOW)
        await sources.refresh(s, visits, NOW)
        assert await sources.refresh(s, missed, NOW) == 0  # kept once: a refresh adds it again never
        callback = await sources.add_callback(
            s,
            CallbackRequested(
                call_id="1780000000.9", caller="95598", queue="service", entered_at=1_780_000_000
            ),
        )
        ids = {"missed": missed.id, "visits": visits.id, "callback": callback.campaign_id}
    for kind, callable_, refused in [
        ("missed", {"13800000001"}, {"95598", "4008208820"}),
        ("visits", {"13900000001"}, {"12345"}),
        ("callback", set(), {"95598"}),
    ]:
        rows = await contacts(sm, ids[kind])
        assert {n for n, c in rows.items() if c.state == "pending"} == callable_, kind
        assert {n for n, c in rows.items() if c.state == "service_number"} == refused, kind
        async with sm() as s:
            # the admin's counts name the reason, the importer's reason code, and nothing refused is due
            assert (await store.progress(s, ids[kind]))["states"].get("service_number") == len(refused)
            assert {c.number for c in await store.due_contacts(s, ids[kind], NOW, 10)} == callable_


async def test_a_finished_campaign_takes_no_list(sm):
    async with sm.begin() as s:
        campaign = await store.create_campaign(s, name="名单", queue="camp-a")
        assert store.actions(campaign) == ["start", "finish"]
        await store.set_status(s, campaign, "start")
        assert store.actions(campaign) == ["pause", "finish"]
        await store.set_status(s, campaign, "pause")
        assert store.actions(campaign) == ["start", "finish"]
        await store.set_status(s, campaign, "finish")
        assert store.actions(campaign) == []
        cid = campaign.id
    for run in (importer.check, importer.commit):
        with pytest.raises(store.CampaignError) as refused:
            async with sm.begin() as s:
                await run(s, await s.get(Campaign, cid), b"tel\n13800000001\n", "list.csv", {"number": "tel"})
        assert refused.value.code == "campaign.finished"
    assert await contacts(sm, cid) == {}


async def test_settings_are_edited_as_checked_at_creation_and_audited_until_finished(sm):
    async with sm.begin() as s:
        campaign = await store.create_campaign(s, name="回访", queue="camp-a", windows=["09:00-18:00"])
        cid = campaign.id
    async with sm.begin() as s:
        campaign = await s.get(Campaign, cid)
        await store.update_campaign(
            s,
            campaign,
            {"windows": ["09:00-12:00", "14:00-20:00"], "retry_minutes": {"busy": 15}, "max_in_flight": 2},
            calendar=WorkCalendar.china(),
        )
    async with sm() as s:
        campaign = await s.get(Campaign, cid)
        assert campaign.windows == ["09:00-12:00", "14:00-20:00"] and campaign.max_in_flight == 2
        assert store.policy_of(campaign).delay(rules.BUSY) == dt.timedelta(minutes=15)
        (row,) = await s.scalars(select(AuditLog).where(AuditLog.action == "campaign.update"))
        assert row.action == "campaign.update" and row.entity_id == str(cid)
        # the delays as the dialer applied them (QA #7: the defaults read — → 5, — → 60 …)
        defaults = rules.DEFAULT_RETRY_MINUTES
        assert row.before == {"windows": ["09:00-18:00"], "retry_minutes": defaults, "max_in_flight": 5}
        assert row.after["retry_minutes"] == {**defaults, "busy": 15}
        assert "rescheduled" not in row.after and "finished" not in row.after  # no contacts yet: no count
    async with sm.begin() as s:
        # the form saved again with the delays it showed (15 and the defaults): nothing changed
        await store.update_campaign(
            s,
            await s.get(Campaign, cid),
            {"retry_minutes": {**defaults, "busy": 15}, "max_in_flight": 2},
            calendar=WorkCalendar.china(),
        )
        assert len(list(await s.scalars(select(AuditLog).where(AuditLog.action == "campaign.update")))) == 1
    for changes, code in [
        ({"windows": ["20:00-09:00"]}, "campaign.window_order"),
        ({"windows": ["9点"]}, "campaign.bad_window"),
        ({"windows": ["09:00-12:00", "11:00-13:00"]}, "campaign.window_overlap"),
        ({"retry_minutes": {"busy": 0}}, "campaign.bad_retry_minutes"),
        ({"retry_minutes": {"answered": 5}}, "campaign.bad_retry"),
        ({"max_in_flight": 0}, "campaign.bad_max_in_flight"),
        ({"calls_per_second": "fast"}, "campaign.bad_calls_per_second"),
        ({"ring_seconds": 300}, "campaign.bad_ring_seconds"),
        ({"queue": "other"}, "campaign.not_editable"),
    ]:
        with pytest.raises(store.CampaignError) as refused:
            async with sm.begin() as s:
                await store.update_campaign(
                    s, await s.get(Campaign, cid), changes, calendar=WorkCalendar.china()
                )
        assert refused.value.code == code, changes
    async with sm.begin() as s:
        await store.set_status(s, await s.get(Campaign, cid), "finish")
    with pytest.raises(store.CampaignError) as refused:
        async with sm.begin() as s:
            await store.update_campaign(
                s, await s.get(Campaign, cid), {"max_in_flight": 3}, calendar=WorkCalendar.china()
            )
    assert refused.value.code == "campaign.finished"


async def test_an_edit_of_the_settings_reschedules_the_pending_contacts_by_the_dialers_rule(sm, bus):
    cid = await new_campaign(sm, retry_minutes={"busy": 60, "no_answer": 60}, max_attempts=3)
    numbers = ["13800000001", "13800000002", "13800000003", "13800000004"]
    await add(sm, cid, *numbers)
    phone, clock = FakeTelephony({"camp-a": ["1001", "1002", "1003"]}), Clock()
    dialer = dialer_for(sm, phone, bus, clock)
    await dialer.tick()  # 10:00 Shanghai: three calls; the fourth contact waits untried
    await dialer.on_outcome("out-1", rules.BUSY)  # retry at 11:00
    await dialer.on_outcome("out-2", rules.NO_ANSWER)  # retry at 11:00
    await dialer.on_outcome("out-3", rules.ANSWERED)
    async with sm.begin() as s:
        await store.set_disposition(
            s, (await contacts(sm, cid))["13800000003"].id, "call_later", agent_id="1003", now=NOW
        )
    async with sm.begin() as s:  # the second one has had two attempts
        c = await s.get(CampaignContact, (await contacts(sm, cid))["13800000002"].id)
        c.attempts = 2
    before = await contacts(sm, cid)
    assert before["13800000001"].next_attempt_at == NOW + dt.timedelta(hours=1)
    assert before["13800000003"].next_attempt_at == NOW + dt.timedelta(hours=1)  # 稍后再打

    # a shorter busy delay brings the busy contact forward: 5 minutes after that call ended
    async with sm.begin() as s:
        moved = await store.update_campaign(
            s, await s.get(Campaign, cid), {"retry_minutes": {"busy": 5}}, calendar=WorkCalendar.china()
        )
    after = await contacts(sm, cid)
    assert after["13800000001"].next_attempt_at == NOW + dt.timedelta(minutes=5)
    assert after["13800000002"].next_attempt_at == NOW + dt.timedelta(
        minutes=30
    )  # no_answer: the default now
    assert after["13800000003"].next_attempt_at == NOW + dt.timedelta(hours=1)  # the customer's time stands
    assert after["13800000004"].next_attempt_at is None
    assert moved == {"rescheduled": 2, "finished": 0}
    async with sm() as s:
        assert [c.number for c in await store.due_contacts(s, cid, NOW + dt.timedelta(minutes=5), 10)] == [
            "13800000001",
            "13800000004",
        ]

    # a calling window that opens at 14:00 moves every waiting time into it
    async with sm.begin() as s:
        await store.update_campaign(
            s, await s.get(Campaign, cid), {"windows": ["14:00-17:00"]}, calendar=WorkCalendar.china()
        )
    two_pm = NOW + dt.timedelta(hours=4)
    after = await contacts(sm, cid)
    assert {n: after[n].next_attempt_at for n in numbers[:3]} == {n: two_pm for n in numbers[:3]}

    # one attempt fewer: the contact that has had two is finished, not reached; the others wait
    async with sm.begin() as s:
        moved = await store.update_campaign(
            s, await s.get(Campaign, cid), {"max_attempts": 2}, calendar=WorkCalendar.china()
        )
    after = await contacts(sm, cid)
    assert moved == {"rescheduled": 0, "finished": 1}
    assert (after["13800000002"].state, after["13800000002"].last_outcome) == ("failed", "no_answer")
    assert after["13800000002"].next_attempt_at is None
    assert [after[n].state for n in ("13800000001", "13800000003", "13800000004")] == ["pending"] * 3
    async with sm() as s:
        (audit,) = await s.scalars(
            select(AuditLog).where(AuditLog.entity == "campaign").order_by(AuditLog.id.desc()).limit(1)
        )
        assert audit.after == {"max_attempts": 2, "finished": 1}  # a count of none is left out


async def test_a_number_taken_off_the_dnc_list_is_pending_again_in_unfinished_campaigns(sm):
    open_id = await new_campaign(sm)
    done_id = await new_campaign(sm, name="旧活动")
    await add(sm, open_id, "13800000001")
    await add(sm, done_id, "13800000001")
    async with sm.begin() as s:
        await store.add_dnc(s, "13800000001", "客户要求")
        await store.add_dnc(s, "13900000002", "投诉")
        await store.set_status(s, await s.get(Campaign, done_id), "finish")
    async with sm() as s:
        assert [e.number for e in await store.dnc_entries(s, "投诉")] == ["13900000002"]
        assert [e.number for e in await store.dnc_entries(s, "138 0000")] == ["13800000001"]
        assert len(await store.dnc_entries(s)) == 2
    async with sm.begin() as s:
        assert await store.remove_dnc(s, "+86 138 0000 0001") == 1
    assert (await contacts(sm, open_id))["13800000001"].state == "pending"
    assert (await contacts(sm, done_id))["13800000001"].state == "dnc"  # a finished campaign stays as it was
    async with sm() as s:
        assert await store.dnc_numbers(s) == {"13900000002"}
        rows = list(
            await s.scalars(select(AuditLog).where(AuditLog.entity == "dnc_number").order_by(AuditLog.id))
        )
        assert [(r.action, r.entity_id) for r in rows] == [
            ("dnc.add", "13800000001"),
            ("dnc.add", "13900000002"),
            ("dnc.remove", "13800000001"),
        ]
        assert rows[-1].before == {"reason": "客户要求"}
    with pytest.raises(store.CampaignError) as refused:
        async with sm.begin() as s:
            await store.remove_dnc(s, "13800000001")
    assert refused.value.code == "campaign.dnc_not_found"


async def test_an_imported_full_width_number_is_stored_as_ascii_digits_and_matched_as_one(sm):
    # typed with a Chinese input method: the same numbers as the do-not-call entry and the row below it
    text = "电话\n１３８０００００００１\n13800000001\n１３８０００００００９\n"
    async with sm.begin() as s:
        await store.add_dnc(s, "13800000009")
        campaign = await store.create_campaign(s, name="全角名单", queue="camp-a")
        report = await importer.commit(s, campaign, text.encode(), "list.csv", {"number": "电话"})
    summary = report.summary()
    assert {r["line"]: r["reason"] for r in summary["rejected_rows"]} == {3: "duplicate_in_file", 4: "dnc"}
    assert set(await contacts(sm, campaign.id)) == {"13800000001"}
