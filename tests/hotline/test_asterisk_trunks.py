"""The trunks between the platform's Asterisk servers, as hotline-asterisk writes them
(``hotline.asterisk_trunks``) from ``asterisk_servers``."""

from __future__ import annotations

import pytest

from hotline.asterisk_trunks import system_name, this_server, trunks_conf
from hotline.config import ConfigError, load_settings

SERVERS = """
asterisk_servers:
  - {name: gz, ami_host: 10.1.0.10, agents: ["51*"], system_name: gz, sip_port: 5070}
  - {name: sz, ami_host: 10.2.0.10, sip_host: 10.2.0.11, agents: ["52*"], system_name: sz}
  - {name: hq, ami_host: 10.0.0.10, default: true}
"""


def _servers(tmp_path, text: str = SERVERS):
    config = tmp_path / "hotline.yaml"
    config.write_text(text)
    return load_settings(config, env={}).asterisk_servers


def _sections(conf: str) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    name = ""
    for line in conf.splitlines():
        if line.startswith("["):
            name = line.strip("[]")
            out.setdefault(name, []).append({})
        elif " = " in line and name:
            key, value = line.split(" = ", 1)
            out[name][-1][key] = value
    return out


def test_each_server_has_a_trunk_to_every_other_one_authenticated_both_ways(tmp_path):
    servers = _servers(tmp_path)
    assert [(s.sip_host, s.sip_port) for s in servers] == [
        ("10.1.0.10", 5070),
        ("10.2.0.11", 5060),
        ("10.0.0.10", 5060),
    ]
    me = this_server(servers, "gz")
    conf = _sections(trunks_conf(servers, me, "s3cret"))
    assert sorted(conf) == sorted(
        f"trunk-{peer}{part}" for peer in ("sz", "hq") for part in ("", "-in", "-out")
    )
    endpoint, aor = conf["trunk-sz"]
    assert endpoint["type"] == "endpoint" and endpoint["context"] == "hotline-trunk-in"
    # the other side knows this server by its From user, and each side challenges the other
    assert (endpoint["from_user"], endpoint["auth"], endpoint["outbound_auth"]) == (
        "trunk-gz",
        "trunk-sz-in",
        "trunk-sz-out",
    )
    assert aor == {"type": "aor", "contact": "sip:10.2.0.11:5060"}
    assert conf["trunk-sz-in"][0]["username"] == "trunk-sz"
    assert conf["trunk-sz-out"][0]["username"] == "trunk-gz"
    assert {conf[f"trunk-sz{p}"][0]["password"] for p in ("-in", "-out")} == {"s3cret"}
    # the default server, without a systemname, is the Asterisk whose asterisk.conf sets none
    assert this_server(servers, "").name == "hq"


def test_one_server_or_an_asterisk_no_server_names_has_no_trunk(tmp_path):
    servers = _servers(tmp_path)
    assert "[" not in trunks_conf(servers, this_server(servers, "elsewhere"), "s3cret")
    assert "[" not in trunks_conf((), None, "s3cret")


def test_the_trunk_secret_is_one_line_and_the_port_a_port(tmp_path):
    servers = _servers(tmp_path)
    with pytest.raises(ValueError, match="HOTLINE_TRUNK_SECRET"):
        trunks_conf(servers, servers[0], "a\nb")
    with pytest.raises(ConfigError, match="sip_port"):
        _servers(tmp_path, SERVERS.replace("sip_port: 5070", "sip_port: 99999"))


def test_the_systemname_of_an_asterisk_conf():
    assert system_name("[directories]\n[options]\nsystemname = hotline2\nverbose = 3\n") == "hotline2"
    assert system_name("[options]\n;systemname = x\n") == ""
