"""QA 2026-11-29 #3: the fault order an IVR 故障报修留言 opens names no 小类别 (it is made in the
workflow's own category), and its create step's 提交 routed it on without one, 派工 then locking
the blank in for the reports, though the seat's intake refuses the same order without one. 提交
of a create step now names a blank 小类别 ``field_required`` where the category has some at the
order's site, with the form's other problems; the step's holder picks it with 暂存 / 提交
(``subcategory``): one of the category's offered there, never after the create step."""

from __future__ import annotations

import pytest

from ticketing import FieldErrors, create_order
from ticketing.workflow.engine import save_form, submit_step


async def _as_the_ivr_opens_it(session, seeded, form: dict | None = None):
    """A fault order at its create step, held by 1001, in the workflow's own category (故障报修)
    without a 小类别: what ``Intake.open_fault_report`` makes of a 故障报修留言."""
    order = await create_order(
        session,
        seeded.users["1001"],
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        form=form if form is not None else {"故障地址": "天河路1号", "所属供电局": "440100"},
        submit=False,
    )
    assert (order.category, order.subcategory, order.current_node) == ("fault", "", "accept")
    return order


async def test_the_create_steps_submit_asks_for_the_subcategory(session, seeded):
    agent = seeded.users["1001"]
    order = await _as_the_ivr_opens_it(session, seeded, form={"所属供电局": "440100"})
    with pytest.raises(FieldErrors) as refused:
        await submit_step(session, agent, order)
    # named first (the form's head, as at intake), with the form's own problems
    assert list(refused.value.problems.items()) == [
        ("subcategory", "field_required"),
        ("故障地址", "field_required"),
    ]
    assert order.current_node == "accept" and order.subcategory == ""

    with pytest.raises(FieldErrors) as refused:
        await submit_step(session, agent, order, form={"故障地址": "天河路1号"}, subcategory="consult_fee")
    assert refused.value.problems == {"subcategory": "field_bad_option"}  # not one of 故障报修's

    await submit_step(session, agent, order, form={"故障地址": "天河路1号"}, subcategory="fault_hv")
    assert order.subcategory == "fault_hv" and order.current_node != "accept"
    assert order.title.startswith("高压故障")


async def test_a_subcategory_saved_on_the_create_step_lets_it_submit(session, seeded):
    agent = seeded.users["1001"]
    order = await _as_the_ivr_opens_it(session, seeded)
    await save_form(session, agent, order, {}, subcategory="fault_lv")
    assert order.subcategory == "fault_lv" and order.current_node == "accept"
    await submit_step(session, agent, order)
    assert order.current_node != "accept"


async def test_only_the_create_steps_holder_picks_it_there(session, seeded):
    u = seeded.users
    order = await _as_the_ivr_opens_it(session, seeded)
    await save_form(session, u["1001"], order, {}, subcategory="fault_lv")
    with pytest.raises(FieldErrors) as refused:  # a pick taken back is no pick
        await save_form(session, u["1001"], order, {}, subcategory="")
    assert refused.value.problems == {"subcategory": "field_required"}
    await submit_step(session, u["1001"], order)
    handler = u["5101"]  # 广州's 接收确认
    # at 接收确认 the category is the workflow's to keep: 改类别 there is change_category's
    with pytest.raises(FieldErrors) as refused:
        await save_form(session, handler, order, {}, subcategory="fault_hv")
    assert refused.value.problems == {"subcategory": "field_not_editable"}
    assert order.subcategory == "fault_lv"


async def test_an_agents_new_order_sent_on_names_its_subcategory(session, seeded):
    """POST /api/orders with ``submit`` and no category (the workflow's own, 故障报修) sent the
    order past its create step without a 小类别: the same rule as that step's 提交, at the order's
    site, names it first among the form's problems; kept at 受理 (a draft), it is asked there."""
    agent, gz = seeded.users["1001"], seeded.sites["440100"].id
    intake = dict(workflow="fault_repair", site_id=gz, as_offered=True)
    with pytest.raises(FieldErrors) as refused:
        await create_order(session, agent, form={"所属供电局": "440100"}, **intake)
    assert list(refused.value.problems.items()) == [
        ("subcategory", "field_required"),
        ("故障地址", "field_required"),
    ]
    kept = await create_order(session, agent, form={"所属供电局": "440100"}, submit=False, **intake)
    assert (kept.subcategory, kept.current_node) == ("", "accept")
    sent = await create_order(
        session,
        agent,
        form={"故障地址": "天河路1号", "所属供电局": "440100"},
        subcategory="fault_lv",
        **intake,
    )
    assert sent.subcategory == "fault_lv" and sent.current_node != "accept"
