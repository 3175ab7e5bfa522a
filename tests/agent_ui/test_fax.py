"""Faxing a customer from the console: from an order (written text, a template, an upload),
a knowledge item or an outage notice. The document becomes a TIFF-F file named by its
outbox row; the Dispatcher sends it (here through a stand-in for Asterisk's SendFAX) and
records pages, or the reason and a bounded number of retries."""

from __future__ import annotations

import datetime as dt
import functools
import io

import aiohttp
import pytest
from PIL import Image, ImageSequence
from sqlalchemy import select, update

from cti.fax import FaxOutcome
from recordings import RecordingStore, fax_out
from tests.agent_ui.conftest import knowledge_content, login
from ticketing.models import AuditLog, Notification
from ticketing.notify import AsteriskFaxGateway, Dispatcher


@pytest.fixture
async def faxing(store, client):
    """A signed-in agent (1001) and their CSRF headers."""
    return {"X-CSRF-Token": await login(client, "1001")}


async def _order(client, headers, **form) -> dict:
    resp = await client.post(
        "/api/orders",
        json={"workflow": "consult", "form": {"咨询内容": "峰谷电价何时执行", **form}, "submit": False,
              "caller_number": "13800138000"},
        headers=headers,
    )  # fmt: skip
    order = await resp.json()
    assert resp.status == 201, order
    return order


def _tiff(store: RecordingStore, row: Notification):
    _, path = fax_out.document_paths(store, row.id, row.created_at)
    with Image.open(path) as image:
        return [(f.size, tuple(round(v) for v in f.info["dpi"])) for f in ImageSequence.Iterator(image)]


async def test_an_agent_faxes_written_text_for_an_order_and_it_is_on_the_order(client, world, store, faxing):
    order = await _order(client, faxing)
    resp = await client.post(
        f"/api/orders/{order['id']}/fax",
        json={"to": "010-8888 6666", "subject": "答复函", "text": "尊敬的客户：峰时段 8:00-22:00。"},
        headers=faxing,
    )
    queued = await resp.json()
    assert resp.status == 201, queued
    assert queued == {"id": queued["id"], "channel": "fax", "recipient": "01088886666", "state": "pending",
                      "pages": 1}  # fmt: skip

    async with world.services.sessionmaker() as db:
        row = await db.get(Notification, queued["id"])
        assert row.order_id == order["id"] and row.user_id == world.people["1001"]
        assert row.subject == "答复函" and "峰时段" in row.body
        assert _tiff(store, row) == [((1728, 2292), (204, 196))]
        audit = await db.scalar(select(AuditLog).where(AuditLog.action == "message.send"))
        assert (audit.entity, audit.entity_id, audit.actor) == ("work_order", str(order["id"]), "1001")
        assert audit.after == {"channel": "fax", "to": "01088886666", "notification": row.id,
                               "order_id": order["id"], "pages": 1}  # fmt: skip

    view = await (await client.get(f"/api/orders/{order['id']}")).json()
    [fax] = [e for e in view["timeline"] if e["kind"] == "fax"]
    assert fax["direction"] == "outbound" and fax["number"] == "01088886666"
    assert fax["state"] == "pending" and fax["pages"] == 1 and fax["subject"] == "答复函"
    document = await client.get(fax["media_url"])  # what went out, to look at
    assert document.status == 200 and document.content_type == "application/pdf"
    assert (await document.read()).startswith(b"%PDF")

    await client.delete("/api/session", headers=faxing)
    await login(client, "2001")  # a bureau's handler: the order is not in their scope
    elsewhere = await client.get(fax["media_url"])
    assert elsewhere.status == 403 and (await elsewhere.json())["error_id"] == "scope.forbidden"


async def test_a_template_is_filled_with_the_orders_fields(client, world, store, faxing):
    order = await _order(client, faxing, 答复内容="每年7-9月执行")
    choices = await (await client.get(f"/api/orders/{order['id']}/fax")).json()
    assert choices["to"] == ""  # the caller's mobile takes no fax: not offered
    [template] = choices["templates"]  # the seeded 答复函 of 信息咨询, named as this order's fax is
    assert template["subject"] == f"国网客服中心 答复函（工单 {order['number']}）"
    resp = await client.post(
        f"/api/orders/{order['id']}/fax",
        json={"to": "01088886666", "template_id": template["id"]},
        headers=faxing,
    )
    queued = await resp.json()
    assert resp.status == 201, queued
    async with world.services.sessionmaker() as db:
        row = await db.get(Notification, queued["id"])
    assert row.subject == f"国网客服中心 答复函（工单 {order['number']}）"
    assert "峰谷电价何时执行" in row.body and "每年7-9月执行" in row.body

    other = await client.post(
        f"/api/orders/{order['id']}/fax", json={"to": "01088886666", "template_id": 999_999}, headers=faxing
    )
    assert other.status == 404


