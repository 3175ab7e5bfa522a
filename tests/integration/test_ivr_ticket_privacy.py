"""Ticket progress on the real Asterisk with the real ticketing lookup, and a withheld caller's
callback at the daytime menu.

Order numbers are a date and a sequence, easily guessed: a caller ringing from a number
registered on the order (here its customer's phone) hears its status at once; a caller whose
number is withheld is asked the last four digits of the order's 联系电话 first, and a wrong
answer reads nothing. Keyed digits of two orders (GZ…, ZX…) are told apart by the last four of
one's phone. A withheld caller pressing 9 at the daytime menu is told a callback needs
their number and queued for an agent, not dropped into voicemail."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest
from ivr_harness import FLOWS, ROUTING, Harness, ami_fixture, joined, serving, unique_caller
from sqlalchemy import select
from test_ivr_withheld_queue import QUEUE, paused_member

from cti.routing_config import parse_routing
from hotline.selfservice import ticketing_hooks
from ivr import IvrFinished, IvrServices, parse_flows
from recordings import RecordingStore
from ticketing import create_order, db
from ticketing.customers import create_customer
from ticketing.demo import seed_demo
from ticketing.models import User, WorkOrder
from ticketing.seed import seed_defaults

pytestmark = pytest.mark.asterisk
__all__ = ["ami_fixture"]

LINE = "95586"
MENU = "basic-pbx-ivr-main"  # a few seconds long: the caller presses during it
WITHHELD = "unknown"


class TicketLine(Harness):
    sessions = None

    def services(self) -> IvrServices:
        routing = {
            **ROUTING,
            "queues": {**ROUTING["queues"], QUEUE: {"timeout": 60}},
            "entries": [*ROUTING["entries"], {"numbers": [LINE], "target": "ivr:tickets"}],
        }
        flows = {
            **FLOWS,
            "flows": {
                "tickets": {
                    "start": "top",
                    "callback_queue": QUEUE,
                    "menus": {
                        "top": {
                            "prompts": [MENU],
                            "timeout": 5,
                            "retries": 0,
                            "choices": {"3": "ticket_status", "9": "callback"},
                            "on_timeout": "hangup",
                            "on_invalid": "hangup",
                        }
                    },
                }
            },
        }
        return IvrServices(
            routing=parse_routing(routing),
            flows=parse_flows(flows),
            bus=self.bus,
            hooks=ticketing_hooks(self.sessions),
            store=RecordingStore(self.asterisk.root),
            clock=lambda: dt.datetime.now(dt.UTC),
        )

    def count(self, caller: str, *words: str) -> int:
        return sum(1 for who, sent in self.sent if who == caller and sent[: len(words)] == words)

    async def until(self, caller: str, *words: str, n: int = 1, timeout: float = 20.0) -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        while self.count(caller, *words) < n:
            assert time.monotonic() < deadline, f"the IVR sent no {words} (#{n}) to {caller}"
            await asyncio.sleep(0.02)

    async def key_in(self, caller: str, prompt: str, digits: str, n: int = 1) -> None:
        """Key ``digits`` in at the ``n``th ``prompt``: the first interrupts it, the rest go to
        the GET DATA that follows."""
        await self.until(caller, "STREAM FILE", prompt, n=n)
        gets = self.count(caller, "GET DATA")
        await asyncio.sleep(0.5)
        await self.press(caller, digits[0])
        await self.until(caller, "GET DATA", n=gets + 1)
        await asyncio.sleep(0.3)
        await self.press(caller, digits[1:])


@pytest.fixture
async def book(tmp_path):
    """A database with one fault order: its 联系电话 ``contact``, its customer's phone ``phone``."""
    url = f"sqlite:///{tmp_path}/ivr.db"
    await db.migrate(url)
    engine = db.create_engine(url)
    sessions = db.sessionmaker(engine)
    contact, phone = unique_caller(), unique_caller()
    async with sessions() as session:
        await seed_defaults(session)
        demo = await seed_demo(session, customers=0, notices=False)
        customer = await create_customer(
            session, "8800000901", "陈雨", phones=[phone], site_id=demo.sites["440100"].id
        )
        order = await create_order(
            session,
            demo.users["1001"],
            workflow="fault_repair",
            site_id=demo.sites["440100"].id,
            customer_id=customer.id,
            form={"故障地址": "天河路1号", "所属供电局": "440100"},
            caller_number=contact,
        )
        await session.commit()
        yield sessions, order.number, contact, phone
    await engine.dispose()


