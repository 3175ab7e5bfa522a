"""QA: an order's title (its 标题 in the lists, the screen-pop, the alerts) was computed once, when
the order was made, and never again: a complaint whose 标题 was corrected on its page, or a fault
order whose 故障名称 was filled in later, kept the title intake gave it. Every write of the form
(暂存, 提交) now takes the title along (``steps.write_form``), audited with the fields; a title
given otherwise (an e-mail's subject, the request's ``title``) stays unless 标题 itself changes."""

from __future__ import annotations

from sqlalchemy import select

from tests.agent_ui.conftest import Session, act, new_order
from ticketing.models import AuditLog

COMPLAINT = {"所属区域": "HD", "标题": "抄表员态度差", "投诉内容": "抄表员态度恶劣", "严重程度": "一般"}
FAULT = {"故障地址": "海淀区 1 号", "所属供电局": "HD"}


async def _listed(client, number: str) -> str:
    found = await (await client.get("/api/orders", params={"list": "search", "number": number})).json()
    titles = [o["title"] for o in found["items"] if o["number"] == number]
    assert titles, found
    return titles[0]


async def test_the_list_shows_the_edited_title(client, world):
    agent = await Session.signed_in(client, "1001")
    order = await new_order(
        agent, "complaint", COMPLAINT, category="complaint", subcategory="complaint_1", submit=False
    )
    assert order["title"] == "一类投诉：抄表员态度差"

    saved = await act(agent, order, "save", {"form": {"标题": "抄表员多收电费"}})
    assert saved["title"] == "一类投诉：抄表员多收电费"
    assert await _listed(client, order["number"]) == "一类投诉：抄表员多收电费"
    async with world.services.sessionmaker() as db:
        audit = await db.scalar(
            select(AuditLog)
            .where(AuditLog.entity_id == str(order["id"]), AuditLog.action == "order.save")
            .order_by(AuditLog.id.desc())
        )
    # audited where the field's change is: before and after, beside the form
    assert (
        audit.before["title"] == "一类投诉：抄表员态度差"
        and audit.after["title"] == "一类投诉：抄表员多收电费"
    )
    assert audit.after["form"]["标题"] == "抄表员多收电费"

    # 提交 with another 标题: the title follows it too, as the order moves on
    sent = await act(agent, order, "submit", {"form": {"标题": "抄表员多收电费且态度差"}})
    assert sent["status"] != order["status"] and sent["title"] == "一类投诉：抄表员多收电费且态度差"
    assert await _listed(client, order["number"]) == "一类投诉：抄表员多收电费且态度差"


async def test_a_title_made_of_fields_follows_them(client):
    # 故障报修's title is its 故障名称 and 故障地址: the name, filled in later, joins it
    agent = await Session.signed_in(client, "1001")
    # no 小类别 (a draft may leave it): its name would head the title
    order = await new_order(agent, "fault_repair", FAULT, submit=False, subcategory="")
    assert order["title"] == "海淀区 1 号"
    saved = await act(agent, order, "save", {"form": {"故障名称": "整栋楼停电"}})
    assert saved["title"] == "整栋楼停电 海淀区 1 号"
    assert await _listed(client, order["number"]) == "整栋楼停电 海淀区 1 号"
    # a save that changes nothing the title is made of leaves it as it is
    same = await act(agent, order, "save", {"form": {"故障名称": "整栋楼停电"}})
    assert same["title"] == "整栋楼停电 海淀区 1 号"


async def test_a_given_title_stays_until_the_own_title_field_changes(client):
    agent = await Session.signed_in(client, "1001")
    fault = await new_order(agent, "fault_repair", FAULT, submit=False, title="邮件：小区停电")
    saved = await act(agent, fault, "save", {"form": {"故障名称": "整栋楼停电"}})
    assert saved["title"] == "邮件：小区停电"  # not made of the fields: the sender's words stay

    complaint = await new_order(
        agent,
        "complaint",
        COMPLAINT,
        category="complaint",
        subcategory="complaint_1",
        submit=False,
        title="邮件：投诉抄表员",
    )
    kept = await act(agent, complaint, "save", {"form": {"投诉内容": "上门抄表时态度恶劣"}})
    assert kept["title"] == "邮件：投诉抄表员"
    retitled = await act(agent, complaint, "save", {"form": {"标题": "抄表员上门态度恶劣"}})
    assert retitled["title"] == "一类投诉：抄表员上门态度恶劣"  # its own 标题, typed: the title
