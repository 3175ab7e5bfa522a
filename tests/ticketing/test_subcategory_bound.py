"""The complaint's class and the service application's type are entered once: the 小类别 picked
at intake decides 类别1 / 类别2 / 业务类型 (QA: 一类投诉 saved with 类别1 三类 and 类别2 建议, its
title saying 一类 while the 投诉原因 report counted it under 三类; 高压新装 saved as 低压新装)."""

from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from ticketing import create_order
from ticketing.errors import FieldErrors, WorkflowInvalid
from ticketing.models import WorkOrder
from ticketing.reports import complaint_causes
from ticketing.workflow.store import import_definition

SEEDS = Path(__file__).resolve().parents[2] / "ticketing" / "seeds"
COMPLAINT = {"所属区域": "440100", "标题": "抄表员态度差", "投诉内容": "抄表员态度差", "严重程度": "一般"}


async def _complaint(session, seeded, subcategory, **form):
    return await create_order(
        session,
        seeded.users["1002"],
        workflow="complaint",
        category="complaint",
        subcategory=subcategory,
        site_id=seeded.sites["440100"].id,
        form={**COMPLAINT, **form},
    )


async def _count(session):
    return await session.scalar(select(func.count()).select_from(WorkOrder))


async def test_a_contradicting_class_is_refused_with_every_problem_at_once(session, seeded):
    before = await _count(session)
    with pytest.raises(FieldErrors) as refused:
        await _complaint(session, seeded, "complaint_1", 类别1="三类", 类别2="建议", 标题="")
    assert refused.value.problems == {
        "类别1": "field_contradicts_subcategory",
        "类别2": "field_contradicts_subcategory",
        "标题": "field_required",
    }
    assert await _count(session) == before


async def test_the_class_is_filled_from_the_subcategory(session, seeded):
    order = await _complaint(session, seeded, "complaint_1")
    assert (order.form["类别1"], order.form["类别2"]) == ("一类", "投诉")
    agreeing = await _complaint(session, seeded, "complaint_3", 类别1="三类")
    assert (agreeing.form["类别1"], agreeing.form["类别2"]) == ("三类", "投诉")
    # 举报 decides 类别2 only: the class is the agent's
    report = await _complaint(session, seeded, "report", 类别1="二类")
    assert (report.form["类别1"], report.form["类别2"]) == ("二类", "举报")
    with pytest.raises(FieldErrors) as refused:
        await _complaint(session, seeded, "report", 类别1="二类", 类别2="投诉")
    assert refused.value.problems == {"类别2": "field_contradicts_subcategory"}


async def test_the_service_type_follows_the_subcategory(session, seeded):
    form = {"用电地址": "天河路1号", "所属供电局": "440100"}

    async def apply(**more):
        return await create_order(
            session,
            seeded.users["1002"],
            workflow="service_application",
            category="service",
            subcategory="svc_hv_new",
            site_id=seeded.sites["440100"].id,
            form={**form, **more},
        )

    with pytest.raises(FieldErrors) as refused:
        await apply(业务类型="低压新装")
    assert refused.value.problems == {"业务类型": "field_contradicts_subcategory"}
    assert (await apply()).form["业务类型"] == "高压新装"


async def test_a_stored_workflow_without_the_binding_is_held_by_the_subcategory_names(session, seeded):
    """An installation whose complaint version was stored before the attribute: its 小类别's
    name (一类投诉, 高压新装) still decides the fields, its stored definition unchanged."""
    for seed in ("complaint.yaml", "service_application.yaml"):
        data = yaml.safe_load((SEEDS / seed).read_text(encoding="utf-8"))
        for spec in data["fields"].values():
            spec.pop("subcategory", None)
        await import_definition(session, yaml.safe_dump(data, allow_unicode=True), actor=seeded.users["9001"])
    with pytest.raises(FieldErrors) as refused:
        await _complaint(session, seeded, "complaint_1", 类别1="三类", 类别2="建议")
    assert refused.value.problems == {
        "类别1": "field_contradicts_subcategory",
        "类别2": "field_contradicts_subcategory",
    }
    order = await _complaint(session, seeded, "complaint_2")
    assert (order.form["类别1"], order.form["类别2"]) == ("二类", "投诉")
    service = await create_order(
        session,
        seeded.users["1002"],
        workflow="service_application",
        category="service",
        subcategory="svc_batch_new",
        site_id=seeded.sites["440100"].id,
        form={"用电地址": "天河路1号", "所属供电局": "440100"},
    )
    assert service.form["业务类型"] == "批量新装"


async def test_the_causes_report_counts_by_the_subcategorys_class(session, seeded):
    order = await _complaint(session, seeded, "complaint_1")
    # as TS2026112800001 was saved before the rule: 一类投诉 with 类别1 三类
    order.form = {**order.form, "类别1": "三类"}
    await _complaint(session, seeded, "report", 类别1="二类")
    await session.flush()
    assert sorted(await complaint_causes(session)) == [("一类", "一般", 1), ("二类", "一般", 1)]


async def test_a_binding_naming_no_option_is_refused_at_import(session, seeded):
    data = yaml.safe_load((SEEDS / "complaint.yaml").read_text(encoding="utf-8"))
    data["fields"]["类别1"]["subcategory"]["complaint_1"] = "四类"
    with pytest.raises(WorkflowInvalid) as refused:
        await import_definition(session, yaml.safe_dump(data, allow_unicode=True), actor=seeded.users["9001"])
    assert [p[0] for p in refused.value.problems] == ["bad_subcategory_binding"]
