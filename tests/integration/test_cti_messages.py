"""Messages left on the line (after hours, overflow) reach the bus as async events."""

from __future__ import annotations

import pytest

from cti.call_events import VoicemailReceived
from tests.cti.harness import Story

pytestmark = pytest.mark.asterisk


async def test_a_voicemail_left_after_hours_becomes_a_voicemail_event_with_its_file(asterisk):
    async with Story(asterisk) as story:
        # The caller skips the prompt with '#' after a second (any key does), makes sound for
        # about three seconds and hangs up mid-message, the usual way to end one.
        await story.net.action(
            "Originate",
            Channel="Local/03@hotline-sim-dtmf-caller/n",
            Context="hotline-voicemail",
            Exten="95598",
            Priority=1,
            CallerID='"Li" <13700137000>',
            Variable=[
                "HOTLINE_VM_REASON=after_hours",
                "__HOTLINE_DNIS=95598",
                "SIM_DTMF=#",
                "SIM_DTMF_DELAY=1",
            ],
            Async="true",
        )
        left = await story.wait_for(VoicemailReceived, caller="13700137000", timeout=15)

    assert left.reason == "after_hours" and left.dnis == "95598"
    assert left.path.startswith(str(asterisk.root)) and left.path.endswith(f"/{left.call_id}.wav")
    assert 1.0 < left.duration < 12.0
    assert len(story.of(VoicemailReceived, call_id=left.call_id)) == 1
