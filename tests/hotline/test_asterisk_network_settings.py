"""The control script's network settings: where Asterisk's SIP transport and AMI listen
(``HOTLINE_SIP_BIND``, ``HOTLINE_AMI_BIND``), the networks AMI lets sign in
(``HOTLINE_AMI_PERMIT``) and where Asterisk reaches the ivr role's FastAGI server
(``HOTLINE_AGI_HOST``). Loopback unless given, so the demo and the tests write the configs they
always did; a server of several gives its own addresses (docs/decisions/0007). Written into the
installed configs, read back by ``start --use-running``, and refused, named, before anything is
touched when a value is no address.

The real script runs on a root of the test's own, with a ``sleep`` recorded as its running
Asterisk, so that a start re-installs the configs and reloads. ``chroot`` (Asterisk's own chown,
reload and stop, inside the root) is a stand-in on PATH that records what it was asked, and the
IVR's prompts are marked as spoken already; no Asterisk is touched."""

from __future__ import annotations

import os
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from hotline import cli
from hotline.asterisk_control import setting_differences
from ivr import prompts
from tests.hotline.test_demo_asterisk_settings import INSTALLED, TEMPLATES, snapshot

#: what a server of several gives: SIP on every address, AMI on its own, the cti role's bridges'
#: networks (dotted and as a prefix), the ivr role's host
SERVER_OF_SEVERAL = {
    "SIP_BIND": "0.0.0.0",
    "AMI_BIND": "10.1.0.10",
    "AMI_PERMIT": "10.1.0.0/255.255.255.0,10.9.0.0/16",
    "AGI_HOST": "10.1.0.20",
}


