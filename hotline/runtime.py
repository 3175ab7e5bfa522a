"""Wiring: the platform's services, in one asyncio process or several.

``serve`` opens each long-lived resource in order (bus, database, CTI bridge,
ticketing consumers, SLA worker, FastAGI server, web app) and closes them in
reverse order when ``stop`` is set. Asterisk being down at start is normal:
the bridge keeps reconnecting and the console shows it as disconnected.

With roles (``hotline serve --role web,cti,…``) each process opens only its
part, and the parts meet in Redis and PostgreSQL: the web's bridge is a
``RemoteBridge``, the cti role holds the real one only while it holds the
bridge lock (docs/decisions/0007).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import gc
import logging
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis
from aiohttp import web
from sqlalchemy import select, text

import campaigns
import ivr
import ticketing
from agent_ui import AppServices, create_app
from agent_ui.texts import DEFAULT as DEFAULT_LANGUAGE
from agent_ui.texts import Texts
from campaigns.remote import DialerHeartbeat, DialerUnavailable, RemoteDialer, dialer_handlers
from cti.ami.client import AmiClient
from cti.bridge import CtiBridge, CtiSettings
from cti.bus import Bus, InProcessBus
from cti.calendar import WorkCalendar
from cti.call_events import AmiConnectionChanged
from cti.fax import FaxSender
from cti.local_bridges import LocalBridges
from cti.remote import CommandServer, RemoteBridge, Route, bridge_handlers, bridge_prefix, keys_for
from cti.routing_config import load_routing
from cti.standby import ActiveStandby, BridgeLock
from hotline.config import AsteriskServer, ConfigError, Settings
from hotline.seat_sites import SeatSites
from hotline.selfservice import notice_voices, published_notices, ticketing_hooks
from ivr.callback_spool import DialplanCallbacks
from recordings import RecordingStore, ServerStores, fax_out
from ticketing.agent_states import AgentStateRecorder
from ticketing.calls import CallLinker
from ticketing.customers import caller_profile_hook, screen_pop_hook
from ticketing.inbound import InboundAssigner, MailHandler, MailListener
from ticketing.intake import Intake
from ticketing.notify import AsteriskFaxGateway, Dispatcher, HttpSmsGateway, SmtpGateway

if TYPE_CHECKING:
    from hotline.simulator import MessageSimulator

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parent.parent
DEMO_CUSTOMERS = 500
#: demo agents answered by simulated phones; 1001 is left for the person trying the demo
DEMO_BOT_AGENTS = ("1002", "1003", "1004")
DEMO_PERSON = "1001"
DEMO_ACW = 20  # seconds of after-call work for the demo's seats (HOTLINE_ACW_SECONDS overrides)
#: faxes the demo's simulated customers send to the fax line, an hour (hotline.simulator)
DEMO_FAXES_PER_HOUR = 6.0
#: customers' SMS and e-mails to the hotline, an hour each, through the inbound paths
#: (hotline.simulator.MessageSimulator); the demo's SMTP listener and the hotline's address
DEMO_SMS_PER_HOUR = 6.0
DEMO_EMAILS_PER_HOUR = 4.0
DEMO_MAIL_PORT = 2525
DEMO_MAIL_ADDRESS = "95598@hotline.demo"


def make_bus(url: str, redis_prefix: str = "hotline") -> Bus:
    if url.startswith("memory:"):
        return InProcessBus()
    if url.startswith(("redis://", "rediss://")):
        from cti.redis_bus import RedisBus

        return RedisBus(url, stream=f"{redis_prefix}:events")
    raise ValueError(f"bus_url must be memory:// or redis://…, got {url!r}")


def database_url(settings: Settings) -> str:
    """The database URL, with the directory of a SQLite file made if it is missing."""
    url = settings.database_url
    if url.startswith("sqlite") and ":///" in url:
        path = url.split(":///", 1)[1].split("?", 1)[0]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    return url


async def migrate(settings: Settings) -> None:
    await ticketing.migrate(database_url(settings))


async def seed(settings: Settings, *, demo: bool) -> None:
    engine = ticketing.create_engine(database_url(settings))
    try:
        await ticketing.migrate(engine)
        await _seed(ticketing.sessionmaker(engine), demo=demo)
    finally:
        await engine.dispose()


async def add_user(settings: Settings, staff_no: str, name: str, roles: list[str]) -> str:
    """A user made by the system (the first admin): their temporary password."""
    from ticketing.user_admin import add_user as add

    engine = ticketing.create_engine(database_url(settings))
    try:
        await ticketing.migrate(engine)
        async with ticketing.sessionmaker(engine).begin() as session:
            _, password = await add(session, None, {"staff_no": staff_no, "name": name, "roles": roles})
        return password
    finally:
        await engine.dispose()


async def _seed(sessions, *, demo: bool) -> None:
    from ticketing.demo import add_demo_crews, add_demo_emails, seed_demo
    from ticketing.models import Customer
    from ticketing.seed import seed_defaults

    async with sessions.begin() as session:
        await seed_defaults(session)
        if demo and not await session.scalar(select(Customer.id).limit(1)):
            await seed_demo(session, customers=DEMO_CUSTOMERS)
        elif demo:
            await add_demo_emails(session)  # a demo database seeded before the staff had addresses
        if demo:
            await add_demo_crews(session)  # a new demo's, or one seeded before the 抢修班组 register


#: a background task that failed is started again after this long, doubled each time it fails
#: again (up to the max; back to the start once it ran that long without failing)
RESTART_AFTER = 1.0
RESTART_AFTER_MAX = 60.0


async def supervised(start: Callable[[], Awaitable[object]], name: str) -> None:
    """``start()`` run until it returns; each exception it raises is logged with its traceback and
    it is started again after a back-off (``RESTART_AFTER`` to ``RESTART_AFTER_MAX``). The tasks a
    process runs beside its work (the dialer, SLA timers, notifications...) are awaited only when
    it stops: one that died would otherwise be gone without a word until then."""
    loop = asyncio.get_running_loop()
    delay = RESTART_AFTER
    while True:
        began = loop.time()
        try:
            await start()
        except Exception:
            if loop.time() - began >= RESTART_AFTER_MAX:
                delay = RESTART_AFTER
            log.exception("%s failed; started again in %.0f s", name, delay)
        else:
            log.info("%s ended", name)
            return
        await asyncio.sleep(delay)
        delay = min(delay * 2, RESTART_AFTER_MAX)


@contextlib.asynccontextmanager
async def _background(start: Callable[[], Awaitable[object]], name: str) -> AsyncIterator[asyncio.Task]:
    """``start()`` as a task (``supervised``: restarted when it fails) until the block ends."""
    task = asyncio.get_running_loop().create_task(supervised(start, name), name=name)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


# -- the production process model: each process runs some roles ----------------------------

EMBEDDED = frozenset({"all"})
ROLES = ("web", "cti", "ivr", "worker")
#: PostgreSQL advisory lock key: one process at a time brings the schema up to date
MIGRATION_LOCK = 0x484F544C  # "HOTL"


async def serve(
    settings: Settings,
    stop: asyncio.Event,
    *,
    demo: bool = False,
    calls_per_minute: float = 0.0,
    roles: frozenset[str] = EMBEDDED,
    bridged: frozenset[str] | None = None,
) -> None:
    """Run ``roles`` (``check_roles`` first) until ``stop`` is set; ``EMBEDDED``: everything, one process.
    ``bridged``: the names of the Asterisk servers a ``cti`` role bridges (None: all of them)."""
    if roles != EMBEDDED:
        await _serve_roles(settings, stop, roles, bridged)
        return
    check_roles(settings, roles)
    if demo and len(settings.servers) > 1:
        raise ConfigError("the demo runs one Asterisk (its own); asterisk_servers lists several")
    async with contextlib.AsyncExitStack() as stack:
        bus = make_bus(settings.bus_url, settings.redis_prefix)
        stack.push_async_callback(bus.close)

        url = database_url(settings)
        engine = ticketing.create_engine(url)
        stack.push_async_callback(engine.dispose)
        await ticketing.migrate(engine)
        sessions = ticketing.sessionmaker(engine)
        if demo:
            await _seed(sessions, demo=True)  # on the engine serve already opened and migrated
            # the demo's seats write up each call after it, as a 95598 seat does
            settings = demo_inbound(
                dataclasses.replace(
                    settings, seat_pattern=SIM_SEAT, acw_seconds=settings.acw_seconds or DEMO_ACW
                )
            )
            settings = await _demo_sms_gateway(stack, settings)

        ivr_services = await _ivr_role_services(stack, settings, bus, sessions)
        if len(settings.servers) > 1:
            bridge, dialer = await _local_bridges(stack, settings, bus, sessions, ivr_services.routing.skills)
        else:
            bridge = CtiBridge(
                cti_settings(settings, ivr_services.routing.skills),
                bus,
                customer_lookup=screen_pop_hook(sessions),
            )
            await bridge.start()
            stack.push_async_callback(bridge.stop)

        await _ticketing_consumers(stack, settings, bus, sessions)
        if len(settings.servers) == 1:
            dialer = _dialer(settings, sessions, bridge, bus)
            await stack.enter_async_context(_background(dialer.run, "dialer"))

        agi = ivr.create_agi_server(ivr_services, host=settings.agi_host, port=settings.agi_port)
        await agi.start()
        stack.push_async_callback(agi.stop)

        await _web(stack, settings, bus, sessions, bridge=bridge, dialer=dialer, ivr_flows=ivr_services.flows)

        if demo:
            await stack.enter_async_context(
                _demo_activity(bridge, sessions, calls_per_minute, settings=settings)
            )
        settle_heap()
        await stop.wait()
        log.info("stopping")


def settle_heap() -> None:
    """Once a process has started everything: what startup built (modules, mappers, routes,
    caches, about 170 k objects) is moved out of the collector's sight, so that a full
    collection scans only what the running service makes. One over all of it took 70-100 ms,
    a stall for every call and tab the process serves."""
    gc.collect()
    gc.freeze()


def parse_roles(text: str) -> frozenset[str]:
    """``all`` or a comma-separated set of ``web``, ``cti``, ``ivr``, ``worker``."""
    names = {name.strip() for name in text.split(",") if name.strip()}
    if not names:
        raise ValueError("--role needs a role: all, or some of web, cti, ivr, worker")
    if "all" in names:
        if len(names) > 1:
            raise ValueError("--role all runs everything already; it does not combine with other roles")
        return EMBEDDED
    unknown = sorted(names - set(ROLES))
    if unknown:
        raise ValueError(f"unknown role(s) {', '.join(unknown)}: choose all, or some of {', '.join(ROLES)}")
    return frozenset(names)


def check_roles(settings: Settings, roles: frozenset[str], bridged: frozenset[str] | None = None) -> None:
    """Roles other than ``all`` are processes sharing state: Redis for the bus, PostgreSQL for data.
    Several Asterisk servers (``asterisk_servers``) are several bridges: on the bus of the one
    process (``all``), or each with its lock and standby (``cti``)."""
    if roles == EMBEDDED:
        if bridged:
            raise ConfigError(
                "--server picks the Asterisk servers of --role cti; --role all bridges every one"
            )
        return
    if bridged is not None:
        known = {server.name for server in settings.servers}
        if "cti" not in roles:
            raise ConfigError("--server picks the Asterisk servers a --role cti process bridges")
        if len(settings.servers) == 1 and not settings.asterisk_servers:
            raise ConfigError("--server names a server of asterisk_servers, and none is configured")
        unknown = sorted(bridged - known)
        if unknown:
            raise ConfigError(
                f"--server {', '.join(unknown)}: not in asterisk_servers ({', '.join(sorted(known))})"
            )
    named = ",".join(r for r in ROLES if r in roles)
    if not settings.bus_url.startswith(("redis://", "rediss://")):
        raise ConfigError(
            f"--role {named} needs bus_url redis://… (HOTLINE_BUS_URL): the processes share events "
            f"and commands through Redis, and {settings.bus_url!r} lives inside one process"
        )
    if not settings.database_url.startswith("postgresql"):
        raise ConfigError(
            f"--role {named} needs a PostgreSQL database_url (HOTLINE_DATABASE_URL=postgresql+asyncpg://…): "
            "SQLite is a file on one machine that takes one writer at a time, so it stays with "
            "`hotline serve --role all` (one process)"
        )


async def _serve_roles(
    settings: Settings, stop: asyncio.Event, roles: frozenset[str], bridged: frozenset[str] | None = None
) -> None:
    check_roles(settings, roles, bridged)
    log.info("roles: %s", ", ".join(r for r in ROLES if r in roles))
    async with contextlib.AsyncExitStack() as stack:
        bus = make_bus(settings.bus_url, settings.redis_prefix)
        stack.push_async_callback(bus.close)
        engine = ticketing.create_engine(settings.database_url)
        stack.push_async_callback(engine.dispose)
        await _migrate_once(engine, dispositions="cti" in roles)
        sessions = ticketing.sessionmaker(engine)

        if "worker" in roles:
            await _ticketing_consumers(stack, settings, bus, sessions)
        if "cti" in roles:
            for server in settings.servers:
                if bridged is None or server.name in bridged:
                    await _cti_role(stack, settings, bus, sessions, server)
        if "ivr" in roles:
            agi = ivr.create_agi_server(
                await _ivr_role_services(stack, settings, bus, sessions),
                host=settings.agi_host,
                port=settings.agi_port,
            )
            await agi.start()
            stack.push_async_callback(agi.stop)
        if "web" in roles:
            remote = remote_bridge(settings, bus, await _agent_servers(stack, settings, sessions))
            await remote.start()
            stack.push_async_callback(remote.stop)
            await _web(
                stack,
                settings,
                remote.console_bus,
                sessions,
                bridge=remote,
                # its status from the heartbeats the cti processes' dialers keep in Redis
                dialer=RemoteDialer(
                    remote.client,
                    redis=remote.redis,
                    prefixes={server.name: server_prefix(settings, server) for server in settings.servers},
                ),
            )
        settle_heap()
        await stop.wait()
        log.info("stopping")


async def _migrate_once(engine, *, dispositions: bool = False) -> None:
    """Several processes start together: one migrates, the others wait and find nothing to do.
    ``dispositions``: the campaigns' default 结果代码 are made here too, one process at a time:
    every active bridge's dialer makes those missing when it starts, and the dialers of several
    Asterisk servers starting together each inserted them, all but one failing on the codes'
    unique index (and retrying, campaigns.Dialer._start)."""
    async with engine.connect() as conn:
        await conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        try:
            await ticketing.migrate(engine)
            if dispositions:
                async with ticketing.sessionmaker(engine).begin() as session:
                    await campaigns.store.ensure_dispositions(session)
        finally:
            await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})


async def _local_bridges(
    stack: contextlib.AsyncExitStack, settings: Settings, bus: Bus, sessions, skills: dict[str, str]
) -> tuple[LocalBridges, LocalDialers]:
    """``--role all`` with several Asterisk servers: a bridge and a dialer per server in this
    process, and the console's bridge and dialer routing each agent to their server's."""
    server_of = await _agent_servers(stack, settings, sessions)
    bridges: dict[str, CtiBridge] = {}
    for server in settings.servers:
        bridge = CtiBridge(
            _server_cti_settings(settings, server, skills),
            bus,
            customer_lookup=screen_pop_hook(sessions),
            serves=_serves(settings, server_of, server.name),
        )
        await bridge.start()
        stack.push_async_callback(bridge.stop)
        bridges[server.name] = bridge
    async with sessions.begin() as session:
        await campaigns.store.ensure_dispositions(session)  # once, before the dialers (_migrate_once)
    dialers = {}
    for name, bridge in bridges.items():
        dialers[name] = _dialer(settings, sessions, bridge, bus, _serves(settings, server_of, name))
        await stack.enter_async_context(_background(dialers[name].run, f"dialer-{name}"))
    default = next((server.name for server in settings.servers if server.default), None)
    local = LocalBridges(bridges, server_of, default)
    return local, LocalDialers(dialers, local)


class LocalDialers:
    """The console's preview dial and skip, to the dialer beside the agent's server's bridge."""

    def __init__(self, dialers: dict[str, campaigns.Dialer], bridges: LocalBridges) -> None:
        self.dialers = dialers
        self.bridges = bridges

    def _of(self, agent_id: str) -> campaigns.Dialer:
        name = self.bridges.server_of(agent_id)
        dialer = self.dialers.get(name if name is not None else self.bridges.default or "")
        if dialer is None:
            raise DialerUnavailable(f"{agent_id}: no Asterisk server has this seat (asterisk_servers)")
        return dialer

    def status(self) -> dict[str, Any]:
        """Running when every server's dialer is; ``error``: each failing one's, by server."""
        states = {name: dialer.status() for name, dialer in self.dialers.items()}
        return {
            "running": all(state["running"] for state in states.values()),
            "error": "; ".join(
                f"{name}: {state['error']}" for name, state in states.items() if state["error"]
            ),
        }

    async def preview_dial(self, agent_id: str, contact_id: int) -> tuple[bool, str]:
        return await self._of(agent_id).preview_dial(agent_id, contact_id)

    async def preview_skip(self, agent_id: str, contact_id: int) -> bool:
        return await self._of(agent_id).preview_skip(agent_id, contact_id)


