"""The console's rule for a message's recipient beside the rest of its form, shared by every
channel it sends on: 发短信 and 发邮件 (agent_ui.order_messages) and 发传真 (agent_ui.faxes).

A bad address is named together with whatever else is wrong, in one answer, so the agent puts
everything right in one round; the address's own check is ``notify.check_recipient``.
"""

from __future__ import annotations

from agent_ui.errors import UiError
from ticketing.errors import ActionRefused
from ticketing.notify import check_recipient


def recipient_problem(channel: str, to: object) -> str:
    """What is wrong with a send's address (``recipient_required``, ``recipient_invalid``, a
    fax's ``fax_to_mobile``: ``notify.check_recipient``'s words), or "" (fine)."""
    try:
        check_recipient(channel, to if isinstance(to, str) else "")
    except ActionRefused as refused:
        return refused.error_id
    return ""


def name_every_problem(to_problem: str, problems: dict[str, str], message: str, channel: str = "") -> None:
    """发短信, 发邮件 and 发传真 name every problem at once (a second round for the number after the
    正文 or the file was put right is a round too many): when anything besides the address is
    wrong, ``invalid_fields`` names each field with the address's problem (表单有误：收件人（无效）、
    正文（必填）); the address alone is left to ``check_recipient``, said in its own words as
    before (recipient_invalid, fax_to_mobile). The one rule of the three channels; ``channel``
    names the address's problem in that channel's words (收件人（须为手机号）)."""
    if problems:
        raise UiError(
            "invalid_fields",
            message,
            problems={"to": to_problem, **problems} if to_problem else problems,
            **({"channel": channel} if channel and to_problem else {}),
        )
