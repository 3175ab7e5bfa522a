"""A fax to a mobile number is refused in words (手机收不到传真), as an SMS to a landline is; nothing
is queued."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from recordings import RecordingStore
from tests.agent_ui.conftest import login
from ticketing.errors import ActionRefused
from ticketing.models import Notification
from ticketing.notify import check_recipient


async def test_a_fax_to_a_mobile_is_refused_and_nothing_queued(client, world, tmp_path):
    world.services.recordings = RecordingStore(tmp_path / "asterisk-root")
    headers = {"X-CSRF-Token": await login(client, "1001")}
    resp = await client.post(
        "/api/orders",
        json={"workflow": "consult", "form": {"咨询内容": "峰谷电价何时执行"}, "submit": False},
        headers=headers,
    )
    order = await resp.json()
    for number in ("13800138000", "+86 138 0013 8000", "０１３８００１３８０００"):
        resp = await client.post(
            f"/api/orders/{order['id']}/fax",
            json={"to": number, "subject": "答复函", "text": "正文"},
            headers=headers,
        )
        body = await resp.json()
        assert resp.status == 422 and body["error_id"] == "fax_to_mobile", (number, body)
        assert "手机" in body["message"] and "传真号码" in body["message"]
    async with world.services.sessionmaker() as db:
        assert await db.scalar(select(func.count()).select_from(Notification)) == 0


def test_a_landline_still_takes_a_fax():
    assert check_recipient("fax", "020-8888 6666") == "02088886666"
    with pytest.raises(ActionRefused) as refused:
        check_recipient("fax", "13800138000")
    assert refused.value.error_id == "fax_to_mobile"
