"""95598-style self-service steps and the hooks that feed them data.

The data comes through injected async hooks (ticketing and the outage-notice
module implement them), so the IVR stays testable and never imports ticketing:

* ``outage_lookup(area) -> list[Outage]``: current and planned outages for an area code
  (each with its ``voice``, the sound of its area and reason, when one has been spoken);
* ``home_area(caller) -> str``: optional, the area code registered for the number a caller rings
  from (their customer record's bureau), '' when none or more than one: with it, a caller with a
  number is offered "#" alone for their own area's outages, as few callers know an area code;
* ``bill_lookup(account_no) -> Bill | None``: the latest bill for a 户号, with the numbers
  registered on the account (``phones``). A 户号 is printed on every bill and meter card, so
  what the account owes is read, as an order's status is, only to a caller ringing from one of
  those numbers or who keys in the last four digits of one; an account with none is not read
  to anyone here (an agent checks who is calling);
* ``ticket_status(keyed, caller) -> list[TicketProgress]``: the ticket whose number
  the caller keyed in, or with nothing keyed ("#" alone) the latest open ticket of the
  number they call from (``caller``, '' when withheld). Keyed digits are never a phone
  number: a caller hears only their own number's tickets or one whose number they know.
  A keypad has only digits: the number arrives as its digits (``20260923001`` for
  ``GZ20260923001``), so the hook must match on the numeric part; digits that are more
  than one ticket's (categories number alike) give the caller's own, or all of them.
  Each ticket carries the numbers registered on it
  (``phones``: its 联系电话 and its customer's phones). An order number is a date and a
  sequence, easily guessed, so its status is read only to whom it belongs: a caller ringing
  from one of those numbers hears it at once; anyone else (another number, a withheld one)
  is asked the last four digits of a registered number first, and a wrong answer is a wrong
  entry (three of them: an agent). More than one ticket is told apart the same way: the one
  registered to the caller's number is read at once, otherwise the last four digits pick the
  one that has them; still more than one is read to nobody (an agent).

A hook that fails or is too slow is reported to the caller as "not available"
and logged; the caller goes back to the menu, never loses the call.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import logging
import time
import wave
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from cti.call_events import VoicemailReceived
from ivr.events import CallbackRequested
from ivr.session import DIGITS
from recordings import audio

if TYPE_CHECKING:
    from ivr.menus import IvrCall

log = logging.getLogger(__name__)

MAX_MESSAGE_SECONDS = 120
# A fault message shorter or quieter than this holds no words (a silent line, a phone
# with silence suppression sends a bare WAV header): no order is opened from it (QA F3).
MIN_MESSAGE_SECONDS = 1.0
MIN_MESSAGE_PEAK = 0.02  # the loudest sample, of full scale; a quiet line's noise stays below


@dataclasses.dataclass(frozen=True)
class Outage:
    area: str
    starts_at: float
    ends_at: float | None = None  # expected restoration time
    reason: str = ""
    # A sound saying the area and the reason (ivr.notice_voice: spoken when the notice was
    # published or revised), played before the times; '' when there is none (the times alone).
    voice: str = ""


@dataclasses.dataclass(frozen=True)
class Bill:
    account_no: str
    amount: Decimal  # yuan
    due: dt.date | None = None
    usage_kwh: int | None = None
    # The numbers registered on the account, normalised (cti.phones.normalize): only a caller
    # ringing from one of them, or who knows the last four digits of one, hears the bill.
    phones: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class TicketProgress:
    number: str
    status: str  # a status code the flow file maps to prompts (status_prompts)
    updated_at: float = 0.0
    # The numbers registered on the order, normalised (cti.phones.normalize): its 联系电话
    # and its customer's phones. Only a caller ringing from one of them, or who knows the last
    # four digits of one, hears the order's status.
    phones: tuple[str, ...] = ()


OutageLookup = Callable[[str], Awaitable[Sequence[Outage]]]
BillLookup = Callable[[str], Awaitable[Bill | None]]
TicketStatusLookup = Callable[[str, str], Awaitable[Sequence[TicketProgress]]]
HomeAreaLookup = Callable[[str], Awaitable[str]]


@dataclasses.dataclass(frozen=True)
class SelfServiceHooks:
    outage_lookup: OutageLookup | None = None
    bill_lookup: BillLookup | None = None
    ticket_status: TicketStatusLookup | None = None
    timeout: float = 3.0
    home_area: HomeAreaLookup | None = None


class _Unavailable(Exception):
    pass


async def _ask_hook(hook: Callable[..., Awaitable[Any]] | None, limit: float, *args: str) -> Any:
    if hook is None:
        raise _Unavailable("no hook configured")
    try:
        async with asyncio.timeout(limit):
            return await hook(*args)
    except Exception as exc:  # the caller hears "not available"; we keep the call
        log.warning("self-service hook %s%r failed: %r", getattr(hook, "__name__", hook), args, exc)
        raise _Unavailable(str(exc)) from exc


async def outage(call: IvrCall) -> None:
    # A caller with a number may press # alone for the area registered for it (home_area);
    # a withheld one, or without the hook, keys in an area code as before.
    home = call.hooks.home_area is not None and bool(call.caller)
    area = await call.collect("enter_area_home" if home else "enter_area", max_digits=8, empty_ok=home)
    if area == "" and home:
        try:
            area = await _ask_hook(call.hooks.home_area, call.hooks.timeout, call.caller)
        except _Unavailable:
            await call.play_prompt("not_available")
            return
        if not area:  # no customer on the number, or customers of more than one bureau
            call.note("outage:no_home_area")
            await call.play_prompt("no_home_area")
            return
    if not area:
        return
    try:
        outages = list(await _ask_hook(call.hooks.outage_lookup, call.hooks.timeout, area))
    except _Unavailable:
        await call.play_prompt("not_available")
        return
    call.note(f"outage:{len(outages)}")
    if not outages:
        await call.play_prompt("no_outage")
        return
    # The count said is the count the caller can hear: each is read in turn, the next one when
    # the caller presses 1 (NEXT_OUTAGE_KEY), so a long list is theirs to walk, not cut short
    # unsaid, and one caller need not sit through a bureau's every outage.
    await call.play_prompt("outage_count")
    await call.session.say_number(len(outages))
    await call.play_prompt("outage_count_after")
    now = call.now()
    for heard, item in enumerate(outages, start=1):
        if heard > 1:
            pressed = await call.play_prompt("outage_next", DIGITS)
            if not pressed:
                pressed = await call.session.wait_for_digit(NEXT_OUTAGE_WAIT_MS)
            if pressed != NEXT_OUTAGE_KEY:
                call.note(f"outage:heard:{heard - 1}")
                return
        if item.voice:
            # Playback, not STREAM FILE: a file gone meanwhile (the notice just revised) is a
            # failed playback and the times follow, where STREAM FILE's -1 reads as a hang-up.
            await call.session.exec("Playback", item.voice)
        if item.starts_at > now:
            # Planned: the caller must hear that the power is still on, and from when to when it will not be.
            await call.play_prompt("outage_planned")
            await _say_time(call, item.starts_at)
            if item.ends_at:
                await call.play_prompt("outage_planned_until")
                await _say_time(call, item.ends_at)
        elif item.ends_at:
            await call.play_prompt("outage_until")
            await _say_time(call, item.ends_at)


#: the key for the next outage notice, and how long the caller has to press it
NEXT_OUTAGE_KEY = "1"
NEXT_OUTAGE_WAIT_MS = 5000


async def _say_time(call: IvrCall, epoch: float) -> None:
    await call.session.say_datetime(int(epoch), fmt=call.datetime_format, tz=call.timezone)


async def bill(call: IvrCall) -> None:
    account = await call.collect("enter_account", max_digits=20)
    if not account:
        return
    try:
        found = await _ask_hook(call.hooks.bill_lookup, call.hooks.timeout, account)
    except _Unavailable:
        await call.play_prompt("not_available")
        return
    if found is None:
        call.note("bill:not_found")
        await call.play_prompt("not_found")
        return
    if await _owner_or_verified(call, [found], BILL_CHECK) is None:
        return
    call.note("bill:found")
    amount = Decimal(found.amount).quantize(Decimal("0.01"))
    yuan, cents = divmod(int(amount * 100), 100)
    tenths, hundredths = divmod(cents, 10)
    # 123.45 -> 一百二十三 元 四 角 五 分
    await call.play_prompt("bill_amount")
    await call.session.say_number(yuan)
    await call.play_prompt("currency")
    if tenths:
        await call.session.say_number(tenths)
        await call.play_prompt("currency_tenths")
    if hundredths:
        await call.session.say_number(hundredths)
        await call.play_prompt("currency_hundredths")


async def ticket_status(call: IvrCall) -> None:
    # "#" alone means: look up by the number I am calling from. Keyed digits go to the hook
    # apart from the caller's number, so it never takes them for a phone number (QA F1).
    number = await call.collect("enter_ticket", max_digits=20)
    if number is None:
        return
    try:
        tickets = list(await _ask_hook(call.hooks.ticket_status, call.hooks.timeout, number, call.caller))
    except _Unavailable:
        await call.play_prompt("not_available")
        return
    if not tickets:
        call.note("ticket:not_found")
        await call.play_prompt("not_found")
        return
    found = await _owner_or_verified(call, tickets, TICKET_CHECK)
    if found is None:
        return
    call.note(f"ticket:{found.status}")
    await call.play_prompt("ticket_number")
    await call.session.say_digits("".join(ch for ch in found.number if ch.isdigit()))
    await call.play_prompt("ticket_status")
    sounds = call.ivr_config.status_prompts.get(found.status)
    if sounds:
        await call.play(sounds)


# How many digits of a registered number a caller who does not ring from it must key in.
VERIFY_DIGITS = 4


@dataclasses.dataclass(frozen=True)
class _Check:
    """What the caller hears, and the path says, while a record's registered number is checked."""

    note: str  # the path's kind: ticket:verified, bill:unverifiable, ...
    ask: str  # the prompt asking for the last four digits
    mismatch: str  # a wrong answer: asked again
    unverifiable: str  # no number on the record: an agent


