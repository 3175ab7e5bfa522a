"""Which intake fields the popped customer fills (QA: 故障地址 and 所属供电局 stayed empty though
the pop showed the customer's 地址, and saving was refused 必填): declared by ``customer:`` on a
field, read from the field's type and name on a version stored before the attribute."""

from pathlib import Path

import pytest
import yaml

from ticketing.errors import WorkflowInvalid
from ticketing.workflow.definition import parse

SEEDS = Path(__file__).resolve().parents[2] / "ticketing" / "seeds"


def _seed(name: str) -> dict:
    return yaml.safe_load((SEEDS / name).read_text(encoding="utf-8"))


def test_the_seeds_say_which_fields_the_customer_fills():
    assert parse(_seed("fault_repair.yaml")).customer_prefill() == {
        "故障地址": "address",
        "所属供电局": "site",
    }
    assert parse(_seed("service_application.yaml")).customer_prefill() == {
        "用电地址": "address",
        "所属供电局": "site",
    }
    assert parse(_seed("aftersales_repair.yaml")).customer_prefill() == {"上门地址": "address"}
    assert parse(_seed("complaint.yaml")).customer_prefill() == {"所属区域": "site"}


def test_a_version_stored_before_the_attribute_fills_its_site_and_address_fields():
    data = _seed("fault_repair.yaml")
    for spec in data["fields"].values():
        spec.pop("customer", None)
    assert parse(data, stored=True).customer_prefill() == {"故障地址": "address", "所属供电局": "site"}


def test_a_customer_attribute_naming_nothing_it_can_fill_is_refused():
    data = _seed("fault_repair.yaml")
    data["fields"]["故障地址"]["customer"] = "site"  # a text field takes no site
    data["fields"]["故障名称"]["customer"] = "tier"
    with pytest.raises(WorkflowInvalid) as refused:
        parse(data)
    assert [p[0] for p in refused.value.problems] == ["bad_customer_prefill"] * 2
