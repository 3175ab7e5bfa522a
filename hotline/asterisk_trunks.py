"""The SIP trunks between the platform's Asterisk servers (``asterisk_servers``).

A transfer or a consultation to a colleague whose seat is on another server, and a supervisor's
spy from a seat on another server than the agent's, go over a PJSIP trunk between the two
Asterisks (``[hotline-remote-transfer]``, ``[hotline-remote-spy]`` and ``[hotline-trunk-in]`` in
deploy/asterisk/etc/extensions.conf). deploy/asterisk/hotline-asterisk writes each server's
trunks into ``pjsip_trunks.conf`` (pjsip.conf includes it) when it installs the configs:
``python -m hotline.asterisk_trunks ROOT`` prints them for the Asterisk under ROOT.

Which server that Asterisk is: the one whose ``system_name`` is the ``systemname`` in ROOT's
asterisk.conf (servers have different ones, and one may have none). Each other server is an
endpoint ``trunk-<name>`` reached at its ``sip_host``:``sip_port``; both ways authenticate with
the one trunk secret (``HOTLINE_TRUNK_SECRET``, from the environment or secrets.env, never the
settings file), and a server tells the other who it is by its From user, ``trunk-<own name>``.
With no ``asterisk_servers``, or an Asterisk that is none of them, there is no trunk.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from cti.commands.service import trunk_endpoint
from hotline.config import AsteriskServer, load_settings

CONTEXT = "hotline-trunk-in"
_SYSTEMNAME = re.compile(r"^\s*systemname\s*=>?\s*(\S+)", re.MULTILINE)


def system_name(asterisk_conf: str) -> str:
    """The ``systemname`` an asterisk.conf sets ("" for none)."""
    found = _SYSTEMNAME.search(asterisk_conf)
    return found[1] if found else ""


def this_server(servers: tuple[AsteriskServer, ...], systemname: str) -> AsteriskServer | None:
    return next((server for server in servers if server.system_name == systemname), None)


def endpoint(server: str) -> str:
    """The trunk endpoint naming ``server`` (on the others), and the From user it calls with."""
    return trunk_endpoint(server)


def trunks_conf(servers: tuple[AsteriskServer, ...], me: AsteriskServer | None, secret: str) -> str:
    """pjsip.conf sections of ``me``'s trunks to every other server."""
    if me is None or len(servers) < 2:
        return "; No other Asterisk server to reach (asterisk_servers): no trunk.\n"
    if not secret or any(c in secret for c in "\r\n;"):
        raise ValueError("HOTLINE_TRUNK_SECRET must be one line of text without ';'")
    out = [f"; The trunks of Asterisk server {me.name} to the platform's others (hotline.asterisk_trunks)."]
    for peer in servers:
        if peer.name == me.name:
            continue
        name = endpoint(peer.name)
        out += [
            "",
            f"[{name}]",
            "type = endpoint",
            f"context = {CONTEXT}",
            "disallow = all",
            "allow = alaw,ulaw",
            "direct_media = no",
            "rtp_symmetric = yes",
            f"aors = {name}",
            f"auth = {name}-in",
            f"outbound_auth = {name}-out",
            f"from_user = {endpoint(me.name)}",
            # the caller's number, not the trunk's, is the other side's caller ID
            "send_pai = yes",
            "trust_id_inbound = yes",
            "trust_id_outbound = yes",
            "",
            f"[{name}]",
            "type = aor",
            f"contact = sip:{peer.sip_host}:{peer.sip_port}",
            "",
            f"[{name}-in]",
            "type = auth",
            "auth_type = userpass",
            f"username = {name}",
            f"password = {secret}",
            "",
            f"[{name}-out]",
            "type = auth",
            "auth_type = userpass",
            f"username = {endpoint(me.name)}",
            f"password = {secret}",
        ]
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m hotline.asterisk_trunks ASTERISK_ROOT", file=sys.stderr)
        return 2
    conf = Path(argv[1]) / "etc/asterisk/asterisk.conf"
    try:
        systemname = system_name(conf.read_text(encoding="utf-8"))
    except OSError as exc:
        print(f"cannot read {conf}: {exc}", file=sys.stderr)
        return 1
    try:
        # HOTLINE_CONFIG's servers, or HOTLINE_ASTERISK_SERVERS'. A cookie key given, so that this
        # (run as root by the control script) never makes the web's own key file (load_settings)
        env = {**os.environ, "HOTLINE_SECRET_KEY": "not-used-here"}
        servers = load_settings(env=env).asterisk_servers
        me = this_server(servers, systemname)
        sys.stdout.write(trunks_conf(servers, me, os.environ.get("HOTLINE_TRUNK_SECRET", "")))
    except ValueError as exc:  # ConfigError too
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
