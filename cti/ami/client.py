"""The asyncio AMI connection: socket, login, ActionID futures, reconnect.

Only moves bytes between the socket and ``AmiProtocol``. One long-lived
connection per Asterisk; ``start()`` returns at once and a background task
keeps it up: connect, log in, run the resync hooks (events arriving meanwhile
are held back and dispatched after them, in order), then dispatch live events
until the link drops, then reconnect after a jittered exponential backoff that
resets after a connection that lived long enough.

Event callbacks are plain functions called in stream order; a callback that
returns a coroutine gets it scheduled as a task (so a slow consumer cannot
stall the reader). Only events somebody listens to are ever parsed, and unless
a listener wants every event (``"*"``) Asterisk is asked (``Action: Filter``) to
send only those: at its saturation most of the stream is events nobody here reads.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
import os
import random
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from cti.ami.protocol import AmiProtocol, Frame, encode
from cti.ami.speedups import chosen as chosen_speedups

log = logging.getLogger(__name__)

EventCallback = Callable[[Frame], Any]
ConnectionCallback = Callable[[bool, str], Any]
ResyncHook = Callable[["AmiClient"], Awaitable[None]]


class AmiError(Exception):
    error_id = "ami_error"


class AmiNotConnected(AmiError):
    error_id = "ami_not_connected"


class AmiTimeout(AmiError):
    error_id = "ami_timeout"


class AmiActionError(AmiError):
    """Asterisk answered ``Response: Error``; ``message`` is its Message."""

    error_id = "ami_action_failed"

    def __init__(self, action: str, message: str, frame: Frame | None = None) -> None:
        super().__init__(f"{action}: {message}")
        self.action = action
        self.message = message
        self.frame = frame


class AmiLoginError(AmiActionError):
    error_id = "ami_login_failed"


def backoff(initial: float = 0.2, maximum: float = 10.0, factor: float = 1.8) -> Iterator[float]:
    """Delays for reconnect attempts: exponential with full jitter, capped."""
    delay = initial
    while True:
        yield random.uniform(delay / 2, delay)
        delay = min(delay * factor, maximum)


class _Link(asyncio.Protocol):
    """One connection's bytes into frames.

    While the stream runs busy (at least ``busy_rate`` bytes/s over the last
    ``window``), a small read pauses reading for ``gather``, so that the next read
    takes what arrived meanwhile in one go: waking up per write of Asterisk costs
    more than the events it brings (at Asterisk's 41 k events/s, reading 4 KiB at
    a time, half the client's CPU). Below that rate every read is taken at once:
    there the pause would only delay events (a screen-pop's AgentCalled by up to
    ``gather``) to save little CPU. A full read is never paused either: the
    stream is saturated and pausing it would only lose time.
    """

    busy_rate = 2_000_000  # about 4,000 events/s, 70 calls/s
    window = 0.05
    gather = 0.002
    full = 65536

    def __init__(self, client: AmiClient) -> None:
        self.client = client
        self.proto = AmiProtocol()
        self.transport: asyncio.Transport | None = None
        loop = asyncio.get_running_loop()
        self.closed: asyncio.Future[str] = loop.create_future()
        self.greeted: asyncio.Future[str] = loop.create_future()
        self._loop = loop
        self._now = loop.time
        self._window_start = self._now()
        self._window_bytes = 0
        self._busy = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        frames = self.proto.feed(data)
        if self.proto.greeting is not None and not self.greeted.done():
            self.greeted.set_result(self.proto.greeting)
        if frames:
            self.client._on_frames(frames)
        now = self._now()
        self._window_bytes += len(data)
        if now - self._window_start >= self.window:
            self._busy = self._window_bytes >= self.busy_rate * (now - self._window_start)
            self._window_start, self._window_bytes = now, 0
        if (
            self._busy
            and len(data) < self.full
            and self.transport is not None
            and not self.transport.is_closing()
        ):
            self.transport.pause_reading()
            self._loop.call_later(self.gather, self._resume)

    def _resume(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(str(exc) if exc else "connection closed")

    def send(self, data: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            raise AmiNotConnected("not connected to Asterisk")
        self.transport.write(data)


class _PendingList:
    def __init__(self, future: asyncio.Future[Frame]) -> None:
        self.response = future
        self.items: list[Frame] = []
        self.done: asyncio.Future[list[Frame]] = future.get_loop().create_future()


class AmiClient:
    #: the C dispatcher (``_on_frames`` with the accelerator), None without it
    _dispatcher: Any = None

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 5038,
        username: str = "hotline",
        secret: str = "hotline-demo",
        *,
        action_timeout: float = 10.0,
        keepalive: float = 2.0,
        connect_timeout: float = 3.0,
        backoff_initial: float = 0.2,
        backoff_max: float = 5.0,
        events: str = "on",
        server_filter: bool = True,
        speedups: bool | None = None,
    ) -> None:
        self.host, self.port, self.username, self.secret = host, port, username, secret
        self.action_timeout = action_timeout
        self.keepalive = keepalive
        self.connect_timeout = connect_timeout
        self.backoff_initial, self.backoff_max = backoff_initial, backoff_max
        self.events = events
        self.server_filter = server_filter
        # the event names this session asked Asterisk for (Filter actions), None = every event
        self._asked: set[str] | None = None
        self.server = f"{host}:{port}"
        self._ids = itertools.count(1)
        self._prefix = f"hl{os.getpid():x}{random.getrandbits(24):x}-"
        self._pending: dict[str, asyncio.Future[Frame]] = {}
        self._lists: dict[str, _PendingList] = {}
        self._listeners: dict[str, list[EventCallback]] = {}
        self._any: list[EventCallback] = []
        # event name -> its listeners and then the "*" ones, as dispatch calls them
        self._targets: dict[str, tuple[EventCallback, ...]] = {}
        self._any_targets: tuple[EventCallback, ...] = ()
        self._conn_callbacks: list[ConnectionCallback] = []
        self._resync_hooks: list[ResyncHook] = []
        self._link: _Link | None = None
        self._live = False
        self._held: list[Frame] | None = None
        self._task: asyncio.Task[None] | None = None
        # stop() cancels the task and also sets this: Python 3.11's asyncio.wait_for
        # swallows a cancel that lands just as its future completes (a resync hook may
        # use it), and the reconnect loop must end all the same.
        self._stopping = False
        self._connected = False
        self._connected_event = asyncio.Event()
        self.connections = 0
        self.last_error = ""
        # With the C accelerator (cti.ami.speedups; ``speedups`` chooses as for AmiProtocol) the
        # frames go to their listeners through a _speedups.Dispatcher: _on_frames without a
        # Python frame, every frame it does not hand to listeners itself given to _on_frame.
        c = chosen_speedups(speedups)
        if c is not None and hasattr(c, "Dispatcher"):
            dispatcher = c.Dispatcher(self, self._lists, Frame, self._on_frame, _callback_failed, _awaited)
            self._on_frames = dispatcher  # type: ignore[method-assign]
            # from now on __setattr__ hands the dispatcher each of these as it is set
            dispatcher.live, dispatcher.targets = self._live, self._targets
            dispatcher.any_targets = self._any_targets
            self._dispatcher = dispatcher

    def __setattr__(self, name: str, value: Any) -> None:
        # The C dispatcher reads _live, _targets and _any_targets from itself for each frame (a
        # getattr on the client was most of its own work): each is handed to it as it is set, by
        # the client or from outside (a harness feeding frames by hand sets _live).
        object.__setattr__(self, name, value)
        if name in _DISPATCHED:
            dispatcher = self._dispatcher
            if dispatcher is not None:
                setattr(dispatcher, _DISPATCHED[name], value)

    # -- registration -----------------------------------------------------
    def on_event(self, name: str, callback: EventCallback) -> Callable[[], None]:
        """Call ``callback(frame)`` for each event ``name`` ("*" = all). Returns an unsubscribe."""
        target = self._any if name == "*" else self._listeners.setdefault(name, [])
        target.append(callback)
        self._listeners_changed()

        def unsubscribe() -> None:
            if callback in target:
                target.remove(callback)
                self._listeners_changed()

        return unsubscribe

    def _listeners_changed(self) -> None:
        self._any_targets = tuple(self._any)
        self._targets = {name: (*cbs, *self._any) for name, cbs in self._listeners.items()}
        self._apply_filter()
        if self._asked is not None and self._link is not None:
            if self._any:
                # A session's filters cannot be taken back: log in again to get every event.
                log.info("AMI %s: a listener for every event; logging in again without filters", self.server)
                self._drop_link("listening to every event now")
            elif new := self._listened() - self._asked:
                self._asked |= new
                task = asyncio.ensure_future(self._ask_for(sorted(new)))
                task.add_done_callback(self._late_filter_answered)

    def _apply_filter(self) -> None:
        # Events nobody listens to are dropped by the protocol after their first line.
        if self._link is None:
            return
        proto = self._link.proto
        proto.keep_listed = bool(self._lists)
        if self._any:
            proto.wanted = None
        else:
            proto.wanted = frozenset(name.encode() for name, cbs in self._listeners.items() if cbs)

    def _listened(self) -> set[str]:
        return {name for name, cbs in self._listeners.items() if cbs}

    def _ask_for(self, names: list[str]) -> Awaitable[list[Frame]]:
        """Ask Asterisk to send this session ``names`` (and, once any is asked for, only what is).

        Asterisk then leaves out the events no listener wants instead of writing them for us
        to skip: at its saturation that is most of the stream. The filters are by event name
        (Asterisk 21+'s hashed ``name()`` match); manager.conf's excludes still apply after
        them, and responses to actions, their listed events included, are never filtered.

        The actions are written now, so an action sent after this call reaches Asterisk after
        them; the returned awaitable raises AmiActionError if Asterisk refuses one.
        """
        sent = [
            self._send("Filter", {"Operation": "Add", "MatchCriteria": f"name({n})", "Filter": ""})
            for n in names
        ]
        return asyncio.gather(*(self._answer("Filter", action_id, fut) for action_id, fut in sent))

    def _late_filter_answered(self, task: asyncio.Future[None]) -> None:
        if task.cancelled() or (exc := task.exception()) is None:
            return
        if isinstance(exc, AmiActionError):
            # The session filters, so the new listener's events would never come: start over unfiltered.
            self._filter_refused(exc)
            self._drop_link("event filter refused")
        else:
            log.info("AMI %s: event filter not confirmed: %s", self.server, exc)

    def _filter_refused(self, exc: AmiActionError) -> None:
        # e.g. no "system" write permission: from the next login on, take every event and
        # skip the unwanted ones ourselves
        log.warning(
            "AMI %s: Filter refused (%s); logging in again to read the whole stream", self.server, exc
        )
        self.server_filter = False

    async def _ask_for_listened_events(self) -> None:
        self._asked = None
        if not self.server_filter or self.events == "off":
            return
        asked: set[str] = set()
        # Until no listener came while the last filters were on their way.
        while not self._any and (new := self._listened() - asked):
            try:
                await self._ask_for(sorted(new))
            except AmiActionError as exc:
                self._filter_refused(exc)
                raise  # a new login, unfiltered
            asked |= new
        if self._any and asked:
            raise AmiNotConnected("a listener for every event came while logging in")
        self._asked = asked or None

    def on_connection(self, callback: ConnectionCallback) -> None:
        """``callback(connected, reason)`` on every connect and disconnect."""
        self._conn_callbacks.append(callback)

    def add_resync_hook(self, hook: ResyncHook) -> None:
        """Awaited after every (re)connect and login, before live events flow."""
        self._resync_hooks.append(hook)

    @property
    def connected(self) -> bool:
        return self._connected

    # -- lifecycle ----------------------------------------------------------
    async def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.get_running_loop().create_task(self._run(), name="ami-client")

    async def stop(self) -> None:
        task, self._task = self._task, None
        self._stopping = True
        if task is not None:
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                if asyncio.current_task().cancelling():  # type: ignore[union-attr]
                    raise  # stop() itself was cancelled, not just the client's task
        self._drop_link("stopped")

    async def __aenter__(self) -> AmiClient:
        await self.start()
        await self.wait_connected()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def wait_connected(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        try:
            async with asyncio.timeout(timeout):
                await self._connected_event.wait()
        except TimeoutError:
            raise AmiNotConnected(f"no AMI connection to {self.server}: {self.last_error}") from None

    async def _run(self) -> None:
        delays = backoff(self.backoff_initial, self.backoff_max)
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except (OSError, AmiError, TimeoutError) as exc:
                self.last_error = str(exc) or type(exc).__name__
                log.warning("AMI %s: %s", self.server, self.last_error)
            except Exception:
                log.exception("AMI %s: unexpected failure", self.server)
            self._drop_link(self.last_error or "disconnected")
            if self._stopping:
                break
            if loop.time() - started > 10:
                delays = backoff(self.backoff_initial, self.backoff_max)
            await asyncio.sleep(next(delays))

    async def _session(self) -> None:
        loop = asyncio.get_running_loop()
        link = _Link(self)
        async with asyncio.timeout(self.connect_timeout):
            await loop.create_connection(lambda: link, self.host, self.port)
        self._link = link
        self._apply_filter()
        self._live = False
        self._held = []
        async with asyncio.timeout(self.connect_timeout):
            await asyncio.shield(link.greeted)
        try:
            await self.action("Login", Username=self.username, Secret=self.secret, Events=self.events)
        except AmiActionError as exc:
            raise AmiLoginError("Login", exc.message, exc.frame) from None
        await self._ask_for_listened_events()
        self.connections += 1
        for hook in list(self._resync_hooks):
            try:
                await hook(self)
            except (AmiError, TimeoutError) as exc:
                log.warning("AMI resync hook %r failed: %s", hook, exc)
                raise
            except Exception:
                log.exception("AMI resync hook %r failed", hook)
        held, self._held = self._held or [], None
        self._live = True
        self._set_connected(True, "connected")
        for frame in held:
            self._dispatch(frame)
        ping = loop.create_task(self._keepalive(link))
        try:
            reason = await link.closed
        finally:
            ping.cancel()
        self.last_error = reason
        raise AmiNotConnected(reason)

    async def _keepalive(self, link: _Link) -> None:
        while True:
            await asyncio.sleep(self.keepalive)
            try:
                await self.action("Ping", timeout=max(self.keepalive, 1.0))
            except AmiError as exc:
                log.warning("AMI keepalive failed (%s); reconnecting", exc)
                if link.transport is not None:
                    link.transport.abort()
                return

    def _drop_link(self, reason: str) -> None:
        link, self._link = self._link, None
        if link is not None and link.transport is not None:
            link.transport.abort()
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(AmiNotConnected(reason))
        self._pending.clear()
        for pl in self._lists.values():
            if not pl.done.done():
                pl.done.set_exception(AmiNotConnected(reason))
                pl.done.exception()  # mark retrieved: the waiter may already be gone
        self._lists.clear()
        self._live = False
        if self._connected:
            self._set_connected(False, reason)

    def _set_connected(self, connected: bool, reason: str) -> None:
        self._connected = connected
        if connected:
            self._connected_event.set()
        else:
            self._connected_event.clear()
        for cb in list(self._conn_callbacks):
            self._call(cb, connected, reason)

    # -- actions --------------------------------------------------------------
    def _send(self, action: str, fields: dict[str, Any]) -> tuple[str, asyncio.Future[Frame]]:
        if self._link is None:
            raise AmiNotConnected(f"not connected to {self.server}")
        action_id = f"{self._prefix}{next(self._ids)}"
        fut: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        self._pending[action_id] = fut
        self._link.send(encode({"Action": action, "ActionID": action_id, **fields}))
        return action_id, fut

    async def action(self, action: str, *, timeout: float | None = None, **fields: Any) -> Frame:  # noqa: ASYNC109
        """Send ``action``; return its response frame, or raise AmiActionError on ``Response: Error``."""
        action_id, fut = self._send(action, fields)
        return await self._answer(action, action_id, fut, timeout)

    async def _answer(
        self,
        action: str,
        action_id: str,
        fut: asyncio.Future[Frame],
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> Frame:
        """The response to an action ``_send`` wrote (see ``action``)."""
        try:
            async with asyncio.timeout(timeout or self.action_timeout):
                frame = await fut
        except TimeoutError:
            raise AmiTimeout(f"{action}: no response within {timeout or self.action_timeout}s") from None
        finally:
            self._pending.pop(action_id, None)
        if frame.name == "Error":
            raise AmiActionError(action, frame.get("Message", "error"), frame)
        return frame

    async def action_list(self, action: str, *, timeout: float | None = None, **fields: Any) -> list[Frame]:  # noqa: ASYNC109
        """An action answered by ``EventList: start`` … ``Complete``: return the listed events."""
        action_id, fut = self._send(action, fields)
        pl = _PendingList(fut)
        self._lists[action_id] = pl
        if self._link is not None:
            self._link.proto.keep_listed = True
        limit = timeout or self.action_timeout
        try:
            async with asyncio.timeout(limit):
                frame = await fut
            if frame.name == "Error":
                raise AmiActionError(action, frame.get("Message", "error"), frame)
            if frame.get("EventList").lower() != "start":
                return []
            async with asyncio.timeout(limit):
                return await pl.done
        except TimeoutError:
            raise AmiTimeout(f"{action}: list not complete within {limit}s") from None
        finally:
            self._pending.pop(action_id, None)
            self._lists.pop(action_id, None)
            if self._link is not None:
                self._link.proto.keep_listed = bool(self._lists)

    # -- the reader's side ---------------------------------------------------
    def _on_frames(self, frames: list[Frame]) -> None:
        """The reader's batch, without the C dispatcher (``HOTLINE_NO_SPEEDUPS``, or not built)."""
        on_frame = self._on_frame
        for frame in frames:
            on_frame(frame)

    def _on_frame(self, frame: Frame) -> None:
        """``_on_frames``' body for one frame (the C dispatcher hands it every frame that is not a
        live event for the listeners: responses, lists' events, frames held during a resync)."""
        if frame.kind == "response":
            fut = self._pending.get(frame.action_id)
            if fut is not None and not fut.done():
                fut.set_result(frame)
            return
        if frame.kind != "event":
            return
        lists = self._lists
        if lists and b"ActionID: " in frame.raw:
            pl = lists.get(frame.action_id)
            if pl is not None:
                if frame.get("EventList").lower() == "complete":
                    if not pl.done.done():
                        pl.done.set_result(pl.items)
                else:
                    pl.items.append(frame)
                return
        if self._live:
            self._dispatch(frame)
        elif self._held is not None:
            self._held.append(frame)

    def _dispatch(self, frame: Frame) -> None:
        # What _call does, inline: this runs for every listener of every event.
        for cb in self._targets.get(frame.name, self._any_targets):
            try:
                result = cb(frame)
            except Exception:
                log.exception("AMI callback %r failed on %r", cb, frame.raw[:300])  # what the frame said
                continue
            if result is not None and inspect.isawaitable(result):
                asyncio.ensure_future(result).add_done_callback(_log_task_error)

    @staticmethod
    def _call(cb: Callable[..., Any], *args: Any) -> None:
        try:
            result = cb(*args)
        except Exception:
            shown = [a.raw[:300] if isinstance(a, Frame) else a for a in args]  # what the frame said
            log.exception("AMI callback %r failed on %r", cb, shown)
            return
        # Most listeners are plain functions returning None: skip the awaitable check for them.
        if result is not None and inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            task.add_done_callback(_log_task_error)


#: AmiClient attribute -> the C dispatcher's copy of it (AmiClient.__setattr__)
_DISPATCHED = {"_live": "live", "_targets": "targets", "_any_targets": "any_targets"}


def _callback_failed(cb: Callable[..., Any], frame: Frame, exc: Exception) -> None:
    """A listener's exception, logged as ``_on_frames`` logs it (the C dispatcher's)."""
    log.error("AMI callback %r failed on %r", cb, frame.raw[:300], exc_info=exc)


def _awaited(result: Any) -> None:
    """A listener's result other than None: run as a task when it is awaitable (the C dispatcher's)."""
    if inspect.isawaitable(result):
        asyncio.ensure_future(result).add_done_callback(_log_task_error)


def _log_task_error(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("AMI callback task failed", exc_info=task.exception())
