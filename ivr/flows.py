"""IVR flows as data: menus, DTMF choices and self-service steps (YAML, validated on load).

A flow is a set of menus; the caller starts at ``start``. A menu plays its
prompts, waits for one digit and follows the choice::

    language: zh                # CHANNEL(language) of every call: sounds come from sounds/zh/
    number_languages:           # optional: lines that speak another language
      "4008000000": en
    flows:
      main:
        start: top
        callback_queue: service # whose place a callback keeps (default: routing's default queue)
        # a withheld caller's callback: told it needs a number, then here (default: an agent,
        # queue:<callback_queue>; deploy/ivr.yaml's after-hours flow says voicemail)
        callback_without_number: queue:service
        menus:
          top:
            title: 主菜单       # what the agents' screen-pop calls the menu (default: its name)
            greeting: [hotline/welcome]  # only the first time the caller hears this menu
            prompts: [hotline/menu-main]
            timeout: 5          # seconds to wait for a digit after the prompts
            retries: 2          # how often the menu is replayed on no/invalid input
            choices:
              "1": outage       # self-service: outage information for my area
              "2": bill         # bill by 户号 (account number)
              "3": ticket_status
              "4": report_fault # leave a recorded message -> fault ticket
              "5": queue:complaint
              "9": callback     # keep my place, call me back
              "0": queue:service
              "*": menu:top
            on_timeout: queue:service
            on_invalid: queue:service
    prompts:                    # optional: replace the default sound of a self-service step
      enter_account: [hotline/enter-account]

Given ``sounds_dir`` (Asterisk's sounds tree), every named sound must exist for
every language in use, as Asterisk looks for it: ``sounds/<language>/`` or
``sounds/``, never the English fallback.

Targets: ``menu:NAME``, ``queue:NAME``, ``voicemail``, ``hangup`` or a
self-service action (``outage``, ``bill``, ``ticket_status``, ``report_fault``,
``callback``). A choice may also be a mapping ``{do: bill, then: menu:top}``:
``then`` is where the caller goes after a self-service step (default: back to
the same menu).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cti.configfile import ConfigError, ConfigProblem, ProblemCollector, load_yaml

SELF_SERVICE = ("outage", "bill", "ticket_status", "report_fault", "callback")
TERMINAL = ("queue", "voicemail", "hangup")
DTMF_KEYS = set("0123456789*#")
_LANGUAGE = re.compile(r"^[a-z]{2,3}([_-][A-Za-z0-9]+)*$")

# The sounds of the self-service steps. They are spoken from deploy/prompts/zh.yaml
# into sounds/zh/ (ivr/prompts.py); a site replaces any of them with a recording
# (deploy/prompts/recorded/zh/<name>.wav) or names other sounds in the flow
# file's ``prompts``.
DEFAULT_PROMPTS: dict[str, tuple[str, ...]] = {
    "invalid": ("hotline/invalid",),
    "too_many_wrong": ("hotline/too-many-wrong",),  # then an agent's queue
    "enter_area": ("hotline/enter-area",),
    # a caller with a number, when the area registered for it can be looked up: # alone for it
    "enter_area_home": ("hotline/enter-area-home",),
    "no_home_area": ("hotline/no-home-area",),  # # alone, but no one area registered for the number
    "enter_account": ("hotline/enter-account",),
    "enter_ticket": ("hotline/enter-ticket",),
    "no_outage": ("hotline/no-outage",),
    "outage_count": ("hotline/outage-count",),  # ... <number> ...
    "outage_count_after": ("hotline/outage-count-after",),
    "outage_until": ("hotline/outage-until",),  # ... <date and time>
    "outage_planned": ("hotline/outage-planned",),  # ... <start>
    "outage_planned_until": ("hotline/outage-planned-until",),  # ... <end>
    "outage_next": ("hotline/outage-next",),  # between two outages: 1 for the next one
    "bill_amount": ("hotline/bill-amount",),  # ... <yuan> 元 <jiao> 角 <fen> 分
    "currency": ("hotline/yuan",),
    "currency_tenths": ("hotline/jiao",),
    "currency_hundredths": ("hotline/fen",),
    "not_found": ("hotline/not-found",),
    "ticket_number": ("hotline/ticket-number",),
    "ticket_status": ("hotline/ticket-status",),
    "record_fault": ("hotline/record-fault",),
    "message_saved": ("hotline/message-saved",),
    "message_empty_retry": ("hotline/message-empty-retry",),  # nothing heard: once more
    "message_empty": ("hotline/message-empty",),  # nothing heard twice: then an agent's queue
    "ticket_ambiguous": ("hotline/ticket-ambiguous",),  # keyed digits of two orders not told apart: an agent
    # an order asked for from a number not registered on it (or a withheld one): its phone's last four
    "enter_phone_last4": ("hotline/enter-phone-last4",),
    "ticket_phone_mismatch": ("hotline/ticket-phone-mismatch",),  # wrong last four: asked again
    "ticket_unverifiable": ("hotline/ticket-unverifiable",),  # no number on the order: an agent
    # the same check before a bill is read: the last four of a number registered on the 户号
    "bill_phone_last4": ("hotline/bill-phone-last4",),
    "bill_phone_mismatch": ("hotline/bill-phone-mismatch",),  # wrong last four: asked again
    "bill_unverifiable": ("hotline/bill-unverifiable",),  # no number on the account: an agent
    "callback_needs_number": ("hotline/callback-needs-number",),  # a withheld caller pressed 9
    "to_agent": ("hotline/to-agent",),  # ... then put through to an agent
    "callback_saved": ("hotline/callback-saved",),
    "not_available": ("hotline/not-available",),
    "goodbye": ("hotline/goodbye",),
    "one_moment": ("hotline/one-moment",),
    "survey_question": ("hotline/survey-question",),
    "survey_thanks": ("hotline/survey-thanks",),
}
DEFAULT_LANGUAGE = "zh"
# How SAY DATETIME reads a time in each language (say.c's format letters); the
# Chinese one: 十一月 二十六日 星期四 下午 三点 零五分.
DATETIME_FORMATS = {"zh": "BdAp IM", "en": "ABdY 'digits/at' IMp"}


@dataclasses.dataclass(frozen=True)
class Step:
    """Where a choice leads: kind is menu | queue | voicemail | hangup | a self-service action."""

    kind: str
    name: str = ""
    then: Step | None = None

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}" if self.name else self.kind


@dataclasses.dataclass(frozen=True)
class Menu:
    name: str
    prompts: tuple[str, ...]
    choices: Mapping[str, Step]
    timeout: int = 5
    retries: int = 2
    on_timeout: Step = Step("hangup")
    on_invalid: Step = Step("hangup")
    title: str = ""  # what the agents' screen-pop calls the menu ('' = its name)
    greeting: tuple[str, ...] = ()  # played before the prompts the first time only

    @property
    def label(self) -> str:
        return self.title or self.name


@dataclasses.dataclass(frozen=True)
class Flow:
    name: str
    start: str
    menus: Mapping[str, Menu]
    callback_queue: str = ""  # whose place a callback keeps ('' = the routing default queue)
    # where a caller whose number is withheld goes after choosing a callback (None = an agent:
    # the callback queue); a flow with nobody to put them through to (after hours) says ``voicemail``
    callback_without_number: Step | None = None


@dataclasses.dataclass(frozen=True)
class IvrConfig:
    flows: Mapping[str, Flow]
    prompts: Mapping[str, tuple[str, ...]]
    status_prompts: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    language: str = DEFAULT_LANGUAGE  # CHANNEL(language) of every hotline call: sounds/<language>/
    number_languages: Mapping[str, str] = dataclasses.field(default_factory=dict)  # DNIS -> language

    def prompt(self, key: str) -> tuple[str, ...]:
        return self.prompts.get(key, DEFAULT_PROMPTS.get(key, ()))

    def language_for(self, dnis: str) -> str:
        return self.number_languages.get(dnis, self.language)

    @property
    def languages(self) -> set[str]:
        return {self.language, *self.number_languages.values()}


class IvrConfigError(ConfigError):
    pass


_FLOW_KEYS = {"start", "menus", "callback_queue", "callback_without_number"}
_MENU_KEYS = {"title", "greeting", "prompts", "choices", "timeout", "retries", "on_timeout", "on_invalid"}


class _Checker(ProblemCollector):
    prefix = "ivr"

    def __init__(self, sounds_dir: Path | None, queues: set[str] | None) -> None:
        super().__init__()
        self.sounds_dir = sounds_dir
        self.queues = queues
        self.languages: set[str] = {DEFAULT_LANGUAGE}

    def sounds(self, value: Any, where: str) -> tuple[str, ...]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.add("bad_value", where, f"expected a list of sound names, got {value!r}")
            return ()
        for i, sound in enumerate(value):
            for language in sorted(self.languages):
                if not self.sound_exists(sound, language):
                    self.add(
                        "unknown_sound",
                        f"{where}[{i}]",
                        f"no {language} sound file {sound!r} in {self.sounds_dir / language}",
                    )
        return tuple(value)

    def sound_exists(self, sound: str, language: str) -> bool:
        """As Asterisk looks for a channel in ``language``: sounds/<language>/, then sounds/.

        Not its last resort, English: a caller of a Chinese line must not hear it.
        """
        if self.sounds_dir is None:
            return True
        return any(any((self.sounds_dir / d).glob(f"{sound}.*")) for d in (language, "."))

    def language(self, value: Any, where: str) -> str:
        text = str(value or "")
        if not _LANGUAGE.match(text):
            self.add("bad_value", where, f"expected a language code such as zh or en, got {value!r}")
            return DEFAULT_LANGUAGE
        return text

    def queue(self, name: str, where: str) -> None:
        if self.queues is not None and name not in self.queues:
            self.add("unknown_queue", where, f"queue {name!r} is not in the routing configuration")

    def step(self, value: Any, where: str, menus: Iterable[str]) -> Step | None:
        then = None
        if isinstance(value, dict):
            self.unknown_keys(value, {"do", "then"}, where)
            if "then" in value:
                then = self.step(value["then"], f"{where}.then", menus)
            value = value.get("do")
        text = str(value or "").strip()
        kind, _, name = text.partition(":")
        menus = set(menus)
        if kind in ("menu", "queue") and name:
            if kind == "menu" and name not in menus:
                self.add(
                    "unknown_menu", where, f"menu {name!r} is not defined (known: {', '.join(sorted(menus))})"
                )
            if kind == "queue":
                self.queue(name, where)
        elif not (kind in (*SELF_SERVICE, "voicemail", "hangup") and not name):
            self.add(
                "bad_target",
                where,
                f"expected menu:NAME, queue:NAME, voicemail, hangup or one of {', '.join(SELF_SERVICE)}; got {value!r}",
            )
            return None
        if then is not None and kind not in SELF_SERVICE:
            self.add("bad_target", f"{where}.then", "'then' only follows a self-service step")
        return Step(kind, name, then)

    def number(self, value: Any, where: str, minimum: int, maximum: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            self.add("bad_value", where, f"expected a whole number {minimum}..{maximum}, got {value!r}")
            return None
        return value


def parse_flows(
    raw: Any, source: str = "ivr.yaml", *, sounds_dir: Path | None = None, queues: Iterable[str] | None = None
) -> IvrConfig:
    """Validate a parsed document; ``sounds_dir`` and ``queues`` enable the existence checks."""
    c = _Checker(Path(sounds_dir) if sounds_dir else None, set(queues) if queues is not None else None)
    top = c.mapping(raw, "file")
    c.unknown_keys(top, {"flows", "prompts", "status_prompts", "language", "number_languages"}, "file")
    language = c.language(top.get("language", DEFAULT_LANGUAGE), "language")
    number_languages = {
        str(number): c.language(value, f"number_languages.{number}")
        for number, value in c.mapping(top.get("number_languages"), "number_languages").items()
    }
    c.languages = {language, *number_languages.values()}
    flows: dict[str, Flow] = {}
    flow_bodies = c.mapping(top.get("flows"), "flows")
    if not flow_bodies:
        c.add("missing_field", "flows", "at least one flow must be defined")
    for name, body in flow_bodies.items():
        flow = _parse_flow(c, str(name), c.mapping(body, f"flows.{name}"))
        if flow is not None:
            flows[str(name)] = flow
    prompts = {}
    for key, value in c.mapping(top.get("prompts"), "prompts").items():
        if key not in DEFAULT_PROMPTS:
            c.add(
                "unknown_field",
                f"prompts.{key}",
                f"unknown prompt (known: {', '.join(sorted(DEFAULT_PROMPTS))})",
            )
        prompts[str(key)] = c.sounds(value, f"prompts.{key}")
    for key, sounds in DEFAULT_PROMPTS.items():
        if key not in prompts:
            c.sounds(list(sounds), f"prompts.{key} (default)")
    status_prompts = {
        str(k): c.sounds(v, f"status_prompts.{k}")
        for k, v in c.mapping(top.get("status_prompts"), "status_prompts").items()
    }
    _check_withheld_variants(c, language)
    if c.problems:
        raise IvrConfigError(source, c.problems)
    return IvrConfig(
        flows=flows,
        prompts=prompts,
        status_prompts=status_prompts,
        language=language,
        number_languages=number_languages,
    )


def _parse_flow(c: _Checker, name: str, body: dict) -> Flow | None:
    where = f"flows.{name}"
    c.unknown_keys(body, _FLOW_KEYS, where)
    menu_bodies = c.mapping(body.get("menus"), f"{where}.menus")
    if not menu_bodies:
        c.add("missing_field", f"{where}.menus", "a flow needs at least one menu")
        return None
    start = str(body.get("start") or next(iter(menu_bodies)))
    if start not in menu_bodies:
        c.add("unknown_menu", f"{where}.start", f"start menu {start!r} is not defined")
    callback_queue = str(body.get("callback_queue") or "")
    if callback_queue:
        c.queue(callback_queue, f"{where}.callback_queue")
    menus = {}
    for menu_name, menu_body in menu_bodies.items():
        mwhere = f"{where}.menus.{menu_name}"
        menu_body = c.mapping(menu_body, mwhere)
        c.unknown_keys(menu_body, _MENU_KEYS, mwhere)
        choices = {}
        for key, value in c.mapping(menu_body.get("choices"), f"{mwhere}.choices").items():
            key = str(key)
            if key not in DTMF_KEYS:
                c.add(
                    "bad_choice", f"{mwhere}.choices.{key}", "a choice key must be one DTMF key: 0-9, * or #"
                )
                continue
            step = c.step(value, f"{mwhere}.choices.{key}", menu_bodies)
            if step is not None:
                choices[key] = step
        if not choices:
            c.add("missing_field", f"{mwhere}.choices", "a menu needs at least one choice")
        menus[str(menu_name)] = Menu(
            name=str(menu_name),
            prompts=c.sounds(menu_body.get("prompts", []), f"{mwhere}.prompts"),
            greeting=c.sounds(menu_body.get("greeting", []), f"{mwhere}.greeting"),
            choices=choices,
            timeout=c.number(menu_body.get("timeout", 5), f"{mwhere}.timeout", 1, 60) or 5,
            retries=c.number(menu_body.get("retries", 2), f"{mwhere}.retries", 0, 9) or 0,
            on_timeout=c.step(menu_body.get("on_timeout", "hangup"), f"{mwhere}.on_timeout", menu_bodies)
            or Step("hangup"),
            on_invalid=c.step(menu_body.get("on_invalid", "hangup"), f"{mwhere}.on_invalid", menu_bodies)
            or Step("hangup"),
            title=_title(c, menu_body.get("title"), f"{mwhere}.title"),
        )
    without_number = None
    if body.get("callback_without_number") is not None:
        where_wn = f"{where}.callback_without_number"
        without_number = c.step(body["callback_without_number"], where_wn, menu_bodies)
        if without_number is not None and (without_number.kind in SELF_SERVICE or without_number.then):
            c.add("bad_target", where_wn, "expected menu:NAME, queue:NAME, voicemail or hangup")
            without_number = None
    return Flow(
        name=name,
        start=start,
        menus=menus,
        callback_queue=callback_queue,
        callback_without_number=without_number,
    )


# The queue's periodic announcement offers 9 ("call me back"); a caller whose number is withheld
# hears it from sounds/<language>_withheld/ ([hotline-queue]), said without the 9 (ivr.prompts
# installs it beside each language). Missing there, Asterisk falls back to <language>/ and offers them 9.
_OFFERS_CALLBACK = "hotline/queue-callback"


def _check_withheld_variants(c: _Checker, main: str) -> None:
    if c.sounds_dir is None:
        return
    for language in sorted(c.languages):
        offered = any((c.sounds_dir / language).glob(f"{_OFFERS_CALLBACK}.*"))
        variant = c.sounds_dir / f"{language}_withheld"
        if offered and not any(variant.glob(f"{_OFFERS_CALLBACK}.*")):
            c.add(
                "withheld_offered_callback",
                "language" if language == main else "number_languages",
                f"no {variant / _OFFERS_CALLBACK}: a {language} caller whose number is withheld would "
                f"be offered 9; install the prompts (python -m ivr.prompts install) from "
                f"deploy/prompts/{language}.yaml",
            )


def _title(c: _Checker, value: Any, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or not value.strip():
        c.add("bad_value", where, f"expected the menu's name in words, got {value!r}")
        return ""
    return value.strip()


def load_flows(path: str | Path, **kwargs: Any) -> IvrConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise IvrConfigError(str(path), [ConfigProblem("ivr.unreadable", "file", str(exc))]) from exc
    return parse_flows(load_yaml(text, "ivr.yaml", IvrConfigError), str(path), **kwargs)