TICKET_CHECK = _Check("ticket", "enter_phone_last4", "ticket_phone_mismatch", "ticket_unverifiable")
BILL_CHECK = _Check("bill", "bill_phone_last4", "bill_phone_mismatch", "bill_unverifiable")
_Record = TypeVar("_Record", TicketProgress, Bill)


async def _owner_or_verified(call: IvrCall, tickets: list[_Record], check: _Check) -> _Record | None:
    """The one of ``tickets`` (orders, or one bill) that may be read to this caller, None when none is.

    Order numbers are a date and a sequence: keyed in by a stranger, they would tell anyone's
    order. A caller ringing from a number registered on the order may hear it; anyone else
    (another number, a withheld one) is asked the last four digits of one of those numbers,
    and a wrong answer is a wrong entry like a number not found (``MAX_WRONG_ENTRIES``: then
    an agent). An order with no number registered cannot be checked here: an agent.

    Keyed digits of more than one order (categories number alike, GZ…00001 and ZX…00001) are
    told apart the same way: the one order registered to the caller's number is read at once;
    otherwise the last four digits pick the one order that has them. Still more than one (or
    no order with a number to check): nothing is read, the caller is told so and put through
    to an agent, whom the path tells why (``ticket:ambiguous``, QA F10: reading one could tell
    a stranger's status, and both sound the same).
    """
    phones_of = [[p for p in ticket.phones if p] for ticket in tickets]
    own = [t for t, phones in zip(tickets, phones_of, strict=True) if call.caller and call.caller in phones]
    if len(own) == 1:
        return own[0]
    checkable = [(t, phones) for t, phones in zip(tickets, phones_of, strict=True) if phones]
    if not checkable:
        if len(tickets) > 1:
            await _ambiguous(call)
        else:
            call.note(f"{check.note}:unverifiable")
            call.to_agent = True
            await call.play_prompt(check.unverifiable)
        return None
    endings = [
        (t, {"".join(ch for ch in p if ch.isdigit())[-VERIFY_DIGITS:] for p in phones})
        for t, phones in checkable
    ]
    while True:
        digits = await call.collect(check.ask, max_digits=VERIFY_DIGITS)
        if digits is None:  # nothing pressed, or too many wrong entries already
            call.note(f"{check.note}:unverified")
            return None
        matched = [t for t, ends in endings if len(digits) == VERIFY_DIGITS and digits in ends]
        if len(matched) == 1:
            call.note(f"{check.note}:verified")
            return matched[0]
        if matched:  # the same last four on more than one of them
            await _ambiguous(call)
            return None
        call.wrong_entries += 1
        if call.too_many_wrong:
            call.note(f"{check.note}:unverified")
            return None
        await call.play_prompt(check.mismatch)


