"""Inbound routing decisions: a pure function of config, number, caller, time and profile."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cti.routing import CallerProfile, decide, queue_decision
from cti.routing_config import parse_routing

SH = ZoneInfo("Asia/Shanghai")

BASE = {
    "timezone": "Asia/Shanghai",
    "default_queue": "service",
    "hours": {
        "office": {"workdays": ["08:00-12:00", "13:00-18:00"], "restdays": [], "sat": ["09:00-12:00"]},
        "late": {"workdays": ["20:00-24:00"], "restdays": ["00:00-24:00"]},
    },
    "queues": {
        "service": {"timeout": 300, "overflow": "voicemail"},
        "fault": {"timeout": 120, "overflow": "queue:service"},
        "vip": {"timeout": 60, "overflow": "queue:fault"},
        "aftersales": {},
    },
    "skills": {"power_fault": "fault"},
    "entries": [
        {"numbers": ["95598"], "target": "ivr:main"},
        {"numbers": ["95599", "4001110000"], "target": "queue:fault", "priority": 1, "label": "fault"},
        {
            "numbers": ["4008200000"],
            "target": "queue:aftersales",
            "hours": "office",
            "after_hours": "ivr:closed",
        },
        {"numbers": ["4008200001"], "target": "queue:aftersales", "hours": "office"},
        {"numbers": ["4008200002"], "target": "queue:aftersales", "hours": "late", "after_hours": "hangup"},
    ],
    "priority_rules": [
        {"name": "blacklist", "callers": ["+86 139 0000 0000"], "hangup": True},
        {"name": "vip", "when": {"vip": True}, "priority": 10, "queue": "vip"},
        {"name": "repeat", "when": {"open_fault_within_24h": True}, "priority": 5},
    ],
}


class HolidayCalendar:
    """Stands in for cti.calendar.WorkCalendar: 2026-10-01 is a holiday, Sunday 2026-09-27 a working day (调休)."""

    def is_working_day(self, day: dt.date) -> bool:
        if day == dt.date(2026, 10, 1):
            return False
        if day == dt.date(2026, 9, 27):
            return True
        return day.weekday() < 5


@pytest.fixture
def config():
    return parse_routing(BASE, calendar=HolidayCalendar())


def at(day: str, hhmm: str) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hhmm}:00").replace(tzinfo=SH)


WEDNESDAY = "2026-09-23"


def test_ivr_entry_goes_to_its_flow(config):
    d = decide(config, "95598", "13800138000", at(WEDNESDAY, "03:00"))
    assert (d.action, d.ivr, d.queue) == ("ivr", "main", "")


def test_queue_entry_carries_priority_overflow_and_timeouts(config):
    d = decide(config, "95599", "13800138000", at(WEDNESDAY, "10:00"))
    assert d.action == "queue" and d.queue == "fault"
    assert d.priority == 1
    assert d.overflow == "queue:service"
    assert d.queue_timeout == 120 and d.overflow_timeout == 300


def test_all_numbers_of_an_entry_route_alike(config):
    assert decide(config, "4001110000", "1", at(WEDNESDAY, "10:00")).queue == "fault"


def test_queue_without_policy_has_no_overflow_and_default_timeout(config):
    d = decide(config, "4008200000", "13800138000", at(WEDNESDAY, "10:00"))
    assert (d.queue, d.overflow, d.queue_timeout, d.overflow_timeout) == ("aftersales", "", None, None)


def test_overflow_to_voicemail_has_no_next_timeout(config):
    d = queue_decision(config, "service", 3)
    assert (d.overflow, d.queue_timeout, d.overflow_timeout, d.priority) == ("voicemail", 300, None, 3)


def test_unknown_number_goes_to_default_queue(config):
    d = decide(config, "12345", "13800138000", at(WEDNESDAY, "10:00"))
    assert d.action == "queue" and d.queue == "service" and "unknown number" in d.reason


@pytest.mark.parametrize(
    ("day", "hhmm", "open_"),
    [
        (WEDNESDAY, "07:59", False),
        (WEDNESDAY, "08:00", True),
        (WEDNESDAY, "12:30", False),  # lunch break between two windows
        (WEDNESDAY, "17:59", True),
        (WEDNESDAY, "18:00", False),
        ("2026-09-26", "10:00", True),  # Saturday override window
        ("2026-09-26", "12:00", False),
        ("2026-09-27", "10:00", True),  # Sunday made a working day (调休)
        ("2026-10-01", "10:00", False),  # national holiday on a Thursday
        ("2026-10-04", "10:00", False),  # plain Sunday
    ],
)
def test_business_hours_follow_windows_and_calendar(config, day, hhmm, open_):
    d = decide(config, "4008200000", "13800138000", at(day, hhmm))
    assert d.action == ("queue" if open_ else "ivr"), d
    if not open_:
        assert d.ivr == "closed" and d.reason.startswith("closed")


def test_after_hours_default_is_voicemail_with_reason(config):
    d = decide(config, "4008200001", "13800138000", at(WEDNESDAY, "22:00"))
    assert (d.action, d.vm_reason) == ("voicemail", "after_hours")


def test_window_until_midnight_and_rest_day_all_day(config):
    assert decide(config, "4008200002", "1", at(WEDNESDAY, "23:59")).action == "queue"
    assert decide(config, "4008200002", "1", at(WEDNESDAY, "19:59")).action == "hangup"
    assert decide(config, "4008200002", "1", at("2026-10-01", "03:00")).action == "queue"


def test_time_zone_is_applied_to_utc_input(config):
    # 02:00 UTC is 10:00 in Shanghai: open.
    now = dt.datetime(2026, 9, 23, 2, 0, tzinfo=dt.UTC)
    assert decide(config, "4008200001", "1", now).action == "queue"


def test_vip_rule_overrides_queue_and_priority(config):
    d = decide(
        config, "95598", "13800138000", at(WEDNESDAY, "10:00"), CallerProfile(vip=True, customer_id="c1")
    )
    assert (d.action, d.queue, d.priority, d.customer_id) == ("queue", "vip", 10, "c1")
    assert d.overflow == "queue:fault" and d.overflow_timeout == 120
    assert "rule vip" in d.reason


def test_open_fault_rule_raises_priority_but_keeps_the_entry_target(config):
    profile = CallerProfile(open_fault_within_24h=True)
    d = decide(config, "95599", "13800138000", at(WEDNESDAY, "10:00"), profile)
    assert (d.queue, d.priority) == ("fault", 5)
    d = decide(config, "95598", "13800138000", at(WEDNESDAY, "10:00"), profile)
    assert (d.action, d.ivr, d.priority) == ("ivr", "main", 5)


def test_first_matching_rule_wins(config):
    d = decide(
        config, "95599", "1", at(WEDNESDAY, "10:00"), CallerProfile(vip=True, open_fault_within_24h=True)
    )
    assert (d.queue, d.priority) == ("vip", 10)


def test_no_profile_matches_no_profile_rule(config):
    d = decide(config, "95599", "13800138000", at(WEDNESDAY, "10:00"), None)
    assert d.priority == 1 and "rule" not in d.reason


def test_blacklisted_caller_is_hung_up_even_out_of_hours(config):
    assert decide(config, "4008200001", "13900000000", at(WEDNESDAY, "10:00")).action == "hangup"


def test_after_hours_wins_over_vip_queue(config):
    d = decide(config, "4008200001", "1", at(WEDNESDAY, "22:00"), CallerProfile(vip=True))
    assert d.action == "voicemail"


def test_rule_limited_to_numbers():
    raw = dict(BASE, priority_rules=[{"name": "fault-line", "numbers": ["95599"], "priority": 7}])
    config = parse_routing(raw)
    assert decide(config, "95599", "1", at(WEDNESDAY, "10:00")).priority == 7
    assert decide(config, "4001110000", "1", at(WEDNESDAY, "10:00")).priority == 1


def test_skills_map_to_queues_and_needs_profile(config):
    assert config.queue_for_skill("power_fault") == "fault"
    assert config.needs_profile
    assert not parse_routing(dict(BASE, priority_rules=[])).needs_profile


def test_ivr_flows_lists_entry_and_after_hours_flows(config):
    assert config.ivr_flows == {"main", "closed"}


def test_default_calendar_is_monday_to_friday():
    config = parse_routing(BASE)
    assert decide(config, "4008200001", "1", at("2026-10-01", "10:00")).action == "queue"
    assert decide(config, "4008200001", "1", at("2026-09-27", "10:00")).action == "voicemail"


def test_with_the_chinese_work_calendar():
    from cti.calendar import WorkCalendar

    config = parse_routing(BASE, calendar=WorkCalendar.china())
    # National Day (a Thursday) is closed; Saturday 2026-10-10 is a make-up working day (调休).
    assert decide(config, "4008200001", "1", at("2026-10-01", "10:00")).action == "voicemail"
    assert decide(config, "4008200001", "1", at("2026-10-10", "17:00")).action == "queue"
    assert decide(config, "4008200001", "1", at("2026-10-08", "10:00")).action == "queue"


def test_survey_flag_follows_the_entry_through_rules_ivr_and_after_hours():
    raw = dict(BASE, entries=[dict(e, survey=True) for e in BASE["entries"]])
    config = parse_routing(raw, calendar=HolidayCalendar())
    assert decide(config, "95599", "1", at(WEDNESDAY, "10:00")).survey
    assert decide(config, "95598", "1", at(WEDNESDAY, "10:00")).survey  # the IVR passes it on
    assert decide(config, "95598", "1", at(WEDNESDAY, "10:00"), CallerProfile(vip=True)).survey
    assert not decide(parse_routing(BASE), "95599", "1", at(WEDNESDAY, "10:00")).survey
    assert not queue_decision(config, "fault").survey


def test_rules_apply_to_unknown_numbers_too(config):
    assert decide(config, "12345", "13900000000", at(WEDNESDAY, "10:00")).action == "hangup"
    d = decide(config, "12345", "1", at(WEDNESDAY, "10:00"), CallerProfile(vip=True))
    assert (d.queue, d.priority) == ("vip", 10)
    d = decide(config, "12345", "1", at(WEDNESDAY, "10:00"), CallerProfile(open_fault_within_24h=True))
    assert (d.queue, d.priority) == ("service", 5)


def test_a_fax_number_stays_a_fax_for_a_vip_sender_and_a_blacklisted_one_is_refused(config):
    raw = dict(BASE, entries=[*BASE["entries"], {"numbers": ["95598009"], "target": "fax"}])
    config = parse_routing(raw, calendar=HolidayCalendar())
    vip = decide(config, "95598009", "13800138000", at(WEDNESDAY, "10:00"), CallerProfile(vip=True))
    assert (vip.action, vip.queue) == ("fax", "")
    assert decide(config, "95598009", "13900000000", at(WEDNESDAY, "10:00")).action == "hangup"
