"""Seat commands from the console, handed to the CTI bridge.

The bridge decides (it knows the agent's state and Asterisk's answer); this
module only checks the shape of the arguments, names the agent from the
session, and turns the bridge's outcome into an ack or a refusal with a
stable ``error_id``. Nothing is retried or swallowed here: a refusal reaches
the agent's screen.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from typing import Any

from sqlalchemy import select

from agent_ui import roles, supervision
from agent_ui.auth import CurrentUser
from agent_ui.errors import UiError
from agent_ui.services import AppServices
from agent_ui.texts import LANGUAGES, Texts
from agent_ui.work import unit_of_work
from cti.commands.service import TRANSFER_NOTE_LIMIT
from cti.phones import InvalidPhoneNumber, ascii_digits, never_dial, normalize
from ticketing.calls import register_outbound_call
from ticketing.ids import is_id
from ticketing.models import User
from ticketing.users import STAFF_NO
from ticketing.workflow.engine import load_order


def _bridge(services: AppServices) -> Any:
    bridge = services.bridge
    if bridge is None or getattr(bridge, "connected", True) is False:
        raise UiError("cti.unavailable")
    return bridge


def _text(args: dict[str, Any], name: str, *, required: bool = True, limit: int = 64) -> str:
    value = args.get(name, "")
    if not isinstance(value, str) or len(value) > limit:
        raise UiError("request.invalid", f"{name} must be text", field=name)
    value = value.strip()
    if required and not value:
        raise UiError("request.invalid", f"{name} is required", field=name)
    return value


def _outcome(result: Any) -> dict[str, Any]:
    """The bridge answers ok-or-refused; make that an ack body or raise the refusal."""
    if result is None or result is True:
        return {}
    if result is False:
        raise UiError("command.refused")
    ok = getattr(result, "ok", None)
    if ok is False:
        reason = getattr(result, "error_id", None) or getattr(result, "reason", None) or "command.refused"
        message = getattr(result, "message", "") or ""
        # Asterisk's own words (e.g. "No such queue") help whoever has to fix the setup: in the
        # details and the log, never in the agent's message (texts word each reason)
        details = {"detail": message} if message and message != reason else {}
        data = getattr(result, "data", None)
        if isinstance(data, dict):
            details.update(data)  # what the words name: the pause reason of a target not ready
        raise UiError(str(reason), message, **details)
    data = getattr(result, "data", None)
    if isinstance(data, dict):
        return dict(data)
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return {k: v for k, v in dataclasses.asdict(result).items() if k != "ok"}
    if isinstance(result, dict):
        return result
    return {}


async def _call(bridge: Any, method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    target = getattr(bridge, method, None)
    if target is None:
        raise UiError("command.unsupported", command=method)
    result = target(*args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return _outcome(result)


async def sign_out_seat(bridge: Any, staff_no: str) -> bool:
    """Take a signed-in seat out of its queues (a user an admin disabled): True if it was in.
    A call in progress goes on undisturbed, the seat paused in its queues (no new call), and
    the bridge signs it out when that call ends."""
    if bridge is None or _agent_state(bridge, staff_no) == "logged_out":
        return False
    await _call(bridge, "sign_out_seat", staff_no)
    return True


ON_CALL = ("ringing", "talking", "on_hold")
#: a call the agent must end (or transfer) before signing out: a ringing one just goes to another seat
ON_CALL_TO_END = ("talking", "on_hold")
TRANSFER_KINDS = ("agent", "queue", "number")


def _agent_state(bridge: Any, agent_id: str) -> str:
    lookup = getattr(bridge, "agent", None)
    agent = lookup(agent_id) if lookup else None
    return str((agent or {}).get("state") or "logged_out")


async def _is_staff_no(services: AppServices, bridge: Any, target: str) -> bool:
    """Whether ``target`` is a colleague's 工号: a seat the bridge knows (signed in, or since),
    or a user's staff number. A short phone number (10086, 95598, 12345) is no 工号."""
    lookup = getattr(bridge, "agent", None)
    if lookup is not None and lookup(target) is not None:
        return True
    if not STAFF_NO.match(target):  # users.staff_no: 4-6 ASCII digits
        return False
    async with services.sessionmaker() as db:
        return await db.scalar(select(User.id).where(User.staff_no == target).limit(1)) is not None


async def _transfer_kind(services: AppServices, bridge: Any, target: str) -> str:
    """The kind of a target typed with none: an existing 工号 is an agent, a phone number any
    other digits, any other text a queue (the bridge refuses one Asterisk does not have)."""
    if await _is_staff_no(services, bridge, target):
        return "agent"
    if target.removeprefix("+").isascii() and target.removeprefix("+").isdigit():
        return "number"
    return "queue"


async def _check_signed_in(services: AppServices, bridge: Any, target: str, refusal: str) -> None:
    """A colleague's 工号 the bridge has not seen since it started is signed out (``refusal``),
    not an unknown target: the bridge knows only the seats that signed in."""
    if _agent_state(bridge, target) == "logged_out" and await _is_staff_no(services, bridge, target):
        raise UiError(refusal)


@functools.cache
def _texts() -> Texts:
    return Texts()


