"""The websocket gateway: one socket per browser tab, fed from the bus.

Each connection is one coroutine reading commands. A message for many tabs
(a queue figure, a wallboard call event) is serialised and framed once, and
the frame is written straight to each tab's socket, the way websockets'
``broadcast()`` does it: no task wakes up per tab. A tab whose socket is
backed up (more than ``WRITE_HIGH_WATER`` bytes not yet taken by the kernel),
or that already has messages waiting, gets the message through its own
bounded queue and writer task instead, so nothing overtakes what it is still
owed and a slow browser never delays anyone else. Messages for one tab
(acks, snapshots) always take the queue.

A tab that falls behind by a whole queue is not fed a backlog: its queue is
emptied and it gets a fresh snapshot instead (``resync``), which is also what
every connection gets first, so a reconnecting tab is never stale. A tab that
fills its queue again before even that snapshot went out, while its socket is
still backed up, is hopelessly behind: its connection is dropped, and the page
reconnects and starts from a snapshot.

Wire format (JSON text frames):

* client → server: ``{"id": 7, "cmd": "pause", "args": {"reason": "小休"}}``
* server → client: ``{"type": "ack", "id": 7, "result": {...}}`` or
  ``{"type": "refused", "id": 7, "error_id": "...", "message": "..."}``;
  pushes: ``snapshot``, ``ami``, ``agent_state``, ``call``, ``screen_pop``,
  ``queue`` (a queue's counters, at most every ``QUEUE_INTERVAL``), ``order`` (a pop-up,
  ``TicketRouted`` / ``TicketReminder``, only to those it names who may open the order),
  ``inbox``, ``acw_hold`` (``AcwHoldChanged``, to the agent's own tabs only), ``outage_notice``
  (``OutageNoticeChanged``, to every tab that may read notices: a screen-pop's outages follow); after
  ``wallboard``: ``board`` (every agent, queue and call) then
  ``board_call`` for every call event (CallStarted too; each call event says the call's
  ``direction`` once its CallStarted was seen), ``board_member`` for every seat that joins or
  leaves a queue (the board counts a queue's ready agents from its members),
  ``board_agent`` with the name of a seat that signs in (the board's present names the others) and
  ``board_spy`` for every supervisor's listen / whisper / barge that starts, changes
  mode or ends (never to the agent's seat), and ``board_today`` with the figures for 今日
  (``agent_ui.board_today``) and the callers waiting to be called back (待回拨) within a second
  or so of queue news, a call's end, a seat's change or a callback stored or dialled, and every
  ``REFRESH_SECONDS`` anyway.

The screen-pop uses the customer the bridge found (``CallOffered.customer``);
only a bridge without a lookup leaves it to the gateway, which then looks up
beside the bus so that no other tab's message waits for it.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import json
import logging
import struct
import time
import uuid
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web
from sqlalchemy import select

from agent_ui import roles
from agent_ui.auth import SESSION_REF, SESSIONS, CurrentUser, SessionEnded, SessionStore
from agent_ui.board_today import MIN_GAP_SECONDS, REFRESH_SECONDS, Stored, day_start
from agent_ui.commands import run_command
from agent_ui.errors import UiError, details_of, error_id_of
from agent_ui.locale import language
from agent_ui.roles import requires
from agent_ui.services import GATEWAY, SERVICES, TEXTS, USER, AppServices
from agent_ui.snapshot import (
    ami_of,
    board_agents,
    board_stored,
    board_today,
    build_board,
    build_snapshot,
    screen_pop_for,
    seats_shown,
)
from agent_ui.supervision import SeatForced
from agent_ui.texts import Texts
from agent_ui.work import ivr_steps, pop_of, read_only, work_counts
from campaigns.events import (
    CallbackQueued,
    CampaignCallEnded,
    CampaignCallPlaced,
    CampaignContactDisposed,
    CampaignContactOffered,
    CampaignOfferWithdrawn,
    CampaignStatusChanged,
    DncChanged,
)
from cti import agents as A
from cti.call_events import (
    AcwHoldChanged,
    AgentStateChanged,
    AmiConnectionChanged,
    CallAnswered,
    CallEnded,
    CallHeld,
    CallOffered,
    CallStarted,
    CallTransferred,
    ConferenceLeft,
    ConsultChanged,
    QueueMemberChanged,
    QueueUpdated,
    SpyChanged,
)
from cti.events import Event
from ticketing import screen_alerts
from ticketing.events import OutageNoticeChanged, TicketReminder, TicketRouted, UserAccountChanged
from ticketing.ids import is_id
from ticketing.models import WorkOrder
from ticketing.users import names_by_staff_no, order_scope_clause

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

OUTBOUND_LIMIT = 256  # messages a tab may have waiting before it is resynced
WRITE_HIGH_WATER = 64 * 1024  # bytes in a tab's socket buffer above which it counts as backed up
QUEUE_INTERVAL = 0.25  # seconds: the least time between two updates of one queue sent to the tabs
#: seconds a closed tab's hold on its call's after-call work outlives it: a reload's new page
#: takes it over from its draft (seat.js restoreDraft), a tab gone for good releases it
ACW_RELEASE_GRACE = 5.0
STOP_GRACE = 5.0  # seconds stop() waits for its cancelled tasks to unwind
#: seconds a stopping process waits for its tabs to answer the close of their sockets (a browser
#: answers at once; one that does not is cut off by the server's own shutdown)
GOING_AWAY_GRACE = 2.0
#: seconds between this process's signs of life to the bridge while any of its tabs holds an ACW:
#: the bridge lets go of the holds of a process silent for a few of them (killed: no release)
ACW_ALIVE_INTERVAL = A.ACW_ALIVE_SECONDS
FAN_OUT_SLICE = 64  # tabs written per turn of the event loop when one message goes to many
_RESYNC = {"type": "resync"}
_WORK = {"type": "work_refresh"}
_CALL_EVENTS = (CallAnswered, CallHeld, CallTransferred, CallEnded)
#: an order's pop-up for the people they name (``handlers``, ``staff_no``): only those who may open it
_POP_UPS = (TicketRouted, TicketReminder)
#: a queue's callers waiting to be called back (the boards' 待回拨) may have changed: a request
#: stored, a contact offered or dialled, an attempt over (reached, or back to wait for a retry),
#: a result recorded by hand (稍后再打: back to wait), a campaign paused, resumed or finished, a
#: number put on the do-not-call list or taken off it
_CALLBACK_NEWS = (
    CallbackQueued,
    CampaignContactOffered,
    CampaignOfferWithdrawn,
    CampaignCallPlaced,
    CampaignCallEnded,
    CampaignContactDisposed,
    CampaignStatusChanged,
    DncChanged,
)
DIRECTIONS_KEPT = 10_000  # live calls whose direction is remembered (a CallEnded lost to a restart ages out)


def account_change_why(event: UserAccountChanged) -> str:
    """Why an admin's change of the account ends its consoles (``auth.ENDED_WHY``)."""
    if not event.active:
        return "account_disabled"
    return "password_reset" if event.reason == "password_reset" else "roles_changed"


