"""An id too large for a 64-bit integer, in any route's path or any id field of a body, is
refused as 404 / 422 (the one id parser, ``ticketing.ids``), never a 500 from the database."""

from __future__ import annotations

import re

from agent_ui.report_tables import REPORTS
from tests.agent_ui.conftest import PASSWORD, knowledge_content, login
from ticketing import users
from ticketing.models import Site

HUGE = 99999999999999999999  # > 2**63 - 1
REPORT = next(iter(REPORTS))
#: the body fields that name a row by its id somewhere in the API
BODY_IDS = (
    "to",
    "site_id",
    "category_id",
    "parent_id",
    "customer_id",
    "department_id",
    "template_id",
    "order_id",
    "move_articles_to",
    "contractor",
    "version",
)
_GROUP = re.compile(r"\(\?P<(\w+)>((?:[^()]|\([^()]*\))*)\)")
#: routes that end the session (walked last would not help: the walk signs in once)
_SKIP = {("DELETE", "/api/session"), ("POST", "/api/session"), ("POST", "/api/session/password")}


def _paths(app, value: str):
    """(method, path) of every route, each path parameter ``value`` (a choice: its first)."""
    for route in app.router.routes():
        if route.method in ("HEAD", "*") or route.resource is None:
            continue
        info = route.resource.get_info()
        if "path" in info:
            path = info["path"]
        elif "pattern" in info:

            def fill(m: re.Match) -> str:
                rx = m.group(2)
                if rx in ("[^{}/]+", r"\d+"):
                    return value
                return rx.strip("()").split("|")[0]

            path = _GROUP.sub(fill, info["pattern"].pattern).replace("\\", "")
        else:
            continue
        if path.startswith("/api/") and (route.method, path) not in _SKIP:
            yield route.method, path


async def _everyone(client, world) -> dict[str, str]:
    async with world.services.sessionmaker.begin() as db:
        site = await db.get(Site, 1)
        await users.create_user(
            db,
            "8001",
            "全能",
            PASSWORD,
            roles=["agent", "team_leader", "supervisor", "admin", "handler"],
            site_id=site.id,
            must_change_password=False,
        )
    return {"X-CSRF-Token": await login(client, "8001")}


async def test_a_huge_id_in_any_path_is_not_found(client, world):
    headers = await _everyone(client, world)
    failed = []
    for method, path in _paths(client.app, str(HUGE)):
        body = None if method in ("GET", "DELETE") else {}
        resp = await client.request(method, path, json=body, headers=headers)
        if resp.status == 500:  # 503: no telephony in this test, as it should say
            failed.append((method, path, resp.status))
    assert failed == []


async def test_a_huge_id_in_any_body_field_is_refused(client, world):
    headers = await _everyone(client, world)
    # an order, a knowledge item and a notice with id 1, so their routes read the bodies
    resp = await client.post(
        "/api/orders",
        json={"workflow": "consult", "form": {"咨询内容": "峰谷电价何时执行"}, "submit": False},
        headers=headers,
    )
    assert resp.status == 201, await resp.text()
    await knowledge_content(world)
    failed = []
    for method, path in _paths(client.app, "1"):
        if method in ("GET", "DELETE"):
            continue
        for name in BODY_IDS:
            resp = await client.request(method, path, json={name: HUGE}, headers=headers)
            if resp.status == 500:  # 503: no telephony in this test, as it should say
                failed.append((method, path, name, resp.status))
    assert failed == []


async def test_the_answers_name_what_is_wrong(client, world):
    headers = await _everyone(client, world)
    resp = await client.post(
        "/api/orders",
        json={"workflow": "consult", "form": {"咨询内容": "峰谷电价何时执行"}, "submit": False},
        headers=headers,
    )
    order = await resp.json()
    for path in ("/api/knowledge/", "/api/campaigns/", "/api/faxes/", "/api/workflows/fault_repair/"):
        resp = await client.get(f"{path}{HUGE}", headers=headers)
        assert resp.status == 404, path
    reports = await client.get(f"/api/reports/{REPORT}", params={"site": str(HUGE)}, headers=headers)
    assert reports.status == 400 and (await reports.json())["details"]["field"] == "site"
    for action in ("forward", "reassign"):
        resp = await client.post(
            f"/api/orders/{order['id']}/{action}", json={"to": HUGE, "opinion": "换人"}, headers=headers
        )
        assert resp.status == 422, action
        assert (await resp.json())["details"]["problems"] == {"to": "field_unknown"}
    for path, body, field in (
        ("/api/knowledge", {"title": "标题", "body": "正文", "category_id": HUGE}, "category_id"),
        ("/api/knowledge/categories", {"name": "分类", "parent_id": HUGE}, "parent_id"),
        ("/api/users", {"staff_no": "7711", "name": "新人", "roles": ["agent"], "site_id": HUGE}, "site_id"),
    ):
        resp = await client.post(path, json=body, headers=headers)
        assert resp.status == 422, path
        assert field in (await resp.json())["details"]["problems"], path
