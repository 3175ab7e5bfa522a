"""Message templates that cannot be filled, as they may still be stored from before template saves
were checked (the admin page refuses them now): the tests of what sending, listing and resending
do with them share these."""

from __future__ import annotations

#: within the render's budget to parse, far over it to fill
COSTLY = "{% for a in range(3000) %}{% for b in range(3000) %}{% endfor %}{% endfor %}x"
#: an unclosed {{ }}: the template does not parse
BROKEN = "您的工单 {{ order.number 已处理完毕"
BROKEN_FAX_SUBJECT = "停电答复 {{ order.number "


def consult_reply_template(name: str, channel: str, **fields):
    """A ``channel`` template of 信息咨询 entering its 办结 step (consult, done), stored directly, as
    no save checked it: ``fields`` its subject, body, auto_send."""
    from ticketing.models import NotificationTemplate  # the browser stories import ticketing late

    return NotificationTemplate(name=name, category="consult", node="done", channel=channel, **fields)
