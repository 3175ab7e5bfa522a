"""Session-wide fixtures: the real Asterisk, started by the project's own script.

If an Asterisk from our chroot already answers AMI (the demo, or a developer's
running instance), the tests use it and leave it running; otherwise the
fixture starts one and stops it at the end of the session.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

# Before ticketing.users is imported, and inherited by every server the tests start: argon2 at
# production cost on each sign-in and user made was minutes of the suite (=0 in the environment
# keeps it). test_password_hashing checks that everything else hashes at production cost.
os.environ.setdefault("HOTLINE_TEST_CHEAP_PASSWORD_HASH", "1")

REPO = Path(__file__).resolve().parent.parent
CONTROL = REPO / "deploy" / "asterisk" / "hotline-asterisk"


@dataclass(frozen=True)
class AsteriskInstance:
    host: str
    port: int
    username: str
    secret: str
    root: Path

    def host_path(self, chroot_path: str) -> Path:
        """Where a file Asterisk wrote inside its chroot lives on this machine."""
        return self.root / chroot_path.lstrip("/")

    def cli(self, command: str) -> str:
        return subprocess.run(
            [str(CONTROL), "cli", command], check=True, capture_output=True, text=True, timeout=30
        ).stdout


def _ami_answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1) as sock:
            return sock.recv(64).startswith(b"Asterisk Call Manager")
    except OSError:
        return False


@pytest.fixture(scope="session")
def asterisk() -> AsteriskInstance:
    instance = AsteriskInstance(
        host="127.0.0.1",
        port=int(os.environ.get("HOTLINE_AMI_PORT", "5038")),
        username=os.environ.get("HOTLINE_AMI_USER", "hotline"),
        secret=os.environ.get("HOTLINE_AMI_SECRET", "hotline-demo"),
        root=Path(os.environ.get("HOTLINE_ASTERISK_ROOT", "/var/lib/hotline/asterisk-root")),
    )
    was_running = _ami_answers(instance.host, instance.port)
    # start is idempotent: on a running instance it re-installs our configs and reloads.
    result = subprocess.run([str(CONTROL), "start"], capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        pytest.fail(f"cannot start Asterisk:\n{result.stdout}{result.stderr}")
    yield instance
    # A session that started Asterisk stops it, unless others share it: a session that began
    # while another's restart test had it down would otherwise stop it under the others.
    if not was_running and not os.environ.get("HOTLINE_TEST_KEEP_ASTERISK"):
        subprocess.run([str(CONTROL), "stop"], capture_output=True, text=True, timeout=60)


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "asterisk" in getattr(item, "fixturenames", ()) or item.nodeid.startswith("tests/integration/"):
            item.add_marker(pytest.mark.asterisk)
    _tell_the_scheduler(config, items)


# `make test` runs two pytest-xdist workers: every test that places calls on the one shared
# Asterisk (its queues, seats and AGI port are shared state) runs in one worker, in file order,
# while the other worker takes the tests that need no Asterisk. xdist's own --dist loadgroup
# cannot do it under pytest 9 (it marks a group by renaming item._nodeid, which pytest 9 no
# longer reads), so the workers write which tests are on the Asterisk into a file the
# controller's scheduler reads: only the workers see the fixtures a test uses.
ON_THE_SHARED_ASTERISK = "telephony"
TELEPHONY_LIST = "HOTLINE_TEST_TELEPHONY_LIST"


def pytest_configure(config):
    if getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        listing = Path(tempfile.mkdtemp(prefix="hotline-xdist-")) / "telephony.json"
        os.environ[TELEPHONY_LIST] = str(listing)  # inherited by the workers it starts


def _tell_the_scheduler(config, items) -> None:
    listing = os.environ.get(TELEPHONY_LIST)
    if not listing or not hasattr(config, "workerinput"):
        return
    nodeids = [item.nodeid for item in items if item.get_closest_marker("asterisk")]
    partial = Path(f"{listing}.{config.workerinput['workerid']}")
    partial.write_text(json.dumps(nodeids))
    os.replace(partial, listing)  # both workers write the same list; never half of one


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class OneWorkerForTheAsterisk(LoadScopeScheduling):
        """Every test its own unit of work, except those on the Asterisk: one unit, one worker."""

        telephony: frozenset[str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.telephony is None:  # read once the workers have collected: at schedule()
                self.telephony = frozenset(json.loads(Path(os.environ[TELEPHONY_LIST]).read_text()))
            return ON_THE_SHARED_ASTERISK if nodeid in self.telephony else nodeid

    return OneWorkerForTheAsterisk(config, log)


# Stories on the one shared Asterisk race its timing now and then (a redirect still
# in flight, an event read a moment late). Such a test gets one more try, and the
# rerun is reported ("R" in the summary) so flakiness stays visible; a real
# failure fails twice. Unit tests never rerun.
RERUNS_ON_ASTERISK = 1


def pytest_collection_finish(session):
    for item in session.items:
        if item.get_closest_marker("asterisk") or item.get_closest_marker("browser"):
            if not item.get_closest_marker("flaky"):
                item.add_marker(pytest.mark.flaky(reruns=RERUNS_ON_ASTERISK, reruns_delay=1))
