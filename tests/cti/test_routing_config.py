"""The routing file is validated on load; every problem is named and located."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from cti.routing_config import RoutingConfigError, load_routing, parse_routing

REPO = Path(__file__).resolve().parents[2]

GOOD = {
    "default_queue": "service",
    "hours": {"office": {"workdays": ["08:00-18:00"]}},
    "queues": {"service": {"timeout": 60, "overflow": "voicemail"}, "fault": {"overflow": "queue:service"}},
    "entries": [{"numbers": ["95598"], "target": "queue:service"}],
}


def problems(raw, **kwargs) -> list[tuple[str, str]]:
    with pytest.raises(RoutingConfigError) as info:
        parse_routing(raw, **kwargs)
    return [(p.error_id, p.where) for p in info.value.problems]


def changed(**top):
    raw = copy.deepcopy(GOOD)
    raw.update(top)
    return raw


def test_good_config_loads():
    config = parse_routing(GOOD)
    assert config.default_queue == "service" and set(config.queues) == {"service", "fault"}


def test_shipped_sample_is_valid():
    config = load_routing(REPO / "deploy" / "routing.yaml")
    assert "95598" in config.entries


def test_unknown_queue_everywhere_is_reported():
    raw = changed(
        default_queue="nope",
        skills={"s": "ghost"},
        entries=[{"numbers": ["1"], "target": "queue:faults", "after_hours": "queue:x"}],
        priority_rules=[{"name": "v", "when": {"vip": True}, "queue": "vipq"}],
    )
    raw["queues"]["fault"]["overflow"] = "queue:elsewhere"
    found = problems(raw)
    assert ("routing.unknown_queue", "default_queue") in found
    assert ("routing.unknown_queue", "skills.s") in found
    assert ("routing.unknown_queue", "entries[0].target") in found
    assert ("routing.unknown_queue", "entries[0].after_hours") in found
    assert ("routing.unknown_queue", "priority_rules[0].queue") in found
    assert ("routing.unknown_queue", "queues.fault.overflow") in found


def test_error_message_names_the_known_queues():
    raw = changed(entries=[{"numbers": ["1"], "target": "queue:faults"}])
    with pytest.raises(RoutingConfigError, match=r"queue 'faults' is not defined \(known: fault, service\)"):
        parse_routing(raw)


def test_number_mapped_twice():
    raw = changed(
        entries=[{"numbers": ["95598"], "target": "queue:service"}, {"numbers": [95598], "target": "ivr:m"}]
    )
    assert problems(raw) == [("routing.duplicate_number", "entries[1].numbers")]


def test_duplicate_yaml_key_is_refused(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("default_queue: service\nqueues:\n  service: {}\n  service: {timeout: 3}\nentries: []\n")
    with pytest.raises(RoutingConfigError) as info:
        load_routing(path)
    assert info.value.error_ids == ["routing.yaml_invalid"]
    assert "duplicate key 'service'" in str(info.value)


def test_overflow_loops():
    raw = changed(
        queues={
            "service": {},
            "a": {"overflow": "queue:b"},
            "b": {"overflow": "queue:c"},
            "c": {"overflow": "queue:a"},
            "self": {"overflow": "queue:self"},
        }
    )
    found = problems(raw)
    assert found.count(("routing.overflow_loop", "queues.a.overflow")) == 1
    assert ("routing.overflow_loop", "queues.self.overflow") in found
    assert len(found) == 2


@pytest.mark.parametrize("window", ["8:00-18:00", "08:00", "18:00-08:00", "08:00-25:00", "08:60-09:00", "x"])
def test_bad_time(window):
    raw = changed(hours={"office": {"workdays": [window]}})
    assert problems(raw) == [("routing.bad_time", "hours.office.workdays[0]")]


def test_unknown_hours_and_bad_targets():
    raw = changed(
        entries=[
            {"numbers": ["1"], "target": "queue:service", "hours": "nights"},
            {"numbers": ["2"], "target": "dial:123"},
            {"numbers": ["3"], "target": "ivr:"},
            {"numbers": ["4"], "target": "voicemail:x"},
        ]
    )
    found = problems(raw)
    assert ("routing.unknown_hours", "entries[0].hours") in found
    assert ("routing.bad_target", "entries[1].target") in found
    assert ("routing.bad_target", "entries[2].target") in found
    assert ("routing.bad_target", "entries[3].target") in found


def test_unknown_fields_missing_numbers_bad_values():
    raw = changed(
        queus={},
        entries=[{"target": "queue:service", "prio": 3, "priority": -1}],
        profile_timeout=0,
        timezone="Mars/Olympus",
    )
    raw["queues"]["service"]["timeout"] = "soon"
    found = problems(raw)
    assert ("routing.unknown_field", "file.queus") in found
    assert ("routing.unknown_field", "entries[0].prio") in found
    assert ("routing.missing_field", "entries[0].numbers") in found
    assert ("routing.bad_value", "entries[0].priority") in found
    assert ("routing.bad_value", "queues.service.timeout") in found
    assert ("routing.bad_value", "profile_timeout") in found
    assert ("routing.bad_timezone", "timezone") in found


def test_rules_need_a_condition_and_boolean_flags():
    raw = changed(
        priority_rules=[
            {"name": "empty", "priority": 3},
            {"when": {"vip": "yes", "gold": True}},
            {"callers": ["abc"]},
        ]
    )
    found = problems(raw)
    assert ("routing.missing_field", "priority_rules[0]") in found
    assert ("routing.bad_value", "priority_rules[1].when.vip") in found
    assert ("routing.unknown_field", "priority_rules[1].when.gold") in found
    assert ("routing.bad_value", "priority_rules[2].callers[0]") in found


def test_no_entries_no_queues():
    found = problems({"queues": {}, "entries": []})
    assert ("routing.missing_field", "entries") in found
    assert ("routing.missing_field", "queues") in found


def test_cross_checks_with_ivr_flows_and_asterisk_queues():
    raw = changed(entries=[{"numbers": ["1"], "target": "ivr:main", "after_hours": "ivr:closed"}])
    assert problems(raw, known_flows={"main"}) == [("routing.unknown_flow", "entries")]
    assert problems(GOOD, known_queues={"service"}) == [("routing.unknown_queue", "queues.fault")]


def test_not_a_mapping_and_unreadable(tmp_path):
    assert ("routing.not_a_mapping", "file") in problems(["a"])
    with pytest.raises(RoutingConfigError) as info:
        load_routing(tmp_path / "missing.yaml")
    assert info.value.error_ids == ["routing.unreadable"]


def test_caller_numbers_are_normalised():
    raw = changed(priority_rules=[{"callers": ["+86 138-0013-8000"], "hangup": True}])
    assert parse_routing(raw).rules[0].callers == {"13800138000"}


def test_general_is_not_a_queue_name_in_asterisk():
    raw = changed(queues={"general": {}, "service": {}})
    assert problems(raw) == [("routing.reserved_queue_name", "queues.general")]


def test_survey_must_be_a_boolean():
    raw = changed(entries=[{"numbers": ["1"], "target": "queue:service", "survey": "yes"}])
    assert problems(raw) == [("routing.bad_value", "entries[0].survey")]
