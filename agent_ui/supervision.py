"""A team leader's or supervisor's hand on a seat, from the wallboard (DOMAIN § 8).

Three websocket commands, permission ``seats.force`` (``roles.COMMAND_PERMISSIONS``):

* ``force_pause {agent, reason?}`` (置忙): the seat 未就绪 with ``reason`` (default 班长置忙, or
  one of the agents' own break reasons). On a call it is paused in its queues at once (no new
  call is offered) and becomes 未就绪 when the call is over, after its 话后处理: the caller is
  never cut off. In 话后处理 it ends the write-up into that pause.
* ``force_sign_out {agent}`` (强制下班): the seat leaves every queue. A seat talking or holding a
  caller keeps that call (a 95598 centre never hangs up on a customer to sign a seat out): it is
  paused in its queues at once (reason 班长强制下班) and signed out when the call ends
  (``pending: logged_out`` in the ack). A queue's offer ringing it is withdrawn (the caller
  waits on for the next agent), as the agent's own 下班 does; a phone answered meanwhile keeps
  its caller, and the seat, out of its queues already, signs out when that call ends (``pending``
  too, never a refusal: the sign-out is under way).
* ``force_acw_end {agent}`` (结束话后处理): ends the seat's 话后处理 as the agent's 话后处理完毕
  would (ready, or back to the break it was in), whatever a tab's unsaved form holds: the holds
  keep an ACW past its limit only until the agent or a supervisor ends it. Refused
  ``seat_force.not_in_acw`` for a seat not in 话后处理.

There is no forced 就绪 (置闲): a seat is made ready only by the agent at it, who first clears
their 待回复工单 (DOMAIN § 2); a supervisor cannot know that someone is at the phone.

Team leaders act on their own team: the agents whose 上级 (``users.manager_id``) they are, or
who belong to a department they manage, none of them a team leader, supervisor or admin (a team
leader never forces a colleague's or a superior's seat); supervisors and admins on every seat
(``seat_force.not_your_team`` otherwise). Every forced change is an audit row (``seat.force_pause``,
``seat.force_sign_out``, ``seat.force_acw_end``: the actor, the seat's 工号, its state before, the
reason and the outcome) and a ``SeatForced`` event on the bus, which the gateway hands to that
agent's tabs (``seat_forced``): their state bar says who did what (班长 张班长 将您置为未就绪).

监听 / 耳语 / 强插 (``spy {agent, mode}``, ``spy_mode {spy, mode}``, ``spy_stop {spy}``, permission
``calls.supervise``) are the supervisors' and admins' (DOMAIN § 1/§ 8: a 班长 does visit-backs and
watches the overdue lists; they see their team on the wallboard, ``wallboard.view``, and act on its
seats, but listen to no call); the reach check below would hold a team leader to their team.
Each is an audit row on the seat (``seat.spy``, ``seat.spy_mode``, ``seat.spy_stop``: who listened
to whose call, in which mode, when), and nobody's state bar is told: listening is silent.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from agent_ui import roles
from agent_ui.auth import CurrentUser
from agent_ui.errors import UiError
from agent_ui.services import AppServices
from agent_ui.work import read_only, unit_of_work
from cti import agents as A
from cti.events import Event, event
from ticketing import audit
from ticketing.events import queue_event
from ticketing.models import AuditLog, Department, User
from ticketing.users import staff_number, staffed_queues

FORCE_COMMANDS = ("force_pause", "force_sign_out", "force_acw_end")
_ACTIONS = {"force_pause": "pause", "force_sign_out": "sign_out", "force_acw_end": "end_acw"}
#: 调整技能队列: a seat added to one of the hotline's queues, or taken out of one (never its last)
QUEUE_COMMANDS = ("seat_queue_add", "seat_queue_remove")
_QUEUE_ACTIONS = {"seat_queue_add": "queue_add", "seat_queue_remove": "queue_remove"}
#: the bridge's refusals of a queue change, worded for the supervisor (texts' error.seat_queue.*)
_QUEUE_REFUSALS = ("already_member", "not_member", "last_queue", "unknown_queue")
SEAT_COMMANDS = FORCE_COMMANDS + QUEUE_COMMANDS


@event
class SeatForced(Event):
    """A team leader or supervisor changed an agent's seat: ``action`` pause | sign_out | end_acw,
    ``by`` / ``by_name`` who, ``reason`` the pause's, ``pending`` the state it takes once the call
    it is on ends ("" when it took effect at once)."""

    agent_id: str
    action: str
    by: str
    by_name: str = ""
    by_role: str = ""  # the role the agent is told it by (texts' role.*: 班长, 质量监控员, 系统管理员)
    reason: str = ""
    pending: str = ""
    queue: str = ""  # the queue a queue_add / queue_remove joined or left


def pause_reasons(services: AppServices) -> tuple[str, ...]:
    """The reasons a supervisor may set a seat 未就绪 with: 班长置忙 first, then the agents' own."""
    return (A.FORCED_PAUSE_REASON, *(r for r in services.pause_reasons if r != A.FORCED_PAUSE_REASON))


