"""Campaigns in the database: every read and write of campaigns, contacts, the
do-not-call list and dispositions. Functions take an ``AsyncSession`` and never
commit (the caller owns the transaction)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, NamedTuple

from sqlalchemy import delete, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from campaigns import rules
from campaigns.events import CampaignCallPlaced, CampaignContactDisposed, CampaignStatusChanged, DncChanged
from cti.calendar import WorkCalendar
from cti.phones import ascii_digits
from ticketing.audit import record
from ticketing.events import queue_event
from ticketing.models import (
    CAMPAIGN_KINDS,
    CAMPAIGN_MODES,
    AuditLog,
    Campaign,
    CampaignAttempt,
    CampaignContact,
    Disposition,
    DncNumber,
    SurveyResult,
    User,
    WorkOrder,
    utcnow,
)
from ticketing.models.campaigns import REQUESTED_CALLBACK

#: the dispositions (结果代码) every installation starts with: (code, label, final, needs_answer).
#: ``needs_answer``: what only a customer on the line says; a call that found nobody takes
#: 号码错误 or 稍后再打 (or no result: the retry is due anyway)
DEFAULT_DISPOSITIONS = (
    ("satisfied", "满意", True, True),
    ("dissatisfied", "不满意", True, True),
    ("resolved", "问题已解决", True, True),
    ("call_later", "客户要求稍后再打", False, False),
    ("wrong_number", "号码错误", True, False),
    ("refused", "拒绝回访", True, True),
)
#: the dispositions a visit-back takes from its survey only (``visit_back_survey``)
SURVEY_DISPOSITIONS = ("satisfied", "dissatisfied")
#: minutes before calling again a contact whose disposition is not final
CALL_LATER_MINUTES = 60
#: an attempt's outcome when the dialer stopped before the call ended
INTERRUPTED = "interrupted"
#: the outcomes an attempt's figures count one by one (``attempt_counts``)
ATTEMPT_OUTCOMES = (
    rules.ANSWERED,
    rules.NO_ANSWER,
    rules.BUSY,
    rules.FAILED,
    rules.ABANDONED,
    rules.AGENT_MISSED,
    INTERRUPTED,
)
#: the settings a campaign that is not finished may change (windows, retries, pacing …)
EDITABLE = (
    "windows",
    "every_day",
    "max_attempts",
    "retry_minutes",
    "max_in_flight",
    "calls_per_second",
    "ring_seconds",
    "offer_minutes",
    "script",
)
#: the longest retry delay a campaign may set (minutes: a week)
MAX_RETRY_MINUTES = 7 * 24 * 60
#: the longest campaign name (the column's) and queue name
MAX_NAME = 100
MAX_QUEUE = 64
#: the longest script (话术) an agent reads from the card, in characters
MAX_SCRIPT = 5000
#: dnc_numbers.reason
MAX_DNC_REASON = 255
#: a disposition's notes: a longer text is refused, never cut
MAX_NOTES = 2000


class CampaignError(ValueError):
    """A request the campaign rules refuse; ``code`` is a text id the console translates."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = self.error_id = code  # error_id: the console translates it


def policy_of(campaign: Campaign) -> rules.RetryPolicy:
    retry = {**rules.DEFAULT_RETRY_MINUTES, **(campaign.retry_minutes or {})}
    return rules.RetryPolicy(max_attempts=campaign.max_attempts, retry_minutes=retry)


# -- campaigns ---------------------------------------------------------------------------
async def create_campaign(
    session: AsyncSession,
    *,
    name: str,
    queue: str,
    kind: str = "list",
    mode: str = "progressive",
    windows: list[str] | None = None,
    every_day: bool = False,
    max_attempts: int = 3,
    retry_minutes: dict[str, float] | None = None,
    max_in_flight: int = 5,
    calls_per_second: float = 1.0,
    ring_seconds: int = rules.DEFAULT_RING_SECONDS,
    offer_minutes: int = rules.DEFAULT_OFFER_MINUTES,
    script: str = "",
    created_by_id: int | None = None,
    site_id: int | None = None,
    actor: User | None = None,
) -> Campaign:
    """A new campaign (draft), audited (``campaign.create``: who, and the campaign as created;
    no ``actor``: the system, as for a queue's callback campaign)."""
    if not isinstance(name, str):
        raise CampaignError("campaign.bad_name", f"name: {type(name).__name__}")
    if not isinstance(queue, str) or len(queue.strip()) > MAX_QUEUE:
        raise CampaignError("campaign.unknown_queue", f"queue: {queue!r:.80}")
    if not name.strip() or not queue.strip():
        raise CampaignError("campaign.name_and_queue_required")
    if len(name.strip()) > MAX_NAME:
        raise CampaignError("campaign.name_too_long", f"{len(name.strip())} characters")
    if kind not in CAMPAIGN_KINDS:
        raise CampaignError("campaign.bad_kind", kind)
    if mode not in CAMPAIGN_MODES:
        raise CampaignError("campaign.bad_mode", mode)
    windows = [] if windows is None else rules.normal_windows(windows)
    _check_settings(
        windows=list(windows) if isinstance(windows, list | tuple) else windows,
        every_day=every_day,
        max_attempts=max_attempts,
        retry_minutes=retry_minutes or {},
        max_in_flight=max_in_flight,
        calls_per_second=calls_per_second,
        ring_seconds=ring_seconds,
        offer_minutes=offer_minutes,
        script=script,
    )
    campaign = Campaign(
        name=name.strip(),
        queue=queue.strip(),
        kind=kind,
        mode=mode,
        windows=windows,
        every_day=every_day,
        max_attempts=max_attempts,
        retry_minutes=dict(retry_minutes or {}),
        max_in_flight=max_in_flight,
        calls_per_second=calls_per_second,
        ring_seconds=ring_seconds,
        offer_minutes=offer_minutes,
        script=script,
        created_by_id=created_by_id,
        site_id=site_id,
    )
    session.add(campaign)
    await session.flush()
    await record(session, actor, "campaign.create", "campaign", campaign.id, after=audit_view(campaign))
    return campaign


def audit_view(campaign: Campaign) -> dict[str, Any]:
    """A campaign as its audit rows keep it: what it is, for whom it calls, its settings."""
    return {
        "name": campaign.name,
        "queue": campaign.queue,
        "kind": campaign.kind,
        "mode": campaign.mode,
        "status": campaign.status,
        "site_id": campaign.site_id,
        **settings_of(campaign),
    }


_WINDOW_ERRORS = {
    "format": "campaign.bad_window",
    "order": "campaign.window_order",
    "overlap": "campaign.window_overlap",
}


