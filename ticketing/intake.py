"""Async events (异步事件): fax, SMS, voicemail, email, web messages, missed calls.

Each arrives as an ``Interaction`` with its content, is assigned to an agent
(round robin among the agents with the skill for that kind who are at work, or by hand; one
that arrives when none is 就绪 nor on a call (``Intake.at_work``: an agent 未就绪 is given none)
waits, status ``new``, for the next agent who signs in or becomes ready: ``Intake.top_up``;
an agent's unhandled events wait again when they sign out: ``hand_back``), and is then turned
into a new pre-filled order or linked to an existing one (by its 工单号: ``order_by_number``);
one order holds many events.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import unicodedata
from collections.abc import Iterable, Mapping
from email import policy as email_policy
from email.parser import BytesParser
from email.utils import parseaddr
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, NoReturn

from sqlalchemy import String, cast, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from cti.bus import Bus, Subscription
from cti.call_events import AgentStateChanged
from cti.events import Event
from cti.phones import InvalidPhoneNumber, ascii_digits, checked, normalize
from ticketing import directory, screen_alerts
from ticketing.audit import record
from ticketing.calls import link, link_callbacks, orders_of, upsert_interaction
from ticketing.db import read_sessionmaker
from ticketing.errors import ActionRefused, NotFound, TicketingError
from ticketing.events import (
    AsyncEventAssigned,
    AsyncEventHandled,
    AsyncEventReturned,
    publish_pending,
    queue_event,
)
from ticketing.models import (
    ASYNC_KINDS,
    AuditLog,
    Contact,
    Counter,
    Customer,
    CustomerPhone,
    Interaction,
    User,
    WorkOrder,
    order_interactions,
    utcnow,
)
from ticketing.numbering import next_value
from ticketing.workflow import store
from ticketing.workflow.definition import Definition
from ticketing.workflow.engine import create_order, load_order
from ticketing.workflow.prefill import customer_fills, description_fill
from ticketing.workflow.steps import tell_routed

log = logging.getLogger(__name__)

DEFAULT_SKILLS = {
    "fax": "service",
    "sms": "service",
    "email": "service",
    "web": "service",
    "voicemail": "fault",
    "missed_call": "service",
}
#: the workflow of a voicemail, the IVR's "report a fault" message: the intake opens it as an
#: order of this itself where it can (``Intake.open_fault_report``), and an agent making one by
#: hand (填写受理工单) is offered it first
FAULT_WORKFLOW = "fault_repair"


def known_workflow(row: Interaction) -> str:
    """The workflow an event is known to be about ("": not known, the agent picks one): the
    IVR's fault report (故障报修留言, ``reason`` fault_report) is a fault. Any other message (one
    left after hours, at a menu, past a queue's wait, on the 400 line as on 95598) is about what
    the caller says in it (QA #15: every voicemail came preset to 故障报修)."""
    return FAULT_WORKFLOW if row.kind == "voicemail" and voicemail_reason(row) == "fault_report" else ""


def voicemail_reason(row: Interaction) -> str:
    """Why the caller was sent to leave a message (the dialplan's ``HOTLINE_VM_REASON``, the IVR's
    fault report): fault_report, after_hours (the line closed: its voicemail or its after-hours
    flow's), ivr (a menu of an open line's flow led there: a caller without a number asking for a
    callback), queue_timeout (past the queue's wait), queue_unstaffed (no agent could take the
    call); "" when not said (a line whose number goes to voicemail, a message from before)."""
    return str((row.payload or {}).get("reason") or "")


#: what the event's columns take (``Interaction.external_id``, ``.subject``): real mail has
#: Message-IDs and subjects longer than that
EXTERNAL_ID_LENGTH = Interaction.external_id.type.length
SUBJECT_LENGTH = Interaction.subject.type.length
#: How many unhandled events an agent's inbox is filled up to from the events that waited for
#: nobody with their skill at work (``Intake.at_work``, ``Intake.top_up``). Not the whole
#: night's backlog on the first agent of the morning shift: the first gets the oldest few, the
#: next to sign in the next few, and each agent's inbox is filled up again as they handle its
#: events, so the
#: backlog is worked through in arrival order by everyone who is there, and what nobody has
#: taken yet stays visible to the supervisors (``waiting``) rather than hidden in one inbox.
BACKLOG_SHARE = 5
#: CTI states (``AgentStateChanged.state``) of an agent at work but not free: given new events
#: (``Intake.assign``) when no agent with the skill is 就绪, before anyone 未就绪
BUSY_STATES = frozenset({"ringing", "talking", "on_hold", "after_call_work"})


class Intake:
    """Assignment of async events; knows who is logged in from AgentStateChanged events."""

    def __init__(
        self,
        skills: Mapping[str, str] | None = None,
        *,
        fault_workflow: str = FAULT_WORKFLOW,
        backlog_share: int = BACKLOG_SHARE,
    ) -> None:
        self.skills = dict(DEFAULT_SKILLS, **(skills or {}))
        self.fault_workflow = fault_workflow
        self.backlog_share = backlog_share
        self.logged_in: set[str] = set()
        #: each signed-in agent's latest CTI state (``AgentStateChanged.state``), from the same
        #: events as ``logged_in``: ``assign`` prefers the ready over the busy over those on a break
        self.states: dict[str, str] = {}
        #: when (``_mark_of``) each agent's latest sign-out seen happened
        self._signed_out_at: dict[str, int] = {}
        #: when each agent's latest state other than signed out happened
        self._signed_in_at: dict[str, int] = {}
        self._subscription: Subscription | None = None
        self._backlog: Subscription | None = None
        self._sessionmaker: async_sessionmaker[AsyncSession] | None = None
        self._readers: async_sessionmaker[AsyncSession] | None = None
        self._bus: Bus | None = None

    def subscribe(
        self, bus: Bus, sessionmaker: async_sessionmaker[AsyncSession] | None = None
    ) -> Subscription:
        """Who is signed in (every process keeps its own set); with ``sessionmaker``, also the
        waiting events handed out as agents sign in or work through their inbox: in a group,
        so of several worker processes one acts on each sign-in (``top_up``'s claim is safe
        against two anyway)."""
        self._subscription = bus.subscribe(self.on_agent_state, types=[AgentStateChanged])
        if sessionmaker is not None:
            self._sessionmaker, self._bus = sessionmaker, bus
            bind = sessionmaker.kw.get("bind")
            self._readers = read_sessionmaker(bind) if isinstance(bind, AsyncEngine) else None
            self._backlog = bus.subscribe(
                self.on_work_event, types=[AgentStateChanged, AsyncEventHandled], group="intake"
            )
        return self._subscription

    async def close(self) -> None:
        for sub in (self._subscription, self._backlog):
            if sub is not None:
                await sub.close()

    async def rebuild(self, bus: Bus) -> None:
        """Who is logged in, from the bus history (after a restart, before new events arrive)."""
        after = 0
        while batch := await bus.replay(after, 10_000):
            for event in batch:
                await self.on_agent_state(event)
            after = batch[-1].seq
            if len(batch) < 10_000:
                break

    async def on_agent_state(self, event: Event) -> None:
        if isinstance(event, AgentStateChanged):
            if event.state == "logged_out":
                self.logged_in.discard(event.agent_id)
                self.states.pop(event.agent_id, None)
                self._signed_out_at[event.agent_id] = max(
                    _mark_of(event), self._signed_out_at.get(event.agent_id, 0)
                )
            else:
                self.logged_in.add(event.agent_id)
                self.states[event.agent_id] = event.state
                self._signed_in_at[event.agent_id] = max(
                    _mark_of(event), self._signed_in_at.get(event.agent_id, 0)
                )

    async def on_work_event(self, event: Event) -> None:
        """An agent signed in or became ready, or handled an event of their inbox: their inbox
        is filled up from the waiting events (``top_up``), and the assignments are pushed. An
        agent signed out: their unhandled events wait again (``hand_back``)."""
        if isinstance(event, AgentStateChanged) and event.state == "logged_out":
            await self._signed_out(event)
            return
        if isinstance(event, AgentStateChanged):
            # this event says who is signed in: ``logged_in`` is kept by another subscription
            # that may not have seen it yet
            signed_in = event.previous in ("logged_out", "") or event.state == "ready"
            if event.state == "logged_out" or not signed_in:
                return
            if self._signed_out_at.get(event.agent_id, 0) > _mark_of(event):
                # a sign-in the group replays after a worker restart, of an agent who has
                # signed out since: their inbox is not on any screen, and what waits stays in
                # the supervisors' 未分派 (a later sign-in tops it up)
                return
            staff_no = event.agent_id
        elif isinstance(event, AsyncEventHandled):
            if not event.staff_no or event.staff_no not in self.logged_in:
                return
            staff_no = event.staff_no
        else:
            return
        assert self._sessionmaker is not None
        signs_in = isinstance(event, AgentStateChanged) and event.previous in ("logged_out", "")
        # a sign-in is written down even with nothing waiting (a sign-out handled after it, by
        # another worker, then knows the inbox is on a screen again); a ready is not: it comes
        # after every call, and with nothing waiting it costs one read
        if not signs_in and not await self._any(_waiting()):
            return
        async with self._sessionmaker() as session:
            async with session.begin():
                await self.top_up(
                    session, staff_no, at=_mark_of(event), signed_in=isinstance(event, AgentStateChanged)
                )
            await publish_pending(session, self._bus)

    async def _signed_out(self, event: AgentStateChanged) -> None:
        """下班: the agent's unhandled events go back to the waiting events, and from there to
        the colleagues still signed in, the least busy first (``_share_out``), rather than wait
        in an inbox nobody looks at until the agent's next shift. Only on signing out: 未就绪
        (a break, or the time an agent takes off the queue precisely to work through their
        inbox) keeps the inbox, the agent is still there and comes back to it."""
        if self._signed_in_at.get(event.agent_id, 0) > _mark_of(event):
            # a sign-out the group replays after a worker restart, of an agent who has signed
            # in again since: the inbox on their screen is theirs, not the pool's
            return
        assert self._sessionmaker is not None
        if not await self._any(_held(event.agent_id)):
            return
        if self._signed_in_at.get(event.agent_id, 0) > _mark_of(event):
            return  # signed in again while we read: what they were just given stays theirs
        async with self._sessionmaker() as session:
            async with session.begin():
                returned = await hand_back(session, event.agent_id, at=_mark_of(event))
                await self._share_out(session, event.agent_id, {row.id for row in returned})
            await publish_pending(session, self._bus)

    async def _share_out(self, session: AsyncSession, leaving: str, returned: set[int]) -> None:
        """What ``leaving`` handed back, to the colleagues there to work it, as a team leader
        shares work out: each waiting event, oldest first (those handed back take their turn
        among the others by arrival), to one of the colleagues with its skill whom a new event
        would go to (``at_work``: the 就绪 ones, else those on a call; never one 置忙 or on a
        break), the one with the fewest open events, taking turns among those with equally few
        (a round robin of its own, ``rr:hand-back:<skill>``); nobody past ``backlog_share``,
        and what nobody has room for stays on 未分派事件 until someone becomes ready
        (``top_up``). Until the events handed back are all given out. A colleague whose inbox
        another transaction is changing (signing in or out at this moment) is left out
        (``SKIP LOCKED``), and so is one whose sign-out was handled already."""
        if not returned:
            return
        share = self.backlog_share
        room: list[list[Any]] = []  # [open events, user]
        for staff_no in sorted(self.logged_in - {leaving}):
            if self.states.get(staff_no, "ready") not in ("ready", *BUSY_STATES):
                continue  # given nothing whoever else is there: not worth a lock
            user = await _hold(session, staff_no, skip_locked=True)
            if user is None or not user.has_role("agent"):
                continue
            if await _mark(session, SIGNED_OUT, staff_no) > await _mark(session, SIGNED_IN, staff_no):
                continue
            count = await unhandled_count(session, user)
            if count < share:
                room.append([count, user])
        skills = {skill for _, user in room for skill in (user.skills or {})}
        kinds = [k for k in ASYNC_KINDS if self.skills.get(k, "service") in skills]
        if not kinds:
            return
        free = sum(share - count for count, _ in room)
        candidates = await session.scalars(
            _waiting(kinds).order_by(Interaction.occurred_at, Interaction.id).limit(free * 4)
        )
        for row in candidates:
            skill = self.skills.get(row.kind, "service")
            # whom a new event of its kind would go to, and of them those with room: with
            # the ready ones all full it waits, rather than go to a colleague on a call
            at_work = {u.id for u in self.at_work(e[1] for e in room if skill in (e[1].skills or {}))}
            able = [e for e in room if e[0] < share and e[1].id in at_work]
            if not able:
                continue
            fewest = min(count for count, _ in able)
            tied = sorted((e for e in able if e[0] == fewest), key=lambda e: e[1].id)
            entry = tied[0]
            if len(tied) > 1:
                entry = tied[(await next_value(session, f"rr:hand-back:{skill}") - 1) % len(tied)]
            if not await _take(session, row, entry[1]):
                continue  # another worker gave it to someone a moment ago
            entry[0] += 1
            if row.kind == "voicemail" and (row.payload or {}).get("reason") == "fault_report":
                await self.open_fault_report(session, row, entry[1])
            returned.discard(row.id)
            if not returned or all(count >= share for count, _ in room):
                break

    async def _any(self, query) -> bool:
        """Whether ``query`` finds a row, read without the write lock. ``ready`` is the most
        frequent state change (every ACW end, every ring of a ringall queue another seat took)
        and most sign-outs leave an empty inbox, so most of these checks find nothing, and on
        SQLite a write transaction each would queue behind order creation. Read every time, not
        cached: the events are stored by other processes too."""
        if self._readers is None:
            return True
        async with self._readers() as session:
            return bool(await session.scalar(select(query.exists())))

    async def receive(
        self,
        session: AsyncSession,
        kind: str,
        external_id: str,
        *,
        sender: str = "",
        content: str = "",
        subject: str = "",
        file_path: str = "",
        occurred_at: dt.datetime | None = None,
        payload: dict[str, Any] | None = None,
    ) -> Interaction:
        """Take in one async event (idempotent on kind + external id) and assign it."""
        if kind not in ASYNC_KINDS:
            raise ActionRefused("unknown_event_kind", f"unknown async event kind {kind!r}")
        known_as = [external_id]
        if len(external_id) > EXTERNAL_ID_LENGTH:  # a long Message-ID: its digest is as unique
            external_id = "sha256:" + hashlib.sha256(external_id.encode()).hexdigest()
            known_as.append(external_id)  # SQLite kept a long one whole before (dac793f)
        payload = dict(payload or {})
        if len(subject) > SUBJECT_LENGTH:
            payload["subject"] = subject  # the event's column takes the start, the payload all of it
            subject = subject[:SUBJECT_LENGTH]
        existing = await session.scalar(
            select(Interaction)
            .where(Interaction.kind == kind, Interaction.external_id.in_(known_as))
            .limit(1)
        )
        if existing is not None:
            return existing
        number, customer_id = await _sender(session, kind, sender)
        row = await upsert_interaction(
            session,
            kind,
            external_id,
            number=number,
            subject=subject,
            content=content,
            file_path=file_path,
            occurred_at=occurred_at or utcnow(),
            customer_id=customer_id,
            payload={"sender": sender, **payload},
        )
        await self.assign(session, row)
        return row

    async def assign(self, session: AsyncSession, row: Interaction) -> User | None:
        """Round robin among the signed-in agents with the kind's skill who are there to work
        it: the 就绪 (ready) ones first; if none is, those on a call or in 话后处理 (they come to
        it after the call). An agent 未就绪 (a break: 小休, 用餐, 培训, 会议) is not given new
        events: with only such agents signed in (or nobody), the event stays unassigned (status
        ``new``) on the supervisors' 未分派事件, and goes to the next agent who signs in or
        becomes ready, or who works through their inbox (``top_up``)."""
        skill = self.skills.get(row.kind, "service")
        agents = self.at_work(
            u
            for u in await session.scalars(select(User).where(User.active.is_(True)).order_by(User.id))
            if u.has_role("agent") and skill in (u.skills or {})
        )
        if not agents:
            row.status = "new"
            return None
        turn = await next_value(session, f"rr:{skill}")
        agent = agents[(turn - 1) % len(agents)]
        await assign_to(session, None, row, agent)
        return agent

    def at_work(self, agents: Iterable[User]) -> list[User]:
        """Of ``agents``, those an event is given to now: the signed-in 就绪 ones; if none is,
        those on a call or in 话后处理 (they come to it after the call); never one 未就绪 (置忙,
        a break, just signed in) nor one not signed in. The one rule of a new event
        (``assign``) and of those an agent's 下班 hands back (``_share_out``): with nobody,
        they wait on 未分派事件 for ``top_up``, when someone becomes ready."""
        signed_in = [u for u in agents if u.staff_no in self.logged_in]
        # an agent whose state this process has not seen (signed in before ``states`` was
        # kept) counts as ready
        ready = [u for u in signed_in if self.states.get(u.staff_no, "ready") == "ready"]
        return ready or [u for u in signed_in if self.states.get(u.staff_no) in BUSY_STATES]

    async def top_up(
        self,
        session: AsyncSession,
        staff_no: str,
        *,
        at: int = 0,
        signed_in: bool = False,
    ) -> list[Interaction]:
        """The waiting events (nobody with their skill was at work when they came) of the
        agent's skills, oldest first, into their inbox until it holds ``backlog_share``
        unhandled events; each audited and announced as ``assign_to`` does. An IVR fault report
        among them opens its fault order for the agent, as on arrival.

        ``at``: the bus event it answers (a sign-in, a ready, an event handled; ``_mark_of``): nothing for an
        agent whose sign-out after it was handled already (``hand_back``: the agent holds their
        row locked, ``_hold``, and reads the other's mark under it); ``signed_in``: that event
        says the agent is signed in, and is marked for a sign-out handled after it."""
        agent = await _hold(session, staff_no)
        if agent is None or not agent.has_role("agent"):
            return []
        if at:
            if await _mark(session, SIGNED_OUT, staff_no) > at:
                return []  # signed out since: their inbox is on nobody's screen
            if signed_in:
                await _set_mark(session, SIGNED_IN, staff_no, at)
        kinds = [k for k in ASYNC_KINDS if self.skills.get(k, "service") in (agent.skills or {})]
        share = self.backlog_share - await unhandled_count(session, agent)
        if not kinds or share <= 0:
            return []
        candidates = await session.scalars(
            _waiting(kinds).order_by(Interaction.occurred_at, Interaction.id).limit(share * 4)
        )
        taken: list[Interaction] = []
        for row in candidates:
            if not await _take(session, row, agent):
                continue  # another worker gave it to someone a moment ago
            taken.append(row)
            if row.kind == "voicemail" and (row.payload or {}).get("reason") == "fault_report":
                await self.open_fault_report(session, row, agent)
            if len(taken) == share:
                break
        return taken

    async def open_fault_report(
        self, session: AsyncSession, row: Interaction, agent: User
    ) -> WorkOrder | None:
        """IVR "report a fault" voicemail → a fault order at its create step, held by ``agent``,
        with the recording linked; the agent listens, completes the address and bureau, submits.

        The event is handled by it (made an order, as the agent's 填写受理工单 would), so it leaves
        the inbox and its count; the order is what waits, and the agent is told at once as of any
        order reaching their desk: a pop-up with its sound and a 提醒 row (有新工单), unread in the
        top bar until looked at, besides 我未完成任务."""
        if not self.fault_workflow:
            return None
        site_id = agent.site_id
        if row.customer_id is not None:
            customer = await session.get(Customer, row.customer_id)
            site_id = customer.site_id if customer and customer.site_id else site_id
        note = f"客户语音报修留言（{row.duration:.0f} 秒），请回听录音后补全故障信息"
        event_id, status = row.id, row.status
        try:
            # a savepoint: a refused order (the fault category 停用 or not offered at the site:
            # the engine's check) leaves the message, waiting in the agent's inbox as it came
            async with session.begin_nested():
                # the system hands the event to the agent it chose (``assign``): theirs from now on
                claimed, before = await _claim(session, agent, row.id, for_agent=True)
                order = await _order_from(
                    session,
                    agent,
                    claimed,
                    before,
                    workflow=self.fault_workflow,
                    site_id=site_id,
                    words=note,
                )
                # the agent did not make it (the system did, for them): told as of a new order
                tell_routed(session, order, [agent], screen_alerts.voicemail_report(row.duration))
                return order
        except TicketingError as refused:
            set_committed_value(row, "status", status)  # the database's again: not handled
            problems = getattr(refused, "problems", None) or {"error": str(refused)}
            log.warning(
                "IVR fault report #%s: no fault order opened (%s); the message waits in %s's inbox",
                event_id,
                ", ".join(f"{k}: {v}" for k, v in problems.items()),
                agent.staff_no,
            )
            await record(
                session,
                None,
                "event.order_refused",
                "interaction",
                event_id,
                after={"workflow": self.fault_workflow, "site_id": site_id, "problems": problems},
            )
            return None


#: what one e-mail keeps (``receive_email``): attachments stored, the body's characters
MAIL_ATTACHMENTS = 20
MAIL_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAIL_BODY_CHARS = 100_000


async def receive_email(
    intake: Intake,
    session: AsyncSession,
    raw: bytes,
    *,
    files_dir: Path | None = None,
    attachment_max_bytes: int = MAIL_ATTACHMENT_BYTES,
    max_attachments: int = MAIL_ATTACHMENTS,
) -> Interaction:
    """An inbound email (RFC 5322 bytes) as an async event: Message-ID keeps it idempotent (one
    without: the digest of the message). The body is the plain text part, else the HTML part as
    text. With ``files_dir`` each attachment up to ``attachment_max_bytes`` (at most
    ``max_attachments``) is stored as a file under it, in a folder of the message's own, and
    listed in the event's payload: ``attachments`` their names, ``files`` each one's name, type,
    size and ``path`` (one too big or past the count: ``skipped`` instead)."""
    message = BytesParser(policy=email_policy.default).parsebytes(raw)
    sender = parseaddr(str(message.get("From", "")))[1]
    body_part = message.get_body(preferencelist=("plain", "html"))
    body = ""
    if body_part is not None:
        try:
            body = body_part.get_content()
        except (LookupError, ValueError):  # an unknown charset: the bytes as well as they go
            body = (body_part.get_payload(decode=True) or b"").decode("utf-8", "replace")
        if body_part.get_content_type() == "text/html":
            body = html_to_text(body)
    digest = hashlib.sha256(raw).hexdigest()
    external_id = str(message.get("Message-ID") or "").strip().strip("<>").strip() or f"mail-{digest[:32]}"
    folder = None
    if files_dir is not None:
        folder = files_dir / hashlib.sha256(external_id.encode()).hexdigest()[:32]
    attachments = []
    to_write: list[tuple[Path, bytes]] = []
    for n, part in enumerate(message.iter_attachments(), 1):
        name = part.get_filename() or ""
        entry: dict[str, Any] = {"name": name, "type": part.get_content_type()}
        data = part.get_payload(decode=True) or b""
        entry["size"] = len(data)
        if folder is None:
            pass
        elif n > max_attachments:
            entry["skipped"] = "too_many"
        elif len(data) > attachment_max_bytes:
            entry["skipped"] = "too_large"
        else:
            path = folder / f"{n:02d}-{_file_name(name, n)}"
            to_write.append((path, data))
            entry["path"] = str(path)
        attachments.append(entry)
    if to_write:
        await asyncio.to_thread(_write_files, to_write)
    return await intake.receive(
        session,
        "email",
        external_id,
        sender=sender,
        subject=" ".join(str(message.get("Subject", "")).split()),
        content=body.strip()[:MAIL_BODY_CHARS],
        payload={
            "attachments": [entry["name"] for entry in attachments],
            "files": attachments,
            "to": str(message.get("To", "")),
        },
    )


def _write_files(files: list[tuple[Path, bytes]]) -> None:
    for path, data in files:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        partial.write_bytes(data)
        partial.replace(path)


def _file_name(name: str, n: int) -> str:
    """An attachment's name as a file name of its own: no folders, no odd characters."""
    name = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(c if c.isalnum() or c in "._- " else "_" for c in name).strip(" .")
    return name[-100:] or f"attachment-{n}"


class _HtmlText(HTMLParser):
    BLOCKS = frozenset(
        {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self._skip = max(0, self._skip - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """An HTML mail body as the text a reader sees: no tags, scripts or styles; a line per block."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text.strip()


async def _sender(session: AsyncSession, kind: str, sender: str) -> tuple[str, int | None]:
    if kind == "email" or "@" in sender:
        customer_id = await session.scalar(
            select(Contact.customer_id).where(Contact.email == sender).limit(1)
        )
        return sender, customer_id
    try:
        number = normalize(sender)
    except InvalidPhoneNumber:
        return sender, None
    customer_id = await session.scalar(
        select(CustomerPhone.customer_id).where(CustomerPhone.number == number).limit(1)
    )
    return number, customer_id


async def assign_to(session: AsyncSession, actor: User | None, row: Interaction, agent: User) -> None:
    before = {"assigned_to": row.assigned_to_id, "status": row.status}
    row.assigned_to_id = agent.id
    row.status = "assigned"
    await _assigned(session, actor, row, agent, before)


async def _take(session: AsyncSession, row: Interaction, agent: User) -> bool:
    """``assign_to`` for a waiting event, only while it still waits: of two workers handing it
    out at once one wins, the other's UPDATE waits for the row and then matches nothing."""
    taken = await session.execute(
        update(Interaction)
        .where(Interaction.id == row.id, Interaction.status == "new", Interaction.assigned_to_id.is_(None))
        .values(status="assigned", assigned_to_id=agent.id)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return False
    set_committed_value(row, "status", "assigned")
    set_committed_value(row, "assigned_to_id", agent.id)
    await _assigned(session, None, row, agent, {"assigned_to": None, "status": "new"})
    return True


async def _assigned(
    session: AsyncSession, actor: User | None, row: Interaction, agent: User, before: dict[str, Any]
) -> None:
    await record(
        session,
        actor,
        "event.assign",
        "interaction",
        row.id,
        before=before,
        after={"assigned_to": agent.id, "status": row.status},
    )
    queue_event(
        session,
        AsyncEventAssigned(interaction_id=row.id, kind=row.kind, staff_no=agent.staff_no, number=row.number),
    )


#: the audit actions that say who handled an event (an order made from it or one it was linked
#: to: ``event.handled``; closed without one: ``event.closed``)
HANDLED_ACTIONS = ("event.handled", "event.closed")


async def inbox(
    session: AsyncSession, user: User, *, include_handled: bool = False, limit: int = 50
) -> list[Interaction]:
    """The user's inbox, newest first: the events assigned to them not handled yet, or
    (``include_handled``, 显示已处理) with those handled too, and every event the user handled
    themselves although it was not theirs (a supervisor works 未分派事件 and colleagues' events,
    which are never assigned to them: those vanished from every list once handled)."""
    mine = Interaction.assigned_to_id == user.id
    if not include_handled:
        query = select(Interaction).where(mine, Interaction.status == "assigned")
    else:
        # who handled an event is the audit's record of it (``_handled``): kept for every event
        # handled since, where neither the event nor a close reason says who linked it
        handled_by_me = (
            select(AuditLog.entity_id)
            .where(
                AuditLog.entity == "interaction",
                AuditLog.action.in_(HANDLED_ACTIONS),
                AuditLog.user_id == user.id,
            )
            .scalar_subquery()
        )
        query = select(Interaction).where(
            Interaction.kind.in_(ASYNC_KINDS),
            or_(mine, cast(Interaction.id, String).in_(handled_by_me)),
        )
    query = query.order_by(Interaction.occurred_at.desc(), Interaction.id.desc()).limit(limit)
    return list(await session.scalars(query))


async def orders_linked(session: AsyncSession, rows: Iterable[Interaction]) -> dict[int, list[str]]:
    """The 工单号 each handled event joined (made from it, or linked to it): what 显示已处理 says
    an event became (已关联 工单号)."""
    ids = [row.id for row in rows if row.status == "handled"]
    if not ids:
        return {}
    found: dict[int, list[str]] = {}
    pairs = await session.execute(
        select(order_interactions.c.interaction_id, WorkOrder.number)
        .join(WorkOrder, WorkOrder.id == order_interactions.c.order_id)
        .where(order_interactions.c.interaction_id.in_(ids))
        .order_by(order_interactions.c.linked_at, WorkOrder.id)
    )
    for interaction_id, number in pairs:
        found.setdefault(interaction_id, []).append(number)
    return found


def _held(staff_no: str):
    """The unhandled events in the inbox of the agent with this 工号."""
    return (
        select(Interaction)
        .join(User, User.id == Interaction.assigned_to_id)
        .where(User.staff_no == staff_no, Interaction.kind.in_(ASYNC_KINDS), Interaction.status == "assigned")
    )


#: When (``_mark_of``) the latest sign-in (or ready) and sign-out of an agent that the intake
#: acted on happened, kept as ``counters`` rows (``SIGNED_IN + 工号``; a mark only ever grows, as
#: a counter does).
#: Worker processes share the intake group's events, so the sign-out and the next sign-in of
#: one agent may be handled at the same moment by two of them, each knowing only what its own
#: subscription has seen; the marks, read and written with the agent's row locked (``_hold``),
#: say which came last whatever the order they are handled in.
SIGNED_IN, SIGNED_OUT = "intake-signed-in:", "intake-signed-out:"


async def _hold(
    session: AsyncSession, staff_no: str, *, active: bool = True, skip_locked: bool = False
) -> User | None:
    """The user with this 工号 (``active``: only while active), their row locked until the
    transaction ends: their
    inbox is handed back or filled up by one transaction at a time (PostgreSQL; SQLite's
    ``BEGIN IMMEDIATE`` has one writer anyway). ``FOR NO KEY UPDATE``: rows that refer to the
    user (an order, an audit entry) are still written meanwhile. ``skip_locked``: None when
    another transaction holds it, rather than wait."""
    query = select(User).where(User.staff_no == staff_no)
    if active:
        query = query.where(User.active.is_(True))
    query = query.with_for_update(key_share=True, skip_locked=skip_locked)
    return await session.scalar(query.execution_options(populate_existing=True))


async def _mark(session: AsyncSession, kind: str, staff_no: str) -> int:
    return int(await session.scalar(select(Counter.value).where(Counter.key == kind + staff_no)) or 0)


def _mark_of(event: Event) -> int:
    """The moment the bus stamped the event, in microseconds: the marks outlive the bus. Its
    ``seq`` does not: the in-process bus counts from 1 again at every start (so does the Redis
    bus's counter when Redis keeps nothing), and a sign-out marked before a restart would have
    kept the agent's inbox empty after it until the new count passed the old. Both events of a
    race are stamped by the one bridge that saw them, on one clock."""
    return int(event.ts * 1_000_000)


async def _set_mark(session: AsyncSession, kind: str, staff_no: str, at: int) -> None:
    """Under ``_hold``: nobody else writes the agent's marks meanwhile."""
    row = await session.get(Counter, kind + staff_no, populate_existing=True)
    if row is None:
        session.add(Counter(key=kind + staff_no, value=at))
    elif row.value < at:
        row.value = at
    await session.flush()


async def hand_back(session: AsyncSession, staff_no: str, *, at: int = 0) -> list[Interaction]:
    """The unhandled events of the agent's inbox back to the waiting events (status ``new``,
    nobody's; their arrival time kept, so ``top_up`` hands them out in their turn), each
    audited as the system's ``event.assign`` because of 下班 and announced
    (``AsyncEventReturned``: the agent's inbox and count shrink).

    ``at``: when the sign-out happened (``_mark_of``). Nothing goes back when the agent's sign-in after it was
    handled already (by another worker, perhaps at this very moment: the agent's row is locked
    here, and their sign-in's ``top_up`` locks it too): the inbox is on their screen again."""
    agent = await _hold(session, staff_no, active=False)  # a deactivated account's too
    if agent is None:
        return []
    if at:
        if await _mark(session, SIGNED_IN, staff_no) > at:
            return []
        await _set_mark(session, SIGNED_OUT, staff_no, at)
    rows = await session.scalars(_held(staff_no).order_by(Interaction.occurred_at, Interaction.id))
    returned: list[Interaction] = []
    for row in rows:
        freed = await session.execute(
            update(Interaction)
            .where(
                Interaction.id == row.id,
                Interaction.assigned_to_id == agent.id,
                Interaction.status == "assigned",
            )
            .values(status="new", assigned_to_id=None)
            .execution_options(synchronize_session=False)
        )
        if freed.rowcount != 1:
            continue  # handled (or handed to someone else) a moment ago: not the pool's
        set_committed_value(row, "status", "new")
        set_committed_value(row, "assigned_to_id", None)
        await record(
            session,
            None,
            "event.assign",
            "interaction",
            row.id,
            before={"assigned_to": agent.id, "status": "assigned"},
            after={"assigned_to": None, "status": "new", "reason": "下班"},
        )
        queue_event(session, AsyncEventReturned(interaction_id=row.id, kind=row.kind, staff_no=staff_no))
        returned.append(row)
    return returned


def _waiting(kinds: tuple[str, ...] | list[str] = ASYNC_KINDS):
    return select(Interaction).where(
        Interaction.kind.in_(kinds), Interaction.status == "new", Interaction.assigned_to_id.is_(None)
    )


async def waiting(
    session: AsyncSession, *, kind: str = "", offset: int = 0, limit: int = 50
) -> tuple[list[Interaction], int]:
    """未分派: the events nobody with their skill was at work to take, for the supervisors: a
    page of them (oldest first, as they will be handed out; ``kind``: of that kind only) and how
    many there are (of that kind), so every one can be reached whatever waits ahead of it."""
    query = _waiting([kind] if kind else ASYNC_KINDS)
    rows = await session.scalars(
        query.order_by(Interaction.occurred_at, Interaction.id).offset(offset).limit(limit)
    )
    count = await session.scalar(select(func.count()).select_from(query.subquery()))
    return list(rows), int(count or 0)


async def waiting_by_kind(session: AsyncSession) -> dict[str, int]:
    """How many events of each kind wait (未分派事件's filter: 短信 12, 未接来电 3…)."""
    waits = _waiting().subquery()
    counts = await session.execute(select(waits.c.kind, func.count()).group_by(waits.c.kind))
    return {kind: int(n) for kind, n in counts}


async def unhandled_count(session: AsyncSession, user: User) -> int:
    """您有 X 个未处理事件."""
    return int(
        await session.scalar(
            select(func.count(Interaction.id)).where(
                Interaction.assigned_to_id == user.id, Interaction.status == "assigned"
            )
        )
        or 0
    )


#: who may handle an event assigned to someone else (or to nobody): the supervisor (质量监控员)
#: oversees every seat and, like the admin, may already open any recording or fax
#: (``agent_ui.media``). Everyone else handles only their own inbox: an event's content (a
#: voicemail, a fax) becomes readable by whoever may read the order it joins.
HANDLES_ANY_EVENT = ("supervisor", "admin")


def may_handle(user: User, row: Interaction) -> bool:
    """Whether ``user`` may turn ``row`` into an order or link it to one: the one rule."""
    return row.assigned_to_id == user.id or user.has_role(*HANDLES_ANY_EVENT)


async def _claim(
    session: AsyncSession, user: User, interaction_id: int, *, for_agent: bool = False
) -> tuple[Interaction, str]:
    """The async event ``user`` is about to handle, marked handled; with its status before.

    Only async events (not calls or recordings: those join orders through the call's own
    legs) in the user's inbox, unless ``may_handle`` says otherwise (``for_agent``: the
    system acts for the agent it picked, no person asks). An event is handled once
    (a new order, or one existing order, per the domain: one order holds many events, not one
    event many orders); a second try, even one racing this one, is refused ``event.already_handled``.
    """
    row = await _handleable(session, user, interaction_id, for_agent=for_agent)
    before = row.status
    # The status changes only where it is still unhandled, so of two users at once one wins:
    # the other's UPDATE waits for the row and then matches nothing.
    claimed = await session.execute(
        update(Interaction)
        .where(Interaction.id == row.id, Interaction.status != "handled")
        .values(status="handled")
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        await _already_handled(session, row)
    set_committed_value(row, "status", "handled")
    return row, before


async def handleable(session: AsyncSession, user: User, interaction_id: int) -> Interaction:
    """The event, if ``user`` may handle it now: what ``_claim`` would refuse, refused the same
    way, with nothing changed (the console asks before it links)."""
    row = await _handleable(session, user, interaction_id)
    if row.status == "handled":
        await _already_handled(session, row)
    return row


async def _handleable(
    session: AsyncSession, user: User, interaction_id: int, *, for_agent: bool = False
) -> Interaction:
    row = await session.get(Interaction, interaction_id)
    if row is None or row.kind not in ASYNC_KINDS:
        raise NotFound(f"no event #{interaction_id}", entity="interaction", key=interaction_id)
    if not for_agent and not may_handle(user, row):
        raise ActionRefused("event.forbidden", f"event #{row.id} is not in your inbox", event=row.id)
    return row


async def _already_handled(session: AsyncSession, row: Interaction) -> NoReturn:
    orders = await session.scalars(
        select(WorkOrder.number).where(WorkOrder.id.in_(await orders_of(session, row)))
    )
    raise ActionRefused(
        "event.already_handled", f"event #{row.id} is already handled", event=row.id, orders=list(orders)
    )


async def to_new_order(
    session: AsyncSession,
    user: User,
    interaction_id: int,
    *,
    workflow: str,
    site_id: int | None,
    form: Mapping[str, Any] | None = None,
    category: str = "",
    subcategory: str = "",
    submit: bool = False,
    as_offered: bool = False,
) -> WorkOrder:
    """填写受理工单: a new order pre-filled from the event (caller, customer, its text), linked to it;
    ``category`` and ``subcategory`` are the ones picked, as at the seat's intake (with
    ``as_offered``, ones offered to the user's site: ``create_order``)."""
    row, before = await _claim(session, user, interaction_id)
    return await _order_from(
        session,
        user,
        row,
        before,
        workflow=workflow,
        site_id=site_id,
        form=form,
        category=category,
        subcategory=subcategory,
        submit=submit,
        as_offered=as_offered,
    )


async def _order_from(
    session: AsyncSession,
    user: User,
    row: Interaction,
    status_before: str,
    *,
    workflow: str,
    site_id: int | None,
    form: Mapping[str, Any] | None = None,
    category: str = "",
    subcategory: str = "",
    submit: bool = False,
    as_offered: bool = False,
    words: str = "",
) -> WorkOrder:
    """``words``: the customer's words the order is to hold (the event's text, else its subject)."""
    definition = (await store.latest(session, workflow)).definition
    prefill: dict[str, Any] = dict(form or {})
    # the event's text goes where the workflow keeps the customer's words (customer: description),
    # whichever workflow the agent picked, where nothing was sent for it
    prefill.update(
        description_fill(definition, definition.create_node, prefill, words or row.content or row.subject)
    )
    # the sender's customer fills what the seat's intake fills from a popped one (QA: 故障地址 and
    # 所属供电局 stayed empty on an event's order), only where nothing was typed
    prefill.update(await _customer_fills(session, row, definition, prefill, site_id))
    order = await create_order(
        session,
        user,
        workflow=workflow,
        site_id=site_id,
        form=prefill,
        customer_id=row.customer_id,
        caller_number=_phone_of(row),
        category=category,
        subcategory=subcategory,
        submit=submit,
        interaction_ids=[row.id],
        link_call=False,
        title=row.subject,
        as_offered=as_offered,
    )
    await record(
        session,
        user,
        "order.link_interaction",
        "work_order",
        order.id,
        after={"interaction": row.id, "kind": row.kind},
    )
    await link_callbacks(session, order, row, user)  # the 回拨 that served the customer, as at the seat
    await _handled(session, user, row, status_before, order)
    return order


async def _customer_fills(
    session: AsyncSession,
    row: Interaction,
    definition: Definition,
    form: Mapping[str, Any],
    site_id: int | None,
) -> dict[str, str]:
    """``prefill.customer_fills`` of the event's customer (its sender's, found as it came in), on the
    workflow's create step: its address and its site's code, as the seat's form takes them."""
    if row.customer_id is None:
        return {}
    customer = await session.get(Customer, row.customer_id)
    if customer is None:
        return {}
    known = await directory.load(session)
    site = known.sites.get(customer.site_id) if customer.site_id is not None else None
    values = {"address": customer.address or "", "site": site.code if site else ""}
    # a 停用 site is no new order's (create_order refuses it), but the one the order is given stays;
    # nor is the HQ, which serves no customer: an old customer of it fills nothing
    closed = known.closed_sites(site_id)
    return customer_fills(definition, definition.create_node, form, values, known.site_codes, closed)


def _phone_of(row: Interaction) -> str:
    """The event's number as the order's caller number, when it is one (an email's address or a
    web message's typed contact is not, and must not stop the order being taken)."""
    if row.kind == "email" or not row.number:
        return ""
    try:
        return checked(row.number)
    except InvalidPhoneNumber:
        return ""


def order_number(typed: str) -> str:
    """A 工单号 as typed: ``gz2026112700003 ``, ＧＺ２０２６… from a Chinese input method (full-width
    digits as ``cti.phones`` reads phone numbers, full-width letters folded too) → GZ2026112700003."""
    return unicodedata.normalize("NFKC", ascii_digits(typed)).strip().upper()


async def order_by_number(session: AsyncSession, user: User, typed: str) -> WorkOrder:
    """关联到已受理工单's order, by the 工单号 the agent typed, if the user's data scope covers it.

    Only by its number, never by the database id ``engine.load_order`` also takes (the order
    page's URLs): an agent sees 工单号s, and ``7`` (the tail of …0007, or a typo) found an
    unrelated order by its id and linked the event to it (QA F2). A number nobody has is
    refused ``event.order_not_found``, naming it."""
    number = order_number(typed)
    # as typed too: a numbering pattern may hold lower-case letters
    found = await session.scalar(
        select(WorkOrder.number).where(WorkOrder.number.in_(dict.fromkeys((number, typed.strip())))).limit(1)
    )
    if not number or found is None:
        raise ActionRefused(
            "event.order_not_found", f"no work order numbered {number!r}", order_number=number
        )
    return await load_order(session, user, found)


async def link_to_order(session: AsyncSession, user: User, interaction_id: int, order: WorkOrder) -> None:
    """关联到已受理工单: ``order`` as loaded for ``user`` (``engine.load_order``: their data scope)."""
    row, before = await _claim(session, user, interaction_id)
    await link(session, order, row, user)
    await link_callbacks(session, order, row, user)
    await _handled(session, user, row, before, order)


async def close_without_order(
    session: AsyncSession, user: User, interaction_id: int, reason: str
) -> Interaction:
    """关闭/无需处理: an event that needs no order (a caller who rang off and is fine, spam) is
    handled with ``reason`` kept on it (``payload.closed``: the reason, who, when), audited
    ``event.closed``; whose it may be and handled once, as an order or a link is (``_claim``)."""
    row, before = await _claim(session, user, interaction_id)
    closed = {"reason": reason, "by": user.staff_no, "by_name": user.name, "at": utcnow().isoformat()}
    row.payload = {**(row.payload or {}), "closed": closed}
    await _handled(session, user, row, before, closed=reason)
    return row


#: 批量关闭: the most waiting events one request closes (a bigger flood goes a kind or a page at
#: a time): one transaction holds a row lock and an audit row for each
BULK_CLOSE_LIMIT = 1000


def within_bulk_limit(count: int) -> None:
    """Refused ``event.too_many`` past ``BULK_CLOSE_LIMIT``."""
    if count > BULK_CLOSE_LIMIT:
        raise ActionRefused("event.too_many", "too many events", limit=BULK_CLOSE_LIMIT, count=count)


def may_close_waiting(user: User) -> bool:
    """批量关闭 is for who sees 未分派事件 and may handle any event there (``may_handle``)."""
    return user.has_role(*HANDLES_ANY_EVENT)


async def close_waiting(
    session: AsyncSession,
    user: User,
    reason: str,
    *,
    ids: Iterable[int] = (),
    kind: str | None = None,
    through: int = 0,
    count: int = 0,
) -> dict[str, Any]:
    """批量关闭: 未分派事件 closed without an order, each as ``close_without_order`` closes one
    (``payload.closed``, an ``event.closed`` audit row, ``AsyncEventHandled``), in the caller's
    transaction. Either the events picked (``ids``) or every one of a 类型 filter the supervisor
    confirmed (``kind``, "" for every kind: those waiting now up to ``through``, the newest id the
    page showed, so what arrived after the confirmation is not closed unseen; more than the
    ``count`` confirmed, events handed back meanwhile, is refused ``event.waiting_changed``).
    Only events still waiting are closed; ``skipped`` says why the others were left, how many
    each (``skipped_ids``: which): given to an agent meanwhile (``taken``), handled meanwhile
    (``handled``), no async event at all (``not_found``); of a filter's, counted as confirmed but
    no longer waiting (``gone``: which ones cannot be told)."""
    if not may_close_waiting(user):
        raise ActionRefused("event.bulk_forbidden", "only a supervisor closes waiting events in bulk")
    skipped: dict[str, list[int]] = {}
    if kind is None:
        picked = list(dict.fromkeys(ids))
        within_bulk_limit(len(picked))
    else:
        within_bulk_limit(count)
        query = _waiting([kind] if kind else ASYNC_KINDS).where(Interaction.id <= through)
        picked = list(await session.scalars(query.with_only_columns(Interaction.id).order_by(Interaction.id)))
        if len(picked) > count:
            raise ActionRefused(
                "event.waiting_changed",
                f"{len(picked)} events wait, more than the {count} confirmed",
                count=count,
                now=len(picked),
            )
    closed: list[int] = []
    if picked:
        # only where it still waits, as ``_take`` hands one out: of this and an agent's top-up
        # (or another supervisor) one wins, the other's UPDATE waits for the row and matches nothing
        done = await session.execute(
            update(Interaction)
            .where(
                Interaction.id.in_(picked),
                Interaction.kind.in_(ASYNC_KINDS),
                Interaction.status == "new",
                Interaction.assigned_to_id.is_(None),
            )
            .values(status="handled")
            .returning(Interaction.id)
            .execution_options(synchronize_session=False)
        )
        closed = sorted(done.scalars())
    at = utcnow().isoformat()
    closing = {"reason": reason, "by": user.staff_no, "by_name": user.name, "at": at}
    rows = (
        {row.id: row for row in await session.scalars(select(Interaction).where(Interaction.id.in_(picked)))}
        if picked
        else {}
    )
    for event_id in closed:
        row = rows[event_id]
        set_committed_value(row, "status", "handled")
        row.payload = {**(row.payload or {}), "closed": dict(closing)}
        await _handled(session, user, row, "new", closed=reason)
    if kind is None:
        for event_id in picked:
            row = rows.get(event_id)
            if event_id in closed:
                continue
            why = (
                "not_found"
                if row is None or row.kind not in ASYNC_KINDS
                else "handled"
                if row.status == "handled"
                else "taken"
            )
            skipped.setdefault(why, []).append(event_id)
    gone = max(0, count - len(closed)) if kind is not None else 0
    return {
        "closed": len(closed),
        "ids": closed,
        "skipped": {why: len(found) for why, found in skipped.items()} | ({"gone": gone} if gone else {}),
        "skipped_ids": skipped,
    }


async def newest_waiting(session: AsyncSession, kind: str = "") -> int:
    """The newest waiting event's id (of ``kind``; 0: none): what 批量关闭's "every one of the
    filter" closes up to."""
    query = _waiting([kind] if kind else ASYNC_KINDS).subquery()
    return int(await session.scalar(select(func.max(query.c.id))) or 0)


async def callback_event(session: AsyncSession, user: User, interaction_id: int) -> Interaction:
    """The event ``user`` may call back (回拨): one they may handle, handled yet or not."""
    return await _handleable(session, user, interaction_id)


async def record_callback(
    session: AsyncSession, user: User, interaction_id: int, attempt: dict[str, Any]
) -> None:
    """A 回拨 made from the inbox, kept on the event (``payload.callbacks``) and audited."""
    row = await _handleable(session, user, interaction_id)
    payload = dict(row.payload or {})
    payload["callbacks"] = [*(payload.get("callbacks") or []), attempt]
    row.payload = payload
    await record(session, user, "event.callback", "interaction", row.id, after=attempt)
    for order_id in await orders_of(session, row):  # called back after its order: the order's call too
        await link_callbacks(session, order_id, row, user)


async def _handled(
    session: AsyncSession,
    user: User,
    row: Interaction,
    status_before: str,
    order: WorkOrder | None = None,
    *,
    closed: str = "",
) -> None:
    """Audit and announce ``row`` handled: by ``order`` (new or linked) or ``closed`` without one."""
    await record(
        session,
        user,
        "event.handled" if order is not None else "event.closed",
        "interaction",
        row.id,
        # whose inbox it was: a supervisor may handle someone else's
        before={"status": status_before, "assigned_to": row.assigned_to_id},
        after={"status": "handled", "order": order.number}
        if order is not None
        else {"status": "handled", "closed": closed},
    )
    assignee = await session.get(User, row.assigned_to_id) if row.assigned_to_id else None
    queue_event(
        session,
        AsyncEventHandled(
            interaction_id=row.id,
            kind=row.kind,
            staff_no=assignee.staff_no if assignee else "",
            actor=user.staff_no,
            order_number=order.number if order is not None else "",
        ),
    )
