"""The ``survey`` FastAGI script: the post-call satisfaction survey (press 1 to 5).

When routing asks for it (``survey: true`` on the number's entry), the
dialplan queues the caller with ``Queue(…,c)``: after the agent hangs up the
caller stays on the line and ``[hotline-survey]`` runs this script. One key
1-5 is a score, published as ``SurveyAnswered`` (ticketing keeps it with the
call and the visit-back reports count it); anything else is asked again once,
silence ends the survey without a score.
"""

from __future__ import annotations

import logging
import time

from ivr.events import SurveyAnswered
from ivr.route import IvrServices, caller_number
from ivr.session import DIGITS, AgiSession

log = logging.getLogger(__name__)

SCORES = "12345"


class SurveyScript:
    def __init__(self, services: IvrServices, timeout_s: int = 6, attempts: int = 2) -> None:
        self.services = services
        self.timeout_s = timeout_s
        self.attempts = attempts

    async def __call__(self, session: AgiSession) -> None:
        flows = self.services.flows
        score = ""
        for _ in range(self.attempts):
            score = await self._play(session, flows.prompt("survey_question"), DIGITS)
            if not score:
                score = await session.wait_for_digit(self.timeout_s * 1000)
            if score in SCORES and score:
                break
            if score:
                await self._play(session, flows.prompt("invalid"), "")
            score = ""
        if not score:
            log.info("survey on %s: no answer", session.env.get("channel"))
            return
        call_id = await session.get_variable("${CHANNEL(linkedid)}") or session.env.get("uniqueid", "")
        await self.services.bus.publish(
            SurveyAnswered(
                call_id=call_id,
                score=int(score),
                caller=caller_number(session.env.get("callerid", "")),
                dnis=await session.get_variable("HOTLINE_DNIS"),
                queue=await session.get_variable("HOTLINE_IN_QUEUE"),
                member=await session.get_variable("MEMBERNAME"),
                member_interface=await session.get_variable("MEMBERINTERFACE"),
                answered_at=time.time(),
            )
        )
        await self._play(session, flows.prompt("survey_thanks"), "")

    @staticmethod
    async def _play(session: AgiSession, sounds: tuple[str, ...], escape: str) -> str:
        for sound in sounds:
            digit = await session.stream_file(sound, escape)
            if digit:
                return digit
        return ""