async def _agent_servers(
    stack: contextlib.AsyncExitStack, settings: Settings, sessions
) -> Callable[[str], str | None]:
    """Each agent's server's name (None: the default's), by 工号 or by their user's site (read
    now and every minute when some server lists sites, hotline.seat_sites)."""
    sites_of = None
    if settings.servers_by_site:
        seat_sites = SeatSites(sessions)
        await seat_sites.load()
        await stack.enter_async_context(_background(seat_sites.run, "seat-sites"))
        sites_of = seat_sites.sites_of
    return _server_names(settings, sites_of)


def _server_names(
    settings: Settings, sites_of: Callable[[str], tuple[str, ...]] | None
) -> Callable[[str], str | None]:
    def server_of(agent_id: str) -> str | None:
        server = settings.server_of(agent_id, sites_of(agent_id) if sites_of is not None else ())
        return None if server is None else server.name

    return server_of


def _server_settings(settings: Settings, server: AsteriskServer) -> Settings:
    """The settings of one Asterisk server's bridge: its AMI address and credentials."""
    return dataclasses.replace(
        settings,
        ami_host=server.ami_host,
        ami_port=server.ami_port,
        ami_user=server.ami_user,
        ami_secret=server.ami_secret,
        asterisk_root=settings.root_of(server),
    )


