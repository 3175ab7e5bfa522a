"""deploy/systemd: every unit starts a command the real CLI accepts, with roles that exist,
and the example environment file holds only real settings, enough for the roles to start.
(nginx's file is run for real in tests/agent_ui/test_behind_nginx.py.)"""

from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path

import pytest

from hotline.cli import build_parser
from hotline.config import Settings, load_settings
from hotline.runtime import check_roles, parse_roles

SYSTEMD = Path(__file__).resolve().parents[2] / "deploy/systemd"


def unit(name: str) -> dict[str, str]:
    """The unit's ``Key=value`` lines (each key once in our units)."""
    found = {}
    for line in (SYSTEMD / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", ";", "[")):
            key, value = line.split("=", 1)
            assert key not in found, f"{name}: {key} twice"
            found[key] = value
    return found


def environment() -> dict[str, str]:
    env = {}
    for line in (SYSTEMD / "hotline.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, value = line.split("=", 1)
            env[key] = value
    return env


def command(name: str, instance: str) -> list[str]:
    """The unit's ExecStart for one instance, ``${VAR}`` taken from the example environment."""
    spec = unit(name)
    assert spec["EnvironmentFile"] == "/etc/hotline/hotline.env" and spec["User"] == "hotline"
    line = spec["ExecStart"].replace("%i", instance)
    for key, value in environment().items():
        line = line.replace("${" + key + "}", value)
    argv = shlex.split(line)
    assert argv[0] == "/opt/hotline/.venv/bin/hotline", argv[0]
    return argv[1:]


@pytest.mark.parametrize("role", ["cti", "ivr", "worker", "web", "cti,ivr"])
def test_a_role_unit_starts_that_role(role):
    args = build_parser().parse_args(command("hotline@.service", role))
    assert args.command == "serve" and parse_roles(args.role) == frozenset(role.split(","))


def test_a_web_unit_serves_its_port_on_loopback_only():
    args = build_parser().parse_args(command("hotline-web@.service", "8082"))
    assert (args.command, args.role, args.host, args.port) == ("serve", "web", "127.0.0.1", 8082)
    # the ports nginx sends the seats to are ports of these units
    upstream = (SYSTEMD.parent / "nginx/hotline.conf").read_text()
    assert "server 127.0.0.1:8081;" in upstream and "server 127.0.0.1:8082;" in upstream


def test_the_retention_job_runs_daily_with_the_configured_days():
    args = build_parser().parse_args(command("hotline-retention.service", ""))
    assert args.command == "purge-recordings" and args.days == 180 and not args.dry_run
    assert unit("hotline-retention.service")["Type"] == "oneshot"
    assert unit("hotline-retention.timer")["OnCalendar"] == "*-*-* 03:30:00"


def test_the_example_environment_holds_real_settings_enough_for_every_role(tmp_path):
    env = environment()
    fields = {f"HOTLINE_{f.name.upper()}" for f in dataclasses.fields(Settings)}
    unknown = {k for k in env if k.startswith("HOTLINE_")} - fields
    assert not unknown, f"not settings: {unknown}"
    settings = load_settings(env={**env, "HOTLINE_DATA_DIR": str(tmp_path)})
    check_roles(settings, parse_roles("web,cti,ivr,worker"))  # Redis and PostgreSQL are set
    # nginx serves TLS and reaches the console on loopback: the cookie is still Secure
    assert settings.secure_cookies


def test_the_example_environment_lists_every_setting():
    # A setting left out of the example is one an installer never hears of (HOTLINE_NOTICE_VOICES
    # was): each is there, set or commented out (#HOTLINE_<SETTING>=, left to its default).
    lines = (SYSTEMD / "hotline.env.example").read_text().splitlines()
    listed = {line.lstrip("#").split("=", 1)[0] for line in lines if line.lstrip("#").startswith("HOTLINE_")}
    fields = {f"HOTLINE_{f.name.upper()}" for f in dataclasses.fields(Settings)} | {"HOTLINE_CONFIG"}
    assert not fields - listed, f"settings missing from hotline.env.example: {sorted(fields - listed)}"
    assert not listed - fields, f"not settings: {sorted(listed - fields)}"
