"""The dialplan's way from a hotline number to the agent's phone ringing.

Every priority before ``Queue()`` costs Asterisk a channel snapshot and its events on the
way to the ring (about 0.1 ms each under load, docs/performance.md § 2), so the path is
kept short; and the routing's one test for its actions must reach each of them.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

from cti.routing import Action

DIALPLAN = Path(__file__).parents[2] / "deploy/asterisk/etc/extensions.conf"


def _context(name: str) -> list[tuple[str | None, str]]:
    """(label, application with its arguments) of each priority of a context's one extension."""
    text = DIALPLAN.read_text()
    body = re.search(rf"^\[{re.escape(name)}\]\n(.*?)(?=^\[|\Z)", text, re.S | re.M)
    assert body, name
    steps = []
    for line in body.group(1).splitlines():
        m = re.match(r"\s*(?:exten\s*=>\s*[^,]+,1|same\s*=>\s*n)(?:\((\w+)\))?,(.*)", line)
        if m:
            steps.append((m.group(1), m.group(2)))
    return steps


def _until(steps: list[tuple[str | None, str]], app: str) -> list[str]:
    path = []
    for _, step in steps:
        path.append(step)
        if step.startswith(app):
            return path
    raise AssertionError(f"no {app} in the path")


def test_the_way_to_the_ring_has_no_step_that_does_nothing_for_the_call():
    inbound = _until(_context("hotline-inbound"), "Goto(hotline-queue,")
    queue = _until(_context("hotline-queue"), "Queue(")
    path = inbound + queue
    assert not [s for s in path if s.startswith("NoOp(")], "log-only steps delay every ring"
    assert not [s for s in path if "hangup_handler_push" in s], "no hang-up handler that only returns"
    # QUEUE_PRIO gets its default in [hotline-queue], on every way into a queue
    assert not [s for s in inbound if "QUEUE_PRIO" in s]
    assert any(s.startswith("Set(QUEUE_PRIO=") for s in queue)
    assert len(path) <= 15, path


def test_every_routing_action_but_queue_has_its_own_way_out_of_hotline_inbound():
    steps = _context("hotline-inbound")
    labels = {label: step for label, step in steps if label}
    others = set(typing.get_args(Action)) - {"queue", "ivr"}  # ivr ends as one of the others
    assert others == {"hangup", "voicemail", "fax"}
    gotoifs = [s for _, s in steps if s.startswith("GotoIf(") and "HOTLINE_ACTION" in s]
    assert len(gotoifs) == 1, "one test for the routing's actions"
    tested = set(re.findall(r'"\$\{HOTLINE_ACTION\}" = "(\w+)"', gotoifs[0]))
    assert tested == others
    assert gotoifs[0].endswith("?${HOTLINE_ACTION})"), "the action names its label"
    assert labels["hangup"] == "Hangup()"
    assert labels["voicemail"] == "Goto(hotline-voicemail,${EXTEN},1)"
    assert labels["fax"] == "Goto(hotline-fax-in,${EXTEN},1)"
    # anything else (queue, or a server that is down) falls through to the queue
    after = [s for _, s in steps][[s for _, s in steps].index(gotoifs[0]) + 1]
    assert after == "Goto(hotline-queue,${HOTLINE_QUEUE},1)"