def _count(value: Any, *, integer: bool) -> bool:
    """A JSON number (an int when ``integer``), not a bool."""
    if isinstance(value, bool):
        return False
    return isinstance(value, int) if integer else isinstance(value, int | float)


def _check_settings(**settings: Any) -> None:
    """The editable settings (``EDITABLE``), as creating and editing a campaign both check them;
    only the settings given are checked."""
    if "windows" in settings:
        try:
            rules.check_windows(settings["windows"])
        except rules.WindowError as exc:
            raise CampaignError(_WINDOW_ERRORS[exc.reason], exc.window) from None
    if "every_day" in settings and not isinstance(settings["every_day"], bool):
        raise CampaignError("campaign.bad_every_day", f"every_day: {settings['every_day']!r}")
    for key, most in (("max_attempts", rules.MAX_ATTEMPTS), ("max_in_flight", rules.MAX_IN_FLIGHT)):
        if key in settings and not (_count(settings[key], integer=True) and 1 <= settings[key] <= most):
            raise CampaignError(f"campaign.bad_{key}", f"{key}: {settings[key]!r}")
    if "calls_per_second" in settings:
        value = settings["calls_per_second"]
        if not (
            _count(value, integer=False) and rules.MIN_CALLS_PER_SECOND <= value <= rules.MAX_CALLS_PER_SECOND
        ):
            raise CampaignError("campaign.bad_calls_per_second", f"calls_per_second: {value!r}")
    if "ring_seconds" in settings:
        value = settings["ring_seconds"]
        if not (_count(value, integer=True) and rules.MIN_RING_SECONDS <= value <= rules.MAX_RING_SECONDS):
            raise CampaignError("campaign.bad_ring_seconds", str(value))
    if "offer_minutes" in settings:
        value = settings["offer_minutes"]
        if not (_count(value, integer=True) and rules.MIN_OFFER_MINUTES <= value <= rules.MAX_OFFER_MINUTES):
            raise CampaignError("campaign.bad_offer_minutes", f"offer_minutes: {value!r}")
    if "retry_minutes" in settings:
        retry = settings["retry_minutes"]
        if not isinstance(retry, dict):
            raise CampaignError("campaign.bad_retry", str(retry))
        unknown = set(retry) - set(rules.RETRY_OUTCOMES)
        if unknown:
            raise CampaignError("campaign.bad_retry", ", ".join(sorted(unknown)))
        for outcome, minutes in retry.items():
            if not (_count(minutes, integer=False) and 0 < minutes <= MAX_RETRY_MINUTES):
                raise CampaignError("campaign.bad_retry_minutes", f"{outcome}: {minutes!r}")
    if "script" in settings and not isinstance(settings["script"], str):
        raise CampaignError("campaign.bad_script")
    if "script" in settings and len(settings["script"]) > MAX_SCRIPT:
        raise CampaignError("campaign.script_too_long", f"{len(settings['script'])} characters")


def settings_of(campaign: Campaign) -> dict[str, Any]:
    """The settings as they apply: a retry delay the campaign does not set is the default's, so
    an audit row reads the delays the dialer used before and after (a form saved with the
    defaults it showed changes nothing), never a bare — where the default was."""
    settings = {key: getattr(campaign, key) for key in EDITABLE}
    settings["retry_minutes"] = policy_of(campaign).retry_minutes
    return settings


#: the settings that decide when a contact is called next (``reschedule`` follows a change)
SCHEDULING = ("windows", "every_day", "max_attempts", "retry_minutes")


async def update_campaign(
    session: AsyncSession,
    campaign: Campaign,
    changes: dict[str, Any],
    *,
    calendar: WorkCalendar,
    actor: User | None = None,
) -> dict[str, int]:
    """Change the settings ``EDITABLE`` of a campaign that is not finished, checked as at
    creation, audited (``campaign.update``). A running campaign's dialer uses them at its
    next tick; a change of windows, attempts or retry delays moves the pending contacts'
    next attempts at once (``reschedule``, ``calendar`` being the dialer's). Returns how many
    contacts were rescheduled and how many finished (``failed``: attempts used up)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise CampaignError("campaign.not_editable", ", ".join(sorted(unknown)))
    if campaign.status == "finished":
        raise CampaignError("campaign.finished", str(campaign.id))
    if "windows" in changes:
        changes = {**changes, "windows": rules.normal_windows(changes["windows"])}
    _check_settings(**changes)
    before = settings_of(campaign)
    for key, value in changes.items():
        setattr(
            campaign,
            key,
            list(value) if key == "windows" else dict(value) if key == "retry_minutes" else value,
        )
    await session.flush()
    after = settings_of(campaign)
    changed = [key for key in EDITABLE if before[key] != after[key]]
    moved = {"rescheduled": 0, "finished": 0}
    if set(changed) & set(SCHEDULING):
        moved = await reschedule(session, campaign, calendar)
    if changed:
        await record(
            session,
            actor,
            "campaign.update",
            "campaign",
            campaign.id,
            before={key: before[key] for key in changed},
            # the contacts moved, when any were (none is nothing to read)
            after={**{key: after[key] for key in changed}, **{k: n for k, n in moved.items() if n}},
        )
    return moved


async def reschedule(session: AsyncSession, campaign: Campaign, calendar: WorkCalendar) -> dict[str, int]:
    """Every pending contact's next attempt under the campaign's present settings, by the rule
    the dialer applies after an attempt (``rules.rescheduled``); a contact being dialed keeps its
    call, and its outcome follows the new settings anyway."""
    contacts = list(
        await session.scalars(
            select(CampaignContact).where(
                CampaignContact.campaign_id == campaign.id, CampaignContact.state == "pending"
            )
        )
    )
    last: dict[int, tuple[str, dt.datetime]] = {}
    attempts = await session.execute(
        select(CampaignAttempt.contact_id, CampaignAttempt.outcome, CampaignAttempt.ended_at)
        .where(CampaignAttempt.campaign_id == campaign.id, CampaignAttempt.ended_at.is_not(None))
        .order_by(CampaignAttempt.id)
    )
    for contact_id, outcome, ended in attempts:
        last[contact_id] = (outcome, ended)  # the latest attempt wins
    policy, windows = (
        policy_of(campaign),
        rules.calling_calendar(calendar, campaign.windows, campaign.every_day),
    )
    moved = {"rescheduled": 0, "finished": 0}
    for contact in contacts:
        step = rules.rescheduled(
            policy, contact.attempts, contact.next_attempt_at, last.get(contact.id), windows
        )
        if step.state != "pending":
            contact.state, contact.next_attempt_at = step.state, None
            moved["finished"] += 1
        elif step.next_attempt_at != contact.next_attempt_at:
            contact.next_attempt_at = step.next_attempt_at
            moved["rescheduled"] += 1
    await session.flush()
    return moved


async def get_campaign(session: AsyncSession, campaign_id: int) -> Campaign:
    campaign = await session.get(Campaign, campaign_id)
    if campaign is None:
        raise CampaignError("campaign.not_found", str(campaign_id))
    return campaign


async def list_campaigns(session: AsyncSession) -> list[Campaign]:
    return list(await session.scalars(select(Campaign).order_by(Campaign.id.desc())))


async def campaign_of_kind(session: AsyncSession, kind: str) -> Campaign | None:
    """The newest campaign of a generated kind that is not finished (callbacks go there)."""
    return await session.scalar(
        select(Campaign)
        .where(Campaign.kind == kind, Campaign.status != "finished")
        .order_by(Campaign.id.desc())
        .limit(1)
    )


_MOVES = {"start": ("draft", "paused"), "pause": ("running",), "finish": ("draft", "running", "paused")}


def actions(campaign: Campaign) -> list[str]:
    """The status changes the campaign's status allows now (the console offers only these)."""
    return [action for action, sources in _MOVES.items() if campaign.status in sources]