async def _ambiguous(call: IvrCall) -> None:
    call.note("ticket:ambiguous")
    call.to_agent = True
    await call.play_prompt("ticket_ambiguous")


async def report_fault(call: IvrCall) -> None:
    """Record the caller's description of the fault; ticketing opens a fault ticket from it."""
    # Ask Asterisk for the day directory so the name follows its clock, like the dialplan's.
    path = await call.session.get_variable(
        "${HOTLINE_VM_DIR}/${STRFTIME(${EPOCH},,%Y%m%d)}/${CHANNEL(linkedid)}-fault.wav"
    )
    if not path.startswith("/") or path.startswith("//"):
        path = call.store.asterisk_path("voicemail", call.call_id, suffix="-fault")
    for attempt in range(2):
        await call.play_prompt("record_fault" if attempt == 0 else "message_empty_retry")
        # Record() (unlike AGI RECORD FILE) creates the day directory; k keeps the file on hang-up.
        await call.session.exec("Record", f"{path},3,{MAX_MESSAGE_SECONDS},k", limit=MAX_MESSAGE_SECONDS + 30)
        # The duration is the audio stored, never the time the line was open.
        duration = _message_seconds(call.store.host_path(path))
        if duration:
            break
    else:
        call.note("report_fault:empty")
        call.to_agent = True
        await call.play_prompt("message_empty")
        return
    call.note("report_fault")
    await call.bus.publish(
        VoicemailReceived(
            call_id=call.call_id,
            caller=call.caller,
            dnis=call.dnis,
            path=str(call.store.host_path(path)),
            duration=round(duration, 3),
            reason="fault_report",
        )
    )
    await call.play_prompt("message_saved")


