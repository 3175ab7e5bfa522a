"""An e-mail event's attachments in the inbox: the kept ones listed with a download link for
whoever may handle the event (a download, never shown in the page), one too big to keep listed
without one; a colleague whose event it is not gets none."""

from __future__ import annotations

from email.message import EmailMessage

from tests.agent_ui.conftest import Session, add_user
from ticketing.intake import Intake, assign_to
from ticketing.models import User


async def _mail_in_1001s_inbox(world, files_dir) -> int:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "li@customer.example", "95598@hotline.example", "抄表照片"
    msg["Message-ID"] = "<att-1@customer.example>"
    msg.set_content("照片见附件")
    msg.add_attachment(
        b"<script>alert(1)</script>", maintype="text", subtype="html", filename="电表 照片.html"
    )
    msg.add_attachment(b"x" * 3000, maintype="application", subtype="pdf", filename="big.pdf")
    async with world.services.sessionmaker.begin() as db:
        from ticketing.intake import receive_email

        row = await receive_email(
            Intake(), db, msg.as_bytes(), files_dir=files_dir, attachment_max_bytes=1000
        )
        await assign_to(db, None, row, await db.get(User, world.people["1001"]))
        return row.id


async def test_an_emails_attachments_are_listed_and_downloaded_by_whose_event_it_is(
    client, aiohttp_client, world, tmp_path
):
    event_id = await _mail_in_1001s_inbox(world, tmp_path / "mail")
    agent = await Session.signed_in(client, "1001")
    status, body = await agent.call("GET", "/api/inbox")
    assert status == 200
    [event] = [e for e in body["items"] if e["id"] == event_id]
    kept, too_big = event["attachments"]
    assert kept == {
        "name": "电表 照片.html",
        "size": 25,
        "url": f"/api/inbox/{event_id}/files/1",
        "skipped": None,
        "purged": False,
    }
    assert too_big == {"name": "big.pdf", "size": 3000, "url": None, "skipped": "too_large", "purged": False}

    resp = await client.get(kept["url"])
    assert resp.status == 200, await resp.text()
    assert await resp.read() == b"<script>alert(1)</script>"
    assert resp.headers["Content-Type"] == "application/octet-stream"
    assert resp.headers["Content-Disposition"].startswith("attachment; filename*=UTF-8''")
    assert (await client.get(f"/api/inbox/{event_id}/files/2")).status == 404  # not kept
    assert (await client.get(f"/api/inbox/{event_id}/files/7")).status == 404

    await add_user(world, "1007", "赵坐席", ["agent"])
    colleague = await Session.signed_in(await aiohttp_client(client.server), "1007")
    resp = await colleague.client.get(kept["url"])
    assert resp.status == 403
    assert (await resp.json())["error_id"] == "event.forbidden"
