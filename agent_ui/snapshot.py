"""The whole present for one user: what a (re)connected tab is sent first.

Everything comes from its owner: telephony from the CTI bridge's snapshots,
work and inbox counts and the screen-pop lookup from ``ticketing``. When the
bridge is missing (Asterisk unreachable) the snapshot says so instead of
showing a guessed state.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from agent_ui.auth import CurrentUser
from agent_ui.board_today import Stored, hotline_queues, stored_figures, with_live
from agent_ui.jsonable import jsonable
from agent_ui.services import AppServices
from agent_ui.supervision import FORCED_WAITS_IN, pending_forced
from agent_ui.work import ivr_steps, screen_pop, work_counts
from cti.commands.service import TRANSFER_NOTE_LIMIT
from ticketing.users import names_by_staff_no, staffed_queues

if TYPE_CHECKING:
    from agent_ui.gateway import Gateway

log = logging.getLogger(__name__)


def _bridge_list(bridge: Any, name: str) -> list[dict[str, Any]]:
    if bridge is None:
        return []
    method = getattr(bridge, name, None)
    if method is None:
        return []
    try:
        items = method()
    except Exception:
        log.exception("bridge.%s() failed", name)
        return []
    if isinstance(items, dict):
        items = list(items.values())
    return [jsonable(item) for item in items]


def call_of(bridge: Any, call_id: str) -> dict[str, Any] | None:
    """The bridge's live record of one call (None if it does not know it)."""
    return next((c for c in _bridge_list(bridge, "calls") if c.get("call_id") == call_id), None)


def agent_view(bridge: Any, agent_id: str) -> dict[str, Any] | None:
    if bridge is None or not agent_id:
        return None
    try:
        agent = bridge.agent(agent_id)
    except Exception:
        log.exception("bridge.agent(%r) failed", agent_id)
        return None
    return jsonable(agent) if agent is not None else None


# What a seat shows of a queue: its counters. The member list and the waiting calls are the
# wallboard's (a queue of 500 members is about 60 KB, sent to every tab that connects).
_BOARD_ONLY = ("members", "waiting_calls")


def queue_counters(queue: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in queue.items() if k not in _BOARD_ONLY}


