"""What the console needs from the rest of Hotline, and the typed app keys that hold it.

The composition root (``hotline serve``) builds one ``AppServices`` and hands it
to ``agent_ui.create_app``. ``bridge`` may be None when Asterisk is unreachable
at start; it may be set later (``services.bridge = bridge``) and the console
picks it up on the next command or snapshot.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from cti.bus import Bus


@dataclasses.dataclass
class AppServices:
    bus: Bus
    sessionmaker: async_sessionmaker[AsyncSession]
    secret_key: str
    bridge: Any | None = None  # cti.CtiBridge, or cti.RemoteBridge in a `--role web` process
    recordings: Any | None = None  # recordings store (file lookup + Range-capable handler)
    dialer: Any | None = None  # campaigns.Dialer: preview dial/skip from the console
    #: cti.calendar.WorkCalendar the campaigns call in (the dialer's): an edit of a campaign's
    #: windows or retries reschedules its contacts in it. None: China's working days
    campaign_calendar: Any | None = None
    #: ivr.IvrConfig: the menus whose titles and choices the screen-pop names (None: the raw path)
    ivr: Any | None = None
    hotline_number: str = "95598"
    #: the secret the SMS gateway signs inbound messages with (POST /api/sms/inbound); empty:
    #: every inbound SMS is refused
    sms_inbound_secret: str = dataclasses.field(default="", repr=False)
    site_timezone: str = "Asia/Shanghai"
    #: Secure cookie flag; False only for plain-HTTP test servers.
    cookie_secure: bool = True
    #: seconds a session lives without activity
    session_max_age: int = 12 * 3600
    #: where a pause may be requested while on a call (the 95598 seat forbids it)
    allow_pause_on_call: bool = False
    #: the after-call work's limit (``acw_seconds``): the seat's bar counts down to it, so an agent
    #: writing a call up sees when the next call may ring; 0: no limit the bar could show
    acw_seconds: float = 0.0
    pause_reasons: tuple[str, ...] = ("小休", "用餐", "培训", "会议")
    default_language: str = "zh-CN"
    #: the queue-member interface of an agent's seat; ``{staff_no}`` is filled in.
    #: Production: "PJSIP/{staff_no}"; the demo's simulated phones: "Local/{staff_no}@hotline-sim-phone/n".
    seat_pattern: str = "PJSIP/{staff_no}"
    #: skill queues (queue → penalty) for agents whose user record names none
    default_skills: dict[str, int] = dataclasses.field(default_factory=lambda: {"service": 0})
    #: the hotline's queues, those of the routing configuration (``hotline serve`` passes its
    #: routing file's): the only queues a user may have a skill for
    queues: tuple[str, ...] = dataclasses.field(default_factory=lambda: deployed_queues())

    @property
    def sms_signature(self) -> str:
        """What an SMS to a customer starts with, 【95598】: the hotline's number, as the message
        templates sign the order SMS, so the customer's phone shows who wrote (a mainland carrier
        asks every text to name its sender so)."""
        return f"【{self.hotline_number}】"


@functools.cache
def deployed_queues() -> tuple[str, ...]:
    """deploy/routing.yaml's queues, for an app built without a routing file (tests, tools)."""
    from cti.calendar import WorkCalendar
    from cti.routing_config import load_routing

    routing_file = Path(__file__).resolve().parent.parent / "deploy" / "routing.yaml"
    return tuple(load_routing(routing_file, calendar=WorkCalendar.china()).queues)


SERVICES = web.AppKey("services", AppServices)
GATEWAY: web.AppKey[Any] = web.AppKey("gateway")
TEMPLATES: web.AppKey[Any] = web.AppKey("templates")
TEXTS: web.AppKey[Any] = web.AppKey("texts")
#: per request: the signed-in user (None on public routes) and the answer language
USER: web.RequestKey[Any] = web.RequestKey("user")
LANG: web.RequestKey[str] = web.RequestKey("lang")
