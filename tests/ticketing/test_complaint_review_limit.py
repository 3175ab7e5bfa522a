"""A complaint waiting for 报事审核 has a time limit (QA: due_at was null there; the 1 working
hour of a general complaint starts only at 处理, so a review nobody did held it unseen)."""

import datetime as dt
from zoneinfo import ZoneInfo

from ticketing import create_order

SH = ZoneInfo("Asia/Shanghai")


async def test_a_complaint_at_its_review_is_due_within_a_working_hour(session, seeded):
    order = await create_order(
        session,
        seeded.users["1001"],
        workflow="complaint",
        site_id=seeded.sites["440100"].id,
        form={
            "类别1": "一类",
            "所属区域": "440100",
            "标题": "抄表员态度差",
            "投诉内容": "抄表员态度差",
            "严重程度": "一般",
        },
        now=dt.datetime(2026, 11, 27, 10, 0, tzinfo=SH),  # a Friday morning
    )
    assert order.status == "待审核"
    assert order.due_at == dt.datetime(2026, 11, 27, 11, 0, tzinfo=SH)