def recording_store(settings: Settings) -> RecordingStore | ServerStores:
    """Where the console finds a call's recording, voicemail or fax: with several Asterisk
    servers, on the server that had the call (its call id's systemname), under that server's
    ``asterisk_root``; faxes sent and the like stay the default server's."""
    own = RecordingStore(settings.asterisk_root)
    if len(settings.servers) < 2:
        return own
    stores = []
    for server in settings.servers:
        root = settings.root_of(server)
        stores.append(
            (server.name, server.system_name, own if root == own.asterisk_root else RecordingStore(root))
        )
    default = next((server.name for server in settings.servers if server.default), "")
    return ServerStores(stores, own, default)


def _server_cti_settings(
    settings: Settings, server: AsteriskServer, skills: dict[str, str], *, checked: bool = True
) -> CtiSettings:
    """One server's bridge's settings; ``checked``: its Asterisk must report the server's
    ``system_name`` as its systemname, or the bridge takes nothing from it (CtiBridge)."""
    bridged = cti_settings(_server_settings(settings, server), skills)
    return dataclasses.replace(bridged, system_name=server.system_name if checked else None)


def server_prefix(settings: Settings, server: AsteriskServer) -> str:
    """The Redis keys of one Asterisk's bridge (its lock, its commands), named by its AMI address."""
    return bridge_prefix(server.ami_host, server.ami_port, f"{settings.redis_prefix}:cti")


