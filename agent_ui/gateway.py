"""The websocket gateway: one socket per browser tab, fed from the bus.

Each connection is one coroutine reading commands, plus a writer task draining
that connection's own bounded queue, so a slow browser never delays anyone
else. A connection that falls behind is not fed a backlog: its queue is
emptied and it gets a fresh snapshot instead (``resync``), which is also what
every connection gets first, so a reconnecting tab is never stale.

Wire format (JSON text frames):

* client → server: ``{"id": 7, "cmd": "pause", "args": {"reason": "小休"}}``
* server → client: ``{"type": "ack", "id": 7, "result": {...}}`` or
  ``{"type": "refused", "id": 7, "error_id": "...", "message": "..."}``;
  pushes: ``snapshot``, ``ami``, ``agent_state``, ``call``, ``screen_pop``,
  ``queue``, ``order``, ``inbox``; after ``wallboard``: ``board`` (every agent,
  queue and call) then ``board_call`` for every call event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from agent_ui import roles
from agent_ui.auth import CurrentUser
from agent_ui.commands import run_command
from agent_ui.errors import UiError, details_of, error_id_of
from agent_ui.locale import language
from agent_ui.roles import requires
from agent_ui.services import GATEWAY, SERVICES, TEXTS, USER, AppServices
from agent_ui.snapshot import build_board, build_snapshot, screen_pop_for
from agent_ui.texts import Texts
from agent_ui.work import work_counts
from cti.call_events import (
    AgentStateChanged,
    AmiConnectionChanged,
    CallAnswered,
    CallEnded,
    CallHeld,
    CallOffered,
    CallTransferred,
    QueueUpdated,
)
from cti.events import Event

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

OUTBOUND_LIMIT = 256
_RESYNC = {"type": "resync"}
_WORK = {"type": "work_refresh"}
_CALL_EVENTS = (CallAnswered, CallHeld, CallTransferred, CallEnded)


class Client:
    """One open socket: who is on it, and its private outbound queue."""

    def __init__(self, ws: web.WebSocketResponse, user: CurrentUser, lang: str) -> None:
        self.ws = ws
        self.user = user
        self.lang = lang
        self.queue: asyncio.Queue[dict[str, Any] | str] = asyncio.Queue(OUTBOUND_LIMIT)
        self.resyncs = 0
        self.watching: set[int] = set()  # order ids whose page this tab shows
        self.board = False  # a supervisor's wallboard: every call's events, not only its own
        self.sees_all_agents = Gateway.sees_all_agents(user)

    def send(self, message: dict[str, Any] | str) -> None:
        """Queue a message (a dict, or text already serialised once for many clients)."""
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            # Behind by a whole queue: drop the backlog, send the present instead.
            self.resyncs += 1
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(_RESYNC)


class Gateway:
    def __init__(self, services: AppServices, texts: Texts) -> None:
        self.services = services
        self.texts = texts
        self.clients: set[Client] = set()
        self._subscription: Any = None
        self._ami_connected: bool | None = None

    # -- lifecycle --------------------------------------------------------
    async def start(self) -> None:
        self._subscription = self.services.bus.subscribe(self._on_event)

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.close()
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

    @staticmethod
    def sees_all_agents(user: CurrentUser) -> bool:
        return any(r in user.roles for r in (roles.TEAM_LEADER, roles.SUPERVISOR, roles.ADMIN))

    def clients_of_agent(self, agent_id: str) -> list[Client]:
        return [c for c in self.clients if c.user.agent_id == agent_id]

    def clients_of_user(self, user_id: int) -> list[Client]:
        return [c for c in self.clients if c.user.id == user_id]

    # -- bus → browsers ------------------------------------------------------
    async def _on_event(self, event: Event) -> None:
        if not self.clients:
            if isinstance(event, AmiConnectionChanged):
                self._ami_connected = event.connected
            return
        body = event.to_dict()
        if isinstance(event, AmiConnectionChanged):
            self._ami_connected = event.connected
            self._broadcast({"type": "ami", "connected": self.ami_connected, "reason": event.reason})
        elif isinstance(event, AgentStateChanged):
            self._to_agent(event.agent_id, {"type": "agent_state", "event": body}, watchers=True)
        elif isinstance(event, CallOffered):
            self._to_boards(body)
            if not self.clients_of_agent(event.agent_id):
                return  # nobody is looking: no lookup
            pop = await screen_pop_for(self.services, event.caller, event.customer)
            self._to_agent(event.agent_id, {"type": "screen_pop", "event": body, "pop": pop}, watchers=False)
        elif isinstance(event, _CALL_EVENTS):
            self._to_boards(body)
            self._to_agent(event.agent_id, {"type": "call", "event": body}, watchers=False)
        elif isinstance(event, QueueUpdated):
            text = _dumps({"type": "queue", "event": body})
            for client in self.clients:
                if client.user.can("queues.read"):
                    client.send(text)
        else:
            self._route_ticketing(event, body)

    def _route_ticketing(self, event: Event, body: dict[str, Any]) -> None:
        # Ticketing events name the people they concern by 工号 (``handlers``,
        # ``staff_no``) and the order by id; the console refreshes from the API.
        staff: set[str] = set()
        for value in body.get("handlers", ()) or ():
            staff.add(str(value))
        for field in ("staff_no", "created_by", "actor"):
            if body.get(field):
                staff.add(str(body[field]))
        order_id = body.get("order_id")
        kind = "inbox" if event.name.startswith("AsyncEvent") else "order"
        for client in self.clients:
            if client.user.staff_no in staff or (order_id is not None and order_id in client.watching):
                client.send({"type": kind, "event": body})
                client.send(_WORK)  # the counts in the state bar may have changed

    def _to_boards(self, body: dict[str, Any]) -> None:
        # a separate type: the wallboard's tab may be a seat too, whose own call bar must not change
        text: str | None = None
        for client in self.clients:
            if client.board:
                text = text or _dumps({"type": "board_call", "event": body})
                client.send(text)

    def _broadcast(self, message: dict[str, Any]) -> None:
        text = _dumps(message)  # once, however many tabs are open
        for client in self.clients:
            client.send(text)

    def _to_agent(self, agent_id: str, message: dict[str, Any], *, watchers: bool) -> None:
        text: str | None = None
        for client in self.clients:
            if client.user.agent_id == agent_id or (watchers and client.sees_all_agents):
                text = text or _dumps(message)
                client.send(text)

    # -- one socket ----------------------------------------------------------
    async def serve(self, request: web.Request, user: CurrentUser) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=64 * 1024)
        await ws.prepare(request)
        client = Client(ws, user, await language(request))
        self.clients.add(client)
        writer = asyncio.create_task(self._write(client), name=f"ws-writer-{user.staff_no}")
        client.send(_RESYNC)  # the first thing every (re)connected tab sees is the whole present
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await self._command(client, msg.data)
                elif msg.type == WSMsgType.ERROR:
                    break
        finally:
            self.clients.discard(client)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer
        return ws

    async def _write(self, client: Client) -> None:
        try:
            while True:
                message = await client.queue.get()
                if message is _RESYNC:
                    message = await build_snapshot(self, client.user)
                elif message is _WORK:
                    message = {"type": "work", "work": await work_counts(self.services, client.user)}
                await client.ws.send_str(message if isinstance(message, str) else _dumps(message))
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
            if not isinstance(order_ids, list) or not all(isinstance(i, int) for i in order_ids):
                client.send(self._refusal(client, ref, "request.invalid", {"field": "orders"}))
                return
            client.watching = set(order_ids[:50])
            client.send({"type": "ack", "id": ref, "cmd": cmd, "result": {}})
            return
        if cmd == "wallboard":
            client.board = True
            client.send(await build_board(self.services))
            client.send({"type": "ack", "id": ref, "cmd": cmd, "result": {}})
            return
        if cmd == "ping":
            client.send({"type": "ack", "id": ref, "cmd": cmd, "result": {"server_time": time.time()}})
            return
        try:
            result = await run_command(self.services, client.user, cmd, args)
        except Exception as exc:
            error_id = error_id_of(exc)
            if error_id is None:
                log.exception("websocket command %s failed for %s", cmd, client.user.staff_no)
                error_id = "internal"
            details = exc.details if isinstance(exc, UiError) else details_of(exc)
            client.send(self._refusal(client, ref, error_id, details, str(exc)))
            return
        client.send({"type": "ack", "id": ref, "cmd": cmd, "result": result})

    def _message(self, client: Client, error_id: str, fallback: str, details: dict[str, Any]) -> str:
        text = self.texts.error(client.lang, error_id, fallback, details)
        if error_id == "asterisk_refused" and details.get("detail"):
            text = f"{text}({details['detail']})"
        return text

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
    return await request.app[GATEWAY].serve(request, request[USER])


def make_gateway(app: web.Application) -> Gateway:
    return Gateway(app[SERVICES], app[TEXTS])
