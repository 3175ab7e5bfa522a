"""An SMS delivery report's reason code read as what it means for the agent
(``sms_status.reason_kind``): the common CMPP / SMPP status words and operators' gateway codes,
and a code not known here as ``other`` (未知原因（code）); the Chinese words kept on the 提醒's row
are the console's zh-CN texts, and every kind has its words in both languages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ticketing.sms_status import ALERT_WORDS, REASON_WORDS, about, alert_text, reason_kind

TEXTS = {
    lang: json.loads((Path(__file__).parents[2] / f"agent_ui/texts/{lang}.json").read_text(encoding="utf-8"))
    for lang in ("zh-CN", "en")
}


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("UNDELIV", "unreachable"),
        ("undeliv", "unreachable"),
        ("EXPIRED", "expired"),
        ("REJECTD", "rejected"),
        ("DELETED", "rejected"),
        ("MK:0001", "carrier"),
        ("MK:0012", "carrier"),
        ("MI:0013", "carrier"),
        ("MN:0001", "carrier"),
        ("BLACK", "blocked"),
        ("BLACKLIST", "blocked"),
        ("DB:0141", "blocked"),
        ("UNKNOWN", "unknown"),
        ("DELIVRD", "delivered"),
        ("ZZ:4242", "other"),
        ("", ""),
        ("  ", ""),
    ],
)
def test_reason_codes_read_as_what_they_mean(code, kind):
    assert reason_kind(code) == kind


def test_every_kind_has_words_in_both_languages_and_the_stored_ones_are_the_chinese_texts():
    for kind, words in REASON_WORDS.items():
        key = f"delivery.sms.reason.{kind}" if kind else "delivery.sms.no_reason"
        assert TEXTS["zh-CN"][key] == words
        assert TEXTS["en"][key] and TEXTS["en"][key] != words
    for state, words in ALERT_WORDS.items():
        assert TEXTS["zh-CN"][f"sms_alert.{state}"] == words
        assert "{to}" in TEXTS["en"][f"sms_alert.{state}"] and "{reason}" in TEXTS["en"][f"sms_alert.{state}"]


def test_the_alert_says_the_words_and_an_unknown_code_as_it_is():
    class Sms:
        id, recipient, body = 7, "13800138000", "抢修人员已出发"
        delivery, delivery_reason = "failed", "MK:0001"

    assert alert_text(ALERT_WORDS, REASON_WORDS, about(Sms)) == (
        "发往 13800138000 的短信未送达（运营商网关错误），请联系对方或重发。短信内容：抢修人员已出发"
    )
    Sms.delivery_reason = "XX:9"
    assert "未知原因（XX:9）" in alert_text(ALERT_WORDS, REASON_WORDS, about(Sms))
