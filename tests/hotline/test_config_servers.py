"""``asterisk_servers``: several Asterisk servers and the agents on each (hotline.config)."""

from __future__ import annotations

import pytest

from hotline.config import ConfigError, load_settings
from hotline.runtime import EMBEDDED, check_roles

TWO = """
- {name: gz, ami_host: 10.1.0.10, agents: ["5100-5199", "1001"]}
- {name: sz, ami_host: 10.2.0.10, ami_port: 5039, ami_user: bridge-sz, agents: ["52*"], system_name: sz}
"""


def settings(tmp_path, servers: str | None = TWO, **env: str):
    values = {"HOTLINE_DATA_DIR": str(tmp_path), **env}
    if servers is not None:
        values["HOTLINE_ASTERISK_SERVERS"] = servers
    return load_settings(env=values)


def test_servers_have_their_agents_by_range_pattern_or_number_and_secrets_from_the_environment(tmp_path):
    s = settings(tmp_path, HOTLINE_AMI_SECRET="shared", HOTLINE_AMI_SECRET_SZ="sz-secret")
    gz, sz = s.servers
    assert (gz.address, gz.ami_user, gz.ami_secret) == ("10.1.0.10:5038", "hotline", "shared")
    assert (sz.address, sz.ami_user, sz.ami_secret) == ("10.2.0.10:5039", "bridge-sz", "sz-secret")
    assert "sz-secret" not in repr(s.servers)
    assert s.server_of("5150") is gz and s.server_of("1001") is gz
    assert s.server_of("5201") is sz and s.server_of("52001") is sz
    # a 工号 of another length is not in the range; nobody else's server: none (refused as no_server)
    assert s.server_of("51000") is None and s.server_of("1002") is None


def test_the_default_server_has_every_agent_no_list_names(tmp_path):
    s = settings(
        tmp_path,
        "[{name: a, ami_host: h1, agents: ['2001']}, {name: b, ami_host: h2, default: true, system_name: b}]",
    )
    assert s.server_of("2001").name == "a"
    assert s.server_of("1001").name == "b"


def test_without_servers_there_is_the_one_of_ami_host_and_port_as_before(tmp_path):
    s = settings(tmp_path, None, HOTLINE_AMI_HOST="10.0.0.5", HOTLINE_AMI_PORT="5040")
    (only,) = s.servers
    assert (only.name, only.address, only.default) == ("", "10.0.0.5:5040", True)
    assert s.server_of("5101") == only
    check_roles(s, EMBEDDED)  # --role all as before


@pytest.mark.parametrize(
    ("servers", "says"),
    [
        ("[{name: gz, ami_host: h}]", "list its agents"),
        ("[{name: GZ, ami_host: h, default: true}]", "lowercase"),
        ("[{name: gz, ami_host: h, default: true, ami_secret: x}]", "HOTLINE_AMI_SECRET_GZ"),
        ("[{name: gz, default: true}]", "ami_host is missing"),
        ("[{name: gz, ami_host: h, agents: ['5199-5100']}]", "low first"),
        ("[{name: gz, ami_host: h, agents: ['1'], seats: x}]", "unknown key"),
        (
            "[{name: a, ami_host: h, agents: ['1']}, {name: a, ami_host: i, agents: ['2'], system_name: x}]",
            "same name",
        ),
        (
            "[{name: a, ami_host: h, agents: ['1']}, {name: b, ami_host: h, agents: ['2'], system_name: x}]",
            "same AMI address",
        ),
        # two servers without a systemname: their call ids could be equal
        ("[{name: a, ami_host: h, agents: ['1']}, {name: b, ami_host: i, agents: ['2']}]", "systemname"),
        (
            "[{name: a, ami_host: h, default: true}, {name: b, ami_host: i, default: true, system_name: b}]",
            "only one server may be the default",
        ),
        ("name: gz", "must be a list"),
    ],
)
def test_a_list_an_admin_got_wrong_is_refused_with_what_to_fix(tmp_path, servers, says):
    with pytest.raises(ConfigError, match=says):
        settings(tmp_path, servers)


def test_several_servers_are_bridged_by_cti_processes_or_the_one_embedded_process(tmp_path):
    s = settings(
        tmp_path,
        HOTLINE_BUS_URL="redis://127.0.0.1:6379/0",
        HOTLINE_DATABASE_URL="postgresql+asyncpg://h/db",
    )
    check_roles(s, EMBEDDED)  # a bridge per server in the one process (cti.local_bridges)
    with pytest.raises(ConfigError, match="--role all bridges every one"):
        check_roles(s, EMBEDDED, frozenset({"sz"}))
    check_roles(s, frozenset({"web", "cti"}))
    check_roles(s, frozenset({"cti"}), frozenset({"sz"}))
    with pytest.raises(ConfigError, match="not in asterisk_servers"):
        check_roles(s, frozenset({"cti"}), frozenset({"bj"}))
    with pytest.raises(ConfigError, match="--server picks"):
        check_roles(s, frozenset({"web"}), frozenset({"sz"}))
