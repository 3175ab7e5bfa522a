"""Running an IVR flow on one call: menus, digits, the path, and where the caller ends up.

``run_flow`` plays menus and follows the caller's choices until the call must
leave the IVR: to a queue, to voicemail, or to hang-up. Every choice is added
to the call's IVR path, which goes on the channel (``HOTLINE_IVR_PATH``) and
into a ``UserEvent(HotlineIvr)`` so the CTI bridge can put it on the call.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence

from cti.bus import Bus
from ivr import selfservice
from ivr.flows import DATETIME_FORMATS, DEFAULT_LANGUAGE, Flow, IvrConfig, Step
from ivr.selfservice import SelfServiceHooks
from ivr.session import DIGITS, AgiSession
from recordings.store import RecordingStore

log = logging.getLogger(__name__)

PATH_SEPARATOR = "/"
MAX_MENU_VISITS = 30
# Wrong entries in the self-service steps (half a number, a lone # where a number is
# due, nothing found) before the caller is handed to an agent: no endless guessing.
MAX_WRONG_ENTRIES = 3
# The entries where # alone is an answer (the prompt says so): the caller's own number.
EMPTY_ANSWERS = {"enter_ticket"}
# The data hook each self-service step asks (SelfServiceHooks' fields).
STEP_HOOKS = {"outage": "outage_lookup", "bill": "bill_lookup", "ticket_status": "ticket_status"}


def offered(step: Step, hooks: SelfServiceHooks) -> bool:
    """Whether a choice can be taken: a lookup with no data behind it is not offered at all,
    so a caller never keys a whole 户号 only to hear "unavailable" (QA F8)."""
    hook = STEP_HOOKS.get(step.kind)
    return hook is None or getattr(hooks, hook) is not None


@dataclasses.dataclass(frozen=True)
class FlowOutcome:
    """Where the caller leaves the IVR: kind is queue | voicemail | hangup."""

    kind: str
    queue: str = ""


@dataclasses.dataclass
class IvrCall:
    session: AgiSession
    ivr_config: IvrConfig
    hooks: SelfServiceHooks
    bus: Bus
    store: RecordingStore
    call_id: str
    caller: str
    dnis: str
    flow: str = ""
    entered_at: float = 0.0
    priority: int = 0
    customer_id: str = ""
    callback_queue: str = ""
    timezone: str = "Asia/Shanghai"
    language: str = DEFAULT_LANGUAGE
    path: list[str] = dataclasses.field(default_factory=list)
    used: list[str] = dataclasses.field(default_factory=list)
    pending_notes: list[str] = dataclasses.field(default_factory=list)
    wrong_entries: int = 0
    to_agent: bool = False  # a step found it cannot serve the caller: an agent's queue, not goodbye
    now: Callable[[], float] = time.time  # epoch seconds: which outages have begun

    @property
    def too_many_wrong(self) -> bool:
        return self.wrong_entries >= MAX_WRONG_ENTRIES

    @property
    def datetime_format(self) -> str:
        """How SAY DATETIME reads a time in the call's language (say.c's format letters)."""
        return DATETIME_FORMATS.get(self.language.split("_")[0], DATETIME_FORMATS["en"])

    async def play(self, sounds: Sequence[str], escape: str = "") -> str:
        """Play sounds in order; stop at the first digit in ``escape`` and return it."""
        for sound in sounds:
            digit = await self.session.stream_file(sound, escape)
            if digit:
                return digit
        return ""

    async def play_prompt(self, key: str, escape: str = "") -> str:
        return await self.play(self.ivr_config.prompt(key), escape)

    async def collect(
        self, prompt_key: str, max_digits: int, timeout_s: int = 6, empty_ok: bool | None = None
    ) -> str | None:
        """Ask for digits ended by #; the prompts stop at the first digit.

        * restarts the entry (what follows the last * is the number). Half a number
        (the caller stopped keying) or a lone # where that is no answer is wrong: the
        caller hears so and is asked again, each counting towards ``MAX_WRONG_ENTRIES``.
        Returns the digits, '' for "#" alone (``empty_ok``, by default for ``EMPTY_ANSWERS``
        only), or None when the caller pressed nothing or has had too many wrong entries.
        """
        for _ in range(MAX_WRONG_ENTRIES * 2):  # * restarts are bounded too
            first = await self.play_prompt(prompt_key, DIGITS)
            if not first:
                first = await self.session.wait_for_digit(timeout_s * 1000)
            if not first:
                return None
            digits, timed_out = first, False
            if first != "#" and max_digits > 1:
                rest, timed_out = await self.session.get_data("silence/1", timeout_s * 1000, max_digits - 1)
                digits += rest
            if "*" in digits:
                # What follows the last * is the entry; a * and nothing after it: ask afresh.
                digits = digits.rsplit("*", 1)[1]
                if not digits.rstrip("#"):
                    continue
            digits = digits.rstrip("#")
            if digits == "" and (prompt_key in EMPTY_ANSWERS if empty_ok is None else empty_ok):
                return ""
            if digits and not timed_out:
                return digits
            await self.wrong_entry()
            if self.too_many_wrong:
                return None
        return None

    async def wrong_entry(self) -> None:
        self.wrong_entries += 1
        if not self.too_many_wrong:
            await self.play_prompt("invalid")

    def note(self, item: str) -> None:
        """A self-service result worth keeping in the path (pushed with the next mark)."""
        self.pending_notes.append(item)

    async def mark(self, item: str) -> None:
        self.path.extend([*self.pending_notes, item])
        self.pending_notes.clear()
        await self.publish_path()

    async def publish_path(self) -> None:
        self.path.extend(self.pending_notes)
        self.pending_notes.clear()
        text = PATH_SEPARATOR.join(self.path)
        await self.session.set_variable("HOTLINE_IVR_PATH", text)
        await self.session.user_event(
            "HotlineIvr",
            Flow=self.flow,
            Path=text,
            Linkedid=self.call_id,
            Uniqueid=self.session.env.get("uniqueid", ""),
        )


async def run_flow(flow: Flow, call: IvrCall) -> FlowOutcome:
    """Walk ``flow`` with the caller until they leave the IVR."""
    call.flow = flow.name
    menu = flow.menus[flow.start]
    attempts = 0
    visits = 0
    greeted: set[str] = set()  # a caller back at a menu hears its choices, not the welcome again
    while True:
        visits += 1
        if visits > MAX_MENU_VISITS:
            # A flow whose time-outs lead back into menus would hold a silent line forever.
            log.warning(
                "call %s: %d menus played in flow %s; to an agent", call.call_id, visits - 1, flow.name
            )
            await call.mark("limit")
            return FlowOutcome("queue", call.callback_queue)
        greeting = () if menu.name in greeted else menu.greeting
        greeted.add(menu.name)
        digit = await call.play([*greeting, *menu.prompts], DIGITS)
        if not digit:
            digit = await call.session.wait_for_digit(menu.timeout * 1000)
        if digit and digit in menu.choices and offered(menu.choices[digit], call.hooks):
            step = menu.choices[digit]
            await call.mark(f"{menu.name}:{digit}")
            attempts = 0
        else:
            attempts += 1
            if digit:
                await call.play_prompt("invalid")
            if attempts <= menu.retries:
                continue
            step = menu.on_invalid if digit else menu.on_timeout
            await call.mark(f"{menu.name}:{'invalid' if digit else 'timeout'}")
            attempts = 0
        while step.kind in selfservice.ACTIONS:
            if step.kind == "callback" and not call.caller:
                # A withheld number cannot be called back: no promise. The caller is told why and
                # put through to an agent (the flow's callback_without_number: after hours
                # voicemail), never left with a message box they did not ask for.
                step = flow.callback_without_number or Step("queue", call.callback_queue)
                call.note("callback:no_number")
                await call.publish_path()
                await call.play_prompt("callback_needs_number")
                if step.kind == "queue":
                    await call.play_prompt("to_agent")
                break
            call.used.append(step.kind)
            await selfservice.ACTIONS[step.kind](call)
            if any(note.endswith(":not_found") for note in call.pending_notes):
                call.wrong_entries += 1
            if call.too_many_wrong:
                await call.mark("wrong_entries")
                await call.play_prompt("too_many_wrong")
                return FlowOutcome("queue", call.callback_queue)
            if call.to_agent:
                await call.publish_path()
                return FlowOutcome("queue", call.callback_queue)
            if step.kind in selfservice.ENDS_CALL:
                await call.publish_path()
                await call.play_prompt("goodbye")
                return FlowOutcome("hangup")
            if call.pending_notes:
                await call.publish_path()
            step = step.then or Step("menu", menu.name)
        if step.kind == "menu":
            menu = flow.menus[step.name]
            continue
        return FlowOutcome(step.kind, step.name)
