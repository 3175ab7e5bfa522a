"""A mistyped address gets the console's own 404 page (QA-15): aiohttp's bare English
「404: Not Found」 had neither the header nor a way back. A page request gets the error page in
the reader's language, with the signed-in user's navigation; an API request its JSON error."""

from __future__ import annotations

from tests.agent_ui.conftest import login


async def test_a_mistyped_page_is_the_consoles_404(client):
    await login(client, "1001")
    resp = await client.get("/nosuchpage", headers={"Accept": "text/html,application/xhtml+xml"})
    page = await resp.text()
    assert resp.status == 404 and resp.content_type == "text/html"
    assert 'data-error-id="not_found"' in page and "未找到" in page
    assert "404: Not Found" not in page
    assert 'href="/inbox"' in page  # the signed-in agent's navigation, as on every page


async def test_a_mistyped_api_address_is_a_json_error(client):
    await login(client, "1001")
    resp = await client.get("/api/nosuch")
    assert resp.status == 404 and (await resp.json())["error_id"] == "not_found"


async def test_signed_out_the_page_is_the_404_too(client):
    resp = await client.get("/nosuchpage", headers={"Accept": "text/html"})
    assert resp.status == 404 and 'data-error-id="not_found"' in await resp.text()
