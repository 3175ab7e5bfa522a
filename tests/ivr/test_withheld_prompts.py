"""A caller whose number is withheld hears each queue sound that offers 9 from
sounds/<language>_withheld/ ([hotline-queue]). Every catalogue's withheld variant is derived from
it (ivr.prompts.withheld_variant) and installed beside it, so a line in another language never
falls back to its own offer of 9 for lack of a hand-written <language>_withheld.yaml; a catalogue
that cannot say it without the 9 is refused, and the IVR's start names a language whose variant
is not installed."""

from __future__ import annotations

import pytest

from ivr import IvrConfigError, parse_flows, prompts
from ivr.prompts import (
    PromptCatalogueError,
    load_catalogue,
    parse_catalogue,
    with_withheld_variants,
    withheld_variant,
)

from .test_prompts import ZH

EN = {
    "language": "en",
    "voice": "en",
    "prompts": {
        "hotline/welcome": "Welcome to the hotline.",
        "hotline/queue-callback": "All agents are busy. Press 9 to be called back.",
        "queue-periodic-announce": "All agents are busy, please hold.",
    },
}


def test_the_shipped_zh_variant_only_asks_to_hold():
    cats = {c.language: c for c in with_withheld_variants(prompts.catalogues())}
    assert cats["zh_withheld"].prompts == {"hotline/queue-callback": "所有座席正忙，请耐心等待。"}
    assert "九" in cats["zh"].prompts["hotline/queue-callback"]  # a caller with a number is offered 9
    assert (cats["zh_withheld"].voice, cats["zh_withheld"].speed) == (cats["zh"].voice, cats["zh"].speed)


def test_a_new_language_gets_its_withheld_variant_without_a_file_of_its_own(tmp_path):
    (tmp_path / "en.yaml").write_text(
        "language: en\nvoice: en\nprompts:\n"
        "  hotline/queue-callback: All agents are busy. Press 9 to be called back.\n"
        "  queue-periodic-announce: All agents are busy, please hold.\n",
        encoding="utf-8",
    )
    (variant,) = [c for c in with_withheld_variants([tmp_path / "en.yaml"]) if c.language == "en_withheld"]
    assert variant.prompts == {"hotline/queue-callback": "All agents are busy, please hold."}
    # the catalogue's own words for them win
    own = parse_catalogue({**EN, "withheld": {"hotline/queue-callback": "Please stay on the line."}})
    assert withheld_variant(own).prompts == {"hotline/queue-callback": "Please stay on the line."}


def test_a_hand_written_withheld_catalogue_replaces_the_derived_one(tmp_path):
    (tmp_path / "en.yaml").write_text(
        "language: en\nvoice: en\nprompts:\n  hotline/queue-callback: Press 9.\n", encoding="utf-8"
    )
    (tmp_path / "en_withheld.yaml").write_text(
        "language: en_withheld\nvoice: en\nprompts:\n  hotline/queue-callback: Hold on.\n", encoding="utf-8"
    )
    cats = with_withheld_variants(sorted(tmp_path.glob("*.yaml")))
    assert [(c.language, c.prompts["hotline/queue-callback"]) for c in cats] == [
        ("en", "Press 9."),
        ("en_withheld", "Hold on."),
    ]


def test_a_catalogue_that_cannot_say_it_without_the_9_is_refused(tmp_path, capsys):
    bare = {**EN, "prompts": {k: v for k, v in EN["prompts"].items() if k != "queue-periodic-announce"}}
    with pytest.raises(PromptCatalogueError) as info:
        withheld_variant(parse_catalogue(bare))
    assert info.value.error_ids == ["prompts.no_withheld_variant"]
    assert "hotline/queue-callback" in str(info.value) and "offered 9" in str(info.value)
    # the install stops with it, before speaking anything
    path = tmp_path / "en.yaml"
    path.write_text(
        "language: en\nvoice: en\nprompts:\n  hotline/queue-callback: Press 9 to be called back.\n",
        encoding="utf-8",
    )
    assert prompts.main(["install", "--sounds", str(tmp_path / "s"), "--catalogue", str(path)]) == 2
    assert "prompts.no_withheld_variant" in capsys.readouterr().err
    assert not (tmp_path / "s" / "en").exists()


def test_only_the_sounds_that_offer_9_may_differ():
    with pytest.raises(PromptCatalogueError) as info:
        parse_catalogue({**EN, "withheld": {"hotline/welcome": "Hi."}})
    assert info.value.error_ids == ["prompts.bad_name"]


def test_the_ivr_start_names_a_language_whose_withheld_variant_is_not_installed(tmp_path):
    for language in ("zh", "en"):
        (tmp_path / language / "hotline").mkdir(parents=True)
        (tmp_path / language / "hotline" / "queue-callback.wav").write_bytes(b"RIFF")
    (tmp_path / "zh_withheld" / "hotline").mkdir(parents=True)
    (tmp_path / "zh_withheld" / "hotline" / "queue-callback.wav").write_bytes(b"RIFF")
    raw = {
        "language": "zh",
        "number_languages": {"4008000000": "en"},
        "flows": {"main": {"start": "top", "menus": {"top": {"prompts": [], "choices": {"0": "hangup"}}}}},
    }
    with pytest.raises(IvrConfigError) as info:
        parse_flows(raw, sounds_dir=tmp_path)
    ids = [(p.error_id, p.where) for p in info.value.problems]
    assert ("ivr.withheld_offered_callback", "number_languages") in ids
    assert "en_withheld" in str(info.value) and "zh_withheld" not in str(info.value)


def test_the_shipped_catalogue_still_loads_with_its_withheld_section():
    assert load_catalogue(ZH).withheld == {"hotline/queue-callback": "所有座席正忙，请耐心等待。"}
