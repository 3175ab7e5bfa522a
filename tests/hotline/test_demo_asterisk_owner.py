"""``hotline demo``, and the test session's ``asterisk`` fixture (tests/conftest.py
running_asterisk), stop at their end only the Asterisk their own start launched, and only while
that process still runs: one that ran before, or that someone stopped and started again meanwhile
(with the control script or by hand), is left running.

The control script here is deploy/asterisk/hotline-asterisk's state protocol (``<root>/
.hotline-state/pid``, and ``owner`` written only by a start that launches, removed by a stop)
around a real ``sleep`` process in place of Asterisk, so that no Asterisk is touched; its
start time is read by the real script's own ``start_time_of``."""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import textwrap
from pathlib import Path

import pytest

from hotline import cli
from hotline.config import load_settings

REAL_CONTROL = Path(cli.__file__).resolve().parent.parent / "deploy" / "asterisk" / "hotline-asterisk"


def _real_function(name: str) -> str:
    """A shell function of the real control script, as text."""
    match = re.search(rf"^{name}\(\) {{\n.*?^}}\n", REAL_CONTROL.read_text(), re.M | re.S)
    assert match, f"{REAL_CONTROL} has no {name}()"
    return match.group(0)


FAKE_CONTROL = (
    "#!/usr/bin/env bash\n"
    "set -euo pipefail\n"
    'STATE="$HOTLINE_ASTERISK_ROOT/.hotline-state"\n'
    'mkdir -p "$STATE"\n'
    + _real_function("start_time_of")
    + textwrap.dedent(
        """\
        running() { p="$(cat "$STATE/pid" 2>/dev/null)" && kill -0 "$p" 2>/dev/null; }
        kill_and_wait() {
            local s
            kill "$1"
            for _ in $(seq 100); do
                s="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
                s="${s##*) }"
                [ "${s%% *}" != Z ] || return 0  # exited; only nobody has reaped it yet
                sleep 0.05
            done
        }
        launch() {
            setsid sleep 600 </dev/null >/dev/null 2>&1 &
            p=$!
            echo "$p" >"$STATE/pid"
            echo "$p $(start_time_of "$p")" >>"$HOTLINE_ASTERISK_ROOT/launched"
        }
        case "$1" in
            start)
                if running; then echo "already running (pid $p)"; exit 0; fi
                rm -f "$STATE/owner"
                launch
                if [ -n "${HOTLINE_ASTERISK_OWNER:-}" ]; then
                    echo "$HOTLINE_ASTERISK_OWNER $p $(start_time_of "$p")" >"$STATE/owner"
                fi
                echo "started (pid $p)" ;;
            by-hand) if running; then kill_and_wait "$p"; fi; launch ;;  # killed and started again, not by the script
            stop) if running; then kill_and_wait "$p"; fi; rm -f "$STATE/pid" "$STATE/owner" ;;
            status) running ;;
        esac
        """
    )
)


@pytest.fixture
def control(tmp_path, monkeypatch):
    """Run the fake control script on a root of this test's own; every process it launched and
    that still runs is killed after the test."""
    root = tmp_path / "root"
    root.mkdir()
    script = tmp_path / "hotline-asterisk"
    script.write_text(FAKE_CONTROL)
    script.chmod(0o755)
    monkeypatch.setattr(cli, "ASTERISK_CONTROL", script)
    monkeypatch.setenv("HOTLINE_ASTERISK_ROOT", str(root))
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("HOTLINE_ASTERISK_OWNER", raising=False)

    def run(command: str, *, owner: str | None = None) -> int | None:
        """``command`` through the script, as someone other than the demo (with the environment
        the test runs in, or with ``owner``'s token); the pid then running."""
        env = os.environ if owner is None else {**os.environ, "HOTLINE_ASTERISK_OWNER": owner}
        subprocess.run([str(script), command], check=True, capture_output=True, env=env)
        return running_pid(root)

    yield run
    launched = (root / "launched").read_text().split("\n") if (root / "launched").exists() else []
    for line in filter(None, launched):
        pid, start_time = map(int, line.split())
        if _start_time(pid) == start_time:
            os.kill(pid, signal.SIGKILL)


def running_pid(root: Path) -> int | None:
    """The pid the state records, while that process runs."""
    try:
        pid = int((root / ".hotline-state" / "pid").read_text())
    except (OSError, ValueError):
        return None
    return pid if _start_time(pid) is not None else None


