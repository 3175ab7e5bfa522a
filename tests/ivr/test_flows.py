"""IVR flow files are validated on load; every problem is named and located."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from cti.routing_config import load_routing
from ivr.flows import DEFAULT_PROMPTS, IvrConfigError, Step, load_flows, parse_flows

REPO = Path(__file__).resolve().parents[2]
# sounds/en is a symlink to /etc/alternatives inside the chroot; this is its target.
SOUNDS = Path("/var/lib/hotline/asterisk-root/usr/share/asterisk/sounds/en_US_f_Allison")

GOOD = {
    "flows": {
        "main": {
            "start": "top",
            "menus": {
                "top": {
                    "prompts": ["hello"],
                    "choices": {"1": "bill", "2": "menu:sub", "0": "queue:service"},
                },
                "sub": {"prompts": "vm-press", "choices": {"#": {"do": "outage", "then": "menu:top"}}},
            },
        }
    }
}


def problems(raw, **kwargs) -> list[tuple[str, str]]:
    with pytest.raises(IvrConfigError) as info:
        parse_flows(raw, **kwargs)
    return [(p.error_id, p.where) for p in info.value.problems]


def test_good_flows_load():
    config = parse_flows(GOOD)
    menu = config.flows["main"].menus["top"]
    assert menu.choices["2"] == Step("menu", "sub")
    assert config.flows["main"].menus["sub"].choices["#"] == Step("outage", "", Step("menu", "top"))
    assert config.flows["main"].menus["sub"].prompts == ("vm-press",)
    assert config.prompt("invalid") == DEFAULT_PROMPTS["invalid"]


def test_shipped_flows_are_valid_against_the_routing_file_and_the_sounds():
    routing = load_routing(REPO / "deploy" / "routing.yaml")
    sounds = SOUNDS if SOUNDS.exists() else None
    config = load_flows(REPO / "deploy" / "ivr.yaml", queues=routing.queues, sounds_dir=sounds)
    assert routing.ivr_flows <= set(config.flows)


@pytest.mark.skipif(not SOUNDS.exists(), reason="needs the Asterisk sounds")
def test_unknown_sound_is_reported():
    raw = copy.deepcopy(GOOD)
    raw["flows"]["main"]["menus"]["top"]["prompts"] = ["hello", "no-such-sound"]
    raw["prompts"] = {"goodbye": ["also-missing"]}
    assert problems(raw, sounds_dir=SOUNDS) == [
        ("ivr.unknown_sound", "flows.main.menus.top.prompts[1]"),
        ("ivr.unknown_sound", "prompts.goodbye[0]"),
    ]


def test_bad_references_and_keys():
    raw = copy.deepcopy(GOOD)
    top = raw["flows"]["main"]["menus"]["top"]
    top["choices"].update(
        {"10": "bill", "3": "menu:nowhere", "4": "queue:ghost", "5": "dial:1", "6": "voicemail:x"}
    )
    top["choices"]["7"] = {"do": "queue:service", "then": "menu:top"}
    top["on_timeout"] = "menu:gone"
    top["timeout"] = 0
    top["colour"] = "red"
    found = problems(raw, queues={"service"})
    assert ("ivr.bad_choice", "flows.main.menus.top.choices.10") in found
    assert ("ivr.unknown_menu", "flows.main.menus.top.choices.3") in found
    assert ("ivr.unknown_queue", "flows.main.menus.top.choices.4") in found
    assert ("ivr.bad_target", "flows.main.menus.top.choices.5") in found
    assert ("ivr.bad_target", "flows.main.menus.top.choices.6") in found
    assert ("ivr.bad_target", "flows.main.menus.top.choices.7.then") in found
    assert ("ivr.unknown_menu", "flows.main.menus.top.on_timeout") in found
    assert ("ivr.bad_value", "flows.main.menus.top.timeout") in found
    assert ("ivr.unknown_field", "flows.main.menus.top.colour") in found


def test_missing_parts():
    assert problems({}) == [("ivr.missing_field", "flows")]
    found = problems({"flows": {"a": {"menus": {}}, "b": {"start": "x", "menus": {"m": {"choices": {}}}}}})
    assert ("ivr.missing_field", "flows.a.menus") in found
    assert ("ivr.unknown_menu", "flows.b.start") in found
    assert ("ivr.missing_field", "flows.b.menus.m.choices") in found


def test_unknown_prompt_key_and_numbers_as_keys():
    raw = copy.deepcopy(GOOD)
    raw["prompts"] = {"welcome": ["hello"]}
    raw["flows"]["main"]["menus"]["top"]["choices"] = {1: "bill"}
    assert problems(raw) == [("ivr.unknown_field", "prompts.welcome")]


def test_duplicate_keys_in_the_file(tmp_path):
    path = tmp_path / "ivr.yaml"
    path.write_text("flows:\n  main:\n    menus:\n      top:\n        choices: {'1': bill, '1': outage}\n")
    with pytest.raises(IvrConfigError) as info:
        load_flows(path)
    assert info.value.error_ids == ["ivr.yaml_invalid"]
