"""Ticket progress (menu 3) is private: order numbers are a date and a sequence, so keyed in by
anyone they told anyone's order. A caller ringing from a number registered on the order (its
联系电话 or its customer's phones) hears its status at once; anyone else, a withheld number too,
is asked the last four digits of one of those numbers first, and a wrong answer is a wrong entry
(three: an agent, as for numbers not found)."""

from __future__ import annotations

import pytest

from cti.bus import InProcessBus
from ivr import SelfServiceHooks, TicketProgress

from .conftest import FakeChannel
from .test_route import run, services

ORDER = "GZ20260923001"
KEYED = "20260923001"
CONTACT = "13900001234"  # the order's 联系电话
CUSTOMER_LANDLINE = "02088886666"  # a phone of the order's customer
STRANGER = "13800138000"
READ = ["SAY", "DIGITS", KEYED, ""]


class Orders:
    def __init__(self, phones: tuple[str, ...] = (CONTACT, CUSTOMER_LANDLINE)) -> None:
        self.phones = phones
        self.asked: list[tuple[str, str]] = []

    async def ticket(self, keyed: str, caller: str):
        self.asked.append((keyed, caller))
        if keyed == KEYED:
            return [TicketProgress(number=ORDER, status="dispatched", phones=self.phones)]
        return []


async def call(agi_server, bus, tmp_path, keys: str, callerid: str, orders: Orders | None = None):
    orders = orders or Orders()
    svc = services(bus, None, tmp_path, self_service=SelfServiceHooks(ticket_status=orders.ticket))
    return await run(agi_server, svc, FakeChannel(keys, callerid=callerid))


@pytest.fixture
async def bus():
    bus = InProcessBus()
    yield bus
    await bus.close()


def read_out(ch: FakeChannel) -> bool:
    return READ in ch.commands or "pls-hold-while-try" in ch.played()


@pytest.mark.parametrize("caller", [CONTACT, CUSTOMER_LANDLINE, "+86 139 0000 1234"])
async def test_a_caller_ringing_from_a_number_on_the_order_hears_it_at_once(
    agi_server, bus, tmp_path, caller
):
    ch = await call(agi_server, bus, tmp_path, f"3{KEYED}#0", caller)
    assert read_out(ch) and "hotline/enter-phone-last4" not in ch.played()
    assert ch.variables["HOTLINE_IVR_PATH"] == "top:3/ticket:dispatched/top:0"


@pytest.mark.parametrize(("callerid", "last4"), [(STRANGER, "1234"), ("anonymous", "6666"), ("", "1234")])
async def test_anyone_else_hears_it_after_the_last_four_digits_of_a_number_on_it(
    agi_server,
    bus,
    tmp_path,
    callerid,
    last4,
):
    ch = await call(agi_server, bus, tmp_path, f"3{KEYED}#{last4}0", callerid)
    played = ch.played()
    assert "hotline/enter-phone-last4" in played and read_out(ch)
    assert played.index("hotline/enter-phone-last4") < played.index("hotline/ticket-status")
    assert ch.variables["HOTLINE_IVR_PATH"] == "top:3/ticket:verified/ticket:dispatched/top:0"


async def test_a_wrong_last_four_is_not_read_and_asked_again(agi_server, bus, tmp_path):
    ch = await call(agi_server, bus, tmp_path, f"3{KEYED}#98761234", STRANGER)
    played = ch.played()
    assert played.count("hotline/enter-phone-last4") == 2
    assert played.index("hotline/ticket-phone-mismatch") < played.index("hotline/ticket-status")
    assert read_out(ch)


@pytest.mark.parametrize("callerid", [STRANGER, "anonymous"])
async def test_three_wrong_answers_read_nothing_and_reach_an_agent(agi_server, bus, tmp_path, callerid):
    ch = await call(agi_server, bus, tmp_path, f"3{KEYED}#111122223333", callerid)
    assert not read_out(ch)
    assert "hotline/too-many-wrong" in ch.played()
    assert (ch.variables["HOTLINE_ACTION"], ch.variables["HOTLINE_QUEUE"]) == ("queue", "service")
    assert ch.variables["HOTLINE_IVR_PATH"] == "top:3/ticket:unverified/wrong_entries"


async def test_a_wrong_order_and_wrong_answers_count_together(agi_server, bus, tmp_path):
    # one order number not found, then two wrong last fours: three wrong entries
    ch = await call(agi_server, bus, tmp_path, f"320260923999#3{KEYED}#11112222", STRANGER)
    assert not read_out(ch) and "hotline/too-many-wrong" in ch.played()
    assert ch.variables["HOTLINE_ACTION"] == "queue"


async def test_half_an_answer_is_a_wrong_entry_too(agi_server, bus, tmp_path):
    ch = await call(agi_server, bus, tmp_path, f"3{KEYED}#12.1234", STRANGER)
    assert "hotline/invalid" in ch.played() and read_out(ch)


async def test_an_order_with_no_number_on_it_is_not_read_to_a_stranger(agi_server, bus, tmp_path):
    ch = await call(agi_server, bus, tmp_path, f"3{KEYED}#", STRANGER, Orders(phones=()))
    assert not read_out(ch) and "hotline/enter-phone-last4" not in ch.played()
    assert "hotline/ticket-unverifiable" in ch.played()
    assert (ch.variables["HOTLINE_ACTION"], ch.variables["HOTLINE_QUEUE"]) == ("queue", "service")
    assert ch.variables["HOTLINE_IVR_PATH"] == "top:3/ticket:unverifiable"
