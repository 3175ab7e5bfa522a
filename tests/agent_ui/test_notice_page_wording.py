"""The 停电信息 form names the site's zone as people say it: 北京时间, not Asia/Shanghai."""

from tests.agent_ui.conftest import login


async def test_the_notice_form_says_beijing_time(client):
    await login(client, "3001")  # who may publish: the form is theirs
    html = await (await client.get("/notices")).text()
    assert "时间按北京时间填写" in html and "Asia/Shanghai 时间" not in html