def remote_bridge(
    settings: Settings, bus: Bus, server_of: Callable[[str], str | None] | None = None, **options: Any
) -> RemoteBridge:
    """A web process's bridge: each agent's commands to the bridge of the server their seat is on
    (``server_of``: its name; by default by 工号 alone; ``_agent_servers`` adds the users' sites)."""
    servers = settings.servers
    routes = [
        Route(server.name, server_prefix(settings, server), server.address, server.default)
        for server in servers
    ]

    if len(servers) == 1:
        return RemoteBridge(settings.bus_url, bus, routes=routes, **options)
    return RemoteBridge(
        settings.bus_url, bus, routes=routes, server_of=server_of or _server_names(settings, None), **options
    )


async def _cti_role(
    stack: contextlib.AsyncExitStack, settings: Settings, bus: Bus, sessions, server: AsteriskServer
) -> None:
    """One Asterisk's bridge, its command server and the dialer, while this process holds its lock."""
    skills = _routing(settings).skills
    redis = aioredis.Redis.from_url(settings.bus_url)
    stack.push_async_callback(redis.aclose)
    prefix = server_prefix(settings, server)
    _, lock_key = keys_for(prefix)
    several = len(settings.servers) > 1
    # its dialer settles at start the preview offers of its own server's agents only, and its
    # bridge's restart takes back only theirs from the bus (the other servers' publish there too)
    serves = (
        _serves(settings, await _agent_servers(stack, settings, sessions), server.name) if several else None
    )

    @contextlib.asynccontextmanager
    async def active() -> AsyncIterator[None]:
        # The last holder may have died without a word: the consoles show the change of hands.
        await bus.publish(
            AmiConnectionChanged(connected=False, server=server.address, reason="bridge_takeover")
        )
        async with contextlib.AsyncExitStack() as term:
            bridge = CtiBridge(
                _server_cti_settings(settings, server, skills, checked=several),
                bus,
                customer_lookup=screen_pop_hook(sessions),
                serves=serves,
            )
            await bridge.start()
            term.push_async_callback(bridge.stop)
            dialer = _dialer(settings, sessions, bridge, bus, serves)
            await term.enter_async_context(_background(dialer.run, "dialer"))
            # the web processes read its status (campaigns page) from this key, gone when it stops
            heartbeat = DialerHeartbeat(redis, prefix, dialer, ttl=settings.cti_lock_seconds)
            await term.enter_async_context(_background(heartbeat.run, "dialer-heartbeat"))
            commands = CommandServer(redis, prefix, {**bridge_handlers(bridge), **dialer_handlers(dialer)})
            await commands.start()
            term.push_async_callback(commands.stop)
            yield

    standby = ActiveStandby(BridgeLock(redis, lock_key, ttl=settings.cti_lock_seconds), active)
    stopping = asyncio.Event()
    name = f"cti-standby-{server.name}" if server.name else "cti-standby"
    task = asyncio.get_running_loop().create_task(
        supervised(functools.partial(standby.run, stopping), name), name=name
    )

    async def stop_standby() -> None:
        stopping.set()  # the bridge lets go of AMI first, then the lock is given back
        await task

    stack.push_async_callback(stop_standby)