#: the queue penalty (Asterisk: lower is offered first) of a seat that helps out in a queue it has
#: no skill level for: a supervisor's or team leader's own 就绪, a seat a supervisor adds to a queue
#: (调整技能队列). Behind every agent with the skill, so helpers take the queue's overflow only.
BACKSTOP_PENALTY = 9


def _role_shown(held: Any) -> str:
    for role in (roles.SUPERVISOR, roles.TEAM_LEADER, roles.ADMIN):
        if role in (held or ()):
            return role
    return ""


#: the states a forced change waits through (``pending``): the call it was forced during, rung,
#: talked or held, and its 话后处理; any other state of the seat means it has happened (or the seat
#: is out). The one list of them: the wallboard gets it with its ``board`` (``forced_waits_in``).
FORCED_WAITS_IN = (A.RINGING, A.TALKING, A.ON_HOLD, A.AFTER_CALL_WORK)
_WAITING_ACTIONS = {f"seat.{cmd}": _ACTIONS[cmd] for cmd in FORCE_COMMANDS}


async def pending_forced(db: Any, agents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The forced changes still waiting for a seat's call to end, as ``board_forced`` tells them
    (a ``SeatForced`` body each): a wallboard opened or reconnected after the force shows them too.
    Taken from the audit (the latest forced change of each seat still on a call, made during that
    call), so a restarted web process or another one knows them as well as the one that forced."""
    on_call = {
        str(a.get("agent_id")): str(a.get("call_id") or "")
        for a in agents
        if a.get("state") in FORCED_WAITS_IN and a.get("call_id")
    }
    if not on_call:
        return []
    latest = (
        select(func.max(AuditLog.id))
        .where(
            AuditLog.entity == "seat",
            AuditLog.entity_id.in_(on_call),
            AuditLog.action.in_(_WAITING_ACTIONS),
        )
        .group_by(AuditLog.entity_id)
    )
    rows = await db.execute(
        select(AuditLog, User.name, User.roles)
        .outerjoin(User, User.id == AuditLog.user_id)
        .where(AuditLog.id.in_(latest))
    )
    forced = []
    for row, name, held in rows:
        before, after = row.before or {}, row.after or {}
        if not after.get("pending") or before.get("call_id") != on_call.get(row.entity_id):
            continue  # it took effect at once, or was forced during an earlier call
        forced.append(
            {
                "agent_id": row.entity_id,
                "action": _WAITING_ACTIONS[row.action],
                "by": row.actor,
                "by_name": name or "",
                "by_role": _role_shown(held),
                "reason": after.get("reason") or "",
                "pending": after["pending"],
            }
        )
    return sorted(forced, key=lambda f: f["agent_id"])


def sees_every_seat(user: CurrentUser) -> bool:
    return any(r in user.roles for r in (roles.SUPERVISOR, roles.ADMIN))


#: roles that lead others: a seat of someone holding one is never in a team leader's reach
SUPERVISING_ROLES = (roles.TEAM_LEADER, roles.SUPERVISOR, roles.ADMIN)


def in_a_team(user_roles: Any) -> bool:
    """An agent who leads nobody: whom a team leader's team is made of (a fellow team leader,
    a supervisor or an admin in the department is not, nor at their reach)."""
    held = set(user_roles or ())
    return roles.AGENT in held and not held.intersection(SUPERVISING_ROLES)


async def team_of(db: Any, leader: User) -> set[str]:
    """The 工号 of a team leader's team: the agents who report to them, or are in a department
    they manage, and hold no supervising role (``SUPERVISING_ROLES``)."""
    departments = select(Department.id).where(Department.manager_id == leader.id)
    rows = await db.execute(
        select(User.staff_no, User.roles).where(
            (User.manager_id == leader.id) | User.department_id.in_(departments)
        )
    )
    return {staff_no for staff_no, user_roles in rows if in_a_team(user_roles)}


async def force_scope(services: AppServices, user: CurrentUser) -> list[str] | None:
    """The seats ``user`` may force: None for all of them (supervisors, admins), else the team's 工号."""
    if sees_every_seat(user):
        return None
    async with read_only(services, user) as (db, row):
        return sorted(await team_of(db, row))


