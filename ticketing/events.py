"""Events the ticketing core publishes, and the outbox that publishes them after commit.

Service functions never publish directly: an event about a transaction that
later rolls back would be a lie. They queue events on the session
(``queue_event``); the caller commits, then calls ``publish_pending`` (or uses
``commit_and_publish``).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from cti.bus import Bus
from cti.events import Event, event

_OUTBOX = "ticketing.outbox"


@event
class TicketCreated(Event):
    order_id: int
    number: str
    category: str
    site_id: int | None = None
    customer_id: int | None = None
    created_by: str = ""


@event
class TicketRouted(Event):
    """An order arrived at a node: its handlers get a pop-up and a sound."""

    order_id: int
    number: str
    node: str
    status: str
    handlers: tuple[str, ...] = ()  # 工号
    category: str = ""
    kind: str = "routed"  # routed | returned (退单: sent back to its creator, ``message`` says why)
    message: str = ""
    # the step reached, by its name (派工): what the pop-up names, not the status (接收确认 there);
    # "" where the notice names none (an IVR 留言's order: ``message`` says what it is)
    step: str = ""


@event
class TicketStatusChanged(Event):
    order_id: int
    number: str
    status: str
    previous: str
    node: str
    actor: str = ""
    action: str = ""


@event
class TicketReminder(Event):
    """An SLA reminder or overrun, a 督办 or a CC, for one user's screen."""

    order_id: int
    number: str
    staff_no: str
    kind: str  # reminder | deadline | overrun | supervise | cc | converted
    urgency: str = "normal"
    message: str = ""
    due_at: str = ""


@event
class ScreenAlertsRead(Event):
    """A user read some of their screen notifications (``ids``, or all of them: ``every``): each
    of their tabs takes them off its 提醒 count and list (``unread``: what is left)."""

    staff_no: str
    ids: tuple[int, ...] = ()
    every: bool = False
    unread: int = 0


@event
class ScreenAlertsWithdrawn(Event):
    """An order moved to a site outside these users' data scope (所属供电局 corrected): the 提醒
    about it they were shown are no longer theirs to open, so each of their tabs drops them from
    its list, its urgent alerts and its count (``staff_nos``: 工号)."""

    order_id: int
    number: str
    staff_nos: tuple[str, ...] = ()


@event
class AsyncEventAssigned(Event):
    """An async event (fax, SMS, voicemail, email, web message) landed in an agent's inbox."""

    interaction_id: int
    kind: str
    staff_no: str
    number: str = ""


@event
class AsyncEventStored(Event):
    """An async event a web process took in (an inbound SMS, ``ticketing.inbound``) and stored
    unassigned: the worker's intake, which knows who is signed in, hands it out
    (``ticketing.inbound.InboundAssigner``). Lost, the event still waits on 未分派 for the next
    agent who signs in or works through their inbox (``Intake.top_up``)."""

    interaction_id: int
    kind: str


@event
class AsyncEventHandled(Event):
    """An inbox event became an order or was linked to one: the inbox and its counts shrink."""

    interaction_id: int
    kind: str
    staff_no: str  # whose inbox held it ("" if nobody's)
    actor: str  # 工号 of who handled it
    order_number: str = ""


@event
class AsyncEventReturned(Event):
    """An agent signed out (下班) with an unhandled event in their inbox: it waits again for
    whoever is signed in; their inbox and its count shrink."""

    interaction_id: int
    kind: str
    staff_no: str  # whose inbox held it


@event
class UserAccountChanged(Event):
    """An admin disabled a user, changed their roles or reset their password: the sessions they
    hold were given the old account, so their open consoles are signed out."""

    staff_no: str
    active: bool
    roles: tuple[str, ...] = ()
    #: what changed: "password_reset", else the account (disabled, roles); the console says it
    reason: str = ""


@event
class NotificationQueued(Event):
    """A transaction committed outbox rows of ``channel`` (sms, email, fax): the dispatcher
    delivers them now instead of at its next poll, in whichever process it runs."""

    channel: str


@event
class OutageNoticeChanged(Event):
    """An outage notice was published, revised (a new version), ended early or withdrawn (撤销):
    an agent's open screen-pop that lists the outages of the caller's site (停电信息（发布中）)
    asks for them again, so it never tells a caller of an outage withdrawn meanwhile
    (``agent_ui.gateway`` tells every tab that may read notices; the seat's pop decides).

    ``change``: ``published`` | ``changed`` | ``ended`` | ``withdrawn``; ``active``: the notice
    is still 发布中 after it (a new one, or a new version, may now be on a pop that had none)."""

    key: str
    change: str
    active: bool
    site_id: int | None = None


def queue_event(session: AsyncSession, event: Event) -> None:
    session.info.setdefault(_OUTBOX, []).append(event)


def pending_events(session: AsyncSession) -> list[Event]:
    return list(session.info.get(_OUTBOX, []))


async def publish_pending(session: AsyncSession, bus: Bus | None) -> list[Event]:
    events = session.info.pop(_OUTBOX, [])
    published = []
    if bus is not None:
        for event in events:
            published.append(await bus.publish(event))
    return published


async def commit_and_publish(session: AsyncSession, bus: Bus | None) -> list[Event]:
    await session.commit()
    return await publish_pending(session, bus)


def discard_pending(session: AsyncSession) -> None:
    session.info.pop(_OUTBOX, None)