async def _ticketing_consumers(
    stack: contextlib.AsyncExitStack, settings: Settings, bus: Bus, sessions
) -> None:
    """What turns the bus into work orders, reports and messages: SLA timers, notifications, links."""
    intake = Intake()
    await intake.rebuild(bus)  # who is signed in, when the bus outlived this process (Redis)
    # and hands out what waited for nobody signed in as agents sign in; an agent signing out
    # (下班) hands their unhandled events back to it, for the colleagues still there
    intake.subscribe(bus, sessions)
    stack.push_async_callback(intake.close)
    # only the routing's queues (and the users' skills) make 未接来电: not another line's on the same Asterisk
    linker = CallLinker(sessions, intake=intake, bus=bus, queues=_routing(settings).queues)
    linker.subscribe(bus)
    stack.push_async_callback(linker.close)
    # customers' SMS the web processes stored (POST /api/sms/inbound), assigned here
    assigner = InboundAssigner(sessions, intake, bus)
    assigner.subscribe(bus)
    stack.push_async_callback(assigner.close)
    await _mail_listener(stack, settings, bus, sessions, intake)
    states = AgentStateRecorder(sessions)  # the agent report's login / ready / pause / ACW times
    states.subscribe(bus)
    stack.push_async_callback(states.close)

    await stack.enter_async_context(_background(_sla_worker(settings, sessions, bus).run, "sla-worker"))
    ami = await _fax_ami(stack, settings)
    dispatcher = _dispatcher(settings, sessions, fax_ami=ami)
    # a message goes out once its row is committed, by this process or a web process
    stack.push_async_callback(dispatcher.listen(bus).close)
    await stack.enter_async_context(_background(dispatcher.run, "notifications"))
    # "keep my place, call me back": called back in the hours the line is staffed (95598: always),
    # in a campaign named by the queue as every page names it (队列回呼 综合服务（全天）)
    campaigns.CallbackListener(
        sessions,
        hours=campaigns.staffed_hours(_routing(settings)),
        queue_names=functools.partial(Texts().queue, DEFAULT_LANGUAGE),
    ).subscribe(bus)
    # ... also those the dialplan kept itself while the AGI server was away (ivr.callback_spool)
    spool = DialplanCallbacks(ami, bus)
    await stack.enter_async_context(_background(spool.run, "dialplan-callbacks"))