async def expected_seats(services: AppServices, user: CurrentUser) -> list[dict[str, str]]:
    """The agents the seat map expects (``agent_id``, ``name``), so that one not signed in shows
    as 未签入: every active agent who leads nobody (``in_a_team``) for a supervisor or an admin,
    the active agents of their team for a team leader."""
    async with read_only(services, user) as (db, row):
        team = None if sees_every_seat(user) else await team_of(db, row)
        rows = await db.execute(
            select(User.staff_no, User.name, User.roles).where(User.active.is_(True)).order_by(User.staff_no)
        )
        return [
            {"agent_id": staff_no, "name": name}
            for staff_no, name, user_roles in rows
            if in_a_team(user_roles) and (team is None or staff_no in team)
        ]


async def check_scope(services: AppServices, user: CurrentUser, agent_id: str) -> str:
    """The target's name; refused when nobody has that 工号 or it is not the team leader's."""
    async with read_only(services, user) as (db, row):
        target = await db.scalar(select(User).where(User.staff_no == agent_id))
        if target is None:
            raise UiError("seat_force.unknown_agent", agent=agent_id)
        if not sees_every_seat(user) and agent_id not in await team_of(db, row):
            raise UiError("seat_force.not_your_team", agent=agent_id)
        return target.name


def _target_seat(user: CurrentUser, args: dict[str, Any]) -> str:
    """The seat (工号) a supervisor's action names: never their own."""
    value = args.get("agent", "")
    agent_id = staff_number(value) if isinstance(value, str) else ""
    if not (agent_id.isascii() and agent_id.isdigit()) or len(agent_id) > 6:
        raise UiError("request.invalid", "agent must be a 工号", field="agent")
    if agent_id == user.agent_id:
        raise UiError("seat_force.self")
    return agent_id


async def _signed_in_seat(
    services: AppServices, user: CurrentUser, agent_id: str
) -> tuple[str, Any, dict[str, Any], str]:
    """The seat's name, the bridge, the bridge's view of the seat and its state; refused when the
    seat is out of ``user``'s reach (check_scope) or signed out."""
    from agent_ui.commands import _agent_state, _bridge

    name = await check_scope(services, user, agent_id)
    bridge = _bridge(services)
    before = dict(bridge.agent(agent_id) or {}) if getattr(bridge, "agent", None) else {}
    state = str(before.get("state") or _agent_state(bridge, agent_id))
    if state == A.LOGGED_OUT:
        raise UiError("seat_force.logged_out", agent=agent_id, name=name)
    return name, bridge, before, state


