"""Session-wide fixtures: the real Asterisk, started by the project's own script.

If an Asterisk from our chroot already runs (the demo, another session's, or a
developer's), the tests use it and leave it running; otherwise the fixture
starts one and stops it at the end of the session.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hotline.asterisk_control import OWNER_ENV, started_asterisk

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


@pytest.fixture(scope="session")
def asterisk() -> AsteriskInstance:
    instance = AsteriskInstance(
        host="127.0.0.1",
        port=int(os.environ.get("HOTLINE_AMI_PORT", "5038")),
        username=os.environ.get("HOTLINE_AMI_USER", "hotline"),
        secret=os.environ.get("HOTLINE_AMI_SECRET", "hotline-demo"),
        root=Path(os.environ.get("HOTLINE_ASTERISK_ROOT", "/var/lib/hotline/asterisk-root")),
    )
    with running_asterisk(CONTROL, instance.root):
        yield instance


@contextlib.contextmanager
def running_asterisk(control: Path, root: Path) -> Iterator[None]:
    """Asterisk running under ``root`` while the block runs: ``control start`` starts it, or
    re-installs our configs into one already running and reloads it.

    Who stops it follows who launched it, by the owner record ``hotline demo`` uses too: every
    start in the block (this one, and a test's stop and start again) runs with the block's token
    in ``HOTLINE_ASTERISK_OWNER``, which the script records only when it launches Asterisk. At the
    end it is stopped when this start launched it and what runs then was launched within the block,
    so that one that ran before, or that someone else launched meanwhile (however close in time
    to this start), is left running. ``HOTLINE_TEST_KEEP_ASTERISK`` leaves even this block's
    running, for others that share it (a session that began while another's restart test had it
    down would stop it under them)."""
    token = f"pytest-{uuid.uuid4().hex}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(OWNER_ENV, token)
        result = subprocess.run([str(control), "start"], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            pytest.fail(f"cannot start Asterisk:\n{result.stdout}{result.stderr}")
        launched_here = started_asterisk(root, token) is not None
        yield
        if not launched_here or os.environ.get("HOTLINE_TEST_KEEP_ASTERISK"):
            return
        if started_asterisk(root, token) is not None:
            subprocess.run([str(control), "stop"], capture_output=True, text=True, timeout=60)


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