async def _mail_listener(
    stack: contextlib.AsyncExitStack, settings: Settings, bus: Bus, sessions, intake: Intake
) -> MailListener | None:
    """Inbound e-mail: the SMTP listener the MTA hands the hotline's mail to, when
    ``mail_listen_port`` is set (off otherwise)."""
    if not settings.mail_listen_port:
        return None
    if not settings.mail_addresses:
        raise ConfigError(
            "mail_listen_port needs mail_recipients: the addresses whose mail the hotline takes"
        )
    listener = MailListener(
        MailHandler(
            sessions,
            intake,
            bus,
            settings.mail_addresses,
            settings.data_dir / "mail",
            attachment_max_bytes=settings.mail_attachment_max_bytes,
        ),
        settings.mail_listen_host,
        settings.mail_listen_port,
        max_bytes=settings.mail_max_bytes,
    )
    await listener.start()
    stack.push_async_callback(listener.stop)
    return listener


def _sla_worker(settings: Settings, sessions, bus: Bus) -> ticketing.SlaWorker:
    """SLA timers, and the retention of read 提醒 (``notification_retention_days``)."""
    return ticketing.SlaWorker(sessions, bus, notice_days=settings.notification_retention_days)


def _dialer(
    settings: Settings, sessions, bridge: CtiBridge, bus: Bus, serves: Callable[[str], bool] | None = None
) -> campaigns.Dialer:
    """``serves``: with several Asterisk servers, the agents whose seats are on ``bridge``'s
    (``_serves``): a dialer that starts settles only their preview offers."""
    return campaigns.Dialer(
        sessions,
        campaigns.BridgeTelephony(bridge, bus),
        bus,
        calendar=_campaign_calendar(settings),
        serves=serves,
    )


def _serves(settings: Settings, server_of: Callable[[str], str | None], name: str) -> Callable[[str], bool]:
    """Whether an agent's seat is on the server ``name``, as the console routes their 拨打 to its
    dialer (``LocalDialers``, the command channel): by ``server_of``, else the default server."""
    default = next((server.name for server in settings.servers if server.default), None)
    return lambda agent_id: (server_of(agent_id) or default) == name