def _message_seconds(path: Path) -> float:
    """Seconds of audio in a recorded message, 0 when it holds no words or no file."""
    try:
        seconds = audio.duration(path)
        loud = seconds >= MIN_MESSAGE_SECONDS and max(audio.peaks(path, 50)) >= MIN_MESSAGE_PEAK
    except (OSError, EOFError, wave.Error, audio.ConversionError):
        return 0.0
    if not loud:
        path.unlink(missing_ok=True)  # nothing to keep: no order links it
        return 0.0
    return seconds


async def callback(call: IvrCall) -> None:
    """Keep the caller's place: publish the request, thank them; the dialer calls back."""
    queue = call.callback_queue
    call.note("callback")
    await call.bus.publish(
        CallbackRequested(
            call_id=call.call_id,
            caller=call.caller,
            dnis=call.dnis,
            queue=queue,
            priority=call.priority,
            entered_at=call.entered_at,
            requested_at=time.time(),
            customer_id=call.customer_id,
            ivr_path=tuple(call.path),
        )
    )
    await call.session.set_variable("HOTLINE_CALLBACK", "1")
    await call.play_prompt("callback_saved")


ACTIONS: dict[str, Callable[[IvrCall], Awaitable[None]]] = {
    "outage": outage,
    "bill": bill,
    "ticket_status": ticket_status,
    "report_fault": report_fault,
    "callback": callback,
}
# After these the call is over (the caller was told goodbye), not back to the menu.
ENDS_CALL = {"report_fault", "callback"}
