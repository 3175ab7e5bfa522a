"""A campaign list's number on the do-not-call list is rejected as 在免打扰名单中 however the file
spells it (139-1111-2222, +86 139 1111 2222), not as 文件中重复; a name over the contact's limit
is refused in the report, not cut at the import."""

from __future__ import annotations

from sqlalchemy import select

from campaigns import importer, store
from ticketing.models import CampaignContact


async def test_dnc_numbers_written_differently_are_dnc(sm):
    text = "电话,姓名\n13911112222,甲\n139-1111-2222,乙\n+86 139 1111 2222,丙\n13800000001,丁\n138-0000-0001,戊\n"
    async with sm.begin() as s:
        await store.add_dnc(s, "13911112222")
        campaign = await store.create_campaign(s, name="免打扰写法", queue="camp-a")
        report = await importer.commit(
            s, campaign, text.encode(), "list.csv", {"number": "电话", "name": "姓名"}
        )
    summary = report.summary()
    assert {r["line"]: (r["reason"], r["text"]) for r in summary["rejected_rows"]} == {
        2: ("dnc", "在免打扰名单中"),
        3: ("dnc", "在免打扰名单中"),
        4: ("dnc", "在免打扰名单中"),
        6: ("duplicate_in_file", "文件中重复"),
    }


async def test_a_name_over_the_limit_is_refused_not_cut(sm):
    long_name = "张" * 300
    text = f"电话,姓名\n13800000001,{long_name}\n13800000002,{'李' * importer.NAME_LIMIT}\n"
    async with sm.begin() as s:
        campaign = await store.create_campaign(s, name="长姓名", queue="camp-a")
        report = await importer.commit(
            s, campaign, text.encode(), "list.csv", {"number": "电话", "name": "姓名"}
        )
        cid = campaign.id
    summary = report.summary()
    assert [(r["line"], r["reason"]) for r in summary["rejected_rows"]] == [(2, "name_too_long")]
    assert "100" in summary["rejected_rows"][0]["text"]
    async with sm() as s:
        names = list(await s.scalars(select(CampaignContact.name).where(CampaignContact.campaign_id == cid)))
    assert names == ["李" * importer.NAME_LIMIT]


async def test_a_full_width_account_no_is_found_and_stored_as_ascii(sm):
    from ticketing.customers import create_customer, find_customers

    async with sm.begin() as s:
        customer = await create_customer(s, "０１００００７７１０", "全角户号")
        assert customer.account_no == "0100007710"
        assert [c.id for c in await find_customers(s, "０１００００７７１０")] == [customer.id]
        campaign = await store.create_campaign(s, name="全角户号", queue="camp-a")
        text = "电话,户号\n13800000001,０１００００７７１０\n"
        report = await importer.commit(
            s, campaign, text.encode(), "list.csv", {"number": "电话", "account_no": "户号"}
        )
    assert report.summary()["rejected_rows"] == []
    assert [r.customer_id for r in report.accepted] == [customer.id]
