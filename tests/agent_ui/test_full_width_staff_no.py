"""工号 and phone numbers typed with a Chinese input method (full-width digits, ７７１０) are read
as ASCII digits: one 工号 whatever keyboard typed it, never a second account beside "7710" nor a
non-ASCII Asterisk agent id."""

from __future__ import annotations

import pytest

from tests.agent_ui.conftest import login
from ticketing.users import STAFF_NO, staff_number


async def test_a_full_width_staff_no_is_stored_and_signs_in_as_ascii(client, world):
    admin = {"X-CSRF-Token": await login(client, "9001")}
    resp = await client.post(
        "/api/users",
        json={
            "staff_no": "７７１０",
            "name": "全角",
            "roles": ["agent"],
            "phone": "１３８-００１３-８０００",
        },
        headers=admin,
    )
    body = await resp.json()
    assert resp.status == 201, body
    assert body["user"]["staff_no"] == "7710"
    assert body["user"]["phone"] == "13800138000"  # as the SMS gateway dials it (cti.phones.checked)
    password = body["temporary_password"]
    # the same 工号 typed either way is the one account
    resp = await client.post(
        "/api/users", json={"staff_no": "7710", "name": "重复", "roles": ["agent"]}, headers=admin
    )
    assert resp.status == 422
    for typed in ("7710", "７７１０"):
        await client.delete("/api/session", headers=admin)
        state = await (await client.get("/api/session")).json()
        resp = await client.post(
            "/api/session",
            json={"staff_no": typed, "password": password},
            headers={"X-CSRF-Token": state["csrf"]},
        )
        assert resp.status == 200, (typed, await resp.text())
        admin = {"X-CSRF-Token": (await resp.json())["csrf"]}


@pytest.mark.parametrize("typed", ["٧٧١٠", "7710\n", "７７"])
def test_no_other_digits_pass_as_a_staff_no(typed):
    assert not STAFF_NO.match(typed)


def test_staff_number_reads_any_keyboard_as_ascii():
    assert staff_number(" ７７１０ ") == "7710"
    assert STAFF_NO.match(staff_number("٧٧١٠"))  # Arabic-Indic digits: still the ASCII 7710
