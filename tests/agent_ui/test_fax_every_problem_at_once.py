"""QA: 发传真 named its problems in two rounds: the number first (a mobile, 手机收不到传真), and only
once it was put right what was wrong with the document (an empty 正文, a file that cannot be read,
no file, a template's blank merge fields). One answer now names every one, in the shape 发短信 /
发邮件 use (``invalid_fields``, ``problems.<field>``: the one rule, ``recipients.name_every_problem``);
the number alone is still said in its own words. Nothing is queued, no document left behind."""

from __future__ import annotations

import aiohttp
import pytest
from sqlalchemy import select

from tests.agent_ui.conftest import login
from ticketing.models import Notification

MOBILE = "13800138000"


@pytest.fixture
async def faxing(store, client):
    return {"X-CSRF-Token": await login(client, "1001")}


async def test_every_problem_of_a_fax_is_named_in_one_answer(client, world, store, faxing):
    resp = await client.post(
        "/api/orders",
        json={"workflow": "consult", "form": {"咨询内容": "峰谷电价何时执行"}, "submit": False},
        headers=faxing,
    )
    order = await resp.json()  # no 答复内容 yet: the 答复函's merge field is blank
    url = f"/api/orders/{order['id']}/fax"

    async def refused(**request) -> dict:
        resp = await client.post(url, headers=faxing, **request)
        answer = await resp.json()
        assert (resp.status, answer["error_id"]) == (422, "invalid_fields"), answer
        return answer

    # written text: a mobile and no 正文
    answer = await refused(json={"to": MOBILE, "subject": "答复函", "text": " "})
    assert answer["details"]["problems"] == {"to": "fax_to_mobile", "text": "field_required"}
    assert "收件人（手机号收不到传真）" in answer["message"] and "正文（必填）" in answer["message"], answer
    # no number at all, and no 正文
    answer = await refused(json={"to": "", "text": ""})
    assert answer["details"]["problems"] == {"to": "recipient_required", "text": "field_required"}

    # an upload: a mobile and a file that cannot be read; a bad number and no file
    junk = aiohttp.FormData()
    junk.add_field("to", MOBILE)
    junk.add_field("file", b"%PDF-1.4 not really", filename="x.pdf", content_type="application/pdf")
    answer = await refused(data=junk)
    assert answer["details"]["problems"] == {"to": "fax_to_mobile", "file": "fax.document_invalid"}
    assert "文件（无法读取" in answer["message"], answer["message"]
    none = aiohttp.FormData(default_to_multipart=True)  # as a browser sends its form
    none.add_field("to", "95598")
    answer = await refused(data=none)
    assert answer["details"]["problems"] == {"to": "recipient_invalid", "file": "field_required"}

    # a template with a blank merge field, to a mobile
    [template] = (await (await client.get(url)).json())["templates"]
    answer = await refused(json={"to": MOBILE, "template_id": template["id"]})
    assert answer["details"]["problems"] == {"to": "fax_to_mobile", "答复内容": "template_field_blank"}

    # the number alone: its own words, as before
    resp = await client.post(url, json={"to": MOBILE, "text": "正文"}, headers=faxing)
    assert (resp.status, (await resp.json())["error_id"]) == (422, "fax_to_mobile")

    async with world.services.sessionmaker() as db:
        assert list(await db.scalars(select(Notification))) == []
    assert not list(store.kind_dir("fax_out").rglob("*.tif"))
