"""A bill (menu 2, by 户号) is read only to whom the account belongs: a 户号 is printed on every
bill and meter card, so keyed in by anyone it told anyone what a household owes. As for ticket
progress, a caller ringing from a number registered on the account hears it at once; anyone else,
a withheld number too, is asked the last four digits of one of those numbers first (a wrong answer
is a wrong entry: three, an agent); an account with no number on it is read to nobody here."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cti.bus import InProcessBus
from ivr import Bill, SelfServiceHooks

from .conftest import FakeChannel
from .test_route import run, services

ACCOUNT = "3100123456"
HOLDER = "13900001234"  # the number registered on the account
STRANGER = "13800138000"
AMOUNT = ["SAY", "NUMBER", "88", ""]  # 八十八 元 …


class Billing:
    def __init__(self, phones: tuple[str, ...] = (HOLDER, "02088886666")) -> None:
        self.phones = phones

    async def bill(self, account: str):
        return (
            Bill(account_no=account, amount=Decimal("88.50"), phones=self.phones)
            if account == ACCOUNT
            else None
        )


@pytest.fixture
async def bus():
    bus = InProcessBus()
    yield bus
    await bus.close()


async def call(agi_server, bus, tmp_path, keys: str, callerid: str, billing: Billing | None = None):
    hooks = SelfServiceHooks(bill_lookup=(billing or Billing()).bill)
    return await run(
        agi_server, services(bus, None, tmp_path, self_service=hooks), FakeChannel(keys, callerid=callerid)
    )


@pytest.mark.parametrize("caller", [HOLDER, "02088886666", "+86 139 0000 1234"])
async def test_the_account_holder_hears_the_bill_at_once(agi_server, bus, tmp_path, caller):
    ch = await call(agi_server, bus, tmp_path, f"2{ACCOUNT}#0", caller)
    assert AMOUNT in ch.commands and "hotline/bill-phone-last4" not in ch.played()
    assert ch.variables["HOTLINE_IVR_PATH"] == "top:2/bill:found/top:0"


@pytest.mark.parametrize(("callerid", "last4"), [(STRANGER, "1234"), ("anonymous", "6666")])
async def test_anyone_else_hears_it_after_the_last_four_digits_of_a_number_on_it(
    agi_server, bus, tmp_path, callerid, last4
):
    ch = await call(agi_server, bus, tmp_path, f"2{ACCOUNT}#{last4}0", callerid)
    played = ch.played()
    assert AMOUNT in ch.commands
    assert played.index("hotline/bill-phone-last4") < played.index("hotline/bill-amount")
    assert ch.variables["HOTLINE_IVR_PATH"] == "top:2/bill:verified/bill:found/top:0"


async def test_a_wrong_last_four_is_asked_again(agi_server, bus, tmp_path):
    ch = await call(agi_server, bus, tmp_path, f"2{ACCOUNT}#99991234", STRANGER)
    played = ch.played()
    assert played.count("hotline/bill-phone-last4") == 2
    assert played.index("hotline/bill-phone-mismatch") < played.index("hotline/bill-amount")


async def test_three_wrong_answers_read_nothing_and_reach_an_agent(agi_server, bus, tmp_path):
    ch = await call(agi_server, bus, tmp_path, f"2{ACCOUNT}#111122223333", "anonymous")
    assert AMOUNT not in ch.commands and "hotline/bill-amount" not in ch.played()
    assert ch.played()[-1] == "hotline/too-many-wrong"
    assert (ch.variables["HOTLINE_ACTION"], ch.variables["HOTLINE_QUEUE"]) == ("queue", "service")
    assert ch.variables["HOTLINE_IVR_PATH"] == "top:2/bill:unverified/wrong_entries"


async def test_an_account_with_no_number_on_it_is_read_to_nobody_here(agi_server, bus, tmp_path):
    ch = await call(agi_server, bus, tmp_path, f"2{ACCOUNT}#", STRANGER, Billing(phones=()))
    assert AMOUNT not in ch.commands and "hotline/bill-phone-last4" not in ch.played()
    assert "hotline/bill-unverifiable" in ch.played()
    assert (ch.variables["HOTLINE_ACTION"], ch.variables["HOTLINE_QUEUE"]) == ("queue", "service")
    assert ch.variables["HOTLINE_IVR_PATH"] == "top:2/bill:unverifiable"