async def test_a_template_with_a_blank_merge_field_is_refused_naming_it(client, world, store, faxing):
    order = await _order(client, faxing)  # no 答复内容 yet: the letter would answer nothing
    [template] = (await (await client.get(f"/api/orders/{order['id']}/fax")).json())["templates"]
    resp = await client.post(
        f"/api/orders/{order['id']}/fax",
        json={"to": "01088886666", "template_id": template["id"]},
        headers=faxing,
    )
    body = await resp.json()
    assert resp.status == 422 and body["error_id"] == "template_fields_blank", body
    assert body["details"]["problems"] == {"答复内容": "template_field_blank"}
    assert "答复内容（无内容）" in body["message"]
    async with world.services.sessionmaker() as db:
        assert list(await db.scalars(select(Notification))) == []
    assert not list(store.kind_dir("fax_out").rglob("*.tif"))


async def test_an_uploaded_pdf_is_faxed_page_for_page(client, world, store, faxing):
    order = await _order(client, faxing)
    sheet = Image.new("L", (595, 842), 255)
    pdf = io.BytesIO()
    sheet.save(pdf, "PDF", save_all=True, append_images=[sheet.copy(), sheet.copy()], resolution=72.0)
    form = aiohttp.FormData()
    form.add_field("to", "01088886666")
    form.add_field("file", pdf.getvalue(), filename="停电告知书.pdf", content_type="application/pdf")
    resp = await client.post(f"/api/orders/{order['id']}/fax", data=form, headers=faxing)
    queued = await resp.json()
    assert resp.status == 201, queued
    assert queued["pages"] == 3
    async with world.services.sessionmaker() as db:
        row = await db.get(Notification, queued["id"])
    assert row.subject == "停电告知书.pdf"
    assert _tiff(store, row) == [((1728, 2292), (204, 196))] * 3

    junk = aiohttp.FormData()
    junk.add_field("to", "01088886666")
    junk.add_field("file", b"%PDF-1.4 not really", filename="x.pdf", content_type="application/pdf")
    refused = await client.post(f"/api/orders/{order['id']}/fax", data=junk, headers=faxing)
    assert refused.status == 422 and (await refused.json())["error_id"] == "fax.document_invalid"


async def test_bad_numbers_roles_and_csrf_are_refused_and_queue_nothing(client, world, store, faxing):
    order = await _order(client, faxing)
    url = f"/api/orders/{order['id']}/fax"
    for number in ("123", "95598", "zhang@example.com"):
        bad = await client.post(url, json={"to": number, "text": "x"}, headers=faxing)
        body = await bad.json()
        assert bad.status == 422 and body["error_id"] == "recipient_invalid", (number, body)
        assert "传真号码" in body["message"]
    empty = await client.post(url, json={"to": "01088886666", "text": " "}, headers=faxing)
    refusal = await empty.json()
    assert empty.status == 422 and refusal["error_id"] == "invalid_fields"
    assert refusal["details"]["problems"] == {"text": "field_required"}
    assert "正文（必填）" in refusal["message"]
    no_csrf = await client.post(url, json={"to": "01088886666", "text": "x"})
    assert no_csrf.status == 403 and (await no_csrf.json())["error_id"] == "csrf.invalid"

    await client.delete("/api/session", headers=faxing)
    handler = {"X-CSRF-Token": await login(client, "2001")}
    forbidden = await client.post(url, json={"to": "01088886666", "text": "x"}, headers=handler)
    assert forbidden.status == 403 and (await forbidden.json())["error_id"] == "role.forbidden"

    async with world.services.sessionmaker() as db:
        assert list(await db.scalars(select(Notification))) == []
    assert not list(store.kind_dir("fax_out").rglob("*.tif"))  # no document left behind either


class FaxLine:
    """Stands in for cti.fax.FaxSender: answers each fax with the next outcome."""

    def __init__(self, *outcomes: FaxOutcome) -> None:
        self.outcomes = list(outcomes)
        self.sent: list[tuple[str, str, str, int]] = []

    async def send(self, number: str, tiff: str, fax_id: str, *, pages: int = 1) -> FaxOutcome:
        self.sent.append((number, tiff, fax_id, pages))
        return self.outcomes.pop(0)