def _start_time(pid: int) -> int | None:
    """Process ``pid``'s start time; None when it is gone (or only its zombie is left)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return None if fields[0] == "Z" else int(fields[19])


def _demo(monkeypatch, during=lambda: None) -> int:
    """``hotline demo`` with ``during`` in place of the platform it runs until Ctrl-C; the pid of
    the Asterisk it ran with."""
    ran_with = []

    def platform(settings, **kwargs):
        ran_with.append(running_pid(settings.asterisk_root))
        during()
        return 0

    monkeypatch.setattr(cli, "_run", platform)
    args = argparse.Namespace(no_simulator=True, calls_per_minute=0.0)
    assert cli._demo(load_settings(), args) == 0
    assert ran_with[0] is not None, "the demo ran without an Asterisk"
    return ran_with[0]


def test_the_demo_stops_the_asterisk_it_started(control, monkeypatch, tmp_path):
    demos = _demo(monkeypatch)
    assert _start_time(demos) is None
    assert running_pid(tmp_path / "root") is None


def test_an_asterisk_running_before_the_demo_is_left_running(control, monkeypatch, tmp_path):
    before = control("start")
    assert _demo(monkeypatch) == before
    assert running_pid(tmp_path / "root") == before


@pytest.mark.parametrize("restart", [("stop", "start"), ("by-hand",)], ids=["by-the-script", "by-hand"])
def test_one_restarted_by_someone_else_during_the_demo_is_left_running(
    control, monkeypatch, tmp_path, restart, capsys
):
    """The old demo stopped whatever ran at its end when it had started one: here the Asterisk a
    test session (or an operator) started after stopping the demo's."""
    theirs = []

    def someone_restarts():
        demos = running_pid(tmp_path / "root")
        for command in restart:
            control(command)
        theirs.append(running_pid(tmp_path / "root"))
        assert theirs[0] not in (None, demos)

    _demo(monkeypatch, during=someone_restarts)
    assert running_pid(tmp_path / "root") == theirs[0]
    assert "left running" in capsys.readouterr().err


def test_a_reused_pid_is_not_the_demos(tmp_path):
    """The record names a pid and its start time: a process with that pid but another start time
    (the pid reused after the demo's Asterisk died) is not the demo's, and the script's
    start_time_of reads the start time as Python does."""
    from hotline.asterisk_control import StartedAsterisk, started_asterisk

    process = subprocess.Popen(["sleep", "600"])
    try:
        shell = subprocess.run(
            ["bash", "-c", _real_function("start_time_of") + f"start_time_of {process.pid}"],
            check=True,
            capture_output=True,
            text=True,
        )
        start_time = int(shell.stdout)
        assert start_time == _start_time(process.pid)
        state = tmp_path / ".hotline-state"
        state.mkdir()
        (state / "owner").write_text(f"token-1 {process.pid} {start_time}\n")
        assert started_asterisk(tmp_path, "token-1") == StartedAsterisk("token-1", process.pid, start_time)
        assert started_asterisk(tmp_path, "token-2") is None  # another start's
        (state / "owner").write_text(f"token-1 {process.pid} {start_time - 1}\n")
        assert started_asterisk(tmp_path, "token-1") is None
    finally:
        process.kill()
        process.wait()
    (state / "owner").write_text(f"token-1 {process.pid} {start_time}\n")
    assert started_asterisk(tmp_path, "token-1") is None  # gone


# -- the test session's Asterisk (tests/conftest.py) -------------------------------------------


def _session(control, tmp_path, during=lambda: None) -> int | None:
    """The ``asterisk`` fixture's block around ``during``; the pid running in it."""
    from tests.conftest import running_asterisk

    ran_with = []
    with running_asterisk(cli.ASTERISK_CONTROL, tmp_path / "root"):
        ran_with.append(running_pid(tmp_path / "root"))
        during()
    assert ran_with[0] is not None, "the session ran without an Asterisk"
    return ran_with[0]


def test_the_session_stops_the_asterisk_it_started(control, monkeypatch, tmp_path):
    monkeypatch.delenv("HOTLINE_TEST_KEEP_ASTERISK", raising=False)
    sessions = _session(control, tmp_path)
    assert _start_time(sessions) is None
    assert running_pid(tmp_path / "root") is None


def test_the_session_leaves_running_one_it_did_not_launch(control, monkeypatch, tmp_path):
    """The old fixture decided from whether AMI answered before its start: an Asterisk another
    starter had just launched (this one never answers AMI, as one still booting) it stopped."""
    monkeypatch.delenv("HOTLINE_TEST_KEEP_ASTERISK", raising=False)
    theirs = control("start", owner="another-starter")
    assert _session(control, tmp_path) == theirs
    assert running_pid(tmp_path / "root") == theirs


def test_the_session_stops_one_its_own_tests_restarted(control, monkeypatch, tmp_path):
    """A test's stop and start again (the restart stories) launches within the session."""
    monkeypatch.delenv("HOTLINE_TEST_KEEP_ASTERISK", raising=False)
    restarted = []
    _session(control, tmp_path, during=lambda: restarted.append(control("stop") or control("start")))
    assert _start_time(restarted[0]) is None
    assert running_pid(tmp_path / "root") is None


def test_the_session_leaves_one_someone_else_restarted(control, monkeypatch, tmp_path):
    monkeypatch.delenv("HOTLINE_TEST_KEEP_ASTERISK", raising=False)
    theirs = []
    _session(
        control, tmp_path, during=lambda: theirs.append(control("stop") or control("start", owner="theirs"))
    )
    assert running_pid(tmp_path / "root") == theirs[0]


def test_keep_asterisk_leaves_the_sessions_own_running(control, monkeypatch, tmp_path):
    monkeypatch.setenv("HOTLINE_TEST_KEEP_ASTERISK", "1")
    sessions = _session(control, tmp_path)
    assert running_pid(tmp_path / "root") == sessions
