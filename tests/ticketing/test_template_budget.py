"""Admins' templates (print, SMS / email / fax) render within a budget (ticketing.template_budget):
QA saved a print template with loops nested 3000 × 3000, whose trial render, and every print,
held the server's event loop (every request, the CTI bridge) for 1.7 s; range(100000) nested
would have held it for hours. A template doing more work than a render may is refused at the
save (``template_too_costly``) and stops a print or a message at once, stored before or not."""

import threading
import time

import pytest

from ticketing import create_order, message_templates, notify, printing
from ticketing.errors import FieldErrors
from ticketing.models import NotificationTemplate
from ticketing.template_budget import LIMITS, BoundedEnvironment, TemplateTooCostly

QA = "{% for a in range(3000) %}{% for b in range(3000) %}{% endfor %}{% endfor %}x"
COSTLY = {
    "nested loops (QA)": QA,
    "nested loops for hours": "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}",
    "a loop in a loop in a loop": "{% for a in range(100) %}{% for b in range(100) %}{% for c in range(100) %}"
    "{{ c }}{% endfor %}{% endfor %}{% endfor %}",
    "a macro calling itself twice": "{% macro d(n) %}{% if n %}{{ d(n - 1) }}{{ d(n - 1) }}{% endif %}"
    "{% endmacro %}{{ d(60) }}",
    "a macro calling itself in a loop": "{% macro d(n) %}{% for i in range(n) %}{{ d(n - 1) }}{% endfor %}"
    "{% endmacro %}{{ d(12) }}",
    "a string of a gigabyte": "{{ 'x' * 1000000000 }}",
    "a number of a billion digits": "{{ 9 ** 999999999 }}",
    "a number squared over and over": "{% set ns = namespace(n=99) %}{% for i in range(64) %}"
    "{% set ns.n = ns.n * ns.n %}{% endfor %}",
    "a string doubled over and over": "{% set ns = namespace(s='x') %}{% for i in range(64) %}"
    "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
    "a list nested in itself": "{% set ns = namespace(l=[1]) %}{% for i in range(64) %}"
    "{% set ns.l = [ns.l, ns.l] %}{% endfor %}{{ ns.l }}",
    "padding": "{{ 'x'|center(1000000000) }}{{ 'x'.ljust(1000000000) }}",
    "a printf width": "{{ '%1000000000d' % 1 }}",
    "a format width": "{{ '{:>1000000000}'.format(1) }}",
    "a replace blowing up": "{% set s = 'a' * 100000 %}{{ s.replace('a', s) }}",
    "pages of text": "{% for i in range(50000) %}" + "页" * 1000 + "{% endfor %}",
    "pages of text kept in a variable": "{% set x %}{% for i in range(50000) %}"
    + "页" * 1000
    + "{% endfor %}{% endset %}{{ x|length }}",
    "a membership test over a long list": "{% set big = range(100000)|list %}{% for i in range(40000) %}"
    "{% if -1 in big %}{% endif %}{% endfor %}",
    "sorting a long list again and again": "{% set big = range(100000)|list %}{% for i in range(40000) %}"
    "{{ big|sort|first }}{% endfor %}",
}
#: a render stops within the budget's time and a little more (the operation under way, a busy
#: test machine: 2.6 s seen at load 10 on two cores); before the budget some of these ran for hours
PROMPT = LIMITS.seconds + 3.5


def _stopped(render, body, context) -> BaseException | None:
    """What ``render(body, context)`` raised, run in a daemon thread so that a render that
    never ends fails the test instead of holding it."""
    outcome: list = []

    def run():
        try:
            render(body, context)
            outcome.append(None)
        except Exception as exc:
            outcome.append(exc)

    started = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    assert outcome, "the render was still running after 10 s"
    assert time.monotonic() - started < PROMPT
    return outcome[0]


@pytest.mark.parametrize("body", COSTLY.values(), ids=COSTLY.keys())
def test_a_costly_template_stops_at_once_with_a_clear_error(body):
    stopped = _stopped(printing.render_template, body, printing.SAMPLE_CONTEXT)
    assert isinstance(stopped, printing.PrintTemplateError), stopped
    assert stopped.error_id == "print_template_too_costly"
    assert "print template stopped: the template" in str(stopped)
    stopped = _stopped(notify.render, body, message_templates.SAMPLE_CONTEXT)
    assert isinstance(stopped, notify.TemplateError), stopped
    assert stopped.error_id == "template_too_costly"


