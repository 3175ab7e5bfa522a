"""The page header by who reads it (QA of 2026-11-29): the phone system's state is said in words
(电话：, Asterisk on hover) and only to those with a seat or the wallboard, not to a bureau's
handler, who has no phone in the console; the developers' API reference (English, error ids and
HTTP statuses) is in the admins' navigation only, not beside every user's work lists."""

from __future__ import annotations

import pytest

from tests.agent_ui.conftest import login


@pytest.mark.parametrize(
    ("staff_no", "page", "phone", "api_docs"),
    [
        ("1001", "/", True, False),  # an agent at the seat
        ("3001", "/wallboard", True, False),  # a team leader at the wallboard
        ("2001", "/lists/mine", False, False),  # a bureau's handler: no seat, no phone
        ("9001", "/admin/users", None, True),  # an admin
    ],
)
async def test_the_header_says_what_its_reader_can_use(client, staff_no, page, phone, api_docs):
    await login(client, staff_no)
    html = await (await client.get(page)).text()
    if phone is not None:
        assert ('id="ami-status"' in html) is phone
    if phone:
        assert "电话：" in html and ">Asterisk：" not in html
    assert ('href="/api/docs"' in html) is api_docs
