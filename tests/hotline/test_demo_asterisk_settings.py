"""``hotline demo`` beside an Asterisk that already runs uses it as it is when the configs
installed under its root carry the demo's settings, and otherwise refuses, naming each setting
that differs; it never rewrites that Asterisk's configs nor reloads it (the old demo re-installed
them with its own ports, under whoever had started that Asterisk).

The real control script runs here on a root of the test's own: configs written from the real
templates, and a ``sleep`` recorded as its running Asterisk (the script finds a running one by
``<root>/.hotline-state/pid``), so that no Asterisk is touched."""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

import pytest

from hotline import cli
from hotline.asterisk_control import PLACEHOLDER, setting_differences, settings_in
from hotline.config import load_settings

TEMPLATES = cli.ASTERISK_CONTROL.parent / "etc"

#: what a plain start of the script writes, with nothing in the environment
INSTALLED = {
    "AMI_PORT": "5038",
    "AGI_PORT": "4573",
    "SIP_PORT": "5060",
    "AMI_USER": "hotline",
    "AMI_SECRET": "hotline-demo",
    "SIP_SECRET": "hotline-sip-demo",
    "SIP_BIND": "127.0.0.1",
    "AMI_BIND": "127.0.0.1",
    "AMI_PERMIT": "127.0.0.1/255.255.255.255",
    "AGI_HOST": "127.0.0.1",
}


def install(root: Path, settings: dict[str, str]) -> None:
    """Our configs as a start with ``settings`` writes them under ``root``."""
    etc = root / "etc" / "asterisk"
    etc.mkdir(parents=True, exist_ok=True)
    for template in TEMPLATES.glob("*.conf"):
        text = PLACEHOLDER.sub(lambda m: settings[m.group(1)], template.read_text())
        (etc / template.name).write_text(text)


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``root`` with its content and modification time."""
    return {
        str(path.relative_to(root)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def running(tmp_path, monkeypatch):
    """A root whose Asterisk runs (a ``sleep``) with the configs a plain start installs; the
    demo's environment names that root and nothing else."""
    if os.geteuid() != 0:
        pytest.skip("the control script runs as root only")
    root = tmp_path / "root"
    (root / ".hotline-state").mkdir(parents=True)
    (root / ".hotline-provisioned").touch()
    install(root, INSTALLED)
    process = subprocess.Popen(["sleep", "600"])
    (root / ".hotline-state" / "pid").write_text(f"{process.pid}\n")
    for name in [*(f"HOTLINE_{n}" for n in INSTALLED), "HOTLINE_ASTERISK_OWNER", "HOTLINE_CONFIG"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOTLINE_ASTERISK_ROOT", str(root))
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "data"))
    yield root, process
    process.kill()
    process.wait()


def demo(monkeypatch) -> tuple[int, list[int]]:
    """``hotline demo``'s status, and the platform's runs (none when it refused)."""
    runs = []
    monkeypatch.setattr(cli, "_run", lambda settings, **kwargs: runs.append(1) or 0)
    args = argparse.Namespace(no_simulator=True, calls_per_minute=0.0)
    return cli._demo(load_settings(), args), runs


def test_one_with_the_demos_settings_is_used_as_it_is(running, monkeypatch, capfd):
    root, asterisk = running
    before = snapshot(root)
    assert demo(monkeypatch) == (0, [1])
    assert snapshot(root) == before, "the running Asterisk's configs were rewritten"
    assert asterisk.poll() is None, "the demo stopped an Asterisk it did not start"
    assert "used as it is" in capfd.readouterr().out