async def set_status(
    session: AsyncSession, campaign: Campaign, action: str, *, actor: User | None = None
) -> Campaign:
    """启动 / 暂停 / 结束 (start, pause, finish), audited as ``campaign.<action>`` with the status
    before and after (no ``actor``: the system, as the dialer finishing a list it called out)."""
    if action not in _MOVES:
        raise CampaignError("campaign.bad_action", action)
    if campaign.status not in _MOVES[action]:
        raise CampaignError("campaign.bad_transition", f"{action} from {campaign.status}")
    now = utcnow()
    before = {"status": campaign.status}
    if action == "start":
        campaign.status = "running"
        campaign.started_at = campaign.started_at or now
    elif action == "pause":
        campaign.status = "paused"
    else:
        campaign.status = "finished"
        campaign.finished_at = now
    released = await release_offers(session, campaign) if action != "start" else 0
    await session.flush()
    after: dict[str, Any] = {"status": campaign.status}
    if released:
        after["released_offers"] = released
    await record(session, actor, f"campaign.{action}", "campaign", campaign.id, before=before, after=after)
    # the boards' 待回拨 count a callback campaign's callers only while it is not finished
    queue_event(
        session, CampaignStatusChanged(campaign_id=campaign.id, status=campaign.status, kind=campaign.kind)
    )
    return campaign


