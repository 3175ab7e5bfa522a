"""A bill is read only to whom the account belongs, on the real Asterisk with the shipped zh
prompts: a caller whose number is not registered on the 户号 keys in the last four digits of one
that is (hotline/bill-phone-last4, spoken from deploy/prompts/zh.yaml) before the amount; a wrong
answer reads nothing and asks again."""

from __future__ import annotations

import asyncio

import pytest
from ivr_harness import ami_fixture, harness_fixture, joined, unique_caller

pytestmark = pytest.mark.asterisk
__all__ = ["ami_fixture", "harness_fixture"]  # the fixtures (named ami, harness) live in ivr_harness

HOLDER = "13900005678"  # the number registered on the account


async def test_a_stranger_hears_the_bill_only_after_the_last_four_of_the_holders_phone(harness):
    caller = unique_caller()
    harness.bill_phones = (HOLDER,)
    async with harness.member("aftersales", "2973"):
        await harness.call("95592", caller, stay=40)
        try:
            await harness.press_during(caller, "2", "STREAM FILE", "basic-pbx-ivr-main")
            await harness.press_during(caller, "1", "STREAM FILE", "hotline/enter-account")
            await harness.press_during(caller, "23456#", "GET DATA")
            await harness.press_during(caller, "0000", "STREAM FILE", "hotline/bill-phone-last4")
            await harness.wait_agi(caller, "STREAM FILE", "hotline/bill-phone-mismatch")
            assert not any(who == caller and sent[:2] == ("SAY NUMBER", "1") for who, sent in harness.sent)
            # asked again (the second time the prompt is sent), the right answer
            asked = ("STREAM FILE", "hotline/bill-phone-last4")
            for _ in range(400):  # the prompt comes again after the mismatch one (~4 s)
                if sum(1 for who, sent in harness.sent if who == caller and sent[:2] == asked) >= 2:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)
            await harness.press(caller, "5678")
            join = await harness.wait_event(joined(caller), timeout=40)
            assert harness.bills == ["123456"]
            assert [sent[:2] for who, sent in harness.sent if who == caller and sent[0] == "SAY NUMBER"] == [
                ("SAY NUMBER", "1"),
                ("SAY NUMBER", "2"),
                ("SAY NUMBER", "3"),
            ]
            path = await harness.getvar(join.get("Channel"), "HOTLINE_IVR_PATH")
            assert path == "top:2/bill:verified/bill:found"
        finally:
            await harness.hangup_caller(caller)
