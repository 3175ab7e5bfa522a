"""Settings from the environment (``HOTLINE_*``), optionally from a YAML file.

Defaults give a working embedded demo: SQLite under ./var, the in-process bus,
the project's own Asterisk on loopback with the demo AMI secret.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import re
import secrets
from pathlib import Path
from typing import Any

import yaml


class ConfigError(ValueError):
    """A setting has a value Hotline cannot use."""


@dataclasses.dataclass(frozen=True)
class AsteriskServer:
    """One Asterisk of the platform and the seats on it (``asterisk_servers``).

    ``agents``: the 工号 whose seats are on this server, each a range (``5100-5199``),
    a pattern (``52*``) or one 工号; the first server listing an agent has it. ``sites``: the
    codes of the sites (单位管理) whose users' seats are on it, the sites below them included;
    a user's own site first, then the one above it, and so on. ``default``: the server of
    every agent neither names (at most one). ``system_name``: its Asterisk's
    ``systemname`` (asterisk.conf), which prefixes its call ids; servers need different
    ones, or two calls could have the same id. The AMI secret comes from
    ``HOTLINE_AMI_SECRET_<NAME>`` (else ``ami_secret``), never from this list.
    ``asterisk_root``: where this machine sees that server's filesystem (a mount or a synced copy
    of its root, or of its ``/var/spool/asterisk`` at ``<asterisk_root>/var/spool/asterisk``):
    its recordings, voicemail and faxes are looked for there (its MixMonitor writes into its own
    disk); unset: the platform's ``asterisk_root``. A server whose root is not there has its
    files answered "not reachable", not "missing". ``sip_host`` / ``sip_port``: where the other
    servers reach its SIP trunk (``hotline.asterisk_trunks``: a transfer, a consultation or a
    supervisor's spy between seats on two servers); default its ``ami_host`` and 5060.
    """

    name: str
    ami_host: str
    ami_port: int
    ami_user: str
    ami_secret: str = dataclasses.field(repr=False)
    agents: tuple[str, ...] = ()
    default: bool = False
    system_name: str = ""
    sites: tuple[str, ...] = ()
    asterisk_root: Path | None = None
    sip_host: str = ""
    sip_port: int = 5060

    @property
    def address(self) -> str:
        return f"{self.ami_host}:{self.ami_port}"

    def has_agent(self, agent_id: str) -> bool:
        return any(_agent_matches(pattern, agent_id) for pattern in self.agents)


_SERVER_NAME = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_RANGE = re.compile(r"^(\d+)-(\d+)$")
_SERVER_KEYS = {
    "name",
    "ami_host",
    "ami_port",
    "ami_user",
    "agents",
    "sites",
    "default",
    "system_name",
    "asterisk_root",
    "sip_host",
    "sip_port",
}


def _agent_matches(pattern: str, agent_id: str) -> bool:
    bounds = _RANGE.match(pattern)
    if bounds:
        low, high = bounds.groups()
        return agent_id.isdigit() and len(agent_id) == len(low) and int(low) <= int(agent_id) <= int(high)
    return fnmatch.fnmatchcase(agent_id, pattern)


@dataclasses.dataclass(frozen=True)
class Settings:
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    ami_host: str = "127.0.0.1"
    ami_port: int = 5038
    ami_user: str = "hotline"
    ami_secret: str = "hotline-demo"
    asterisk_root: Path = Path("/var/lib/hotline/asterisk-root")
    database_url: str = "sqlite+aiosqlite:///var/hotline.sqlite3"
    bus_url: str = "memory://"
    #: the start of every Redis key this installation uses (its event stream is ``<prefix>:events``)
    redis_prefix: str = "hotline"
    agi_host: str = "127.0.0.1"
    agi_port: int = 4573
    data_dir: Path = Path("var")
    routing_file: Path | None = None
    #: the working-time calendar campaigns call in (cti.calendar YAML); none: China's working days
    campaign_calendar: Path | None = None
    hotline_number: str = "95598"
    #: an agent's phone, from their 工号; the demo uses simulated phones (Local/{staff_no}@hotline-sim-phone/n)
    seat_pattern: str = "PJSIP/{staff_no}"
    secret_key: str = ""
    #: outgoing email; empty = email notifications stay queued in the outbox
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_sender: str = "hotline@localhost"
    #: the SMS gateway (HTTP POST, JSON); empty = SMS notifications stay queued
    sms_gateway_url: str = ""
    sms_gateway_token: str = ""
    #: inbound SMS (POST /api/sms/inbound): the secret the gateway signs each body with
    #: (X-Hotline-Signature: sha256=<hex HMAC-SHA256 of the body>); empty = every inbound SMS refused.
    #: Set it in the environment (HOTLINE_SMS_INBOUND_SECRET), never in a file in the repository
    sms_inbound_secret: str = dataclasses.field(default="", repr=False)
    #: inbound email: the SMTP listener the MTA hands the hotline's mail to, run by the worker role
    #: (and ``all``); port 0 = off. Only mail for ``mail_recipients`` (comma-separated addresses)
    #: is accepted, at most ``mail_max_bytes`` a message; each attachment up to
    #: ``mail_attachment_max_bytes`` is kept under <data_dir>/mail
    mail_listen_host: str = "127.0.0.1"
    mail_listen_port: int = 0
    mail_recipients: str = ""
    mail_max_bytes: int = 10 * 1024 * 1024
    mail_attachment_max_bytes: int = 5 * 1024 * 1024
    #: outbox messages sent at once per channel (one recipient's still go in turn);
    #: fax_lines: fax calls at once, as many as the trunk gives faxes
    sms_concurrency: int = 8
    email_concurrency: int = 4
    fax_lines: int = 1
    #: after-call work (话后处理): seconds an agent has after a call before the next one is offered
    #: (they may end it sooner); 0 = straight back to ready
    acw_seconds: int = 0
    #: click-to-dial and campaign calls ring the agent's own phone first, this many seconds at
    #: most; unanswered, the customer is never called (a campaign contact keeps its attempt)
    seat_ring_seconds: int = 30
    #: days a read 提醒 (screen notification) is kept; the worker deletes older read ones hourly,
    #: unread ones stay until read
    notification_retention_days: int = 90
    #: seconds a dead active bridge keeps its lock before a standby takes over (``--role cti``)
    cti_lock_seconds: int = 5
    #: the session cookie's Secure flag: "auto" sets it unless the console listens on loopback
    #: only; "yes" behind a TLS proxy that reaches it on loopback (deploy/nginx); "no" never
    cookie_secure: str = "auto"
    #: the IVR speaks an outage's 停电范围 and 停电原因 (free text) with the prompts' TTS into
    #: Asterisk's sounds: "auto" when <asterisk_root>/usr/share/asterisk/sounds is on this machine
    #: (the single-host layout), "off" never (the IVR says an outage's times only)
    notice_voices: str = "auto"
    #: several Asterisk servers behind one platform (YAML list, see ``AsteriskServer``); empty:
    #: one, at ami_host:ami_port, every seat on it
    asterisk_servers: tuple[AsteriskServer, ...] = ()

    @property
    def servers(self) -> tuple[AsteriskServer, ...]:
        """The Asterisk servers: those of ``asterisk_servers``, or the one of ``ami_*``."""
        if self.asterisk_servers:
            return self.asterisk_servers
        return (
            AsteriskServer(
                name="",
                ami_host=self.ami_host,
                ami_port=self.ami_port,
                ami_user=self.ami_user,
                ami_secret=self.ami_secret,
                default=True,
            ),
        )

    def server_of(self, agent_id: str, sites: tuple[str, ...] = ()) -> AsteriskServer | None:
        """The server an agent's seat is on: the first listing their 工号, else the one listing
        the nearest of their ``sites`` (their own site's code, then those above it), else the
        default one."""
        servers = self.servers
        for server in servers:
            if server.has_agent(agent_id):
                return server
        for site in sites:
            for server in servers:
                if site in server.sites:
                    return server
        return next((server for server in servers if server.default), None)

    def root_of(self, server: AsteriskServer) -> Path:
        """Where this machine sees ``server``'s Asterisk filesystem (its recordings, voicemail
        and faxes): its own ``asterisk_root``, else the platform's."""
        return server.asterisk_root if server.asterisk_root is not None else self.asterisk_root

    @property
    def servers_by_site(self) -> bool:
        """Whether some server lists sites: seats are routed by their users' sites (hotline.seat_sites)."""
        return any(server.sites for server in self.servers)

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure == "auto":
            return self.http_host not in ("127.0.0.1", "localhost", "::1")
        return self.cookie_secure == "yes"

    @property
    def mail_addresses(self) -> frozenset[str]:
        """``mail_recipients`` as lower-case addresses."""
        return frozenset(a.strip().lower() for a in self.mail_recipients.split(",") if a.strip())

    @property
    def recordings_dir(self) -> Path:
        return self.asterisk_root / "var/spool/asterisk/monitor/hotline"


_INT_FIELDS = {
    "http_port",
    "ami_port",
    "agi_port",
    "smtp_port",
    "mail_listen_port",
    "mail_max_bytes",
    "mail_attachment_max_bytes",
    "cti_lock_seconds",
    "acw_seconds",
    "seat_ring_seconds",
    "sms_concurrency",
    "email_concurrency",
    "fax_lines",
    "notification_retention_days",
}
_AT_LEAST_ONE = {
    "sms_concurrency",
    "email_concurrency",
    "fax_lines",
    "seat_ring_seconds",
    "notification_retention_days",
    "mail_max_bytes",
    "mail_attachment_max_bytes",
}
_NOT_NEGATIVE = {"acw_seconds", "mail_listen_port"}
_PATH_FIELDS = {"asterisk_root", "data_dir", "routing_file", "campaign_calendar"}
_CHOICES = {"cookie_secure": ("auto", "yes", "no"), "notice_voices": ("auto", "off")}


def load_settings(file: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None) -> Settings:
    """File values first, then ``HOTLINE_<FIELD>`` environment variables on top."""
    env = dict(os.environ if env is None else env)
    values: dict[str, Any] = {}
    file = file or env.get("HOTLINE_CONFIG")
    if file:
        try:
            loaded = yaml.safe_load(Path(file).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read config file {file}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"config file {file} must hold a mapping of settings")
        values.update(loaded)
    names = {f.name for f in dataclasses.fields(Settings)}
    for name in names:
        key = f"HOTLINE_{name.upper()}"
        if key in env:
            values[name] = env[key]
    unknown = set(values) - names
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    for name in list(values):
        if name in _INT_FIELDS:
            try:
                values[name] = int(values[name])
            except (TypeError, ValueError):
                raise ConfigError(f"{name} must be a whole number, got {values[name]!r}") from None
            if name in _AT_LEAST_ONE and values[name] < 1:
                raise ConfigError(f"{name} must be at least 1, got {values[name]}")
            if name in _NOT_NEGATIVE and values[name] < 0:
                raise ConfigError(f"{name} must not be negative, got {values[name]}")
        elif name in _PATH_FIELDS and values[name] is not None:
            values[name] = Path(values[name])
        elif name in _CHOICES and values[name] not in _CHOICES[name]:
            choices = ", ".join(_CHOICES[name])
            raise ConfigError(f"{name} must be one of {choices}, got {values[name]!r}")
    if "asterisk_servers" in values:
        values["asterisk_servers"] = _servers(values["asterisk_servers"], values, env)
    settings = Settings(**values)
    if settings.mail_listen_port and not settings.mail_addresses:
        raise ConfigError(
            "mail_listen_port needs mail_recipients: the addresses whose mail the hotline takes"
        )
    if not settings.secret_key:
        settings = dataclasses.replace(settings, secret_key=_local_secret(settings.data_dir))
    return settings


def _listed(name: str, key: str, value: Any) -> tuple[str, ...]:
    """A server's ``agents`` or ``sites``: a list, or one entry alone. YAML reads digits as a
    number (``sites: 440300``, a site's 行政区划代码; ``agents: 1001``), so an entry is a
    string or a whole number."""
    entries = [] if value is None else value if isinstance(value, list) else [value]
    if any(isinstance(e, bool) or not isinstance(e, str | int) for e in entries):
        raise ConfigError(f"asterisk_servers: {name}: {key} lists codes (text or digits), not {value!r}")
    return tuple(str(e).strip() for e in entries if str(e).strip())


def _servers(raw: Any, values: dict[str, Any], env: dict[str, str]) -> tuple[AsteriskServer, ...]:
    """``asterisk_servers`` checked: a list (YAML, in the file or HOTLINE_ASTERISK_SERVERS)."""
    if isinstance(raw, str):
        try:
            raw = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise ConfigError(f"asterisk_servers is not YAML: {exc}") from None
    if raw is None or raw == []:
        return ()
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise ConfigError("asterisk_servers must be a list of servers, each a mapping with name and ami_host")
    defaults = Settings()
    servers = []
    for item in raw:
        name = str(item.get("name", ""))
        if not _SERVER_NAME.match(name):
            raise ConfigError(
                f"asterisk_servers: name {name!r} must be lowercase letters, digits or _ (a letter first)"
            )
        if "ami_secret" in item:
            raise ConfigError(
                f"asterisk_servers: {name}: the AMI secret goes in HOTLINE_AMI_SECRET_{name.upper()}, "
                "not in the list"
            )
        unknown = set(item) - _SERVER_KEYS
        if unknown:
            raise ConfigError(
                f"asterisk_servers: {name}: unknown key(s) {', '.join(sorted(map(str, unknown)))}"
            )
        if not item.get("ami_host"):
            raise ConfigError(f"asterisk_servers: {name}: ami_host is missing")
        try:
            port = int(item.get("ami_port", 5038))
        except (TypeError, ValueError):
            raise ConfigError(f"asterisk_servers: {name}: ami_port must be a whole number") from None
        try:
            sip_port = int(item.get("sip_port", 5060))
        except (TypeError, ValueError):
            raise ConfigError(f"asterisk_servers: {name}: sip_port must be a whole number") from None
        if not 0 < sip_port < 65536:
            raise ConfigError(f"asterisk_servers: {name}: sip_port must be a port (1-65535)")
        agents = _listed(name, "agents", item.get("agents"))
        sites = _listed(name, "sites", item.get("sites"))
        for pattern in agents:
            bounds = _RANGE.match(pattern)
            if bounds and (len(bounds[1]) != len(bounds[2]) or int(bounds[1]) > int(bounds[2])):
                raise ConfigError(
                    f"asterisk_servers: {name}: range {pattern} needs two 工号 of one length, low first"
                )
        default = item.get("default", False)
        if not isinstance(default, bool):
            raise ConfigError(f"asterisk_servers: {name}: default must be true or false")
        if not agents and not sites and not default:
            raise ConfigError(
                f"asterisk_servers: {name}: list its agents (工号 ranges or patterns) or sites, "
                "or make it the default"
            )
        servers.append(
            AsteriskServer(
                name=name,
                ami_host=str(item["ami_host"]),
                ami_port=port,
                ami_user=str(item.get("ami_user") or values.get("ami_user") or defaults.ami_user),
                ami_secret=env.get(f"HOTLINE_AMI_SECRET_{name.upper()}")
                or str(values.get("ami_secret") or defaults.ami_secret),
                agents=agents,
                sites=sites,
                default=default,
                system_name=str(item.get("system_name") or ""),
                asterisk_root=Path(str(item["asterisk_root"])) if item.get("asterisk_root") else None,
                sip_host=str(item.get("sip_host") or item["ami_host"]),
                sip_port=sip_port,
            )
        )
    for what, key in (
        ("name", lambda s: s.name),
        ("AMI address", lambda s: s.address),
        ("system_name", lambda s: s.system_name),
    ):
        seen: dict[str, str] = {}
        for server in servers:
            value = key(server)
            if value in seen:
                extra = (
                    " (their call ids could be equal: set systemname in each Asterisk's asterisk.conf "
                    "and the same system_name here; one server may keep none)"
                    if what == "system_name"
                    else ""
                )
                raise ConfigError(
                    f"asterisk_servers: {seen[value]} and {server.name} have the same {what} {value!r}{extra}"
                )
            seen[value] = server.name
    listed: dict[str, str] = {}
    for server in servers:
        for site in server.sites:
            if site in listed:
                raise ConfigError(
                    f"asterisk_servers: site {site} is listed by {listed[site]} and {server.name}"
                )
            listed[site] = server.name
    if sum(server.default for server in servers) > 1:
        raise ConfigError("asterisk_servers: only one server may be the default")
    return tuple(servers)


def _local_secret(data_dir: Path) -> str:
    """A per-installation cookie key, made once and kept out of the repository."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
