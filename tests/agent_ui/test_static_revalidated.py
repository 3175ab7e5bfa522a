"""The console's scripts and styles are asked for again on every page load (``Cache-Control:
no-cache``) and answered 304 while unchanged: the pages import their modules by plain name, so with
no Cache-Control a browser kept an old statebar.js for days by heuristic after an upgrade, beside
a new console.js, until the agent found a hard reload."""

from __future__ import annotations


async def test_a_module_is_revalidated_and_304_while_unchanged(client):
    first = await client.get("/static/js/statebar.js")
    assert first.status == 200
    assert first.headers["Cache-Control"] == "no-cache"
    etag = first.headers["ETag"]
    again = await client.get("/static/js/statebar.js", headers={"If-None-Match": etag})
    assert again.status == 304
    assert again.headers["Cache-Control"] == "no-cache"


async def test_pages_keep_their_own_cache_rules(client):
    # only the static files: a page's own headers (no-store on the signed-in ones) are not touched
    login = await client.get("/login")
    assert login.headers.get("Cache-Control") != "no-cache"