def test_what_templates_do_still_renders_with_room_to_spare():
    """Loops over the order's fields and history, namespaces, formats, filters, macros: the
    budget is for runaway templates, not for these."""
    history = [
        {"at": "2026-11-26 09:00", "action": "受理", "user": f"坐席{n}", "text": "说明" * 50}
        for n in range(500)
    ]
    context = {**printing.SAMPLE_CONTEXT, "history": history}
    body = (
        "{% macro row(h) %}<tr><td>{{ h.at }}</td><td>{{ h.action }}</td><td>{{ h.user|e }}</td>"
        "<td>{{ h.text|truncate(40) }}</td></tr>{% endmacro %}"
        "{% set ns = namespace(n=0) %}<table>{% for h in history %}{% set ns.n = ns.n + 1 %}"
        "{{ row(h) }}{% for f in fields %}{{ f.label }}:{{ f.text }}{% endfor %}{% endfor %}</table>"
        "{{ ns.n }} {{ '%05d'|format(ns.n) }} {{ '{:>8}'.format(order.number[:4]) }}"
        "{{ history|map(attribute='user')|join('、')|length }} {{ (history|length) * 2 }}"
        "{% if '受理' in history|map(attribute='action')|list %}有受理{% endif %}"
        "{% for i in range(100) %}{% for j in range(100) %}{% endfor %}{% endfor %}"
    )
    html = printing.render_template(body, context)
    assert html.count("<tr>") == 500 and "500 00500     GZ20" in html and "有受理" in html
    name, default = "默认", printing.render_template(printing.DEFAULT_TEMPLATE, context)
    assert name and "坐席499" in default


def test_each_render_has_its_own_budget():
    env = BoundedEnvironment()
    template = env.from_string("{% for a in range(200) %}{% for b in range(200) %}{% endfor %}{% endfor %}ok")
    for _ in range(5):  # 40 000 turns each: under the budget every time, not added up
        assert env.render(template, {}) == "ok"
    with pytest.raises(TemplateTooCostly) as stopped:
        env.render(template, {}, limits=LIMITS.__class__(steps=10_000))
    assert stopped.value.limit == "steps"


async def test_the_print_register_refuses_a_costly_template_and_a_stored_one_fails_its_print(session, seeded):
    admin = seeded.users["9001"]
    started = time.monotonic()
    with pytest.raises(FieldErrors) as refused:
        await printing.create_template(
            session, admin, {"name": "嵌套循环", "workflow_key": "fault_repair", "body": QA}
        )
    assert refused.value.problems == {"body": "template_too_costly"}
    assert time.monotonic() - started < PROMPT
    row = await printing.create_template(
        session, admin, {"name": "派工单", "workflow_key": "fault_repair", "body": "v1"}
    )
    with pytest.raises(FieldErrors) as refused:
        await printing.update_template(
            session, admin, row.id, {"body": COSTLY["a macro calling itself twice"]}
        )
    assert refused.value.problems == {"body": "template_too_costly"}
    # one stored before the budget: the print fails at once, it does not hang
    row.body = QA
    order = await create_order(
        session,
        seeded.users["1001"],
        workflow="fault_repair",
        site_id=seeded.sites["440100"].id,
        form={"故障地址": "天河路1号", "所属供电局": "440100"},
    )
    started = time.monotonic()
    with pytest.raises(printing.PrintTemplateTooCostly):
        await printing.render_order(session, order)
    assert time.monotonic() - started < PROMPT


async def test_the_message_register_refuses_a_costly_template_and_a_stored_one_is_not_sent(session, seeded):
    admin = seeded.users["9001"]
    base = {
        "name": "咨询答复邮件",
        "category": "consult",
        "node": "done",
        "channel": "email",
        "subject": "答复",
    }
    with pytest.raises(FieldErrors) as refused:
        await message_templates.create_template(session, admin, {**base, "body": QA})
    assert refused.value.problems == {"body": "template_too_costly"}
    with pytest.raises(FieldErrors) as refused:
        await message_templates.create_template(
            session, admin, {**base, "subject": "{{ 'x' * 1000000000 }}", "body": "您好"}
        )
    assert refused.value.problems == {"subject": "template_too_costly"}
    stored = NotificationTemplate(
        name="测试模板1", category="consult", node="done", channel="sms", body=QA, auto_send=False
    )
    session.add(stored)
    order = await create_order(
        session,
        seeded.users["1001"],
        workflow="consult",
        site_id=seeded.sites["440100"].id,
        form={"咨询内容": "a", "答复内容": "b"},
        caller_number="13500000000",
    )
    started = time.monotonic()
    with pytest.raises(notify.TemplateTooCostly):
        await notify.send_template(session, order, stored)
    assert time.monotonic() - started < PROMPT
