"""The seeded 故障报修: its orders are titled by the fault and its address, not by the caller's
words, and its limits count round the clock (a fault at night is repaired at night)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from ticketing import create_order
from ticketing.errors import WorkflowInvalid
from ticketing.seed import workflow_source
from ticketing.workflow.definition import parse

SH = ZoneInfo("Asia/Shanghai")


def at(d, hh, mm=0):
    return dt.datetime(2026, 11, d, hh, mm, tzinfo=SH)


async def _fault(session, seeded, now, **form):
    return await create_order(
        session,
        seeded.users["1001"],
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        form={"故障地址": "天河路1号", "所属供电局": "440100", **form},
        now=now,
    )


async def test_a_fault_order_is_titled_by_the_fault_and_its_address(session, seeded):
    order = await _fault(session, seeded, at(27, 10), 故障名称="家中停电", 客户描述故障信息="明天9点来")
    assert "家中停电 天河路1号" in order.title
    assert "明天9点来" not in order.title
    unnamed = await _fault(session, seeded, at(27, 10), 客户描述故障信息="明天9点来")
    assert "天河路1号" in unnamed.title and "明天9点来" not in unnamed.title


async def test_a_consultation_keeps_its_question_as_title(session, seeded):
    order = await create_order(
        session,
        seeded.users["1001"],
        workflow="consult",
        site_id=seeded.sites["440100"].id,
        form={"咨询内容": "峰谷电价何时执行", "答复内容": "七月起"},
        now=at(27, 10),
    )
    assert "峰谷电价何时执行" in order.title


async def test_a_saturday_night_fault_must_be_confirmed_within_half_an_hour(session, seeded):
    order = await _fault(session, seeded, at(28, 0, 29))  # Saturday 00:29
    assert order.due_at == at(28, 0, 59)  # 接收确认: 30 minutes, not Monday 09:00


def test_a_title_naming_an_unknown_field_is_refused():
    with pytest.raises(WorkflowInvalid) as refused:
        parse({**workflow_source("fault_repair"), "title": ["故障名称", "颜色"]})
    assert [(pid, "颜色" in msg) for pid, msg in refused.value.problems] == [("unknown_field", True)]