def _queue_named(services: AppServices, target: str) -> str:
    """The hotline queue an agent means by ``target``: its code (service) or its name as the
    console shows it (综合服务, in any of its languages); "" for none."""
    wanted = target.casefold()
    for queue in services.queues:
        names = {queue.casefold()} | {_texts().get(lang, f"queue.{queue}").casefold() for lang in LANGUAGES}
        if wanted in names:
            return queue
    return ""


async def _transfer_target(services: AppServices, bridge: Any, args: dict[str, Any]) -> tuple[str, str]:
    """(kind, target) of a 转接 / 咨询转接. The kind the agent chose (工号 / 队列 / 电话号码) is
    honoured; with none (自动), an existing 工号 is an agent, a queue name a queue, other digits
    a phone number (``_transfer_kind``). The console shows queues by name only, so a queue is
    typed by name (or code); any other text goes to the bridge as a queue, which refuses a queue
    Asterisk does not have (``unknown_queue``) rather than hand the caller to nothing."""
    # a 工号 or number typed with a Chinese input method (８００１, ＋８６…) as ASCII: Asterisk
    # and the register know only those digits
    target = ascii_digits(_text(args, "target"))
    kind = _text(args, "kind", required=False)
    if kind and kind not in TRANSFER_KINDS:
        raise UiError("request.invalid", "kind must be agent, queue or number", field="kind")
    if kind in ("", "queue"):
        queue = _queue_named(services, target)
        if queue:
            return "queue", queue
    return kind or await _transfer_kind(services, bridge, target), target


def _transfer_note(args: dict[str, Any]) -> str:
    """A 转接's 转接备注 (``note``, optional): what the colleague's pop shows and their form takes,
    at most ``TRANSFER_NOTE_LIMIT`` characters, refused in words before the bridge is asked (the
    bridge holds the same limit)."""
    note = args.get("note", "")
    if not isinstance(note, str):
        raise UiError("request.invalid", "note must be text", field="note")
    note = note.strip()
    if len(note) > TRANSFER_NOTE_LIMIT:
        raise UiError("transfer_note_too_long", limit=TRANSFER_NOTE_LIMIT, length=len(note))
    return note


async def _ensure_logged_in(services: AppServices, bridge: Any, user: CurrentUser) -> None:
    """The first 就绪, 暂停 or 回呼 of a shift signs the agent's seat into their skill queues,
    paused with the login reason until 就绪 or 暂停 (which names its own reason) follows."""
    if _agent_state(bridge, user.agent_id) != "logged_out":
        return
    async with services.sessionmaker() as db:
        row = await db.get(User, user.id)
        skills = dict(row.skills or {}) if row is not None else {}
    if not skills:
        skills = dict(services.default_skills)
        if roles.AGENT not in user.roles:
            # a team leader or supervisor without skills helps out behind every agent
            skills = {queue: max(level, supervision.BACKSTOP_PENALTY) for queue, level in skills.items()}
    seat = services.seat_pattern.format(staff_no=user.staff_no, agent_id=user.agent_id)
    await _call(bridge, "login", user.agent_id, seat, skills)


async def _dial_from_seat(
    services: AppServices, bridge: Any, user: CurrentUser, number: str
) -> dict[str, Any]:
    """Click-to-dial (回呼, 回拨): the agent's seat rings, then ``number``. A signed-out seat is
    signed in first, 未就绪 with the login reason (签入未就绪, no caller offered): the 95598 shift
    starts so, every 待回复工单 called back before 就绪. It stays signed in if the dial fails."""
    await _ensure_logged_in(services, bridge, user)
    return await _call(bridge, "dial", user.agent_id, number)


async def _dial_from_order(
    services: AppServices, bridge: Any, user: CurrentUser, order_id: int, number: str
) -> dict[str, Any]:
    """回呼 from an order: the scope is checked first, and the call (with its recording)
    is registered on the order so it shows on the order's timeline. A callback rings a
    customer, so the outbound rule campaigns and faxes ask refuses an emergency, service or
    short number (a typo in the order's phone field must not ring 110)."""
    never = never_dial(number)
    if never:
        raise UiError(
            "dial.never_dial", f"{number} is never called back: {never}", number=number, reason=never
        )
    async with unit_of_work(services, user) as (db, row):
        await load_order(db, row, order_id)
    result = await _dial_from_seat(services, bridge, user, number)
    call_id = result.get("call_id")
    if call_id:
        async with unit_of_work(services, user) as (db, row):
            order = await load_order(db, row, order_id)
            await register_outbound_call(db, row, order, call_id, number)
    return result