async def test_kb_items_and_notices_are_faxed_and_the_dispatcher_retries_a_busy_line(
    client, world, store, faxing
):
    article_id, key = await knowledge_content(world)
    kb = await client.post(f"/api/knowledge/{article_id}/send", json={"channel": "fax", "to": "88886666"},
                           headers=faxing)  # fmt: skip
    notice = await client.post(f"/api/notices/{key}/send", json={"channel": "fax", "to": "0108888 6666"},
                               headers=faxing)  # fmt: skip
    kb_row, notice_row = await kb.json(), await notice.json()
    assert kb.status == notice.status == 201, (kb_row, notice_row)
    async with world.services.sessionmaker() as db:
        audits = {
            a.entity for a in await db.scalars(select(AuditLog).where(AuditLog.action == "message.send"))
        }
        assert audits == {"kb_article", "outage_notice"}
        notice_fax = await db.get(Notification, notice_row["id"])
        assert notice_fax.subject.startswith("停电通知") and "中关村大街" in notice_fax.body

    line = FaxLine(
        FaxOutcome("SUCCESS", 1),  # the KB item
        FaxOutcome("BUSY", 0, "BUSY"),  # the notice: busy, busy, no answer: given up
        FaxOutcome("BUSY", 0, "BUSY"),
        FaxOutcome("NOANSWER", 0, "NOANSWER"),
    )
    gateway = AsteriskFaxGateway(line, functools.partial(fax_out.document_paths, store))
    dispatcher = Dispatcher(world.services.sessionmaker, fax=gateway, max_attempts=3, retry_seconds=60)

    assert await dispatcher.deliver_pending() == (1, 0)
    number, tiff, fax_id, pages = line.sent[0]
    assert (number, pages) == ("88886666", 1) and fax_id.startswith(f"{kb_row['id']}-")
    assert tiff.startswith("/var/spool/asterisk/fax/hotline-out/") and tiff.endswith(f"/{kb_row['id']}.tif")
    async with world.services.sessionmaker() as db:
        sent = await db.get(Notification, kb_row["id"])
        busy = await db.get(Notification, notice_row["id"])
    assert (sent.state, sent.pages, sent.attempts, sent.error) == ("sent", 1, 1, "")
    assert (busy.state, busy.attempts) == ("pending", 1) and "BUSY" in busy.error
    assert busy.retry_at > dt.datetime.now(dt.UTC) + dt.timedelta(seconds=50)

    assert await dispatcher.deliver_pending() == (0, 0)  # not before its retry time
    assert len(line.sent) == 2
    for attempt in (2, 3):
        async with world.services.sessionmaker.begin() as db:
            await db.execute(update(Notification).where(Notification.id == busy.id).values(retry_at=None))
        await dispatcher.deliver_pending()
        async with world.services.sessionmaker() as db:
            busy = await db.get(Notification, notice_row["id"])
        assert busy.attempts == attempt
    assert busy.state == "failed" and busy.error == "fax to 01088886666: NOANSWER" and busy.retry_at is None
    assert len(line.sent) == 4

    assert await dispatcher.retry_failed() == 1  # by hand: a fresh round of attempts
    async with world.services.sessionmaker() as db:
        again = await db.get(Notification, notice_row["id"])
    assert (again.state, again.attempts) == ("pending", 0)


async def test_a_failed_transmission_is_not_retried_and_says_why(world, store, client, faxing):
    article_id, _ = await knowledge_content(world)
    resp = await client.post(f"/api/knowledge/{article_id}/send", json={"channel": "fax", "to": "88886666"},
                             headers=faxing)  # fmt: skip
    row = await resp.json()
    line = FaxLine(FaxOutcome("FAILED", 0, "Disconnected after permitted retries"))
    dispatcher = Dispatcher(
        world.services.sessionmaker,
        fax=AsteriskFaxGateway(line, functools.partial(fax_out.document_paths, store)),
    )
    assert await dispatcher.deliver_pending() == (0, 1)
    async with world.services.sessionmaker() as db:
        failed = await db.get(Notification, row["id"])
    assert failed.state == "failed" and failed.attempts == 1
    assert failed.error == "fax to 88886666: FAILED: Disconnected after permitted retries"