async def _audited_and_told(
    services: AppServices,
    user: CurrentUser,
    audit_action: str,
    agent_id: str,
    *,
    before: dict[str, Any],
    after: dict[str, Any],
    **told: str,
) -> None:
    """What a supervisor did to a seat: one audit row, and the seat's tabs told (SeatForced, who
    did it, ``told``: the action and its reason, pending change or queue), in one transaction."""
    async with unit_of_work(services, user) as (db, row):
        await audit.record(db, row, audit_action, "seat", agent_id, before=before, after=after)
        queue_event(
            db,
            SeatForced(
                agent_id=agent_id,
                by=user.staff_no,
                by_name=user.name,
                by_role=_role_shown(user.roles),
                **told,
            ),
        )


async def force(services: AppServices, user: CurrentUser, cmd: str, args: dict[str, Any]) -> dict[str, Any]:
    from agent_ui.commands import ON_CALL_TO_END, _call

    agent_id = _target_seat(user, args)
    reason = ""
    if cmd == "force_pause":
        reason = args.get("reason") or A.FORCED_PAUSE_REASON
        if reason not in pause_reasons(services):
            raise UiError("seat_force.reason_unknown", reason=str(reason)[:32])
    name, bridge, before, state = await _signed_in_seat(services, user, agent_id)
    if cmd == "force_pause":
        result = await _call(bridge, "pause", agent_id, reason)
    elif cmd == "force_sign_out":
        reason = A.FORCED_SIGN_OUT_REASON
        try:
            result = await _call(bridge, "sign_out_seat", agent_id, reason)
        except UiError as refused:
            if refused.error_id != "agent_on_call":
                raise
            # a bridge from before the sign-out took this for a pending one: the seat answered its
            # ringing phone while the offer was withdrawn, is out of its queues and signs out when
            # that call ends; the supervisor is told so (坐席正在通话，通话结束后签出), not refused
            result = {"state": A.TALKING, "pending": A.LOGGED_OUT}
    else:
        if state != A.AFTER_CALL_WORK:
            raise UiError("seat_force.not_in_acw", agent=agent_id, name=name, state=state)
        result = await _call(bridge, "wrapup_done", agent_id)
    pending = str(result.get("pending") or "")
    if cmd == "force_sign_out" and state in ON_CALL_TO_END:
        pending = A.LOGGED_OUT
    if result.get("already"):
        # the sign-out asked for before still waits for the call: one audit row, one notice
        return {**result, "agent": agent_id, "name": name, "reason": reason, "pending": pending}
    call_id = before.get("call_id") or ""
    await _audited_and_told(
        services,
        user,
        f"seat.{cmd}",
        agent_id,
        before={"state": state, "reason": before.get("reason") or "", "call_id": call_id},
        # call_id on both sides: the call it was forced during (or in whose 话后处理) is what
        # the row is about, not a change of it (QA #7 read 通话：… → — as if the force ended it)
        after={"state": result.get("state") or "", "reason": reason, "pending": pending, "call_id": call_id},
        action=_ACTIONS[cmd],
        reason=reason,
        pending=pending,
    )
    return {**result, "agent": agent_id, "name": name, "reason": reason, "pending": pending}