async def _dial_from_event(
    services: AppServices, bridge: Any, user: CurrentUser, event_id: int
) -> dict[str, Any]:
    """回拨 from the inbox: the event's own number (a missed call's caller), from the agent's
    seat, only for an event the agent may handle (``intake.may_handle``: their own inbox, any
    for a supervisor); each attempt is kept on the event (``payload.callbacks``: who, when, the
    call) and audited, so the inbox shows it was called back. The number the event holds is
    dialled, never one the page sends; the outbound rule refuses an emergency, service or short
    number, as 回呼 from an order does."""
    from ticketing import intake
    from ticketing.models import utcnow

    async with unit_of_work(services, user) as (db, row):
        raw = (await intake.callback_event(db, row, event_id)).number
    try:
        number = normalize(raw)
    except InvalidPhoneNumber:
        raise UiError("dial.number_invalid", number=raw) from None
    never = never_dial(number)
    if never:
        raise UiError(
            "dial.never_dial", f"{number} is never called back: {never}", number=number, reason=never
        )
    result = await _dial_from_seat(services, bridge, user, number)
    attempt = {
        "at": utcnow().isoformat(),
        "by": user.staff_no,
        "number": number,
        "call_id": str(result.get("call_id") or ""),
    }
    async with unit_of_work(services, user) as (db, row):
        await intake.record_callback(db, row, event_id, attempt)
    return result


async def run_command(
    services: AppServices, user: CurrentUser, cmd: str, args: dict[str, Any]
) -> dict[str, Any]:
    if cmd in supervision.FORCE_COMMANDS:
        # a supervisor's hand on another agent's seat: the team is checked before the bridge is asked
        return await supervision.force(services, user, cmd, args)
    if cmd in supervision.QUEUE_COMMANDS:
        return await supervision.move_queue(services, user, cmd, args)  # 调整技能队列, the same reach
    if cmd in supervision.SPY_COMMANDS:
        return await supervision.spy(services, user, cmd, args)  # 监听 / 耳语 / 强插, the same reach
    if cmd == "notifications_read":
        # 提醒 marked read from a tab: the user's own rows only (agent_ui.notifications)
        from agent_ui.notifications import mark_read

        return await mark_read(services, user, args)
    bridge = _bridge(services)
    agent = user.agent_id
    if cmd == "ready":
        await _ensure_logged_in(services, bridge, user)
        return await _call(bridge, "ready", agent)
    if cmd == "pause":
        reason = _text(args, "reason")
        if reason not in services.pause_reasons:
            raise UiError("pause.reason_unknown", reason=reason)
        state = _agent_state(bridge, agent)
        if state in ON_CALL and not services.allow_pause_on_call:
            # the 95598 seat: a break starts after the call, and the agent asks for it then
            raise UiError("pause.on_call", state=state)
        await _ensure_logged_in(services, bridge, user)
        return await _call(bridge, "pause", agent, reason)
    if cmd == "logout":
        if _agent_state(bridge, agent) in ON_CALL_TO_END:
            raise UiError("logout.on_call")
        return await _call(bridge, "logout", agent)
    if cmd == "answer":
        return await _call(bridge, "answer", agent)
    if cmd == "hangup":
        return await _call(bridge, "hangup", agent)
    if cmd == "hold":
        return await _call(bridge, "hold", agent)
    if cmd == "unhold":
        return await _call(bridge, "unhold", agent)
    if cmd in ("transfer", "consult"):
        # consult: an attended transfer's first step, the caller waits while the agent talks to the target
        note = _transfer_note(args) if cmd == "transfer" else ""
        kind, target = await _transfer_target(services, bridge, args)
        if kind == "agent":
            await _check_signed_in(services, bridge, target, "target_logged_out")
        if note:
            return await _call(bridge, cmd, agent, kind, target, note=note)
        return await _call(bridge, cmd, agent, kind, target)
    if cmd == "complete_transfer":
        return await _call(bridge, "complete_transfer", agent)
    if cmd == "cancel_transfer":
        return await _call(bridge, "cancel_transfer", agent)
    if cmd == "conference":
        target = _text(args, "agent")
        await _check_signed_in(services, bridge, target, "conference_target_logged_out")
        return await _call(bridge, "conference", agent, target)
    if cmd == "dial" and args.get("event_id") is not None:
        # 回拨 a missed call from the inbox: the event's number, the attempt kept on the event
        if not is_id(args["event_id"]):
            raise UiError("request.invalid", "event_id must be an event id", field="event_id")
        return await _dial_from_event(services, bridge, user, args["event_id"])
    if cmd == "dial":
        raw = _text(args, "number")
        try:
            number = normalize(raw)
        except InvalidPhoneNumber:
            raise UiError("dial.number_invalid", number=raw) from None
        order_id = args.get("order_id")
        if order_id is None:
            return await _dial_from_seat(services, bridge, user, number)
        if not is_id(order_id):
            raise UiError("request.invalid", "order_id must be an order id", field="order_id")
        return await _dial_from_order(services, bridge, user, order_id, number)
    if cmd == "wrapup_done":
        return await _call(bridge, "wrapup_done", agent)
    if cmd == "hold_after_call_work":
        # the intake form holds unsaved input about this call: the ACW limit waits for it
        call_id = _text(args, "call_id")
        hold = args.get("hold")
        if not isinstance(hold, bool):
            raise UiError("request.invalid", "hold must be true or false", field="hold")
        # the tab holding it (the gateway names its socket): a tab's release ends only its own hold
        holder = str(args.get("holder", ""))
        return await _call(bridge, "hold_after_call_work", agent, call_id, hold, holder)
    raise UiError("command.unknown", cmd=cmd)