class SharedMessage:
    """A message for many tabs: serialised once, and framed once for the direct write."""

    __slots__ = ("frame", "text")

    def __init__(self, message: dict[str, Any]) -> None:
        self.text = _dumps(message)
        self.frame = text_frame(self.text.encode())


class Client:
    """One open socket: who is on it, and its way out (direct, or its private queue when behind)."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        transport: asyncio.Transport,
        user: CurrentUser,
        lang: str,
        process: str = "",
    ) -> None:
        self.ws = ws
        self.transport = transport
        self.user = user
        self.lang = lang
        self.queue: asyncio.Queue[dict[str, Any] | SharedMessage] = asyncio.Queue(OUTBOUND_LIMIT)
        self.writing = False  # the writer task holds a message: nothing may overtake it
        self.resyncs = 0
        self.resync_owed = False  # overflowed once; its snapshot has not gone out yet
        # a work_refresh waits in the queue: another adds nothing (the counts read when it goes
        # out are those after every change so far); a 批量关闭 of 1000 events read them once,
        # not 1000 times
        self.work_queued = False
        self.dropped = False
        self.watching: set[int] = set()  # order ids whose page this tab shows
        self.board = False  # a supervisor's wallboard: every call's events, not only its own
        self.sees_all_agents = Gateway.sees_all_agents(user)
        self.reads_queues = user.can("queues.read")
        # messages of fan-outs still being written slice by slice, not yet given to this tab
        self.owed: collections.deque[SharedMessage] = collections.deque()
        self.signing_out: asyncio.Task[bool] | None = None  # the close of a signed-out account
        #: the digest of the session the socket was opened with (``auth.SESSION_REF``): 退出 closes it
        self.session = ""
        #: calls whose after-call work this tab holds past its limit (its intake form's unsaved input)
        self.acw_holds: set[str] = set()
        #: names this tab's holds at the bridge, unique across the web processes: a reload's new
        #: page on another process holds anew, and this tab's release leaves that hold alone. It
        #: names the web process too, whose silence (killed) lets the bridge drop the hold
        self.acw_holder = A.acw_holder(process, uuid.uuid4().hex) if process else uuid.uuid4().hex

    def sign_out(self, why: str = "revoked") -> None:
        """Close with 4401 (socket.js then opens the sign-in form, which says why): the account
        changed under it, or its session ended. ``why`` (``auth.ENDED_WHY``) is the close frame's
        reason; the first one given stands."""
        if self.signing_out is None and not self.ws.closed:
            self.signing_out = asyncio.get_running_loop().create_task(
                self.ws.close(code=4401, message=why.encode())
            )

    def send(self, message: dict[str, Any] | SharedMessage) -> None:
        """Write a shared message now if the tab is keeping up; queue anything else, in order."""
        if self.owed:
            self.settle()
        self._send(message)

    def settle(self, upto: SharedMessage | None = None) -> None:
        """Give the tab what fan-outs still owe it, oldest first (through ``upto``, if given)."""
        if upto is not None and upto not in self.owed:
            return  # already given: something sent to this tab later settled it
        while self.owed:
            message = self.owed.popleft()
            self._send(message)
            if message is upto:
                return

    def _send(self, message: dict[str, Any] | SharedMessage) -> None:
        if self.dropped:
            return
        if message is _WORK:
            if self.work_queued:
                return
            self.work_queued = True
        if message.__class__ is SharedMessage and self._keeping_up():
            if not self.transport.is_closing() and not self.ws.closed:
                self.transport.write(message.frame)
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self._overflow()

    def _keeping_up(self) -> bool:
        # Nothing waiting or being written (it would be overtaken) and room in the socket buffer.
        return (
            not self.writing
            and not self.queue.qsize()
            and self.transport.get_write_buffer_size() < WRITE_HIGH_WATER
        )

    def _overflow(self) -> None:
        if self.resync_owed and self.transport.get_write_buffer_size() >= WRITE_HIGH_WATER:
            # A whole queue again before its snapshot went out, and the browser is not taking
            # bytes either. (A snapshot that is merely slow to build only earns another resync.)
            self.drop()
            return
        # Behind by a whole queue: drop the backlog, send the present instead.
        self.resyncs += 1
        self.resync_owed = True
        self.owed.clear()  # the snapshot carries the present
        while not self.queue.empty():
            self.queue.get_nowait()
        self.work_queued = False  # the snapshot carries the counts too
        self.queue.put_nowait(_RESYNC)

    def drop(self) -> None:
        """Cut a tab that cannot keep up; the page reconnects and starts from a snapshot."""
        if not self.dropped:
            self.dropped = True
            log.warning("dropping the websocket of %s: too far behind", self.user.staff_no)
            self.transport.abort()  # a close frame would only wait behind the backlog


class Gateway:
    def __init__(self, services: AppServices, texts: Texts, sessions: SessionStore | None = None) -> None:
        self.services = services
        self.texts = texts
        #: the app's sessions: a socket's commands need its session live (None: not checked)
        self.sessions = sessions
        self.clients: set[Client] = set()
        # who gets what, kept as tabs come and go, so routing an event costs its few
        # recipients and not a pass over every open tab (agent ids are 工号)
        self._by_staff_no: dict[str, set[Client]] = {}
        self._by_order: dict[int, set[Client]] = {}
        self._supervisors: set[Client] = set()
        self._queue_readers: set[Client] = set()
        self._boards: set[Client] = set()
        self._subscription: Any = None
        self._ami_connected: bool | None = None
        self._ami_reason = ""  # the last AmiConnectionChanged's reason (``misconfigured: …``)
        self._tasks: set[asyncio.Task[None]] = set()
        # queue → loop time of its last update sent, the newer one waiting, and its timer
        self._queue_sent: dict[str, float] = {}
        self._queue_latest: dict[str, dict[str, Any]] = {}
        self._queue_timers: dict[str, asyncio.TimerHandle] = {}
        # call_id → "inbound" | "outbound" | "internal", from CallStarted: only it and CallEnded
        # say which way a call goes, and a callback must not show as a caller ringing in
        self._directions: collections.OrderedDict[str, str] = collections.OrderedDict()
        #: this web process, as its tabs' ACW holds name it at the bridge (``acw_alive``)
        self.process = uuid.uuid4().hex[:16]
        self._acw_releasing = 0  # closed tabs' holds still to be released (after the grace)
        self._going_away = False  # the process stops: its tabs' sockets close, their holds stay
        self._alive: asyncio.Task[None] | None = None
        # the boards' figures for 今日: worked out again on news while boards are open
        self._today_news = asyncio.Event()
        self._today_task: asyncio.Task[None] | None = None
        self._today_stored: Stored | None = None  # the stored calls' part, kept between queries
        self._today_query = True  # the stored part is to be read again (a call ended, ACW ended)

    # -- lifecycle --------------------------------------------------------
    async def start(self) -> None:
        self._subscription = self.services.bus.subscribe(self._on_event)
        self._alive = asyncio.get_running_loop().create_task(self._keep_holds_alive(), name="acw-alive")
        if self.sessions is not None:
            sweep = asyncio.get_running_loop().create_task(
                self._keep_checking_sessions(), name="session-check"
            )
            self._tasks.add(sweep)  # cancelled with the others at stop

    async def close_tabs(self) -> None:
        """Close every tab's socket with 1001 (going away) as the process stops, the first thing
        it does (the app's ``on_shutdown``): aiohttp waits for every request's handler to end
        before its cleanup (``stop``) runs, and a socket's handler ends only when its tab closes,
        so a stop with tabs open waited for them to be closed by hand. Told 1001, a page connects
        again, to the next process. Their ACW holds are not released here: the page's draft still
        holds its unsaved input, its next process holds the call again, and the bridge lets go of
        the holds of this process once it falls silent (``ACW_ALIVE_INTERVAL``), as of a killed
        one."""
        self._going_away = True
        closing = [
            asyncio.get_running_loop().create_task(self._go_away(client), name="ws-going-away")
            for client in list(self.clients)
        ]
        if closing:
            _, unanswered = await asyncio.wait(closing, timeout=GOING_AWAY_GRACE)
            for task in unanswered:
                task.cancel()  # the server's shutdown closes its connection

    @staticmethod
    async def _go_away(client: Client) -> None:
        await client.ws.close(code=1001, message=b"server shutdown")

    async def stop(self) -> None:
        if self._alive is not None:
            self._alive.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._alive
        if self._today_task is not None:
            self._today_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._today_task
        if self._subscription is not None:
            await self._subscription.close()
        for timer in self._queue_timers.values():
            timer.cancel()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            # waited for: a task cancelled inside a database session unwinds through its rollback,
            # which must run while the app's database is still open (a rollback left for after it
            # closed waits on a connection that is gone, and the loop's own shutdown with it)
            _, unwinding = await asyncio.wait(tasks, timeout=STOP_GRACE)
            for task in unwinding:
                log.warning(
                    "the gateway's task %s did not end within %s s of stop", task.get_name(), STOP_GRACE
                )
        for client in list(self.clients):
            await client.ws.close(code=1001, message=b"server shutdown")

    # -- state -------------------------------------------------------------
    @property
    def ami_connected(self) -> bool:
        bridge = self.services.bridge
        if bridge is not None:
            connected = getattr(bridge, "connected", None)
            if isinstance(connected, bool):
                return connected
        return bool(self._ami_connected)

    @property
    def ami_reason(self) -> str:
        """Why AMI went down last (empty once it is up): ``misconfigured: …`` when the bridge
        refuses its Asterisk (another systemname than configured)."""
        return "" if self._ami_connected else self._ami_reason

    @staticmethod
    def sees_all_agents(user: CurrentUser) -> bool:
        return any(r in user.roles for r in (roles.TEAM_LEADER, roles.SUPERVISOR, roles.ADMIN))

    def clients_of_agent(self, agent_id: str) -> set[Client]:
        return self._by_staff_no.get(agent_id, set())

    def clients_of_user(self, user_id: int) -> list[Client]:
        return [c for c in self.clients if c.user.id == user_id]

    def add(self, client: Client) -> None:
        self.clients.add(client)
        self._by_staff_no.setdefault(client.user.staff_no, set()).add(client)
        if client.sees_all_agents:
            self._supervisors.add(client)
        if client.reads_queues:
            self._queue_readers.add(client)

    def remove(self, client: Client) -> None:
        self.clients.discard(client)
        tabs = self._by_staff_no.get(client.user.staff_no)
        if tabs is not None:
            tabs.discard(client)
            if not tabs:
                del self._by_staff_no[client.user.staff_no]
        self._supervisors.discard(client)
        self._queue_readers.discard(client)
        self._boards.discard(client)
        self.watch(client, ())

    def watch(self, client: Client, order_ids: Iterable[int]) -> None:
        """The orders whose page the tab shows (their events reach it)."""
        for order_id in client.watching:
            tabs = self._by_order.get(order_id)
            if tabs is not None:
                tabs.discard(client)
                if not tabs:
                    del self._by_order[order_id]
        client.watching = set(order_ids)
        for order_id in client.watching:
            self._by_order.setdefault(order_id, set()).add(client)

    async def _orders_in_scope(self, user: CurrentUser, order_ids: list[int]) -> list[int]:
        """Those of the orders the user may open: an order's events carry its 督办 opinions and
        handlers, which a tab outside its data scope must not read by asking to watch it."""
        if not order_ids:
            return []
        async with read_only(self.services, user) as (db, row):
            allowed = set(
                await db.scalars(
                    select(WorkOrder.id).where(WorkOrder.id.in_(order_ids), await order_scope_clause(db, row))
                )
            )
        return [order_id for order_id in dict.fromkeys(order_ids) if order_id in allowed]

    def show_board(self, client: Client) -> None:
        client.board = True
        self._boards.add(client)
        if self._today_task is None or self._today_task.done():
            self._today_task = asyncio.get_running_loop().create_task(self._keep_today(), name="board-today")

    def _today_changed(self, later: float = 0.0, stored: bool = False) -> None:
        """The boards' figures for 今日 may have changed (now, or ``later`` seconds from now):
        ``stored``: those of the stored calls too (a call's record, an after-call work's end)."""
        if not self._boards:
            return
        if later:
            asyncio.get_running_loop().call_later(later, self._today_changed, 0.0, stored)
            return
        if stored:
            self._today_query = True
        self._today_news.set()

    async def _keep_today(self) -> None:
        """While boards are open: their figures for 今日 again after news (at most once every
        ``MIN_GAP_SECONDS``), the stored part read again when it is due, when the seats shown
        or the day changed, and every ``REFRESH_SECONDS`` anyway (occupancy moves with time)."""
        while self._boards:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(REFRESH_SECONDS):
                    await self._today_news.wait()
            self._today_news.clear()
            if not self._boards:
                break
            stored, now = self._today_stored, dt.datetime.now(dt.UTC)
            agents = board_agents(self.services)
            if (
                self._today_query
                or stored is None
                or (now - stored.at).total_seconds() >= REFRESH_SECONDS
                or day_start(now, stored.tz) != stored.start
                or frozenset(seats_shown(agents)) != stored.seats
            ):
                self._today_query = False
                stored = self._today_stored = await board_stored(self.services, agents)
            today = board_today(self.services, stored)
            if today is not None and self._boards:
                self._fan_out(SharedMessage({"type": "board_today", "today": today}), list(self._boards))
            await asyncio.sleep(MIN_GAP_SECONDS)

    # -- bus → browsers ------------------------------------------------------
    async def _on_event(self, event: Event) -> None:
        if isinstance(event, SessionEnded):
            self.end_session(event.staff_no, event.session, event.why)  # signed out on any web process
            return
        if isinstance(event, CallStarted):
            self._remember_direction(event.call_id, event.direction)
        elif isinstance(event, CallEnded) and not event.relayed:  # relayed: the call goes on elsewhere
            self._directions.pop(event.call_id, None)
            # its record is stored by the ticketing consumer meanwhile: the report counts it then
            self._today_changed(stored=True)
            self._today_changed(later=2.0, stored=True)
        elif isinstance(event, AgentStateChanged):
            # an after-call work that ended completes its call's handle time (AHT)
            self._today_changed(stored=event.previous == A.AFTER_CALL_WORK)
        elif isinstance(event, (QueueUpdated, CallAnswered)):
            self._today_changed()  # a call in progress: no query
        elif isinstance(event, _CALLBACK_NEWS):
            self._today_changed(stored=True)  # 待回拨: a callback stored, dialled, or back to wait
        if not self.clients:
            if isinstance(event, AmiConnectionChanged):
                self._ami_connected = event.connected
                self._ami_reason = event.reason
            return
        body = event.to_dict()
        if isinstance(event, (CallOffered, *_CALL_EVENTS)) and "direction" not in body:
            direction = self._directions.get(event.call_id)
            if direction:
                body["direction"] = direction
        if isinstance(event, AmiConnectionChanged):
            self._ami_connected = event.connected
            self._ami_reason = event.reason
            self._ami_to_each(event.reason)
        elif isinstance(event, AgentStateChanged):
            self._to_agent(event.agent_id, {"type": "agent_state", "event": body}, watchers=True)
            if event.previous == "logged_out" and self._boards:
                # a seat signing in after the boards got their present: its name, as the board's
                # present names every seat, looked up beside the bus (nothing waits for it)
                self._spawn(self._name_to_boards(event.agent_id))
        elif isinstance(event, CallOffered):
            self._to_boards(body)
            if not self.clients_of_agent(event.agent_id):
                return  # nobody is looking: no lookup
            if event.customer is not None or self._bridge_looks_up:
                # The bridge looked the caller up already (found, unknown, or out of time): pop now.
                self._pop(event, body, pop_of(event.caller, event.customer))
            else:
                # No lookup upstream: ours runs beside the bus, so nothing else waits for it.
                self._spawn(self._pop_after_lookup(event, body))
        elif isinstance(event, CallStarted):
            self._to_boards(body)  # which way the call goes, and whom a callback dials
        elif isinstance(event, _CALL_EVENTS):
            if not (isinstance(event, CallEnded) and event.relayed):
                # a relayed record is another server's agents' part of the call: the call itself
                # leaves the boards when its own server ends it (a consultation cancelled goes on)
                self._to_boards(body)
            self._to_agent(event.agent_id, {"type": "call", "event": body}, watchers=False)
        elif isinstance(event, QueueUpdated):
            summed = getattr(self.services.bridge, "summed_queue", None)
            counters = summed(event) if summed is not None else None
            # a queue of this name on several Asterisk servers: the boards show their sum
            self._queue_update(event.queue, body if counters is None else {**body, **counters})
        elif isinstance(event, QueueMemberChanged):
            if self._boards:
                self._fan_out(SharedMessage({"type": "board_member", "event": body}), list(self._boards))
            # the seat's own queue table follows its joins and leaves, whenever its snapshot was taken
            self._to_agent(event.agent_id, {"type": "member", "event": body}, watchers=False)
        elif isinstance(event, ConsultChanged):
            # the consult's buttons (完成转接 / 取消咨询) follow the bridge, which drives it
            self._to_agent(event.agent_id, {"type": "consult", "event": body}, watchers=False)
        elif isinstance(event, ConferenceLeft):
            # the inviting agent's bar says 三方通话 no more: the colleague has left the room
            self._to_agent(event.agent_id, {"type": "conference", "event": body}, watchers=False)
        elif isinstance(event, AcwHoldChanged):
            # every tab of the agent says why its 话后处理 outlasts the limit (the form holding it may
            # be in another tab); a supervisor's bar shows only their own seat, so nobody else's
            self._to_agent(event.agent_id, {"type": "acw_hold", "event": body}, watchers=False)
        elif isinstance(event, SeatForced):
            # the agent's own tabs say who changed their seat, and why (班长 X 将您置为未就绪)
            self._to_agent(event.agent_id, {"type": "seat_forced", "event": body}, watchers=False)
            if self._boards and event.pending:
                # the boards show a forced change still waiting for the seat's call to end
                self._fan_out(SharedMessage({"type": "board_forced", "event": body}), list(self._boards))
        elif isinstance(event, SpyChanged):
            # the boards only: an agent is not told that a supervisor listens (a barge it hears)
            if self._boards:
                self._fan_out(SharedMessage({"type": "board_spy", "event": body}), list(self._boards))
        elif isinstance(event, UserAccountChanged):
            why = account_change_why(event)
            for client in list(self._by_staff_no.get(event.staff_no, ())):
                client.sign_out(why)  # its session would be refused from now on anyway
        elif isinstance(event, OutageNoticeChanged):
            # a few bytes, a few times a day, to each tab that may read notices: only a seat
            # whose pop lists the outages of its caller's site asks for them again (seat.js
            # outageChanged), which the gateway could not tell without the coverage rule's query
            readers = [c for c in self.clients if c.user.can("knowledge.read")]
            if readers:
                self._fan_out(SharedMessage({"type": "outage_notice", "event": body}), readers)
        elif isinstance(event, _POP_UPS) and self._named_here(body):
            # whom it names but cannot open the order (a step named to someone outside its data
            # scope) gets no pop-up leading to a refusal: looked up beside the bus, so that no
            # other tab's message waits for it
            self._spawn(self._route_to_openers(event, body))
        else:
            self._route_ticketing(event, body)

    def end_session(self, staff_no: str, session: str, why: str = "signed_out") -> None:
        """A session was signed out: it is no session in this process any more, and its sockets
        close (4401: the tabs go to the sign-in form, none can put the seat back in its queues)."""
        if self.sessions is not None:
            self.sessions.forget(session, why)
        tabs = self._by_staff_no.get(staff_no) if staff_no else self.clients
        for client in list(tabs or ()):
            if client.session == session:
                client.sign_out(why)

    async def _keep_checking_sessions(self) -> None:
        """Every ``CHECK_SECONDS`` the sessions of this process's sockets are read again: a
        socket whose session ended (idle or absolute timeout, a revocation whose ``SessionEnded``
        this process missed) closes with 4401 even if its tab sends nothing, and so stops
        receiving screen pops, board data and order events."""
        while self.sessions is not None:
            await asyncio.sleep(max(self.sessions.check_seconds, 0.1))
            try:
                await self.check_sessions()
            except Exception:
                log.exception("the sessions of the open sockets were not checked")  # next round

    async def check_sessions(self) -> None:
        """Close the sockets whose session ended: one query for all of them (batched by digest)."""
        if self.sessions is None or not self.clients:
            return
        tabs = list(self.clients)
        sessions = {client.session: client.user.id for client in tabs if client.session}
        ended = await self.sessions.ended_why_among(sessions) if sessions else {}
        for client in tabs:
            if not client.session or client.session in ended:
                client.sign_out(ended.get(client.session, "revoked"))

    def _remember_direction(self, call_id: str, direction: str) -> None:
        self._directions[call_id] = direction
        self._directions.move_to_end(call_id)
        while len(self._directions) > DIRECTIONS_KEPT:
            self._directions.popitem(last=False)

    @property
    def _bridge_looks_up(self) -> bool:
        return getattr(self.services.bridge, "customer_lookup", None) is not None

    def _pop(self, event: CallOffered, body: dict[str, Any], pop: dict[str, Any]) -> None:
        body = {**body, "ivr_steps": ivr_steps(self.services.ivr, event.ivr_path)}  # the path in words
        self._to_agent(event.agent_id, {"type": "screen_pop", "event": body, "pop": pop}, watchers=False)

    async def _pop_after_lookup(self, event: CallOffered, body: dict[str, Any]) -> None:
        self._pop(event, body, await screen_pop_for(self.services, event.caller, event.customer))

    async def _name_to_boards(self, agent_id: str) -> None:
        try:
            async with self.services.sessionmaker() as db:
                name = (await names_by_staff_no(db, [agent_id])).get(agent_id, "")
        except Exception:
            log.exception("the name of agent %s for the wallboards failed", agent_id)  # the 工号 shows
            return
        if name and self._boards:
            message = SharedMessage({"type": "board_agent", "event": {"agent_id": agent_id, "name": name}})
            self._fan_out(message, list(self._boards))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _queue_update(self, queue: str, body: dict[str, Any]) -> None:
        """A queue's counters to every tab that shows queues, at most once per ``QUEUE_INTERVAL``.

        Each update carries the queue's whole present, so the latest one stands for those it
        replaces: a busy queue changes several times per call, and 500 open consoles times that
        would be tens of thousands of messages a second that nobody can read.
        """
        loop = asyncio.get_running_loop()
        last = self._queue_sent.get(queue)
        if queue in self._queue_timers or (last is not None and loop.time() - last < QUEUE_INTERVAL):
            self._queue_latest[queue] = body
            if queue not in self._queue_timers:
                assert last is not None
                self._queue_timers[queue] = loop.call_at(last + QUEUE_INTERVAL, self._queue_due, queue)
            return
        self._send_queue(queue, body)

    def _queue_due(self, queue: str) -> None:
        self._queue_timers.pop(queue, None)
        body = self._queue_latest.pop(queue, None)
        if body is not None:
            self._send_queue(queue, body)

    def _send_queue(self, queue: str, body: dict[str, Any]) -> None:
        self._queue_sent[queue] = asyncio.get_running_loop().time()
        shared = SharedMessage({"type": "queue", "event": body})
        self._fan_out(shared, list(self._queue_readers))

    def _fan_out(self, shared: SharedMessage, clients: list[Client]) -> None:
        """``shared`` to every tab in ``clients``: the first slice now, the rest on later loop turns."""
        if len(clients) > FAN_OUT_SLICE:
            for client in clients[FAN_OUT_SLICE:]:
                client.owed.append(shared)
            asyncio.get_running_loop().call_soon(self._fan_out_slice, shared, clients, FAN_OUT_SLICE)
        for client in clients[:FAN_OUT_SLICE]:
            client.send(shared)

    def _fan_out_slice(self, shared: SharedMessage, clients: list[Client], start: int) -> None:
        end = start + FAN_OUT_SLICE
        if end < len(clients):
            asyncio.get_running_loop().call_soon(self._fan_out_slice, shared, clients, end)
        for client in clients[start:end]:
            client.settle(shared)

    @staticmethod
    def _named(body: dict[str, Any]) -> set[str]:
        """Whom a pop-up is for (``_POP_UPS``): an order's new handlers, a reminder's user."""
        staff = {str(value) for value in body.get("handlers", ()) or ()}
        if body.get("staff_no"):
            staff.add(str(body["staff_no"]))
        return staff

    def _named_here(self, body: dict[str, Any]) -> bool:
        return any(self._by_staff_no.get(staff_no) for staff_no in self._named(body))

    async def _route_to_openers(self, event: Event, body: dict[str, Any]) -> None:
        named = self._named(body)
        try:
            async with self.services.sessionmaker() as db:
                openers = await screen_alerts.who_may_open(db, int(body["order_id"]), named)
        except Exception:
            # a pop-up too many beats a new order's lost one
            log.exception("who may open order %s failed", body.get("order_id"))
            openers = named
        self._route_ticketing(event, body, leave_out=named - openers)

    def _route_ticketing(
        self, event: Event, body: dict[str, Any], leave_out: set[str] | frozenset[str] = frozenset()
    ) -> None:
        # Ticketing events name the people they concern by 工号 (``handlers``,
        # ``staff_no``) and the order by id; the console refreshes from the API.
        staff: set[str] = set()
        # ``staff_nos``: those whose 提醒 about an order that left their scope go (ScreenAlertsWithdrawn)
        for value in (*(body.get("handlers", ()) or ()), *(body.get("staff_nos", ()) or ())):
            staff.add(str(value))
        for field in ("staff_no", "created_by", "actor"):
            if body.get(field):
                staff.add(str(body[field]))
        order_id = body.get("order_id")
        kind = "inbox" if event.name.startswith("AsyncEvent") else "order"
        tabs: set[Client] = set()
        for staff_no in staff - leave_out:
            tabs.update(self._by_staff_no.get(staff_no, ()))
        if order_id is not None:
            tabs.update(self._by_order.get(order_id, ()))
        if leave_out:  # not even as a watcher of the order's page
            tabs = {client for client in tabs if client.user.staff_no not in leave_out}
        if not tabs:
            return
        shared = SharedMessage({"type": kind, "event": body})
        for client in tabs:
            client.send(shared)
            client.send(_WORK)  # the counts in the state bar may have changed

    def _to_boards(self, body: dict[str, Any]) -> None:
        # a separate type: the wallboard's tab may be a seat too, whose own call bar must not change
        if self._boards:
            self._fan_out(SharedMessage({"type": "board_call", "event": body}), list(self._boards))

    def _ami_to_each(self, reason: str) -> None:
        """Each tab whether the bridge of its seat's Asterisk server is up (several servers:
        ``connected_for``), its ``state`` (up | down | misconfigured) and why, and to who sees
        every seat each server's health (``servers``, the wallboard's strip too). Tabs told the
        same share one serialised message."""
        shared: dict[str, SharedMessage] = {}
        for client in list(self.clients):
            # ``reason``: this change's, as the bridge said it (the seat's own: ``why``)
            body = {"type": "ami", **ami_of(self, client.user), "reason": reason}
            key = json.dumps(body, sort_keys=True)
            if key not in shared:
                shared[key] = SharedMessage(body)
            client.send(shared[key])

    def _broadcast(self, message: dict[str, Any]) -> None:
        self._fan_out(SharedMessage(message), list(self.clients))  # serialised once, however many tabs

    def _to_agent(self, agent_id: str, message: dict[str, Any], *, watchers: bool) -> None:
        tabs = self._by_staff_no.get(agent_id, set())
        if watchers and self._supervisors:
            tabs = tabs | self._supervisors
        if tabs:
            shared = SharedMessage(message)
            for client in tabs:
                client.send(shared)

    # -- one socket ----------------------------------------------------------
    async def serve(self, request: web.Request, user: CurrentUser) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=64 * 1024)
        try:
            await ws.prepare(request)
        except ConnectionResetError:
            # the browser left before the handshake was answered (a page navigated away, a tab
            # closed or reloaded): a normal event, not a failure; aiohttp closes the rest quietly
            log.debug("socket of %s gone before its handshake was answered", user.staff_no)
            return ws
        transport = request.transport
        if transport is None:  # the browser left during the handshake
            return ws
        if self._going_away:  # connected as the process stops: to the next one
            await ws.close(code=1001, message=b"server shutdown")
            return ws
        client = Client(ws, transport, user, await language(request), self.process)
        client.session = request.get(SESSION_REF, "")
        self.add(client)
        writer = asyncio.create_task(self._write(client), name=f"ws-writer-{user.staff_no}")
        client.send(_RESYNC)  # the first thing every (re)connected tab sees is the whole present
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._command(client, msg.data)
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            self.remove(client)
            if not self._going_away:  # a stopping process leaves them to the bridge (close_tabs)
                self._release_acw_holds(client)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
            if client.signing_out is not None:
                # the close handshake ends here, in the socket's own handler, or it is cut short
                with contextlib.suppress(Exception):
                    await client.signing_out
        return ws

    async def _write(self, client: Client) -> None:
        try:
            while True:
                message = await client.queue.get()
                client.writing = True
                if message is _RESYNC:
                    await client.ws.send_str(_dumps(await build_snapshot(self, client.user)))
                    client.resync_owed = False
                elif message is _WORK:
                    client.work_queued = False  # a change from now on is read by the next one
                    work = await work_counts(self.services, client.user)
                    await client.ws.send_str(_dumps({"type": "work", "work": work}))
                elif isinstance(message, SharedMessage):
                    await client.ws.send_str(message.text)
                else:
                    await client.ws.send_str(_dumps(message))
                client.writing = False
        except (ConnectionResetError, RuntimeError):
            pass  # the socket closed under us; the read loop ends too

    async def _command(self, client: Client, raw: str) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            client.send(self._refusal(client, None, "request.invalid", {}))
            return
        if not isinstance(message, dict):
            client.send(self._refusal(client, None, "request.invalid", {}))
            return
        ref = message.get("id")
        cmd = message.get("cmd")
        args = message.get("args") or {}
        if not isinstance(cmd, str) or not isinstance(args, dict):
            client.send(self._refusal(client, ref, "request.invalid", {}))
            return
        try:
            live = await self._session_live(client)
        except Exception as exc:
            # the database failed the check: the command is refused, the socket (and the ACW
            # holds of its unsaved form) stays
            client.send(self._failed(client, ref, cmd, exc))
            return
        if not live:
            # signed out or timed out (another process's tab, a SessionEnded this one missed)
            why = await self._ended_why(client)
            client.send(self._refusal(client, ref, "auth.required", {"session_ended": why}))
            client.sign_out(why)
            return
        permission = roles.COMMAND_PERMISSIONS.get(cmd)
        if permission is None:
            client.send(self._refusal(client, ref, "command.unknown", {"cmd": cmd}))
            return
        if not client.user.can(permission):
            client.send(self._refusal(client, ref, "role.forbidden", {"cmd": cmd}))
            return
        if cmd == "snapshot":
            client.send(_RESYNC)
            client.send({"type": "ack", "id": ref, "cmd": cmd, "result": {}})
            return
        if cmd == "watch":
            order_ids = args.get("orders", [])
            if not isinstance(order_ids, list) or not all(is_id(i) for i in order_ids):
                client.send(self._refusal(client, ref, "request.invalid", {"field": "orders"}))
                return
            try:
                watched = await self._orders_in_scope(client.user, order_ids[:50])
            except Exception as exc:
                client.send(self._failed(client, ref, cmd, exc))
                return
            self.watch(client, watched)
            client.send({"type": "ack", "id": ref, "cmd": cmd, "result": {"orders": watched}})
            return
        if cmd == "wallboard":
            self.show_board(client)
            try:
                client.send(await build_board(self.services))
            except Exception as exc:
                client.send(self._failed(client, ref, cmd, exc))
                return
            client.send({"type": "ack", "id": ref, "cmd": cmd, "result": {}})
            return
        if cmd == "ping":
            client.send({"type": "ack", "id": ref, "cmd": cmd, "result": {"server_time": time.time()}})
            return
        if cmd == "hold_after_call_work":
            args = {**args, "holder": client.acw_holder}  # never the page's word
        try:
            result = await run_command(self.services, client.user, cmd, args)
        except Exception as exc:
            client.send(self._failed(client, ref, cmd, exc))
            return
        if cmd == "hold_after_call_work":
            call_id = str(args.get("call_id", "")).strip()
            if args.get("hold") is True:
                client.acw_holds.add(call_id)
            else:
                client.acw_holds.discard(call_id)
        client.send({"type": "ack", "id": ref, "cmd": cmd, "result": result})

    def _failed(self, client: Client, ref: Any, cmd: str, exc: Exception) -> dict[str, Any]:
        """The refusal of a command that raised: its own error id, or ``internal`` (logged). The
        socket stays open: closing it would release its tab's ACW holds under an unsaved form."""
        error_id = error_id_of(exc)
        if error_id is None:
            log.exception("websocket command %s failed for %s", cmd, client.user.staff_no, exc_info=exc)
            error_id = "internal"
        details = exc.details if isinstance(exc, UiError) else details_of(exc)
        return self._refusal(client, ref, error_id, details, str(exc))

    async def _ended_why(self, client: Client) -> str:
        """Why the socket's session ended (``auth.ENDED_WHY``), "revoked" if that cannot be read."""
        if self.sessions is None or not client.session:
            return "revoked"
        try:
            return await self.sessions.ended_why(client.session, client.user.id) or "revoked"
        except Exception:
            log.warning("why the session of %s ended was not read", client.user.staff_no, exc_info=True)
            return "revoked"

    async def _session_live(self, client: Client) -> bool:
        if self.sessions is None:
            return True
        return bool(client.session) and await self.sessions.alive(client.session, client.user.id)

    def _release_acw_holds(self, client: Client) -> None:
        """A closed tab's unsaved input went with it: its hold on the after-call work is released,
        which ends by its limit again (at once if that passed) unless another tab holds it: the
        bridge keeps it while any does, on whichever web process that tab is."""
        for call_id in client.acw_holds:
            self._acw_releasing += 1
            self._spawn(self._release_acw_hold(client.user, call_id, client.acw_holder))
        client.acw_holds = set()

    async def _release_acw_hold(self, user: CurrentUser, call_id: str, holder: str) -> None:
        try:
            # the grace: a reload's new page holds it again from its draft before the limit can end it
            await asyncio.sleep(ACW_RELEASE_GRACE)
            bridge = self.services.bridge
            if bridge is None:
                return
            await bridge.hold_after_call_work(user.agent_id, call_id, False, holder)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("the ACW hold of %s on %s was not released", user.staff_no, call_id)
        finally:
            self._acw_releasing -= 1

    def _holds_anything(self) -> bool:
        return bool(self._acw_releasing) or any(c.acw_holds for c in self.clients)

    async def _keep_holds_alive(self) -> None:
        """Tell the bridge every ``ACW_ALIVE_INTERVAL`` that this process is alive while any of its
        tabs holds an ACW (or a closed tab's release is still to come): the bridge lets go of the
        holds of a process it stops hearing from, as a killed one never releases them."""
        beat: asyncio.Task[None] | None = None
        while True:
            await asyncio.sleep(ACW_ALIVE_INTERVAL)
            alive = getattr(self.services.bridge, "acw_alive", None)
            if alive is None or not self._holds_anything():
                continue
            if beat is not None and not beat.done():
                continue  # the last one still waits for an answer (no bridge now): no pile-up
            beat = asyncio.get_running_loop().create_task(self._beat(alive))
            self._tasks.add(beat)  # cancelled with the others at stop
            beat.add_done_callback(self._tasks.discard)

    async def _beat(self, alive: Any) -> None:
        try:
            result = await alive(self.process, ACW_ALIVE_INTERVAL)
        except Exception:
            log.exception("the ACW holds of this web process were not kept alive")
            return
        if not getattr(result, "ok", True):
            log.debug("the ACW holds of this web process not kept alive: %s", getattr(result, "reason", ""))

    def _message(self, client: Client, error_id: str, fallback: str, details: dict[str, Any]) -> str:
        if details.get("detail"):
            # Asterisk's own words are for whoever fixes the setup, not for the agent's screen
            log.warning("%s refused for %s: %s", error_id, client.user.staff_no, details["detail"])
        return self.texts.error(client.lang, error_id, fallback, details)

    def _refusal(
        self, client: Client, ref: Any, error_id: str, details: dict[str, Any], fallback: str = ""
    ) -> dict[str, Any]:
        return {
            "type": "refused",
            "id": ref,
            "error_id": error_id,
            "message": self._message(client, error_id, fallback, details),
            "details": details,
        }