class Root:
    """A root of the test's own and the control script run on it."""

    def __init__(self, path: Path, stand_ins: Path, asterisk: subprocess.Popen) -> None:
        self.path = path
        self.asterisk = asterisk
        self.chroot_log = stand_ins / "chroot.log"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
        self.env.update(PATH=f"{stand_ins}{os.pathsep}{os.environ['PATH']}", HOTLINE_ASTERISK_ROOT=str(path))

    def control(self, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
        """The script's run with ``args``, each of ``settings`` given as ``HOTLINE_<NAME>``."""
        env = {**self.env, **{f"HOTLINE_{name}": value for name, value in settings.items()}}
        return subprocess.run(
            [str(cli.ASTERISK_CONTROL), *args], env=env, text=True, capture_output=True, timeout=60
        )

    def line(self, config: str, starting: str) -> str:
        """The installed ``config``'s one line that starts with ``starting``."""
        lines = (self.path / "etc" / "asterisk" / config).read_text().splitlines()
        [found] = [line for line in lines if line.startswith(starting)]
        return found

    def chroot_calls(self) -> list[str]:
        return self.chroot_log.read_text().splitlines() if self.chroot_log.exists() else []


@pytest.fixture
def root(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("the control script runs as root only")
    path = tmp_path / "root"
    (path / ".hotline-state").mkdir(parents=True)
    (path / ".hotline-provisioned").touch()
    (path / "etc" / "asterisk").mkdir(parents=True)
    (path / "etc" / "asterisk" / "asterisk.conf").write_text("[options]\n")  # provision.sh's, no systemname
    sounds = path / "usr" / "share" / "asterisk" / "sounds"
    for catalogue in prompts.with_withheld_variants(prompts.catalogues()):
        stamp = prompts.fingerprint(catalogue, prompts.recordings(prompts.RECORDED_DIR, catalogue.language))
        (sounds / catalogue.language).mkdir(parents=True, exist_ok=True)
        (sounds / catalogue.language / prompts.STAMP).write_text(stamp + "\n")
    stand_ins = tmp_path / "bin"
    stand_ins.mkdir()
    chroot = stand_ins / "chroot"
    chroot.write_text(f'#!/bin/sh\necho "$*" >>{stand_ins / "chroot.log"}\n')
    chroot.chmod(0o755)
    asterisk = subprocess.Popen(["sleep", "600"])
    (path / ".hotline-state" / "pid").write_text(f"{asterisk.pid}\n")
    yield Root(path, stand_ins, asterisk)
    asterisk.kill()
    asterisk.wait()


def test_a_plain_start_writes_the_loopback_lines_it_always_wrote(root):
    result = root.control("start")
    assert result.returncode == 0, result.stderr
    assert "configs re-installed and reloaded" in result.stdout
    assert root.line("pjsip.conf", "bind =") == "bind = 127.0.0.1:5060"
    assert root.line("manager.conf", "bindaddr =") == "bindaddr = 127.0.0.1"
    assert root.line("manager.conf", "permit =") == "permit = 127.0.0.1/255.255.255.255"
    assert root.line("extensions.conf", "HOTLINE_AGI =") == "HOTLINE_AGI = agi://127.0.0.1:4573"
    assert setting_differences(TEMPLATES, root.path / "etc" / "asterisk", INSTALLED) == []


def test_given_addresses_are_written_and_read_back(root):
    result = root.control("start", **SERVER_OF_SEVERAL)
    assert result.returncode == 0, result.stderr
    assert root.line("pjsip.conf", "bind =") == "bind = 0.0.0.0:5060"
    assert root.line("manager.conf", "bindaddr =") == "bindaddr = 10.1.0.10"
    # Asterisk reads a comma-separated permit as one network after another
    assert root.line("manager.conf", "permit =") == "permit = 10.1.0.0/255.255.255.0,10.9.0.0/16"
    assert root.line("extensions.conf", "HOTLINE_AGI =") == "HOTLINE_AGI = agi://10.1.0.20:4573"
    etc = root.path / "etc" / "asterisk"
    assert setting_differences(TEMPLATES, etc, {**INSTALLED, **SERVER_OF_SEVERAL}) == []
    # bind = @SIP_BIND@:@SIP_PORT@ read back as its two settings, each its own part
    assert {(d.name, d.installed, d.wanted) for d in setting_differences(TEMPLATES, etc, INSTALLED)} == {
        ("HOTLINE_SIP_BIND", "0.0.0.0", "127.0.0.1"),
        ("HOTLINE_AMI_BIND", "10.1.0.10", "127.0.0.1"),
        ("HOTLINE_AMI_PERMIT", "10.1.0.0/255.255.255.0,10.9.0.0/16", "127.0.0.1/255.255.255.255"),
        ("HOTLINE_AGI_HOST", "10.1.0.20", "127.0.0.1"),
    }


def test_one_running_on_loopback_is_refused_by_a_start_listening_on_every_address(root):
    assert root.control("start").returncode == 0
    before, calls = snapshot(root.path), len(root.chroot_calls())
    result = root.control("start", "--use-running", SIP_BIND="0.0.0.0")
    assert result.returncode == 4
    lines = [line.strip() for line in result.stderr.splitlines()]
    assert "HOTLINE_SIP_BIND (pjsip.conf, [transport-udp] bind): installed 127.0.0.1, wanted 0.0.0.0" in lines
    assert not any("HOTLINE_SIP_PORT" in line for line in lines)  # the port in the same value is the same
    assert snapshot(root.path) == before, "the running Asterisk's configs were rewritten"
    assert len(root.chroot_calls()) == calls, "the running Asterisk was reloaded"
    assert root.asterisk.poll() is None


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("SIP_BIND", "10.0.0.256", "HOTLINE_SIP_BIND must be the IPv4 address SIP listens on"),
        ("SIP_BIND", "010.0.0.1", "HOTLINE_SIP_BIND must be the IPv4 address SIP listens on"),
        ("AMI_BIND", "ami.example.org", "HOTLINE_AMI_BIND must be the IPv4 address AMI listens on"),
        ("AMI_PERMIT", "10.0.0.0", "HOTLINE_AMI_PERMIT must be the networks allowed to sign in to AMI"),
        ("AMI_PERMIT", "10.0.0.0/24,", "HOTLINE_AMI_PERMIT must be the networks allowed to sign in to AMI"),
        ("AMI_PERMIT", "10.0.0.0/33", "HOTLINE_AMI_PERMIT must be the networks allowed to sign in to AMI"),
        ("AMI_PERMIT", "10.0.0.0/24|g", "HOTLINE_AMI_PERMIT holds | & \\ ; or a line break"),
        ("AGI_HOST", "0.0.0.0", "HOTLINE_AGI_HOST must be the IPv4 address Asterisk reaches"),
        ("AGI_HOST", "10.0.0.1\nx", "HOTLINE_AGI_HOST holds | & \\ ; or a line break"),
        ("AMI_SECRET", "half;the-rest", "HOTLINE_AMI_SECRET holds | & \\ ; or a line break"),
    ],
)
def test_a_value_no_config_can_carry_is_refused_before_anything_is_touched(root, name, value, said):
    before = snapshot(root.path)
    result = root.control("start", **{name: value})
    assert result.returncode == 1
    assert result.stderr.startswith(f"hotline-asterisk: {said}")
    assert "half" not in result.stderr  # a secret is named, never shown
    assert snapshot(root.path) == before, "configs were installed"
    assert root.chroot_calls() == [], "Asterisk was asked something"


def test_a_restart_with_a_bad_value_leaves_the_running_asterisk_running(root):
    result = root.control("restart", AMI_BIND="10.0.0")
    assert result.returncode == 1
    assert "HOTLINE_AMI_BIND must be" in result.stderr
    assert root.asterisk.poll() is None, "the running Asterisk was stopped"
    assert root.chroot_calls() == []


@pytest.mark.parametrize(("ami_bind", "banner_at"), [("0.0.0.0", "127.0.0.1"), ("127.0.0.2", "127.0.0.2")])
def test_the_banner_check_reaches_ami_where_it_listens(root, ami_bind, banner_at):
    """The script's own look at AMI (status, and a start's wait for the boot) reads its banner at
    the address AMI listens on, or on loopback when AMI listens on every address."""
    with ami_banner(banner_at) as port:
        result = root.control("status", AMI_BIND=ami_bind, AMI_PORT=str(port))
    assert result.stdout.strip().endswith(f"AMI answers on {banner_at}:{port}")


class ami_banner:
    """A listener on ``host`` that greets each connection as AMI does; its port."""

    def __init__(self, host: str) -> None:
        self.server = socket.create_server((host, 0))
        self.thread = threading.Thread(target=self._greet, daemon=True)

    def _greet(self) -> None:
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            with connection:
                connection.sendall(b"Asterisk Call Manager/11.0.0\r\n")

    def __enter__(self) -> int:
        self.thread.start()
        return self.server.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown(socket.SHUT_RDWR)  # wakes the accept: close alone may not
        self.server.close()
