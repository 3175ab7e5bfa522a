"""The limits the server checks on a field (min/max on a number, max_length on text) reach the
browser with the field, at intake and on the order page, so its input carries them and the agent
sees them while typing rather than after saving."""

from __future__ import annotations

from tests.agent_ui.conftest import login


def _by_name(fields: list[dict]) -> dict[str, dict]:
    return {f["name"]: f for f in fields}


def _required_form(category: dict) -> dict:
    """A value for each field the create step requires."""
    value = {"number": 1, "site": "HD"}
    return {
        f["name"]: f["options"][0] if f["type"] == "select" else value.get(f["type"], "x")
        for f in category["fields"]
        if f["permission"] == "required"
    }


async def test_the_intake_spec_sends_each_fields_limits(client):
    await login(client, "1001")
    spec = await (await client.get("/api/intake")).json()
    categories = {c["workflow"]: c for c in spec["categories"]}

    service = categories["service_application"]
    capacity = _by_name(service["fields"])["申请容量"]  # the workflow's own number field
    assert (capacity["type"], capacity["min"], capacity["max"]) == ("number", 1, 100000)
    low_voltage = next(s for s in service["subcategories"] if s["code"] == "svc_lv_new")
    households = _by_name(low_voltage["fields"])["户数"]  # a subcategory's own number field
    assert (households["type"], households["min"], households["max"]) == ("number", 1, 10000)
    assert households["permission"] == "editable" and households["value"] is None

    fault = _by_name(categories["fault_repair"]["fields"])
    assert fault["故障地址"]["max_length"] == 200 and fault["故障名称"]["max_length"] == 100
    # a field without limits says nothing about them
    assert not {"min", "max", "max_length"} & set(fault["所属供电局"])


async def test_the_limits_sent_are_the_ones_the_server_holds_to(client):
    token = await login(client, "1001")
    spec = await (await client.get("/api/intake")).json()
    service = next(c for c in spec["categories"] if c["workflow"] == "service_application")
    low_voltage = next(s for s in service["subcategories"] if s["code"] == "svc_lv_new")
    households = _by_name(low_voltage["fields"])["户数"]

    async def take(count: int):
        # what the subcategory decides is its own (低压新装's 业务类型), as the form fills it
        form = {**_required_form(service), **low_voltage["bound"], "户数": count}
        return await client.post(
            "/api/orders",
            json={
                "workflow": "service_application",
                "subcategory": "svc_lv_new",
                "form": form,
                "submit": False,
            },
            headers={"X-CSRF-Token": token},
        )

    below = await take(households["min"] - 1)
    assert below.status == 422 and (await below.json())["details"]["problems"] == {"户数": "field_below_min"}
    above = await take(households["max"] + 1)
    assert above.status == 422 and (await above.json())["details"]["problems"] == {"户数": "field_above_max"}
    taken = await take(households["max"])
    order = await taken.json()
    assert taken.status == 201, order
    # the order page shows the same field with the same limits
    shown = _by_name(order["form"])["户数"]
    assert (shown["value"], shown["min"], shown["max"]) == (10000, 1, 10000)