def calls_of(
    bridge: Any, agent_id: str, ivr: Any = None, agent: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The agent's calls, each with its IVR path in words (``ivr_steps``) for the screen-pop.

    A call is the agent's once answered (its ``agent_id``), and after its end for as long as the
    agent writes it up (after-call work); before that, while the agent's phone
    rings with it, it is the one the agent's state names (``agent``: the agent's own view). Only
    the state says whether the offer is still live: a caller who hung up, a colleague who
    answered and a ring timeout all move the agent out of ``ringing`` (the call's own ``ringing``
    list is not cleared on a timeout everywhere), so an ended offer is never popped again. So is
    the call the agent talks on without it being theirs (a colleague consulted, ``consulted``; one
    brought into a 三方通话): its ``agent_id`` is the consulting or inviting agent's, and a reload
    shows it as the live pop did.
    """
    offered = ""
    if agent is not None and agent.get("state") in ("ringing", "talking", "on_hold"):
        offered = str(agent.get("call_id") or "")
    calls = [
        c
        for c in _bridge_list(bridge, "calls")
        if str(c.get("agent_id", "")) == agent_id or (offered and c.get("call_id") == offered)
    ]
    wrapping_up = _call_in_wrap_up(bridge, agent)
    if wrapping_up is not None and all(c.get("call_id") != wrapping_up["call_id"] for c in calls):
        calls.append(wrapping_up)
    return [{**c, "ivr_steps": ivr_steps(ivr, c.get("ivr_path") or ())} for c in calls]


def _call_in_wrap_up(bridge: Any, agent: dict[str, Any] | None) -> dict[str, Any] | None:
    """The call an agent in after-call work (话后处理) writes up: it has ended, but the seat's pop
    and intake form stay its own until the agent is done (``ended``: true)."""
    if agent is None or agent.get("state") != "after_call_work" or not agent.get("call_id"):
        return None
    lookup = getattr(bridge, "ended_call", None)
    if lookup is None:
        return None
    try:
        call = lookup(str(agent["call_id"]))
    except Exception:
        log.exception("bridge.ended_call(%r) failed", agent["call_id"])
        return None
    return {**jsonable(call), "ended": True} if call else None


def _connected_for(gateway: Gateway, agent_id: str) -> bool:
    """Whether the phone system answers this user's seat: with several Asterisk servers
    (``RemoteBridge.connected_for``), the bridge of the server the seat is on."""
    connected_for = getattr(gateway.services.bridge, "connected_for", None)
    if getattr(gateway.services.bridge, "several", False) is True and callable(connected_for):
        return bool(connected_for(agent_id))
    return gateway.ami_connected


def _health(connected: bool, reason: str) -> dict[str, str]:
    from cti.remote import server_health

    return server_health(connected, reason or "")


def servers_health(bridge: Any) -> list[dict[str, Any]]:
    """Each Asterisk server's health for the supervisors (``servers()`` of a RemoteBridge or
    LocalBridges): its name, ``state`` (up | down | misconfigured) and the bridge's reason; [] for
    one in-process bridge (the header's own indicator says it)."""
    return [
        {
            "server": str(s.get("server") or ""),
            "state": str(s.get("state") or ("up" if s.get("connected") else "down")),
            "reason": str(s.get("reason") or ""),
        }
        for s in _bridge_list(bridge, "servers")
    ]


def _reason_for(gateway: Gateway, agent_id: str) -> str:
    """Why the bridge of this seat's server is down, as it said (``misconfigured: …`` when it
    refuses its Asterisk); with one server, the last word of any."""
    bridge = gateway.services.bridge
    if getattr(bridge, "several", False) is True:
        bridge_of = getattr(bridge, "bridge_of", None)  # LocalBridges
        if callable(bridge_of):
            return str(getattr(bridge_of(agent_id), "misconfigured", "") or "")
        route_of = getattr(bridge, "route_of", None)  # RemoteBridge
        route = route_of(agent_id) if callable(route_of) else None
        if route is not None:
            return str(bridge.mirror.ami_reasons.get(route.route.address, "") or "")
        return ""
    own = getattr(bridge, "misconfigured", None)  # one CtiBridge in this process
    if isinstance(own, str):
        return own
    return gateway.ami_reason


def ami_of(gateway: Gateway, user: CurrentUser) -> dict[str, Any]:
    """The header's Asterisk indicator for ``user``: its seat's server up or not, its ``state``
    (up | down | misconfigured) and ``why`` (the bridge's reason); and for who sees every seat, each server's health."""
    connected = _connected_for(gateway, user.agent_id)
    health = _health(connected, _reason_for(gateway, user.agent_id))
    out: dict[str, Any] = {"connected": connected, "state": health["state"], "why": health["reason"]}
    if gateway.sees_all_agents(user):
        out["servers"] = servers_health(gateway.services.bridge)
    return out


async def build_snapshot(gateway: Gateway, user: CurrentUser) -> dict[str, Any]:
    services = gateway.services
    bridge = services.bridge
    agent = agent_view(bridge, user.agent_id)
    snapshot: dict[str, Any] = {
        "type": "snapshot",
        "server_time": time.time(),
        "user": user.to_json(),
        "ami": ami_of(gateway, user),
        "agent": agent,
        # a reload while the phone rings pops the offered call again, as the CallOffered did
        "calls": calls_of(bridge, user.agent_id, services.ivr, agent),
        "queues": [],
        "pause_reasons": list(services.pause_reasons),
        # the seat offers 暂停 during a call only where the site allows it (the command checks too)
        "allow_pause_on_call": services.allow_pause_on_call,
        "acw_seconds": services.acw_seconds,
        # the longest 转接备注 the bridge takes: the transfer dialog says it, and keeps one over it
        "transfer_note_limit": TRANSFER_NOTE_LIMIT,
    }
    if user.can("queues.read"):
        queues = _bridge_list(bridge, "queues")
        snapshot["queues"] = queues if gateway.sees_all_agents(user) else [queue_counters(q) for q in queues]
    if gateway.sees_all_agents(user):
        snapshot["agents"] = _bridge_list(bridge, "agents")
    try:
        snapshot["work"] = await work_counts(services, user)
    except Exception:
        log.exception("work counts failed for %s", user.staff_no)
        snapshot["work"] = None
    return snapshot


def seats_shown(agents: list[dict[str, Any]]) -> list[str]:
    """The 工号 of the seats a wallboard shows: those signed in."""
    return [str(a.get("agent_id", "")) for a in agents if a.get("state") not in (None, "", "logged_out")]


def board_agents(services: AppServices) -> list[dict[str, Any]]:
    """Every agent the bridge knows, as the board lists them."""
    return _bridge_list(services.bridge, "agents")


async def board_stored(services: AppServices, agents: list[dict[str, Any]] | None = None) -> Stored | None:
    """Today's figures of the stored calls and states for the seats the board shows
    (``agent_ui.board_today``); None when they cannot be worked out."""
    if agents is None:
        agents = board_agents(services)
    try:
        return await stored_figures(services, seats_shown(agents))
    except Exception:
        log.exception("today's figures for the wallboard failed")
        return None


def board_today(services: AppServices, stored: Stored | None) -> dict[str, Any] | None:
    """The board's ``today``: ``stored`` with the bridge's calls in progress merged in."""
    return with_live(stored, _bridge_list(services.bridge, "calls")) if stored is not None else None


async def build_board(services: AppServices) -> dict[str, Any]:
    """The wallboard's present: every agent (with the name behind the 工号), queue, call and spy,
    and the queues' figures for 今日 (``today``)."""
    bridge = services.bridge
    agents = _bridge_list(bridge, "agents")
    names: dict[str, str] = {}
    staffed: list[str] = sorted(services.default_skills)
    own: frozenset[str] = hotline_queues(services, staffed)
    forced: list[dict[str, Any]] = []
    try:
        async with services.sessionmaker() as db:
            names = await names_by_staff_no(db, (str(a.get("agent_id", "")) for a in agents))
            staffed = await staffed_queues(db, services.default_skills)
            own = hotline_queues(services, staffed)
            forced = await pending_forced(db, agents)
    except Exception:
        log.exception("agent names and queues for the wallboard failed")  # the board still shows the 工号
    return {
        "type": "board",
        "server_time": time.time(),
        "connected": bridge is not None and getattr(bridge, "connected", True) is not False,
        # each Asterisk server's name, state (up | down | misconfigured) and why: the servers strip
        "servers": servers_health(bridge),
        "agents": [{**a, "name": names.get(str(a.get("agent_id", "")), "")} for a in agents],
        "queues": _bridge_list(bridge, "queues"),
        # shown even while empty; another queue on the same Asterisk shows only while in use
        "staffed_queues": staffed,
        # the hotline's queues (the 合计 is theirs); any other is shown apart, as 其他队列
        "own_queues": sorted(own),
        "calls": _bridge_list(bridge, "calls"),
        # supervisors listening in now, so a reloaded board shows them (the seats never see these)
        "spies": _bridge_list(bridge, "spies"),
        # forced changes still waiting for a seat's call to end (as board_forced tells them live),
        # and the states they wait through: the board drops one when its seat is in no other
        "forced": forced,
        "forced_waits_in": list(FORCED_WAITS_IN),
        # 呼入 … AHT per queue and in total, and the seats' occupancy, for 今日 as the reports count
        "today": board_today(services, await board_stored(services, agents)),
    }


async def screen_pop_for(services: AppServices, caller: str, known: dict[str, Any] | None) -> dict[str, Any]:
    try:
        return await screen_pop(services, caller)
    except Exception:
        # The pop must still show the caller's number when the lookup fails.
        log.exception("screen-pop lookup failed for %s", caller)
        return {"caller": caller, "matches": [known] if known else [], "error_id": "lookup.failed"}
