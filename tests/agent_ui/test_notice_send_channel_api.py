"""QA #13 on the API: 停电信息's 发送给客户 sends by the channel picked, and only by it. An e-mail
address under 短信 was read for the digits in it (13800138000@qq.com went out as an SMS to
13800138000) and, without digits, refused as if it were a bad mobile number; a phone number under
邮件 was told 邮箱地址无效. Now either is refused saying which kind of address the channel takes
and what was typed instead, and nothing is queued; a right pair is queued on the channel picked.
The toast's words (邮件已加入发送队列：…) are tests/browser/test_notice_send_channel.py's."""

from __future__ import annotations

from sqlalchemy import select

from agent_ui.texts import Texts
from tests.agent_ui.conftest import knowledge_content, login
from ticketing.models import Notification


async def _outbox(world) -> list[tuple[str, str]]:
    async with world.services.sessionmaker() as db:
        return [
            (n.channel, n.recipient) for n in await db.scalars(select(Notification).order_by(Notification.id))
        ]


async def test_a_notice_goes_only_by_the_channel_picked(client, world):
    _, key = await knowledge_content(world)
    csrf = await login(client, "3001")

    async def send(channel: str, to: str):
        resp = await client.post(
            f"/api/notices/{key}/send", json={"channel": channel, "to": to}, headers={"X-CSRF-Token": csrf}
        )
        return resp.status, await resp.json()

    for address in ("wang@example.com", "13800138000@qq.com"):
        status, answer = await send("sms", address)
        assert status == 422 and answer["error_id"] == "recipient_invalid", answer
        assert answer["details"] == {"channel": "sms", "given": "email_address"}, answer
        assert answer["message"].startswith("短信只能发送到手机号码，不能发送到邮箱地址"), answer
    status, answer = await send("email", "131-0000-0001")
    assert status == 422 and answer["details"] == {"channel": "email", "given": "phone_number"}, answer
    assert answer["message"].startswith("邮件只能发送到邮箱地址，不能发送到电话号码"), answer
    assert await _outbox(world) == []  # nothing went by another channel than the one picked

    # a landline under 短信 keeps its own words: it is no address
    status, answer = await send("sms", "020-88886666")
    assert status == 422 and answer["details"] == {"channel": "sms"}, answer
    assert "邮箱" not in answer["message"], answer

    english = Texts().error("en", "recipient_invalid", details={"channel": "sms", "given": "email_address"})
    assert english.startswith("An SMS goes to a mobile number only, not to an email address"), english

    status, by_mail = await send("email", "wang@example.com")
    assert status == 201 and by_mail["channel"] == "email", by_mail
    status, by_sms = await send("sms", "131-0000-0001")
    assert status == 201 and by_sms["channel"] == "sms" and by_sms["recipient"] == "13100000001", by_sms
    assert await _outbox(world) == [("email", "wang@example.com"), ("sms", "13100000001")]
