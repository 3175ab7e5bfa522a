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


# Keyed digits of two orders (categories number alike: GZ…001, ZX…001) are told apart the same
# way where they can be: the one registered to the caller's number is read at once, otherwise
# the last four digits pick the one order that has them. Still two (or no number to check):
# nothing read, an agent, as before.
OTHER_CONTACT = "13700005678"


class TwoOrders:
    def __init__(self, gz: tuple[str, ...] = (CONTACT,), zx: tuple[str, ...] = (OTHER_CONTACT,)) -> None:
        self.gz, self.zx = gz, zx

    async def ticket(self, keyed: str, caller: str):
        if keyed != KEYED:
            return []
        return [
            TicketProgress(number=ORDER, status="dispatched", phones=self.gz),
            TicketProgress(number=f"ZX{KEYED}", status="closed", phones=self.zx),
        ]


async def call_two(agi_server, bus, tmp_path, keys: str, callerid: str, orders: TwoOrders):
    svc = services(bus, None, tmp_path, self_service=SelfServiceHooks(ticket_status=orders.ticket))
    return await run(agi_server, svc, FakeChannel(keys, callerid=callerid))


@pytest.mark.parametrize(("caller", "status"), [(CONTACT, "dispatched"), (OTHER_CONTACT, "closed")])
async def test_of_two_orders_the_callers_own_is_read_at_once(agi_server, bus, tmp_path, caller, status):
    ch = await call_two(agi_server, bus, tmp_path, f"3{KEYED}#0", caller, TwoOrders())
    assert read_out(ch) and "hotline/enter-phone-last4" not in ch.played()
    assert "hotline/ticket-ambiguous" not in ch.played()
    assert ch.variables["HOTLINE_IVR_PATH"] == f"top:3/ticket:{status}/top:0"


@pytest.mark.parametrize(
    ("callerid", "last4", "status"), [(STRANGER, "1234", "dispatched"), ("", "5678", "closed")]
)
async def test_of_two_orders_the_last_four_pick_the_one_read(
    agi_server, bus, tmp_path, callerid, last4, status
):
    ch = await call_two(agi_server, bus, tmp_path, f"3{KEYED}#{last4}0", callerid, TwoOrders())
    played = ch.played()
    assert "hotline/ticket-ambiguous" not in played and read_out(ch)
    assert played.index("hotline/enter-phone-last4") < played.index("hotline/ticket-status")
    assert ch.variables["HOTLINE_IVR_PATH"] == f"top:3/ticket:verified/ticket:{status}/top:0"


async def test_a_caller_on_both_orders_is_asked_the_last_four(agi_server, bus, tmp_path):
    orders = TwoOrders(gz=(STRANGER, CONTACT), zx=(STRANGER, OTHER_CONTACT))
    ch = await call_two(agi_server, bus, tmp_path, f"3{KEYED}#56780", STRANGER, orders)
    assert "hotline/enter-phone-last4" in ch.played() and read_out(ch)
    assert ch.variables["HOTLINE_IVR_PATH"] == "top:3/ticket:verified/ticket:closed/top:0"


async def test_of_two_orders_a_wrong_last_four_is_asked_again(agi_server, bus, tmp_path):
    ch = await call_two(agi_server, bus, tmp_path, f"3{KEYED}#00001234", STRANGER, TwoOrders())
    played = ch.played()
    assert played.count("hotline/enter-phone-last4") == 2
    assert played.index("hotline/ticket-phone-mismatch") < played.index("hotline/ticket-status")
    assert ch.variables["HOTLINE_IVR_PATH"].startswith("top:3/ticket:verified/ticket:dispatched")


async def test_last_four_of_both_orders_read_nothing_and_reach_an_agent(agi_server, bus, tmp_path):
    orders = TwoOrders(gz=(CONTACT,), zx=("13600001234",))
    ch = await call_two(agi_server, bus, tmp_path, f"3{KEYED}#1234", STRANGER, orders)
    assert not read_out(ch) and "hotline/ticket-ambiguous" in ch.played()
    assert (ch.variables["HOTLINE_ACTION"], ch.variables["HOTLINE_QUEUE"]) == ("queue", "service")
    assert ch.variables["HOTLINE_IVR_PATH"] == "top:3/ticket:ambiguous"


async def test_two_orders_with_no_number_on_them_reach_an_agent_unasked(agi_server, bus, tmp_path):
    ch = await call_two(agi_server, bus, tmp_path, f"3{KEYED}#", STRANGER, TwoOrders(gz=(), zx=()))
    assert not read_out(ch) and "hotline/enter-phone-last4" not in ch.played()
    assert "hotline/ticket-ambiguous" in ch.played()
    assert ch.variables["HOTLINE_IVR_PATH"] == "top:3/ticket:ambiguous"
