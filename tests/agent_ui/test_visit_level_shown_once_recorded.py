"""QA-29: a supervisor recorded the 满意度回访 from the order page's panel while the step stayed
with its holder, whose required, greyed 回访满意度 then read 「—」 (GET /api/orders/… gave
null) until 提交 — the form looked incomplete and could not be filled. The order's view now
carries the survey's level (and its 回访意见) at the step from the moment it is recorded,
whoever recorded it; 提交 stores that same level."""

from __future__ import annotations

from tests.agent_ui.conftest import add_user, login, sign_in
from tests.agent_ui.test_visit_step_survey_api import at_the_visit_step


async def test_the_holders_form_shows_the_level_another_recorded(client, aiohttp_client, world):
    order, holder, token = await at_the_visit_step(client, aiohttp_client)  # held by 3001
    url = f"/api/orders/{order['id']}"

    def values(view: dict) -> dict:
        return {f["name"]: f["value"] for f in view["form"]}

    assert values(await (await holder.get(url)).json())["回访满意度"] is None  # nothing recorded yet

    await add_user(world, "3002", "王主管", ["supervisor"])
    supervisor = await sign_in(aiohttp_client, client, "3002")
    survey = await (await holder.get(f"{url}/survey")).json()
    best = {d["name"]: d["options"][0]["label"] for d in survey["dimensions"]}  # 非常满意 …
    status, saved = await supervisor.call(
        "POST", f"{url}/survey", {"answers": best, "remark": "客户非常满意"}
    )
    assert status == 201 and saved["completed"] is False, saved  # not the supervisor's step

    view = await (await holder.get(url)).json()
    assert view["node"]["id"] == "visit" and view["my_step"] is True
    assert values(view)["回访满意度"] == best["综合评价"] == "非常满意"
    assert values(view)["回访意见"] == "客户非常满意"
    # the supervisor, and anyone reading the order, sees the same
    _, seen = await supervisor.call("GET", url)
    assert values(seen)["回访满意度"] == "非常满意"

    # 提交 without the greyed field (the page sends no disabled input) stores what was shown
    resp = await holder.post(f"{url}/submit", json={"form": {}}, headers={"X-CSRF-Token": token})
    done = await resp.json()
    assert resp.status == 200, done
    await login(client, "3001")
    closed = await (await client.get(url)).json()
    assert values(closed)["回访满意度"] == "非常满意" and values(closed)["回访意见"] == "客户非常满意"
