"""Who may do what: the one table every endpoint and websocket command goes through.

Every route declares a permission with ``@requires("...")`` (or ``@public``);
the auth middleware refuses a route that declares neither, so a forgotten
check fails closed instead of open. Websocket commands are looked up in
``COMMAND_PERMISSIONS`` the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

AGENT = "agent"
TEAM_LEADER = "team_leader"
SUPERVISOR = "supervisor"
ADMIN = "admin"
HANDLER = "handler"

ROLES = (AGENT, TEAM_LEADER, SUPERVISOR, ADMIN, HANDLER)

_SEATED = frozenset({AGENT, TEAM_LEADER, SUPERVISOR})
_ORDER_WORKERS = frozenset({AGENT, TEAM_LEADER, SUPERVISOR, HANDLER, ADMIN})

PERMISSIONS: dict[str, frozenset[str]] = {
    # any signed-in user
    "session": frozenset(ROLES),
    # the seat: telephony state, screen-pop, intake
    "seat.use": _SEATED,
    "call.control": _SEATED,
    "customer.read": _SEATED | {HANDLER},
    "customer.write": _SEATED,
    "order.create": _SEATED,
    "order.read": _ORDER_WORKERS,
    "order.act": _ORDER_WORKERS,
    "order.visit_back": frozenset({TEAM_LEADER, SUPERVISOR}),
    "inbox.use": _SEATED | {HANDLER},
    "knowledge.read": frozenset(ROLES),
    "knowledge.send": _SEATED,
    # 知识库维护: write, edit and disable knowledge articles
    "knowledge.write": frozenset({TEAM_LEADER, SUPERVISOR, ADMIN}),
    # 停电信息: publish, revise (a new version), end early or withdraw an outage notice; the team
    # leader or supervisor on duty enters it when the dispatch center reports an outage
    "notice.write": frozenset({TEAM_LEADER, SUPERVISOR, ADMIN}),
    "queues.read": _SEATED | {ADMIN},
    # the wallboard (seat map, queue board); team leaders watch their team there and act on its
    # seats (``seats.force``)
    "wallboard.view": frozenset({TEAM_LEADER, SUPERVISOR, ADMIN}),
    # 监听 / 耳语 / 强插 on an agent's call: the supervisors' (质量监控员, DOMAIN § 1 and § 8), not a
    # team leader's (班长: visit-backs, follow-up complaints, overdue lists; README's roles)
    "calls.supervise": frozenset({SUPERVISOR, ADMIN}),
    # 置忙 / 强制下班 / 结束话后处理 / 调整技能队列 of another agent's seat from the wallboard: a team leader their
    # own team's (agent_ui.supervision checks the team), supervisors and admins every seat
    "seats.force": frozenset({TEAM_LEADER, SUPERVISOR, ADMIN}),
    # 报表: call, queue, agent and order reports with their CSV / Excel export
    "report.view": frozenset({TEAM_LEADER, SUPERVISOR, ADMIN}),
    "users.admin": frozenset({ADMIN}),
    # 外委单位 to pick at a dispatching step; the register and print templates are admins' (报事设置)
    "contractors.read": _ORDER_WORKERS,
    # 抢修班组 to pick at 派工; the register is admins' (a bureau's handlers have no role over it)
    "crews.read": _ORDER_WORKERS,
    "config.admin": frozenset({ADMIN}),
    # 审计日志: reading back who did what (ticketing.audit); nobody edits or deletes it
    "audit.read": frozenset({ADMIN}),
    # outbound campaigns: team leaders and admins run them, supervisors watch them
    "campaigns.read": frozenset({TEAM_LEADER, SUPERVISOR, ADMIN}),
    "campaigns.manage": frozenset({TEAM_LEADER, ADMIN}),
}

#: websocket command → permission
COMMAND_PERMISSIONS: dict[str, str] = {
    "ready": "seat.use",
    "pause": "seat.use",
    "logout": "seat.use",
    "answer": "call.control",
    "hangup": "call.control",
    "hold": "call.control",
    "unhold": "call.control",
    "transfer": "call.control",
    "dial": "call.control",
    "consult": "call.control",
    "complete_transfer": "call.control",
    "cancel_transfer": "call.control",
    "conference": "call.control",
    "spy": "calls.supervise",
    "spy_stop": "calls.supervise",
    "spy_mode": "calls.supervise",
    "wallboard": "wallboard.view",
    "force_pause": "seats.force",
    "force_sign_out": "seats.force",
    "force_acw_end": "seats.force",
    "seat_queue_add": "seats.force",
    "seat_queue_remove": "seats.force",
    "wrapup_done": "seat.use",
    "hold_after_call_work": "seat.use",
    "snapshot": "session",
    "watch": "order.read",
    "ping": "session",
    "notifications_read": "session",
}

_ATTR = "_hotline_permission"
PUBLIC = "public"


def requires(permission: str) -> Callable[[Any], Any]:
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def mark(handler: Any) -> Any:
        setattr(handler, _ATTR, permission)
        return handler

    return mark


def public(handler: Any) -> Any:
    setattr(handler, _ATTR, PUBLIC)
    return handler


def permission_of(handler: Any) -> str | None:
    """The permission a route handler declared (None: it declared nothing)."""
    return getattr(handler, _ATTR, None)


def allowed(roles: Iterable[str], permission: str) -> bool:
    granted = PERMISSIONS.get(permission, frozenset())
    return any(role in granted for role in roles)


def is_seated(roles: Iterable[str]) -> bool:
    return any(role in _SEATED for role in roles)