def _dumps(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, default=str)


def text_frame(payload: bytes) -> bytes:
    """A whole RFC 6455 text frame as a server sends it: final, unmasked, uncompressed.

    Uncompressed is allowed even when the tab negotiated permessage-deflate (RFC 7692
    compresses per message, flagged by RSV1), so one frame serves every tab.
    """
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x81, n)
    elif n < 65536:
        header = struct.pack("!BBH", 0x81, 126, n)
    else:
        header = struct.pack("!BBQ", 0x81, 127, n)
    return header + payload


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # non-browser clients send none; the session cookie still has to be valid
    return urlsplit(origin).netloc == request.host


@routes.get("/ws")
@requires("session")
async def websocket(request: web.Request) -> web.StreamResponse:
    # Cookies ride along on cross-site websocket handshakes; refuse foreign pages.
    if not _same_origin(request):
        raise UiError("origin.invalid")
    # the session's roles rule every command on the socket: a disabled account, new roles or a
    # reset password must not open one with the cookie it had (auth.required)
    async with read_only(request.app[SERVICES], request[USER]):
        pass
    return await request.app[GATEWAY].serve(request, request[USER])


def make_gateway(app: web.Application) -> Gateway:
    return Gateway(app[SERVICES], app[TEXTS], app.get(SESSIONS))