async def move_queue(
    services: AppServices, user: CurrentUser, cmd: str, args: dict[str, Any]
) -> dict[str, Any]:
    """``seat_queue_add`` / ``seat_queue_remove {agent, queue}`` (调整技能队列, DOMAIN § 8): the
    same reach as the forced actions; the queue one of the hotline's (users' skills, the default
    ones). Live in Asterisk (QueueAdd / QueueRemove through the bridge): an added ready seat gets the
    queue's next caller. A signed-in seat's last queue is not removed (that is 强制下班:
    ``seat_queue.last_queue``). Audited (``seat.queue_add``, ``seat.queue_remove``) and told to the
    agent's state bar (SeatForced, action queue_add | queue_remove, ``queue``)."""
    from agent_ui.commands import _call

    agent_id = _target_seat(user, args)
    queue = args.get("queue", "")
    if not isinstance(queue, str) or not queue.strip() or len(queue) > 64:
        raise UiError("request.invalid", "queue must be a queue's name", field="queue")
    queue = queue.strip()
    async with services.sessionmaker() as db:
        hotline = await staffed_queues(db, services.default_skills)
        skills = await db.scalar(select(User.skills).where(User.staff_no == agent_id)) or {}
    if queue not in hotline:
        raise UiError("seat_queue.unknown_queue", queue=queue)
    name, bridge, before, state = await _signed_in_seat(services, user, agent_id)
    # the seat's own level for that queue when it has one (its skills), else behind the queue's own
    level = skills.get(queue) if isinstance(skills.get(queue), int) else BACKSTOP_PENALTY
    try:
        if cmd == "seat_queue_add":
            result = await _call(bridge, "queue_join", agent_id, queue, level)
        else:
            result = await _call(bridge, "queue_leave", agent_id, queue)
    except UiError as refused:
        if refused.error_id in _QUEUE_REFUSALS:
            raise UiError(f"seat_queue.{refused.error_id}", agent=agent_id, name=name, queue=queue) from None
        raise
    queues = sorted(result.get("skills") or ())
    await _audited_and_told(
        services,
        user,
        f"seat.{_QUEUE_ACTIONS[cmd]}",
        agent_id,
        # the state on both sides: a queue joined or left leaves the seat as it was (就绪 stays
        # 就绪), and the audit lists only what changed (QA #7 read 状态：就绪 → —)
        before={"state": state, "queues": sorted(before.get("skills") or ())},
        after={"state": str(result.get("state") or state), "queue": queue, "queues": queues},
        action=_QUEUE_ACTIONS[cmd],
        queue=queue,
    )
    return {**result, "agent": agent_id, "name": name, "queue": queue, "queues": queues}


SPY_COMMANDS = ("spy", "spy_mode", "spy_stop")
SPY_MODES = ("listen", "whisper", "barge")


async def spy(services: AppServices, user: CurrentUser, cmd: str, args: dict[str, Any]) -> dict[str, Any]:
    """监听 / 耳语 / 强插: ``spy`` rings the supervisor's own seat, which then joins the agent's call;
    ``spy_mode`` switches it and ``spy_stop`` hangs it up (the bridge refuses anyone else's spy).
    A seat out of ``user``'s reach is refused before the bridge is asked; each change is audited."""
    from agent_ui.commands import _bridge, _call

    mode = args.get("mode", "")
    if cmd != "spy_stop" and mode not in SPY_MODES:
        raise UiError("request.invalid", "mode must be listen, whisper or barge", field="mode")
    if cmd == "spy":
        if args.get("agent") == user.agent_id:
            raise UiError("spy.self")
        agent_id = _target_seat(user, args)
        await check_scope(services, user, agent_id)
        seat = services.seat_pattern.format(staff_no=user.staff_no, agent_id=user.agent_id)
        result = await _call(_bridge(services), "spy", seat, agent_id, mode, user.agent_id, user.name)
        spy_id = str(result.get("spy_channel_id") or "")
    else:
        spy_id = args.get("spy", "")
        if not isinstance(spy_id, str) or not spy_id or len(spy_id) > 64:
            raise UiError("request.invalid", "spy must be a spy's id", field="spy")
        if cmd == "spy_stop":
            result = await _call(_bridge(services), "spy_stop", spy_id, user.agent_id)
        else:
            result = await _call(_bridge(services), "spy_mode", spy_id, user.agent_id, mode)
        agent_id = str(result.get("agent_id") or "")
    async with unit_of_work(services, user) as (db, row):
        after = {"spy": spy_id, "call_id": str(result.get("call_id") or "")}
        if cmd != "spy_stop":
            after["mode"] = mode
        await audit.record(db, row, f"seat.{cmd}", "seat", agent_id, after=after)
    return result