async def _web(
    stack: contextlib.AsyncExitStack,
    settings: Settings,
    bus: Bus,
    sessions,
    *,
    bridge: Any,
    dialer: Any,
    ivr_flows: ivr.IvrConfig | None = None,
) -> None:
    app = create_app(
        AppServices(
            bus=bus,
            sessionmaker=sessions,
            secret_key=settings.secret_key,
            bridge=bridge,
            recordings=recording_store(settings),
            hotline_number=settings.hotline_number,
            sms_inbound_secret=settings.sms_inbound_secret,
            cookie_secure=settings.secure_cookies,
            seat_pattern=settings.seat_pattern,
            acw_seconds=float(settings.acw_seconds),
            dialer=dialer,
            campaign_calendar=_campaign_calendar(settings),
            ivr=ivr_flows or _screen_pop_flows(),
            queues=tuple(_routing(settings).queues),
        )
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    site = web.TCPSite(runner, settings.http_host, settings.http_port)
    await site.start()
    log.info("console at http://%s:%d", settings.http_host, settings.http_port)


def _screen_pop_flows() -> ivr.IvrConfig | None:
    """The IVR's menus, for the screen-pop to name a caller's choices (a web process of its own
    reads the file without the sounds and queues checks: the ivr role makes those)."""
    try:
        return ivr.load_flows(REPO / "deploy" / "ivr.yaml")
    except ivr.IvrConfigError as exc:
        log.warning("the screen-pop shows the IVR path as it is: %s", exc)
        return None


async def _fax_ami(stack: contextlib.AsyncExitStack, settings: Settings) -> AmiClient:
    """The AMI connection faxes go out on (cti.fax), and the callbacks the dialplan kept are read
    on (ivr.callback_spool): its own, so the process delivering notifications need not hold the
    bridge; user events only."""
    ami = AmiClient(
        settings.ami_host, settings.ami_port, settings.ami_user, settings.ami_secret, events="user"
    )
    await ami.start()  # connects (and reconnects) in the background
    stack.push_async_callback(ami.stop)
    return ami


def _dispatcher(settings: Settings, sessions, *, fax_ami: AmiClient | None = None) -> Dispatcher:
    email = (
        SmtpGateway(settings.smtp_host, settings.smtp_port, sender=settings.smtp_sender)
        if settings.smtp_host
        else None
    )
    sms = (
        HttpSmsGateway(
            settings.sms_gateway_url, token=settings.sms_gateway_token, sign=settings.hotline_number
        )
        if settings.sms_gateway_url
        else None
    )
    # every channel without a gateway by name (and its setting): an SMS left unsent is as
    # silent as an email
    missing = [
        f"{channel} ({setting})"
        for channel, gateway, setting in (
            ("email", email, "HOTLINE_SMTP_HOST"),
            ("SMS", sms, "HOTLINE_SMS_GATEWAY_URL"),
        )
        if gateway is None
    ]
    if missing:
        log.info("notifications: %s not configured; those messages wait in the outbox", " and ".join(missing))
    fax = None
    if fax_ami is not None:
        store = RecordingStore(settings.asterisk_root)
        fax = AsteriskFaxGateway(
            FaxSender(fax_ami, caller_id=settings.hotline_number),
            functools.partial(fax_out.document_paths, store),
        )
    return Dispatcher(
        sessions,
        sms=sms,
        email=email,
        fax=fax,
        concurrency={
            "sms": settings.sms_concurrency,
            "email": settings.email_concurrency,
            "fax": settings.fax_lines,
        },
    )


def cti_settings(settings: Settings, skill_queues: dict[str, str] | None = None) -> CtiSettings:
    """The bridge's settings from the product's (``HOTLINE_*``); the benchmarks build theirs here too."""
    return CtiSettings(
        skill_queues=dict(skill_queues or {}),
        ami_host=settings.ami_host,
        ami_port=settings.ami_port,
        ami_user=settings.ami_user,
        ami_secret=settings.ami_secret,
        asterisk_root=str(settings.asterisk_root),
        hotline_number=settings.hotline_number,
        acw_seconds=float(settings.acw_seconds),
        seat_ring_seconds=settings.seat_ring_seconds,
    )


def _campaign_calendar(settings: Settings) -> WorkCalendar:
    """The days and hours campaigns may call (each campaign narrows them with its windows)."""
    if settings.campaign_calendar:
        return WorkCalendar.from_yaml(settings.campaign_calendar)
    return WorkCalendar.china()


def _routing(settings: Settings):
    return load_routing(
        settings.routing_file or REPO / "deploy" / "routing.yaml", calendar=WorkCalendar.china()
    )


async def _ivr_role_services(stack: contextlib.AsyncExitStack, settings: Settings, bus: Bus, sessions):
    """The IVR's services, and the upkeep of its spoken outage notices while the role runs
    (ivr.notice_voice: each published notice's area and reason, when Asterisk's sounds are here)."""
    voices = notice_voices(settings.notice_voices, settings.asterisk_root, database_url(settings))
    if voices is not None:
        await stack.enter_async_context(
            _background(functools.partial(voices.run, published_notices(sessions)), "notice-voices")
        )
    return _ivr_services(settings, bus, sessions, voices)


def _ivr_services(settings: Settings, bus: Bus, sessions, voices=None) -> ivr.IvrServices:
    routing = _routing(settings)
    # With Asterisk's sounds on this machine (our chroot), a flow naming a prompt that
    # does not exist in its language stops the start with the list of what is missing.
    sounds = settings.asterisk_root / "usr/share/asterisk/sounds"
    flows = ivr.load_flows(
        REPO / "deploy" / "ivr.yaml", queues=routing.queues, sounds_dir=sounds if sounds.is_dir() else None
    )
    return ivr.IvrServices(
        routing=routing,
        flows=flows,
        bus=bus,
        profile_lookup=caller_profile_hook(sessions),
        hooks=ticketing_hooks(sessions, voices),
        store=RecordingStore(settings.asterisk_root),
    )


def demo_inbound(settings: Settings) -> Settings:
    """The demo's inbound SMS and e-mail on: a secret made for this run (unless one is set) and
    the SMTP listener on ``DEMO_MAIL_PORT`` (another free one when that is taken) for
    ``DEMO_MAIL_ADDRESS`` (unless configured)."""
    return dataclasses.replace(
        settings,
        sms_inbound_secret=settings.sms_inbound_secret or secrets.token_urlsafe(32),
        mail_listen_port=settings.mail_listen_port or _free_port(settings.mail_listen_host, DEMO_MAIL_PORT),
        mail_recipients=settings.mail_recipients or DEMO_MAIL_ADDRESS,
    )


async def _demo_sms_gateway(stack: contextlib.AsyncExitStack, settings: Settings) -> Settings:
    """The demo's SMS out, unless a gateway is configured: a simulated gateway takes them and
    reports each one delivered, failed or expired to the console (POST /api/sms/status), so the
    order pages show 已提交 / 已送达 / 发送失败 (``hotline.simulator.SmsGatewaySimulator``)."""
    if settings.sms_gateway_url or not settings.sms_inbound_secret:
        return settings
    from hotline.simulator import SmsGatewaySimulator, local_host

    gateway = SmsGatewaySimulator(
        f"http://{local_host(settings.http_host)}:{settings.http_port}/api/sms/status",
        settings.sms_inbound_secret,
    )
    url = await gateway.start()
    stack.push_async_callback(gateway.stop)
    return dataclasses.replace(settings, sms_gateway_url=url)


def _free_port(host: str, preferred: int) -> int:
    """``preferred`` when nothing listens there, else a port the system has free (a second demo
    on this machine: its own HTTP port, and a mail port of its own without being told)."""
    for port in (preferred, 0):
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise OSError(f"no free port on {host}")


def demo_messages(settings: Settings, numbers: list[str]) -> MessageSimulator:
    """The demo's customers texting and e-mailing the hotline through its own inbound paths."""
    from hotline.simulator import MessageSimulator, local_host

    return MessageSimulator(
        numbers,
        sms_url=f"http://{local_host(settings.http_host)}:{settings.http_port}/api/sms/inbound",
        sms_secret=settings.sms_inbound_secret,
        sms_per_hour=DEMO_SMS_PER_HOUR if settings.sms_inbound_secret else 0.0,
        mail_host=settings.mail_listen_host,
        mail_port=settings.mail_listen_port,
        mail_to=sorted(settings.mail_addresses)[0] if settings.mail_addresses else "",
        emails_per_hour=DEMO_EMAILS_PER_HOUR
        if settings.mail_listen_port and settings.mail_addresses
        else 0.0,
    )


@contextlib.asynccontextmanager
async def _demo_activity(
    bridge: CtiBridge, sessions, calls_per_minute: float, *, settings: Settings | None = None
) -> AsyncIterator[None]:
    """Demo agents on simulated phones, simulated callers from the demo customers, and (with
    ``settings``) their SMS and e-mails through the inbound paths."""
    from hotline.simulator import CallerSimulator
    from ticketing.models import CustomerPhone, User

    async with sessions() as session:
        numbers = list(await session.scalars(select(CustomerPhone.number).limit(300)))
        bots = {
            u.staff_no: dict(u.skills or {})
            for u in await session.scalars(select(User).where(User.staff_no.in_(DEMO_BOT_AGENTS)))
        }
        listeners = await demo_listeners(session)

    async def sign_in_bots() -> None:
        await bridge.ami.wait_connected(timeout=60)
        # The person trying the demo answers on 1001: the phone rings a few seconds (the
        # screen-pop shows), then picks up and stays until the agent hangs up in the console.
        await _sim_phone(bridge, DEMO_PERSON, ring="4", talk="hold")
        # 监听 / 耳语 / 强插 ring the supervisor's own seat: it answers and stays on the agent's
        # call until 结束监听 (a bot's 3 s talk would end every spy by itself)
        for staff_no in listeners:
            await _sim_phone(bridge, staff_no, ring="1", talk="hold")
        for n, (staff_no, skills) in enumerate(sorted(bots.items())):
            await _sim_phone(bridge, staff_no, ring=str(2 + n), talk=str(25 + 10 * n))
            result = await bridge.login(staff_no, SIM_SEAT.format(staff_no=staff_no), skills)
            if result.ok:
                await bridge.ready(staff_no)
            else:
                log.warning("demo agent %s not signed in: %s", staff_no, result)

    tasks = [asyncio.create_task(supervised(sign_in_bots, "demo-agents"), name="demo-agents")]
    if calls_per_minute > 0:
        # now and then a fax to the fax line too, its page where this Asterisk reads it
        sim = CallerSimulator(
            bridge.ami,
            numbers,
            calls_per_minute=calls_per_minute,
            faxes_per_hour=DEMO_FAXES_PER_HOUR,
            recordings=RecordingStore(bridge.settings.asterisk_root),
        )
        tasks.append(asyncio.create_task(supervised(sim.run, "demo-callers"), name="demo-callers"))
        if settings is not None:
            messages = demo_messages(settings, numbers)
            tasks.append(asyncio.create_task(supervised(messages.run, "demo-messages"), name="demo-messages"))
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        # Queue members outlive Asterisk restarts (astdb): the demo leaves none of its seats
        # behind, the person's (1001) included, however they got in, or the next run of
        # anything on this Asterisk finds agents in its queues.
        for staff_no in [*bots, DEMO_PERSON]:
            with contextlib.suppress(Exception):
                await bridge.logout(staff_no)
            seat = SIM_SEAT.format(staff_no=staff_no)
            for queue in bridge.queue_board.queues_of(seat):
                with contextlib.suppress(Exception):
                    await bridge.ami.action("QueueRemove", Queue=queue, Interface=seat)


SIM_SEAT = "Local/{staff_no}@hotline-sim-phone/n"


async def demo_listeners(session) -> list[str]:
    """The 工号 of the demo's people who may listen to calls from a seat of their own (team
    leaders and supervisors): their simulated phones answer a spy and hold it."""
    from agent_ui import roles
    from ticketing.models import User

    rows = await session.execute(select(User.staff_no, User.roles).where(User.active.is_(True)))
    return sorted(
        staff_no
        for staff_no, held in rows
        if roles.allowed(held or (), "calls.supervise") and roles.is_seated(held or ())
    )


async def _sim_phone(bridge: CtiBridge, ext: str, *, ring: str, talk: str) -> None:
    await bridge.ami.action("DBPut", Family="hotline-sim", Key=f"ring-{ext}", Val=ring)
    await bridge.ami.action("DBPut", Family="hotline-sim", Key=f"talk-{ext}", Val=talk)
