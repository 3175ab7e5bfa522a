"""The recipient rule of every channel the console sends on (发短信, 发邮件, 发传真) lives in one
module of its own, agent_ui.recipients, not in the fax module the SMS and e-mail forms had to
import it from; the three send paths use that one rule."""

from __future__ import annotations

import pytest

from agent_ui import faxes, order_messages, recipients
from agent_ui.errors import UiError
from agent_ui.recipients import name_every_problem, recipient_problem


def test_the_rule_is_defined_in_the_shared_module_and_used_by_every_channel():
    for function in (recipient_problem, name_every_problem):
        assert function.__module__ == "agent_ui.recipients", function
        assert getattr(faxes, function.__name__) is function
        assert getattr(order_messages, function.__name__) is function
    assert "def recipient_problem" not in faxes.__loader__.get_source(faxes.__name__)
    assert recipients.__doc__


@pytest.mark.parametrize(
    ("channel", "to", "problem"),
    [
        ("sms", "13800138000", ""),
        ("sms", "010-12345678", "recipient_invalid"),  # a landline takes no SMS
        ("sms", "", "recipient_required"),
        ("sms", None, "recipient_required"),  # not text: as missing
        ("fax", "010-12345678", ""),
        ("fax", "13800138000", "fax_to_mobile"),
        ("email", "zhang@example.com", ""),
        ("email", "zhang@", "recipient_invalid"),
    ],
)
def test_recipient_problem_names_what_is_wrong_with_the_address(channel, to, problem):
    assert recipient_problem(channel, to) == problem


def test_every_problem_is_named_at_once_and_the_address_alone_is_left_to_its_own_words():
    with pytest.raises(UiError) as refused:
        name_every_problem("fax_to_mobile", {"text": "field_required"}, "the fax is incomplete", "fax")
    assert refused.value.error_id == "invalid_fields"
    assert refused.value.details == {
        "problems": {"to": "fax_to_mobile", "text": "field_required"},
        "channel": "fax",
    }
    with pytest.raises(UiError) as refused:
        name_every_problem("", {"text": "field_required"}, "the message is incomplete", "sms")
    assert refused.value.details == {"problems": {"text": "field_required"}}
    # nothing but the address wrong: nothing raised here (check_recipient says it its own way)
    assert name_every_problem("recipient_invalid", {}, "unused", "sms") is None