@pytest.fixture
async def line(ami, asterisk, book, monkeypatch):
    h = TicketLine(ami, asterisk)
    h.sessions = book[0]
    h.watch_agi(monkeypatch)
    async with serving(h):
        yield h


async def test_the_customer_hears_their_order_at_once(line, book):
    _, number, _, phone = book
    digits = number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    await line.call(LINE, phone, stay=40)
    try:
        await line.until(phone, "STREAM FILE", MENU)
        await asyncio.sleep(0.5)
        await line.press(phone, "3")
        await line.key_in(phone, "hotline/enter-ticket", digits + "#")
        await line.until(phone, "SAY DIGITS", digits)
        assert line.count(phone, "STREAM FILE", "hotline/enter-phone-last4") == 0
    finally:
        await line.hangup_caller(phone)


async def test_a_withheld_caller_hears_the_order_only_after_the_last_four_of_its_phone(line, book):
    _, number, contact, _ = book
    digits = number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    wrong = "0000" if contact[-4:] != "0000" else "1111"
    await line.call(LINE, WITHHELD, stay=60)
    try:
        await line.until(WITHHELD, "STREAM FILE", MENU)
        await asyncio.sleep(0.5)
        await line.press(WITHHELD, "3")
        await line.key_in(WITHHELD, "hotline/enter-ticket", digits + "#")
        await line.key_in(WITHHELD, "hotline/enter-phone-last4", wrong)
        await line.until(WITHHELD, "STREAM FILE", "hotline/ticket-phone-mismatch")
        assert line.count(WITHHELD, "SAY DIGITS") == 0  # nothing read on a wrong answer
        await line.key_in(WITHHELD, "hotline/enter-phone-last4", contact[-4:], n=2)
        await line.until(WITHHELD, "SAY DIGITS", digits)
    finally:
        await line.hangup_caller(WITHHELD)


@pytest.fixture
async def twins(book):
    """A second order keyed in alike (ZX + the first's digits, as two categories number alike),
    its 联系电话 ``other``."""
    sessions, number, _, _ = book
    other = unique_caller()
    async with sessions() as session:
        demo_user = await session.scalar(select(User).where(User.staff_no == "1001"))
        first = await session.scalar(select(WorkOrder).where(WorkOrder.number == number))
        twin = await create_order(
            session,
            demo_user,
            workflow="fault_repair",
            site_id=first.site_id,
            form={"故障地址": "天河路2号", "所属供电局": "440100"},
            caller_number=other,
        )
        twin.number = "ZX" + number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        await session.commit()
    return other


async def test_a_withheld_caller_keying_digits_of_two_orders_hears_the_one_whose_phone_they_know(
    line, book, twins
):
    # The digits were two orders' (GZ…, ZX…): the caller went straight to an agent. The last four
    # of the ZX order's 联系电话 pick it: it is read, not the other.
    _, number, contact, _ = book
    digits = number.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert twins[-4:] != contact[-4:]
    await line.call(LINE, WITHHELD, stay=60)
    try:
        await line.until(WITHHELD, "STREAM FILE", MENU)
        await asyncio.sleep(0.5)
        await line.press(WITHHELD, "3")
        await line.key_in(WITHHELD, "hotline/enter-ticket", digits + "#")
        await line.key_in(WITHHELD, "hotline/enter-phone-last4", twins[-4:])
        await line.until(WITHHELD, "SAY DIGITS", digits)
        assert line.count(WITHHELD, "STREAM FILE", "hotline/ticket-ambiguous") == 0
        # the other order's status was not read first (nor after): its number is said once
        assert line.count(WITHHELD, "SAY DIGITS", digits) == 1
    finally:
        await line.hangup_caller(WITHHELD)


async def test_a_withheld_callers_9_at_the_menu_reaches_the_queue_not_voicemail(line):
    async with paused_member(line, "2983"):
        await line.call(LINE, WITHHELD, stay=40)
        try:
            await line.until(WITHHELD, "STREAM FILE", MENU)
            await asyncio.sleep(0.5)
            await line.press(WITHHELD, "9")
            join = await line.wait_event(joined(WITHHELD), timeout=30)
            assert join.get("Queue") == QUEUE
            assert line.count(WITHHELD, "STREAM FILE", "hotline/callback-needs-number") == 1
            finished = await line.wait_bus(IvrFinished, lambda e: e.flow == "tickets")
            assert (finished.outcome, finished.queue) == ("queue", QUEUE)
        finally:
            await line.hangup_caller(WITHHELD)