async def release_offers(session: AsyncSession, campaign: Campaign) -> int:
    """A preview campaign's contacts offered to agents and not dialed go back to pending: a
    paused or finished campaign calls nobody, and the dialer withdraws the offers from the
    agents' screens at its next pass (``Dialer._withdraw_stale_offers``; ``offered_at`` is left: the
    card is out until a dialer, this one or one that starts later, tells it). A contact whose call is
    on, or being placed (its attempt is written before the Originate: ``start_attempt``), keeps
    it (its outcome still counts)."""
    if campaign.mode != "preview":
        return 0
    result = await session.execute(
        update(CampaignContact)
        .where(
            CampaignContact.campaign_id == campaign.id, CampaignContact.state == "dialing", ~_open_attempt()
        )
        .values(state="pending")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def running_campaigns(session: AsyncSession) -> list[Campaign]:
    return list(
        await session.scalars(select(Campaign).where(Campaign.status == "running").order_by(Campaign.id))
    )


# -- contacts ----------------------------------------------------------------------------


def requested_by_caller(source_key: str) -> bool:
    """The contact is a callback the customer has just asked for. The do-not-call list stops
    calls the customer did not ask for (visit-backs, imported lists, missed calls); a callback
    they asked for is solicited, so the list neither holds it back nor keeps it from being
    dialled (the never-dial rule for service numbers, ``rules.refusal``, still applies)."""
    return source_key.startswith(REQUESTED_CALLBACK)


async def add_contact(
    session: AsyncSession,
    campaign: Campaign,
    number: str,
    *,
    source_key: str,
    name: str = "",
    customer_id: int | None = None,
    order_id: int | None = None,
    priority_at: dt.datetime | None = None,
    expires_at: dt.datetime | None = None,
    data: dict[str, Any] | None = None,
    dnc: set[str] | None = None,
) -> CampaignContact | None:
    """Add one contact; None when the campaign already has this source (idempotent sources).

    The number is stored normalised. A number no campaign may call (``rules.refusal``: a
    service number such as 95598) is kept in the refusal's state, and one on the do-not-call
    list in state ``dnc``, so the campaign's counts show why it was never dialed; the source
    key stays taken, so a source adds it once. A callback the caller asked for
    (``requested_by_caller``) is pending whatever the list says.
    """
    exists = await session.scalar(
        select(CampaignContact.id).where(
            CampaignContact.campaign_id == campaign.id, CampaignContact.source_key == source_key
        )
    )
    if exists is not None:
        return None
    normalised = rules.dial_number(number)
    if requested_by_caller(source_key):
        dnc = set()
    elif dnc is None:
        dnc = await dnc_numbers(session, [normalised])
    contact = CampaignContact(
        campaign_id=campaign.id,
        number=normalised,
        name=name,
        customer_id=customer_id,
        order_id=order_id,
        source_key=source_key,
        priority_at=priority_at or utcnow(),
        expires_at=expires_at,
        state=rules.refusal(normalised) or ("dnc" if normalised in dnc else "pending"),
        data=dict(data or {}),
    )
    session.add(contact)
    await session.flush()
    return contact


async def order_numbers(session: AsyncSession, order_ids: Iterable[int | None]) -> dict[int, str]:
    """The numbers of the work orders contacts are about, by order id (what the agent's card
    shows): one statement for a whole offer round, none when no contact is about an order."""
    wanted = {order_id for order_id in order_ids if order_id}
    if not wanted:
        return {}
    rows = await session.execute(select(WorkOrder.id, WorkOrder.number).where(WorkOrder.id.in_(wanted)))
    return {order_id: number for order_id, number in rows}


async def order_number(session: AsyncSession, order_id: int | None) -> str:
    """The number of the work order one contact is about ("" for none)."""
    return (await order_numbers(session, [order_id])).get(order_id or 0, "")


def _due(now: dt.datetime):
    """A contact's time has come and its deadline has not passed."""
    due = (CampaignContact.next_attempt_at.is_(None)) | (CampaignContact.next_attempt_at <= now)
    return due & (CampaignContact.expires_at.is_(None) | (CampaignContact.expires_at > now))


async def due_contacts(
    session: AsyncSession, campaign_id: int, now: dt.datetime, limit: int
) -> list[CampaignContact]:
    """Pending contacts whose time has come and whose deadline has not passed, the earliest
    arrival first (callers keep their place)."""
    if limit <= 0:
        return []
    due = _due(now)
    return list(
        await session.scalars(
            select(CampaignContact)
            .where(CampaignContact.campaign_id == campaign_id, CampaignContact.state == "pending", due)
            .order_by(CampaignContact.priority_at, CampaignContact.id)
            .limit(limit)
        )
    )


async def first_due(
    session: AsyncSession, campaign_ids: list[int], now: dt.datetime
) -> dict[int, dt.datetime]:
    """Per campaign, the ``priority_at`` of its first due contact (``due_contacts``' first); a
    campaign with none due is left out."""
    if not campaign_ids:
        return {}
    due = _due(now)
    rows = await session.execute(
        select(CampaignContact.campaign_id, func.min(CampaignContact.priority_at))
        .where(CampaignContact.campaign_id.in_(campaign_ids), CampaignContact.state == "pending", due)
        .group_by(CampaignContact.campaign_id)
    )
    return {campaign_id: first for campaign_id, first in rows}


async def callbacks_waiting(session: AsyncSession, now: dt.datetime) -> dict[str, int]:
    """Per queue, the callers who chose to be called back (pressed 9) and wait for it: the
    ``pending`` contacts of its callback campaigns not finished (running or paused; a retry
    waiting for its time too), past no deadline. One that is being dialled is not waiting, and
    one reached, failed or left out (a service number…) no longer is. The wallboard's 待回拨."""
    rows = await session.execute(
        select(Campaign.queue, func.count(CampaignContact.id))
        .join(CampaignContact, CampaignContact.campaign_id == Campaign.id)
        .where(
            Campaign.kind == "callback",
            Campaign.status != "finished",
            CampaignContact.state == "pending",
            CampaignContact.expires_at.is_(None) | (CampaignContact.expires_at > now),
        )
        .group_by(Campaign.queue)
    )
    return {queue: int(count) for queue, count in rows if count}


async def expire(session: AsyncSession, campaign_id: int, now: dt.datetime) -> int:
    """Pending contacts past their deadline become ``expired`` (they are never dialed)."""
    result = await session.execute(
        update(CampaignContact)
        .where(
            CampaignContact.campaign_id == campaign_id,
            CampaignContact.state == "pending",
            CampaignContact.expires_at <= now,
        )
        .values(state="expired")
    )
    return result.rowcount or 0


async def close_surveyed(
    session: AsyncSession, *, campaign_id: int | None = None, order_id: int | None = None
) -> int:
    """Pending contacts about an order whose visit-back survey is recorded become ``surveyed``:
    the customer has answered, so calling them again about it would ask twice. Run when a
    survey is recorded (``order_id``, same transaction) and on each dialer pass (``campaign_id``)
    for surveys recorded any other way; a ``surveyed`` contact is never claimed."""
    surveyed = exists().where(SurveyResult.order_id == CampaignContact.order_id)
    query = update(CampaignContact).where(CampaignContact.state == "pending", surveyed)
    if campaign_id is not None:
        query = query.where(CampaignContact.campaign_id == campaign_id)
    if order_id is not None:
        query = query.where(CampaignContact.order_id == order_id)
    result = await session.execute(
        query.values(state="surveyed").execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


async def claim(
    session: AsyncSession, contact_id: int, *, agent_id: str = "", offered_at: dt.datetime | None = None
) -> bool:
    """Pending → dialing, only if still pending (two dialers never take the same contact).
    ``offered_at``: a preview offer's card goes out to ``agent_id`` now, its hold begun then: a
    dialer that starts after this one finds it (``offers_out``)."""
    result = await session.execute(
        update(CampaignContact)
        .where(CampaignContact.id == contact_id, CampaignContact.state == "pending")
        .values(state="dialing", agent_id=agent_id, offered_at=offered_at)
    )
    return result.rowcount == 1


async def end_offer(session: AsyncSession, contact_id: int, agent_id: str) -> None:
    """``agent_id``'s card was told the offer is over (skipped, withdrawn): none is out any more.
    Written after the card was told, so a dialer that stops in between tells it again."""
    await session.execute(
        update(CampaignContact)
        .where(CampaignContact.id == contact_id, CampaignContact.agent_id == agent_id)
        .values(offered_at=None)
        .execution_options(synchronize_session=False)
    )


async def offers_out(session: AsyncSession) -> list[tuple[CampaignContact, Campaign, bool]]:
    """Every preview offer whose card is out (``offered_at``), oldest first, with its campaign and
    whether a call of the contact is being placed or on: what a dialer that starts finds its
    predecessor left on the agents' screens."""
    rows = await session.execute(
        select(CampaignContact, Campaign, _open_attempt().label("on_call"))
        .join(Campaign, Campaign.id == CampaignContact.campaign_id)
        .where(CampaignContact.offered_at.is_not(None))
        .order_by(CampaignContact.offered_at, CampaignContact.id)
    )
    return [(contact, campaign, bool(on_call)) for contact, campaign, on_call in rows]


async def _on_a_call(session: AsyncSession, contact_id: int) -> bool:
    """A call to the contact is being placed or on (its first attempt is counted at its end)."""
    found = await session.scalar(
        select(CampaignAttempt.id)
        .where(CampaignAttempt.contact_id == contact_id, CampaignAttempt.outcome == "")
        .limit(1)
    )
    return found is not None


def _open_attempt():
    """The contact has a call being placed or on: its attempt has no outcome yet."""
    return exists().where(CampaignAttempt.contact_id == CampaignContact.id, CampaignAttempt.outcome == "")


async def locked_campaign(session: AsyncSession, campaign_id: int) -> Campaign | None:
    """The campaign as committed now, its row locked until the transaction ends (PostgreSQL; on
    SQLite the write transaction holds the database): a pause or finish (``set_status``) waits
    for a call being claimed under it, or the claim sees the campaign paused."""
    return await session.scalar(
        select(Campaign)
        .where(Campaign.id == campaign_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def claim_for_call(
    session: AsyncSession, contact_id: int, *, agent_id: str = "", offered: bool = False
) -> bool:
    """The contact claimed for a call about to be placed: pending (progressive, predictive) or,
    ``offered``, the preview offer still held for ``agent_id`` with no call yet."""
    held = (
        (CampaignContact.state == "dialing") & (CampaignContact.agent_id == agent_id) & ~_open_attempt()
        if offered
        else CampaignContact.state == "pending"
    )
    result = await session.execute(
        update(CampaignContact)
        .where(CampaignContact.id == contact_id, held)
        # a preview offer dialled is over: the call's card takes the place of the offer's
        .values(state="dialing", agent_id=agent_id, offered_at=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def start_attempt(
    session: AsyncSession, campaign: Campaign, contact_id: int, agent_id: str = ""
) -> CampaignAttempt:
    """The attempt of a call about to be placed, written with its claim, before the Originate:
    from then on the contact is being dialled, and a pause (``release_offers``) leaves it be,
    so a resume cannot offer the same customer again while the call goes out. Its call id
    follows (``placed``), or it goes if the call was not placed (``not_placed``)."""
    attempt = CampaignAttempt(
        campaign_id=campaign.id, contact_id=contact_id, call_id="", mode=campaign.mode, agent_id=agent_id
    )
    session.add(attempt)
    await session.flush()
    return attempt


async def placed(session: AsyncSession, attempt_id: int, contact_id: int, call_id: str) -> None:
    await session.execute(
        update(CampaignAttempt).where(CampaignAttempt.id == attempt_id).values(call_id=call_id)
    )
    await session.execute(
        update(CampaignContact).where(CampaignContact.id == contact_id).values(last_call_id=call_id)
    )


async def not_placed(session: AsyncSession, attempt_id: int, contact_id: int) -> None:
    """The call was refused before it rang: no attempt, and the contact back to the list."""
    await session.execute(delete(CampaignAttempt).where(CampaignAttempt.id == attempt_id))
    await release(session, contact_id)


async def release(session: AsyncSession, contact_id: int, state: str = "pending") -> None:
    """A claimed contact goes back (preview skipped, call not placed) or is marked ``state``."""
    await session.execute(
        update(CampaignContact)
        .where(CampaignContact.id == contact_id, CampaignContact.state == "dialing")
        .values(state=state)
    )


async def dialing(
    session: AsyncSession, campaign: Campaign, contact_id: int, call_id: str, agent_id: str = ""
) -> None:
    """A call is placed for the contact: its id on the contact, and a new attempt."""
    await session.execute(
        update(CampaignContact).where(CampaignContact.id == contact_id).values(last_call_id=call_id)
    )
    session.add(
        CampaignAttempt(
            campaign_id=campaign.id,
            contact_id=contact_id,
            call_id=call_id,
            mode=campaign.mode,
            agent_id=agent_id,
        )
    )


async def attempt_connected(session: AsyncSession, call_id: str, agent_id: str) -> None:
    """Who took a predictive call."""
    await session.execute(
        update(CampaignAttempt).where(CampaignAttempt.call_id == call_id).values(agent_id=agent_id)
    )


async def attempt_ended(
    session: AsyncSession, call_id: str, outcome: str, now: dt.datetime, *, late: bool = False
) -> None:
    await session.execute(
        update(CampaignAttempt)
        .where(CampaignAttempt.call_id == call_id, CampaignAttempt.outcome == "")
        .values(outcome=outcome, late=late, ended_at=now)
    )


async def abandon_tally(session: AsyncSession, campaign_id: int, window: int = 200) -> rules.AbandonTally:
    """The predictive outcomes of the campaign's latest ended attempts, as the abandon cap counts them."""
    tally = rules.AbandonTally(window)
    rows = await session.execute(
        select(CampaignAttempt.outcome, CampaignAttempt.late)
        .where(
            CampaignAttempt.campaign_id == campaign_id,
            CampaignAttempt.mode == "predictive",
            CampaignAttempt.outcome.not_in(("", INTERRUPTED)),
        )
        .order_by(CampaignAttempt.id.desc())
        .limit(int(window * rules.MAX_DIAL_RATIO))  # enough calls to hold ``window`` live answers
    )
    for outcome, late in reversed(rows.all()):
        rules.record_predictive(tally, outcome, late=late)
    return tally


async def record_outcome(
    session: AsyncSession, contact_id: int, outcome: str, now: dt.datetime, calendar: WorkCalendar
) -> CampaignContact | None:
    """The result of one attempt: attempts, retry time or final state."""
    contact = await session.get(CampaignContact, contact_id)
    if contact is None or contact.state != "dialing":
        return None  # seen twice, or the campaign was reset: changes nothing
    campaign = await session.get(Campaign, contact.campaign_id)
    assert campaign is not None
    step = rules.after_attempt(
        policy_of(campaign),
        contact.attempts,
        outcome,
        now,
        rules.calling_calendar(calendar, campaign.windows, campaign.every_day),
    )
    contact.state, contact.attempts, contact.next_attempt_at = step.state, step.attempts, step.next_attempt_at
    if outcome != rules.AGENT_MISSED:
        contact.last_outcome = outcome
    await session.flush()
    return contact


async def last_caller(session: AsyncSession, contact: CampaignContact) -> str | None:
    """The agent of the contact's latest call (placed for them, or taken by them when
    predictive); None when it was never dialed."""
    row = await session.execute(
        select(CampaignAttempt.agent_id)
        .where(CampaignAttempt.campaign_id == contact.campaign_id, CampaignAttempt.contact_id == contact.id)
        .order_by(CampaignAttempt.id.desc())
        .limit(1)
    )
    found = row.first()
    return None if found is None else found[0]


async def is_agents(session: AsyncSession, contact: CampaignContact, agent_id: str) -> bool:
    """Whether the contact is the agent's: offered to them now, or their call was its latest."""
    if not agent_id:
        return False  # an unclaimed contact's agent_id is "" too
    return contact.agent_id == agent_id or await last_caller(session, contact) == agent_id


def call_card(
    campaign: Campaign, contact: CampaignContact, agent_id: str, call_id: str, order_number: str = ""
) -> CampaignCallPlaced:
    """The campaign card for the agent who has the call (``order_number``: of ``contact.order_id``)."""
    return CampaignCallPlaced(
        staff_no=agent_id,
        campaign_id=campaign.id,
        contact_id=contact.id,
        call_id=call_id,
        number=contact.number,
        contact_name=contact.name,
        campaign=campaign.name,
        script=campaign.script,
        order_id=contact.order_id or 0,
        order_number=order_number,
    )


async def call_awaiting_result(session: AsyncSession, agent_id: str) -> dict[str, Any] | None:
    """The card of the agent's campaign call still owing its 结果代码, with the call's ``outcome``
    ("" while it is on), or None. It is the agent's latest campaign call, on or answered, still
    the contact's latest, with no result saved since it was placed: a console reloaded (or a
    second tab) during or after the call shows its card again, so an answered contact does not
    stay without a result because the page that showed the card went away."""
    if not agent_id:
        return None
    attempt = await session.scalar(
        select(CampaignAttempt)
        .where(CampaignAttempt.agent_id == agent_id, CampaignAttempt.call_id != "")
        .order_by(CampaignAttempt.id.desc())
        .limit(1)
    )
    if attempt is None or attempt.outcome not in ("", rules.ANSWERED):
        return None
    contact = await session.get(CampaignContact, attempt.contact_id)
    campaign = await session.get(Campaign, attempt.campaign_id)
    if contact is None or campaign is None or await last_caller(session, contact) != agent_id:
        return None
    if await _disposed_since(session, contact.id, attempt.placed_at):
        return None
    card = call_card(
        campaign, contact, agent_id, attempt.call_id, await order_number(session, contact.order_id)
    )
    return {**card.to_dict(), "outcome": attempt.outcome}


async def _disposed_since(session: AsyncSession, contact_id: int, since: dt.datetime) -> bool:
    """A 结果代码 was saved for the contact at or after ``since`` (by its agent or a manager): the
    audit trail is where each one is recorded, the contact keeping only the latest result."""
    found = await session.scalar(
        select(AuditLog.id)
        .where(
            AuditLog.entity == "campaign_contact",
            AuditLog.entity_id == str(contact_id),
            AuditLog.action == "campaign.disposition",
            AuditLog.at >= since,
        )
        .limit(1)
    )
    return found is not None


async def set_disposition(
    session: AsyncSession,
    contact_id: int,
    code: str,
    *,
    notes: str = "",
    agent_id: str = "",
    any_contact: bool = False,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> CampaignContact:
    """The 结果代码 of a contact, audited (``campaign.disposition``). Only the agent whose call was
    the contact's latest sets it (the results and reports count it as that call's outcome);
    ``any_contact``: a campaign manager, who may correct the result of any contact that was
    called. A contact never called has no result (``campaign.never_called``): a 满意 nobody
    was asked for would count in the satisfaction report; a number not to be called goes on
    the do-not-call list, which takes it out of dialing, audited. For the same reason a code
    only a customer on the line gives (``needs_answer``: 满意, 不满意, 问题已解决, 拒绝回访) is
    refused after a call that found nobody (``campaign.needs_answer``); 号码错误 or 稍后再打 fit
    it, and with no result at all the retry the call's outcome set stays due. A final result on
    a contact waiting for a retry ends its dialing (``done`` if it was ever answered, else
    ``failed``)."""
    contact = await session.get(CampaignContact, contact_id)
    if contact is None:
        raise CampaignError("campaign.contact_not_found", str(contact_id))
    if any_contact and not contact.attempts and not await _on_a_call(session, contact.id):
        raise CampaignError("campaign.never_called", str(contact_id))
    if not any_contact:
        await _check_callers(session, contact, agent_id)
    if len(notes) > MAX_NOTES:
        raise CampaignError("campaign.notes_too_long", f"{len(notes)} characters")
    disposition = await session.scalar(
        select(Disposition).where(Disposition.code == code, Disposition.active)
    )
    if disposition is None:
        raise CampaignError("campaign.bad_disposition", code)
    if disposition.needs_answer and not await _customer_reached(session, contact):
        raise CampaignError("campaign.needs_answer", f"{code} on contact {contact_id}")
    if code in SURVEY_DISPOSITIONS and await _visit_back(session, contact):
        # 满意 / 不满意 of a visit-back is the order's survey (its dimensions, a complaint when
        # unhappy): recorded by ``visit_back_survey``, never a bare code that opens nothing; once
        # the order's survey is recorded (the order page), only the code it says
        satisfied = await session.scalar(
            select(SurveyResult.satisfied).where(SurveyResult.order_id == contact.order_id).limit(1)
        )
        if satisfied is None or code != ("satisfied" if satisfied else "dissatisfied"):
            raise CampaignError("campaign.survey_instead", str(contact_id))
    return await _dispose(session, contact, disposition, notes, agent_id, any_contact, actor, now)


async def _check_callers(session: AsyncSession, contact: CampaignContact, agent_id: str) -> None:
    """The agent made the contact's latest call (``campaign.not_dialed``: an offer of theirs not
    yet dialed; ``campaign.contact_not_yours``: anyone else's)."""
    caller = await last_caller(session, contact)
    if caller is None and agent_id and contact.agent_id == agent_id:
        raise CampaignError("campaign.not_dialed", str(contact.id))  # a preview offer not yet dialed
    if not agent_id or caller != agent_id:
        raise CampaignError("campaign.contact_not_yours", str(contact.id))


async def _customer_reached(session: AsyncSession, contact: CampaignContact) -> bool:
    """Whether the contact's latest call reached the customer: answered, or still on (its
    outcome comes at its end). No, after 无人接听, 忙, 呼叫失败, 放弃 (nobody took the answered
    call), 坐席未接 (the customer was never rung) or a call the dialer lost (``interrupted``)."""
    latest = await session.scalar(
        select(CampaignAttempt.outcome)
        .where(CampaignAttempt.contact_id == contact.id)
        .order_by(CampaignAttempt.id.desc())
        .limit(1)
    )
    if latest is None:  # its calls were counted on the contact alone (before campaign_attempts)
        latest = contact.last_outcome
    return latest in ("", rules.ANSWERED)


async def _visit_back(session: AsyncSession, contact: CampaignContact) -> bool:
    """The contact is a visit-back's (满意度回访): about a work order, in a ``visit_back`` campaign."""
    if not contact.order_id:
        return False
    return (
        await session.scalar(select(Campaign.kind).where(Campaign.id == contact.campaign_id)) == "visit_back"
    )


async def _dispose(
    session: AsyncSession,
    contact: CampaignContact,
    disposition: Disposition,
    notes: str,
    agent_id: str,
    any_contact: bool,
    actor: User | None,
    now: dt.datetime | None,
    extra: dict[str, Any] | None = None,
) -> CampaignContact:
    """The result set on the contact (its state moved by the result), audited."""
    code = disposition.code
    before = {"disposition": contact.disposition, "notes": contact.notes, "state": contact.state}
    contact.disposition = code
    contact.notes = notes
    if agent_id and not any_contact:
        contact.agent_id = agent_id
    if not disposition.final and contact.state in ("done", "dialing"):
        contact.state = "pending"
        contact.next_attempt_at = (now or utcnow()) + dt.timedelta(minutes=CALL_LATER_MINUTES)
    elif disposition.final and contact.state == "pending":
        # the result is in: a retry would call the customer about a finished matter
        contact.state = "done" if contact.last_outcome == rules.ANSWERED else "failed"
        contact.next_attempt_at = None
    await session.flush()
    await record(
        session,
        actor,
        "campaign.disposition",
        "campaign_contact",
        contact.id,
        before=before,
        after={
            "campaign_id": contact.campaign_id,
            "disposition": code,
            "notes": notes,
            "state": contact.state,
            "agent_id": agent_id,
            **(extra or {}),
        },
    )
    # a 稍后再打 puts the contact back to wait, a final result takes it out: the boards' 待回拨
    queue_event(
        session,
        CampaignContactDisposed(
            campaign_id=contact.campaign_id, contact_id=contact.id, disposition=code, state=contact.state
        ),
    )
    return contact


async def visit_back_survey(
    session: AsyncSession,
    contact_id: int,
    answers: dict[str, str],
    *,
    remark: str = "",
    agent_id: str,
    actor: User,
    now: dt.datetime | None = None,
) -> tuple[CampaignContact, SurveyResult]:
    """The agent working a visit-back contact records its order's survey (满意度回访) from the
    campaign card: only the agent whose call is the contact's latest (as for a 结果代码), once
    the customer answered (the call on now, or its outcome ``answered``: ``campaign.not_answered``
    else). The survey is the order page's (``ticketing.surveys.record_survey``: the order's
    dimensions, due, once; a dissatisfied answer opens the linked complaint), and the contact's
    结果代码 follows it (满意 / 不满意, the remark as notes), audited both. The contact assigned to the
    agent is their right to this order's survey, whatever their data scope (a campaign of the
    whole hotline is worked by agents of every site): granted for that order and that survey,
    and the complaint it opens, only."""
    from ticketing.surveys import record_survey  # ticketing's own check and complaint, one path

    contact = await session.get(CampaignContact, contact_id)
    if contact is None:
        raise CampaignError("campaign.contact_not_found", str(contact_id))
    if not await _visit_back(session, contact):
        raise CampaignError("campaign.not_visit_back", str(contact_id))
    await _check_callers(session, contact, agent_id)
    if not await _customer_reached(session, contact):
        raise CampaignError("campaign.not_answered", str(contact_id))
    if len(remark) > MAX_NOTES:
        raise CampaignError("campaign.notes_too_long", f"{len(remark)} characters")
    order = await session.get(WorkOrder, contact.order_id)
    if order is None:
        raise CampaignError("campaign.contact_not_found", str(contact_id))
    result = await record_survey(session, actor, order, answers, remark=remark, granted=True)
    await session.refresh(contact)  # a pending contact of the order is ``surveyed`` now
    code = "satisfied" if result.satisfied else "dissatisfied"
    disposition = await session.scalar(select(Disposition).where(Disposition.code == code))
    if disposition is None:  # an installation that never started the dialer
        await ensure_dispositions(session)
        disposition = await session.scalar(select(Disposition).where(Disposition.code == code))
    assert disposition is not None
    extra = {"survey": True, "follow_up_order_id": result.follow_up_order_id}
    contact = await _dispose(session, contact, disposition, remark, agent_id, False, actor, now, extra)
    return contact, result


async def recover(session: AsyncSession, *, keep: Iterable[int] = ()) -> int:
    """At start: contacts left ``dialing`` by a stopped dialer go back to pending, but for the
    preview offers the new one took over (``keep``), and the attempts it never saw end are closed
    as ``interrupted`` (the cap counts neither way)."""
    await session.execute(
        update(CampaignAttempt).where(CampaignAttempt.outcome == "").values(outcome=INTERRUPTED)
    )
    query = update(CampaignContact).where(CampaignContact.state == "dialing")
    kept = list(keep)
    if kept:
        query = query.where(CampaignContact.id.not_in(kept))
    result = await session.execute(query.values(state="pending").execution_options(synchronize_session=False))
    return result.rowcount or 0


async def progress(session: AsyncSession, campaign_id: int) -> dict[str, dict[str, int]]:
    """Counts per state, per last outcome and per disposition of the contacts, and the figures of
    every call placed (``attempts``, ``attempt_counts``): a contact's last outcome hides its earlier
    tries and that an answer came late."""
    out: dict[str, dict[str, int]] = {
        "attempts": (await attempt_counts(session, [campaign_id])).get((campaign_id, None), empty_attempts())
    }
    for key, column in (
        ("states", CampaignContact.state),
        ("outcomes", CampaignContact.last_outcome),
        ("dispositions", CampaignContact.disposition),
    ):
        rows = await session.execute(
            select(column, func.count())
            .where(CampaignContact.campaign_id == campaign_id, column != "")
            .group_by(column)
        )
        out[key] = {value: count for value, count in rows.all()}
    return out


def empty_attempts() -> dict[str, int]:
    """The figures ``attempt_counts`` gives a campaign or day with no call placed."""
    return {"attempts": 0, **dict.fromkeys(ATTEMPT_OUTCOMES, 0), "on_call": 0, "late": 0}


async def attempt_counts(
    session: AsyncSession,
    campaign_ids: list[int],
    *,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    day: Any = None,
) -> dict[tuple[int, Any], dict[str, int]]:
    """The calls placed for the campaigns (placed within [start, end) when given), per campaign and,
    with ``day`` (an SQL expression of ``CampaignAttempt.placed_at``), per its value; else the key's
    second part is None. Each: ``attempts`` (calls that went to the customer: every one but
    ``agent_missed``, whose customer was never rung), one count per outcome (``ATTEMPT_OUTCOMES``),
    ``on_call`` (not ended yet) and ``late``: answered by an agent only after ``CONNECT_WITHIN``,
    which the customer heard as answered (so among ``answered``) and the abandon cap counts as
    abandoned. A call that was refused before it rang left no attempt (``not_placed``)."""
    if not campaign_ids:
        return {}
    attempt = CampaignAttempt
    columns = [attempt.campaign_id, attempt.outcome, attempt.late, func.count()]
    group = [attempt.campaign_id, attempt.outcome, attempt.late]
    if day is not None:
        columns.insert(1, day.label("day"))
        group.insert(1, day)
    stmt = select(*columns).where(attempt.campaign_id.in_(campaign_ids))
    if start is not None:
        stmt = stmt.where(attempt.placed_at >= start)
    if end is not None:
        stmt = stmt.where(attempt.placed_at < end)
    out: dict[tuple[int, Any], dict[str, int]] = {}
    for row in await session.execute(stmt.group_by(*group)):
        campaign_id, outcome, late, n = row.campaign_id, row.outcome, row.late, row[-1]
        figures = out.setdefault((campaign_id, row.day if day is not None else None), empty_attempts())
        if outcome != rules.AGENT_MISSED:
            figures["attempts"] += n
        if not outcome:
            figures["on_call"] += n
        elif outcome in figures:
            figures[outcome] += n
        if late and outcome == rules.ANSWERED:
            figures["late"] += n
    return out


async def contacts_page(
    session: AsyncSession, campaign_id: int, *, state: str = "", limit: int = 100, offset: int = 0
) -> list[CampaignContact]:
    query = select(CampaignContact).where(CampaignContact.campaign_id == campaign_id)
    if state:
        query = query.where(CampaignContact.state == state)
    query = query.order_by(CampaignContact.priority_at, CampaignContact.id).limit(limit).offset(offset)
    return list(await session.scalars(query))


# -- do not call ----------------------------------------------------------------------------
async def dnc_numbers(session: AsyncSession, numbers: list[str] | None = None) -> set[str]:
    """The do-not-call numbers (only those among ``numbers`` when given)."""
    query = select(DncNumber.number)
    if numbers is not None:
        query = query.where(DncNumber.number.in_(numbers))
    return set(await session.scalars(query))


async def is_dnc(session: AsyncSession, number: str) -> bool:
    return rules.blocked(number, await dnc_numbers(session, [_normalised_or_raw(number)]))


async def dnc_entries(session: AsyncSession, search: str = "", *, limit: int = 200) -> list[DncNumber]:
    """The do-not-call list, newest first; ``search`` finds a part of the number or of the reason."""
    query = select(DncNumber)
    text = search.strip()
    if text:
        digits = "".join(ch for ch in ascii_digits(text) if ch in "0123456789")
        found = DncNumber.reason.contains(text, autoescape=True)
        if digits:
            found |= DncNumber.number.contains(digits, autoescape=True)
        query = query.where(found)
    return list(await session.scalars(query.order_by(DncNumber.id.desc()).limit(limit)))


async def add_dnc(
    session: AsyncSession, number: str, reason: str = "", *, actor: User | None = None
) -> DncNumber:
    """Put a number on the do-not-call list (``put_dnc``), the row listed."""
    return (await put_dnc(session, number, reason, actor=actor)).row


class DncPut(NamedTuple):
    row: DncNumber
    #: the number was on the list already (under any spelling)
    already_listed: bool
    #: listed already, and its reason replaced by the one given
    reason_updated: bool


async def put_dnc(
    session: AsyncSession, number: str, reason: str = "", *, actor: User | None = None
) -> DncPut:
    """Put a number on the do-not-call list; says whether it was listed already (under any
    spelling: ``138-0000-0000`` is 13800000000). Its reason is kept whole or refused
    (``campaign.dnc_reason_too_long``), never cut. A number listed already keeps its entry (and
    its 加入时间); a reason given now replaces the one it had (audited ``dnc.reason``, before
    and after), none given keeps the old one: a second 加入免打扰 never drops a reason.
    The number is one the dialer could call (``rules.dnc_number``), else ``InvalidPhoneNumber``
    names why (a mobile a digit short, 110, 95598)."""
    if len(reason) > MAX_DNC_REASON:
        raise CampaignError("campaign.dnc_reason_too_long", f"{len(reason)} characters")
    normalised = rules.dnc_number(number)
    row = await session.scalar(select(DncNumber).where(DncNumber.number == normalised))
    listed, updated = row is not None, False
    if row is None:
        row = DncNumber(number=normalised, reason=reason)
        session.add(row)
        await record(session, actor, "dnc.add", "dnc_number", normalised, after={"reason": reason})
    elif reason.strip() and reason != row.reason:
        before, updated = row.reason, True
        row.reason = reason
        await record(
            session,
            actor,
            "dnc.reason",
            "dnc_number",
            normalised,
            before={"reason": before},
            after={"reason": reason},
        )
    # pending contacts with this number are never dialed, but a callback the caller asked for
    # (``requested_by_caller``) still is
    held = await session.execute(
        update(CampaignContact)
        .where(
            CampaignContact.number == normalised,
            CampaignContact.state == "pending",
            ~CampaignContact.source_key.startswith(REQUESTED_CALLBACK, autoescape=True),
        )
        .values(state="dnc")
    )
    await session.flush()
    # the boards' 待回拨 counted again now (a callback the caller asked for is still waiting)
    queue_event(session, DncChanged(number=normalised, listed=True, contacts=held.rowcount or 0))
    return DncPut(row, listed, updated)


async def remove_dnc(session: AsyncSession, number: str, *, actor: User | None = None) -> int:
    """Take a number off the do-not-call list (audited ``dnc.remove``). Its contacts that the
    list kept from being dialed (state ``dnc``) in campaigns not finished are pending again;
    returns how many."""
    row = await session.scalar(select(DncNumber).where(DncNumber.number == _normalised_or_raw(number)))
    if row is None:
        raise CampaignError("campaign.dnc_not_found", number)
    unfinished = select(Campaign.id).where(Campaign.status != "finished")
    result = await session.execute(
        update(CampaignContact)
        .where(
            CampaignContact.number == row.number,
            CampaignContact.state == "dnc",
            CampaignContact.campaign_id.in_(unfinished),
        )
        .values(state="pending")
    )
    restored = result.rowcount or 0
    await record(
        session,
        actor,
        "dnc.remove",
        "dnc_number",
        row.number,
        before={"reason": row.reason},
        after={"restored_contacts": restored},
    )
    await session.delete(row)
    await session.flush()
    queue_event(session, DncChanged(number=row.number, listed=False, contacts=restored))  # 待回拨 again
    return restored


def _normalised_or_raw(number: str) -> str:
    try:
        return rules.dial_number(number)
    except ValueError:
        return number


# -- dispositions ---------------------------------------------------------------------------
async def ensure_dispositions(session: AsyncSession) -> None:
    known = set(await session.scalars(select(Disposition.code)))
    for code, label, final, needs_answer in DEFAULT_DISPOSITIONS:
        if code not in known:
            session.add(Disposition(code=code, label=label, final=final, needs_answer=needs_answer))
    await session.flush()


async def disposition_labels(session: AsyncSession) -> dict[str, str]:
    """Every disposition's label by its code, retired ones too (contacts may still carry them)."""
    labels = {code: label for code, label, *_ in DEFAULT_DISPOSITIONS}
    rows = await session.execute(select(Disposition.code, Disposition.label))
    labels.update({code: label for code, label in rows})
    return labels


async def dispositions(session: AsyncSession) -> list[Disposition]:
    return list(await session.scalars(select(Disposition).where(Disposition.active).order_by(Disposition.id)))
