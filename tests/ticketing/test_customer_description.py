"""The customer's own words (客户描述故障信息, 投诉内容, 咨询内容 …) are the field the workflow marks
``customer: description``, not the first 多行文本 of the form: an admin who puts 处理要求 before
投诉内容 had the complaint text land in 处理要求 (at the seat, from an event, in the title). One
field at most, a text or multi-line one, refused at import otherwise; a version stored before the
mark is read by the old rule (the first multi-line field the create step lets the agent write)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from ticketing.demo import demo_phone
from ticketing.errors import WorkflowInvalid
from ticketing.intake import Intake, to_new_order
from ticketing.workflow.definition import parse
from ticketing.workflow.store import import_definition

SEEDS = Path(__file__).resolve().parents[2] / "ticketing" / "seeds"
WORDS = "电表走字太快，怀疑表计故障"

#: an admin's own flow: a multi-line 处理要求 before the customer's 用户反映, on a key no code knows
METER = {
    "key": "meter_repair",
    "name": "计量故障",
    "category": "meter",
    "number_pattern": "JL{yyyyMMdd}{seq:05}",
    "fields": {
        "处理要求": {"type": "textarea"},
        "用户反映": {"type": "textarea", "customer": "description"},
        "表计地址": {"type": "text", "customer": "address"},
    },
    "nodes": [
        {
            "id": "accept",
            "type": "create",
            "status": "已受理",
            "fields": {"处理要求": "editable", "用户反映": "editable", "表计地址": "editable"},
            "exits": [{"to": "done"}],
        },
        {"id": "done", "type": "archive", "status": "处理完毕"},
    ],
}


def _seed(name: str) -> dict:
    return yaml.safe_load((SEEDS / name).read_text(encoding="utf-8"))


def _with_requirement_first(data: dict) -> dict:
    """The complaint flow as an admin changed it: 处理要求 (multi-line, written at 受理) first."""
    data = copy.deepcopy(data)
    data["fields"] = {"处理要求": {"type": "textarea"}, **data["fields"]}
    data["nodes"][0]["fields"] = {"处理要求": "editable", **data["nodes"][0]["fields"]}
    return data


def _unmarked(data: dict) -> dict:
    """As stored before the mark: no field says ``customer: description``."""
    data = copy.deepcopy(data)
    for spec in data["fields"].values():
        if (spec or {}).get("customer") == "description":
            del spec["customer"]
    return data


def test_every_seeded_workflow_marks_the_customers_words():
    assert {
        name: parse(_seed(f"{name}.yaml")).customer_description()
        for name in ("fault_repair", "complaint", "consult", "service_application", "aftersales_repair")
    } == {
        "fault_repair": "客户描述故障信息",
        "complaint": "投诉内容",
        "consult": "咨询内容",
        "service_application": "申请说明",
        "aftersales_repair": "故障描述",
    }
    for name in ("fault_repair", "complaint", "consult", "service_application", "aftersales_repair"):
        marked = [
            f
            for f, s in _seed(f"{name}.yaml")["fields"].items()
            if (s or {}).get("customer") == "description"
        ]
        assert len(marked) == 1, name  # said in the seed, not guessed from it
    # the words are no prefill: the customer's record fills only the address and the site
    assert parse(_seed("complaint.yaml")).customer_prefill() == {"所属区域": "site"}


def test_a_multi_line_field_placed_first_is_not_the_customers_words():
    complaint = parse(_with_requirement_first(_seed("complaint.yaml")))
    assert complaint.customer_description() == "投诉内容"
    assert list(complaint.fields)[0] == "处理要求"


def test_a_version_stored_before_the_mark_reads_the_first_multi_line_field_the_agent_writes():
    for name, words in (
        ("fault_repair", "客户描述故障信息"),
        ("consult", "咨询内容"),
        ("complaint", "投诉内容"),
    ):
        assert parse(_unmarked(_seed(f"{name}.yaml")), stored=True).customer_description() == words
    # the old rule, as it was: the first one the create step lets the agent write
    stored = parse(_unmarked(_with_requirement_first(_seed("complaint.yaml"))), stored=True)
    assert stored.customer_description() == "处理要求"
    # one the create step only shows is not written there
    data = _unmarked(_with_requirement_first(_seed("complaint.yaml")))
    data["nodes"][0]["fields"]["处理要求"] = "visible"
    assert parse(data, stored=True).customer_description() == "投诉内容"


def test_the_mark_on_a_field_that_cannot_hold_words_or_on_two_fields_is_refused_naming_them():
    data = _seed("complaint.yaml")
    data["fields"]["类别1"]["customer"] = "description"  # a select holds no words
    data["fields"]["所属区域"]["customer"] = "description"  # nor does a site
    with pytest.raises(WorkflowInvalid) as refused:
        parse(data)
    assert [(p[0], p.where) for p in refused.value.problems] == [
        ("bad_customer_prefill", {"field": "类别1", "value": "description"}),
        ("bad_customer_prefill", {"field": "所属区域", "value": "description"}),
    ]

    twice = _with_requirement_first(_seed("complaint.yaml"))
    twice["fields"]["处理要求"]["customer"] = "description"
    twice["fields"]["标题"]["customer"] = "description"  # a one-line text may hold them, once
    with pytest.raises(WorkflowInvalid) as refused:
        parse(twice)
    [problem] = refused.value.problems
    assert problem[0] == "customer_description_twice"
    assert problem.where == {"value": "处理要求、标题、投诉内容"}
    assert "处理要求, 标题, 投诉内容" in problem[1]

    one_line = _unmarked(_seed("complaint.yaml"))
    one_line["fields"]["标题"]["customer"] = "description"
    assert parse(one_line).customer_description() == "标题"


async def test_an_events_text_lands_in_the_customers_words_wherever_the_form_puts_them(session, seeded):
    """填写受理工单 on a workflow no code knows by name: the SMS goes into 用户反映, what the agent
    sent for 处理要求 stays, and the order's title is made of the customer's words."""
    await import_definition(session, METER)
    intake = Intake()
    intake.logged_in = {"1001"}
    sms = await intake.receive(session, "sms", "sms-words", sender=demo_phone(4), content=WORDS)
    order = await to_new_order(
        session,
        seeded.users["1001"],
        sms.id,
        workflow="meter_repair",
        site_id=seeded.users["1001"].site_id,
        form={"处理要求": "请携带校验仪"},
    )
    assert (order.form["用户反映"], order.form["处理要求"]) == (WORDS, "请携带校验仪")
    assert order.title == WORDS  # not 请携带校验仪, the first multi-line text the form holds


async def test_the_ivr_fault_report_note_goes_into_the_customers_words(session, seeded):
    """The voicemail's note was written into 客户描述故障信息 by name: a fault flow keeping the
    words in another field had no order opened at all."""
    await import_definition(session, METER)
    intake = Intake(fault_workflow="meter_repair")  # nobody signed in: the event waits
    row = await intake.receive(
        session, "voicemail", "vm-words", sender=demo_phone(2), payload={"reason": "fault_report"}
    )
    row.duration = 12.0
    order = await intake.open_fault_report(session, row, seeded.users["1001"])
    assert order is not None and order.current_node == "accept"
    assert order.form["用户反映"].startswith("客户语音报修留言（12 秒）")
    assert not order.form.get("处理要求")
