"""A withdrawn (撤销) outage notice in the list: 含变更前 shows its withdrawn version (已删除, read
as 已撤销) with the remark and who withdrew it when, beside the version callers were told; and a
second 撤销 (or a 变更) of it is refused as withdrawn (409 notice_withdrawn), not 404 未找到."""

from __future__ import annotations

from agent_ui.texts import Texts
from tests.agent_ui.test_notice_versions import _published


async def test_the_list_with_earlier_versions_shows_the_withdrawal_and_who_made_it(client, world):
    headers, notice = await _published(client, world)
    key = notice["key"]
    resp = await client.post(
        f"/api/notices/{key}/withdraw", json={"remark": "检修取消", "version": 1}, headers=headers
    )
    assert resp.status == 200, await resp.json()
    listed = await (await client.get("/api/notices", params={"changed": "1"})).json()
    mine = [(n["version"], n["state"], n["remark"]) for n in listed["items"] if n["key"] == key]
    assert sorted(mine) == [(1, "变更后", ""), (2, "已删除", "检修取消")]
    withdrawn = next(n for n in listed["items"] if n["key"] == key and n["version"] == 2)
    assert withdrawn["created_by"]["staff_no"] == "3001" and withdrawn["created_at"]
    # without 含变更前: only what is published, so nothing of it
    current = await (await client.get("/api/notices")).json()
    assert [n for n in current["items"] if n["key"] == key] == []
    # the console's word for 已删除, and the who/when line under the remark
    texts = Texts()
    assert texts.get("zh-CN", "notice.state_deleted") == "已撤销"
    assert texts.get("zh-CN", "notice.withdrawn_by", who="张班长 (3001)", at="11-28 09:00") == (
        "张班长 (3001) 于 11-28 09:00 撤销"
    )


async def test_withdrawing_twice_says_it_is_withdrawn_already(client, world):
    headers, notice = await _published(client, world)
    key = notice["key"]
    first = await client.post(f"/api/notices/{key}/withdraw", json={"remark": "检修取消"}, headers=headers)
    assert first.status == 200
    again = await client.post(f"/api/notices/{key}/withdraw", json={"remark": "再撤一次"}, headers=headers)
    body = await again.json()
    assert again.status == 409 and body["error_id"] == "notice_withdrawn"
    assert "已撤销" in body["message"]
    revised = await client.patch(
        f"/api/notices/{key}", json={"reason": "改", "remark": "改"}, headers=headers
    )
    assert revised.status == 409 and (await revised.json())["error_id"] == "notice_withdrawn"
    # a key there never was is still 未找到
    missing = await client.post("/api/notices/N-nosuch/withdraw", json={"remark": "x"}, headers=headers)
    assert missing.status == 404
