"""IVR flow files are validated on load; every problem is named and located."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from cti.routing_config import load_routing
from ivr.flows import DEFAULT_PROMPTS, IvrConfigError, Step, load_flows, parse_flows
from ivr.prompts import load_catalogue

REPO = Path(__file__).resolve().parents[2]
# Asterisk's sounds tree; sounds/zh is spoken from deploy/prompts/zh.yaml at start.
SOUNDS = Path("/var/lib/hotline/asterisk-root/usr/share/asterisk/sounds")

GOOD = {
    "flows": {
        "main": {
            "start": "top",
            "menus": {
                "top": {
                    "prompts": ["hotline/welcome"],
                    "choices": {"1": "bill", "2": "menu:sub", "0": "queue:service"},
                },
                "sub": {
                    "prompts": "hotline/menu-faults",
                    "choices": {"#": {"do": "outage", "then": "menu:top"}},
                },
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
    assert config.flows["main"].menus["sub"].prompts == ("hotline/menu-faults",)
    assert config.prompt("invalid") == DEFAULT_PROMPTS["invalid"]
    assert config.language == "zh"
    assert config.language_for("95598") == "zh"


def test_a_menu_has_a_title_for_the_agents_screen_pop():
    raw = copy.deepcopy(GOOD)
    raw["flows"]["main"]["menus"]["top"]["title"] = " 主菜单 "
    menus = parse_flows(raw).flows["main"].menus
    assert menus["top"].label == "主菜单" and menus["sub"].label == "sub"  # untitled: its name
    raw["flows"]["main"]["menus"]["sub"]["title"] = ["故障"]
    assert problems(raw) == [("ivr.bad_value", "flows.main.menus.sub.title")]
    shipped = load_flows(REPO / "deploy" / "ivr.yaml")
    assert all(menu.title for flow in shipped.flows.values() for menu in flow.menus.values())


def test_shipped_flows_are_valid_against_the_routing_file():
    routing = load_routing(REPO / "deploy" / "routing.yaml")
    config = load_flows(REPO / "deploy" / "ivr.yaml", queues=routing.queues)
    assert routing.ivr_flows <= set(config.flows)
    assert config.language == "zh"


def test_every_shipped_sound_is_in_the_zh_catalogue():
    """What ivr.yaml and the defaults name is spoken into sounds/zh/ (no English fallback)."""
    catalogue = load_catalogue(REPO / "deploy" / "prompts" / "zh.yaml")
    config = load_flows(REPO / "deploy" / "ivr.yaml")
    named = {s for flow in config.flows.values() for m in flow.menus.values() for s in m.prompts}
    named |= {s for key in DEFAULT_PROMPTS for s in config.prompt(key)}
    named |= {s for sounds in config.status_prompts.values() for s in sounds}
    assert named - set(catalogue.prompts) == set()


def test_unknown_sound_is_reported_for_the_language_in_use(tmp_path):
    for name in (
        "zh/hotline/welcome.wav",
        "zh/hotline/menu-faults.wav",
        "en/hotline/welcome.gsm",
        "beep.gsm",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    raw = copy.deepcopy(GOOD)
    raw["flows"]["main"]["menus"]["top"]["prompts"] = ["hotline/welcome", "no-such-sound", "beep"]
    raw["prompts"] = {key: ["hotline/welcome"] for key in DEFAULT_PROMPTS}
    raw["prompts"]["goodbye"] = ["also-missing"]
    assert problems(raw, sounds_dir=tmp_path) == [
        ("ivr.unknown_sound", "flows.main.menus.top.prompts[1]"),
        ("ivr.unknown_sound", "prompts.goodbye[0]"),
    ]
    # An English line needs every sound in English too: the sub menu's is only in zh.
    raw["flows"]["main"]["menus"]["top"]["prompts"] = ["hotline/welcome"]
    raw["prompts"]["goodbye"] = ["hotline/welcome"]
    raw["number_languages"] = {4008000000: "en"}
    assert problems(raw, sounds_dir=tmp_path) == [("ivr.unknown_sound", "flows.main.menus.sub.prompts[0]")]
    del raw["flows"]["main"]["menus"]["sub"]
    raw["flows"]["main"]["menus"]["top"]["choices"].pop("2")
    config = parse_flows(raw, sounds_dir=tmp_path)
    assert config.language_for("4008000000") == "en"
    assert config.language_for("95598") == "zh"


def test_a_bad_language_is_reported():
    raw = copy.deepcopy(GOOD)
    raw["language"] = "Chinese!"
    raw["number_languages"] = {"95598": ""}
    assert problems(raw) == [("ivr.bad_value", "language"), ("ivr.bad_value", "number_languages.95598")]


@pytest.mark.skipif(
    not (SOUNDS / "zh" / "hotline").exists(), reason="needs the zh prompts (hotline-asterisk start)"
)
def test_shipped_flows_find_every_sound_in_the_provisioned_zh_tree():
    routing = load_routing(REPO / "deploy" / "routing.yaml")
    load_flows(REPO / "deploy" / "ivr.yaml", queues=routing.queues, sounds_dir=SOUNDS)


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
    raw["prompts"] = {"welcome": ["hotline/welcome"]}
    raw["flows"]["main"]["menus"]["top"]["choices"] = {1: "bill"}
    assert problems(raw) == [("ivr.unknown_field", "prompts.welcome")]


def test_duplicate_keys_in_the_file(tmp_path):
    path = tmp_path / "ivr.yaml"
    path.write_text("flows:\n  main:\n    menus:\n      top:\n        choices: {'1': bill, '1': outage}\n")
    with pytest.raises(IvrConfigError) as info:
        load_flows(path)
    assert info.value.error_ids == ["ivr.yaml_invalid"]


def test_the_demo_menu_offers_only_what_the_demo_can_answer():
    # The demo has no billing system: neither its menu nor the spoken menu may offer 电费 (QA F8).
    from hotline.selfservice import ticketing_hooks
    from ivr.menus import offered

    hooks = ticketing_hooks(None)
    config = load_flows(REPO / "deploy" / "ivr.yaml")
    steps = [s for flow in config.flows.values() for m in flow.menus.values() for s in m.choices.values()]
    assert all(offered(step, hooks) for step in steps)
    assert "电费" not in load_catalogue(REPO / "deploy" / "prompts" / "zh.yaml").prompts["hotline/menu-main"]
