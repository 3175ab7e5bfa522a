"""Knowledge and outage-notice search read full-width and half-width as one (QA: 95598 did not
find ９５５９８, APP not ＡＰＰ, 1号 not １号, though a Chinese input method types them routinely),
on SQLite and PostgreSQL, with the text shown as it was typed."""

from __future__ import annotations

import datetime as dt

from ticketing.knowledge import add_article, publish_notice, search_articles, search_notices
from ticketing.widths import fold_width

T0 = dt.datetime(2026, 11, 26, 1, 0, tzinfo=dt.UTC)


def test_the_fold_reads_full_width_ascii_as_ascii_and_leaves_chinese_alone():
    assert (
        fold_width("拨打９５５９８，或使用ＡＰＰ报修：１号楼\u3000Ａ座")
        == "拨打95598,或使用APP报修:1号楼 A座"
    )
    assert fold_width("95598 APP") == "95598 APP"


async def test_knowledge_search_finds_either_width_from_either_width(session):
    wide = await add_article(session, "全角：拨打９５５９８报修", "停电请拨打９５５９８，或使用ＡＰＰ报修。")
    narrow = await add_article(session, "故障报修电话", "拨打95598，或使用网上国网APP报修。")
    await add_article(session, "电费缴纳方式", "营业厅缴纳电费。")
    await session.commit()

    both = {wide.id, narrow.id}
    for query in ("95598", "９５５９８", "APP", "ＡＰＰ", "app", "ａｐｐ", "95598 APP", "拨打９５５"):
        assert {a.id for a in await search_articles(session, query)} == both, query
    # shown as typed: the stored text is not rewritten
    [found] = [a for a in await search_articles(session, "95598") if a.id == wide.id]
    assert found.title == "全角：拨打９５５９８报修" and "ＡＰＰ" in found.body


async def test_notice_search_finds_a_place_in_either_width(session, seeded):
    notice = await publish_notice(
        session,
        seeded.users["3001"],
        site_id=seeded.sites["440106"].id,
        area="越秀区QA测试路１号",
        starts_at=T0,
        ends_at=T0 + dt.timedelta(hours=4),
        affected_areas=[{"kind": "street", "name": "ＱＡ小区Ｂ栋", "code": ""}],
    )
    await session.commit()
    window = {"start": T0 - dt.timedelta(days=1), "end": T0 + dt.timedelta(days=1), "now": T0}
    for place in ("1号", "１号", "测试路1", "QA小区B栋", "ＱＡ小区"):
        found = await search_notices(session, area=place, **window)
        assert [n.notice_key for n in found] == [notice.notice_key], place
    assert [n.area for n in await search_notices(session, area="1号", **window)] == ["越秀区QA测试路１号"]