def test_one_with_other_settings_is_refused_each_named(running, monkeypatch, capfd):
    root, asterisk = running
    before = snapshot(root)
    monkeypatch.setenv("HOTLINE_AGI_PORT", "4600")
    monkeypatch.setenv("HOTLINE_SIP_PORT", "5070")
    monkeypatch.setenv("HOTLINE_AMI_SECRET", "the-demos-own-secret")
    status, runs = demo(monkeypatch)
    err = capfd.readouterr().err
    assert (status, runs) == (1, [])
    assert snapshot(root) == before, "the running Asterisk's configs were rewritten"
    assert asterisk.poll() is None
    lines = [line.strip() for line in err.splitlines()]
    assert "HOTLINE_AGI_PORT (extensions.conf, [globals] HOTLINE_AGI): installed 4573, wanted 4600" in lines
    assert "HOTLINE_SIP_PORT (pjsip.conf, [transport-udp] bind): installed 5060, wanted 5070" in lines
    assert (
        "HOTLINE_AMI_SECRET (manager.conf, [hotline] secret): installed another secret, "
        "wanted that of HOTLINE_AMI_SECRET"
    ) in lines
    assert not any("HOTLINE_AMI_PORT" in line or "HOTLINE_AMI_USER" in line for line in lines)
    assert "hotline-demo" not in err and "the-demos-own-secret" not in err  # secrets never shown
    assert f"HOTLINE_ASTERISK_ROOT={root}" in err and "stop" in err  # how to resolve it


def test_a_demo_whose_agi_server_listens_on_every_address_uses_it_as_it_is(running, monkeypatch, capfd):
    """The demo's AGI server listening on every address (HOTLINE_AGI_HOST=0.0.0.0, as hotline.env
    has it) is reached on loopback, as the running Asterisk was written to: no difference, and no
    0.0.0.0 handed to the script, which refuses it as an address to connect to."""
    root, _ = running
    monkeypatch.setenv("HOTLINE_AGI_HOST", "0.0.0.0")
    assert cli._asterisk_environment(load_settings())["HOTLINE_AGI_HOST"] == "127.0.0.1"
    assert demo(monkeypatch) == (0, [1])
    assert "used as it is" in capfd.readouterr().out
    monkeypatch.setenv("HOTLINE_AGI_HOST", "10.1.0.20")  # one address: Asterisk reaches it there
    assert cli._asterisk_environment(load_settings())["HOTLINE_AGI_HOST"] == "10.1.0.20"


def test_another_ami_port_or_user_is_named(tmp_path):
    install(tmp_path, {**INSTALLED, "AMI_PORT": "5039", "AMI_USER": "ops"})
    found = setting_differences(TEMPLATES, tmp_path / "etc" / "asterisk", INSTALLED)
    # the secret is read in the installed user's section, [ops]: the same, so no difference
    assert {(d.name, d.where, d.installed) for d in found} == {
        ("HOTLINE_AMI_PORT", "manager.conf, [general] port", "5039"),
        ("HOTLINE_AMI_USER", "manager.conf, the section [@AMI_USER@]", "ops"),
    }


def test_entries_written_by_hand_or_missing_are_differences(tmp_path):
    install(tmp_path, INSTALLED)
    etc = tmp_path / "etc" / "asterisk"
    pjsip = etc / "pjsip.conf"
    pjsip.write_text(pjsip.read_text().replace("bind = 127.0.0.1:5060", "bind = 0.0.0.0:5060"))
    (etc / "extensions.conf").unlink()
    manager = etc / "manager.conf"
    # an AMI user of the site's own beside ours is no difference
    manager.write_text(manager.read_text() + "\n[monitoring]\nsecret = theirs\nread = system\n")
    found = {(d.name, d.installed) for d in setting_differences(TEMPLATES, etc, INSTALLED)}
    assert found == {("HOTLINE_SIP_BIND", "0.0.0.0"), ("HOTLINE_AGI_HOST", None), ("HOTLINE_AGI_PORT", None)}


def test_the_script_writes_and_compares_every_setting_of_the_templates():
    script = cli.ASTERISK_CONTROL.read_text()
    listed = next(line for line in script.splitlines() if line.startswith("SETTINGS=("))
    assert settings_in(TEMPLATES) == set(listed.removeprefix("SETTINGS=(").removesuffix(")").split())
    assert settings_in(TEMPLATES) == set(INSTALLED)
