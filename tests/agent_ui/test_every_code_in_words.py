"""Every code the system writes where people read it has words in both languages: the audit
log's actions, the fields its rows change and the kinds of link they record; the 处理意见's
actions (the order page and its print). The codes are found by walking the source (the calls
that write an audit row or an opinion), so a new code without a text fails here."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import yaml

from agent_ui.supervision import _QUEUE_ACTIONS, FORCE_COMMANDS
from campaigns.store import _MOVES, EDITABLE
from ticketing import printing
from ticketing.audit import ENTITIES
from ticketing.models import ASYNC_KINDS, KINDS
from ticketing.models.interactions import STATUSES

ROOT = Path(__file__).resolve().parents[2]
TEXTS = {
    lang: json.loads((ROOT / "agent_ui" / "texts" / f"{lang}.json").read_text(encoding="utf-8"))
    for lang in ("zh-CN", "en")
}
SOURCES = [p for d in ("ticketing", "agent_ui", "campaigns") for p in sorted((ROOT / d).rglob("*.py"))]
CODE = re.compile(r"^[a-z_]+(\.[a-z_]+)+$")
#: the calls that write an audit row (their action is a literal "entity.verb" argument)
AUDIT_CALLS = {"record", "entry", "record_change", "_audited_and_told", "_audit", "audit"}
#: the calls that write an opinion (``comment_row``…) or an order's step (``enter_node``…),
#: whose ``action`` is the opinion's (and the audit's ``order.<action>``)
ACTION_ARGS = {"action", "_action"}
#: names too common to be looked up in another module (a local ``row``, a method ``row()``)
GENERIC = {"view", "json", "as_dict", "row", "get", "dict"}


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _walk():
    for path in SOURCES:
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def _audit_actions() -> set[str]:
    found: set[str] = set()
    for _, tree in _walk():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in AUDIT_CALLS:
                for arg in [*node.args, *(k.value for k in node.keywords)]:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and CODE.match(arg.value):
                        found.add(arg.value)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                # audit_action="notice.change": a default that is an audit action
                args = node.args.args + node.args.kwonlyargs
                defaults = [None] * (len(node.args.args) - len(node.args.defaults)) + list(node.args.defaults)
                defaults += list(node.args.kw_defaults)
                for arg, default in zip(args, defaults, strict=True):
                    if arg.arg == "audit_action" and isinstance(default, ast.Constant):
                        found.add(default.value)
            if isinstance(node, ast.keyword) and node.arg == "audit_action":
                if isinstance(node.value, ast.Constant):
                    found.add(node.value.value)
    return found


def _opinion_actions() -> set[str]:
    """The actions an order's steps and opinions are written with (``action="reassign"``, the
    engine's ``_action="approve"``, a default ``action: str = "submit"``)."""
    found: set[str] = set()
    for path, tree in _walk():
        if "ticketing" not in path.parts and path.name != "orders.py":
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.keyword)
                and node.arg in ACTION_ARGS
                and isinstance(node.value, ast.Constant)
            ):
                if isinstance(node.value.value, str):
                    found.add(node.value.value)
            if isinstance(node, ast.Call) and _name(node.func) in {"comment_row", "add_comment", "audit"}:
                # comment_row(order, user, "reassign", text): the third argument
                if len(node.args) > 2 and isinstance(node.args[2], ast.Constant):
                    found.add(node.args[2].value)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                args = node.args.args + node.args.kwonlyargs
                defaults = [None] * (len(node.args.args) - len(node.args.defaults)) + list(node.args.defaults)
                defaults += list(node.args.kw_defaults)
                for arg, default in zip(args, defaults, strict=True):
                    if arg.arg in ACTION_ARGS and isinstance(default, ast.Constant) and default.value:
                        found.add(default.value)
    return {a for a in found if isinstance(a, str) and re.fullmatch(r"[a-z_]+", a)}


def _audited_fields() -> set[str]:
    """The keys of the values an audit row keeps: the dicts written as before= / after= and
    those the functions named there (a row's view: ``_notice_json``) return, in that module
    (else any module's function of that name)."""
    found: set[str] = set()
    views: list[tuple[Path, str]] = []
    returned: dict[tuple[Path, str], set[str]] = {}
    for path, tree in _walk():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                keys = returned.setdefault((path, node.name), set())
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Return) and isinstance(sub.value, ast.Dict):
                        keys |= {k.value for k in sub.value.keys if isinstance(k, ast.Constant)}
            if not (isinstance(node, ast.Call) and _name(node.func) in AUDIT_CALLS):
                continue
            values = [k.value for k in node.keywords if k.arg in {"before", "after"}]
            if _name(node.func) == "record_change" and len(node.args) > 4:
                values.append(node.args[4])  # the row's view
            for value in values:
                for sub in ast.walk(value):
                    if isinstance(sub, ast.Dict):
                        found |= {k.value for k in sub.keys if isinstance(k, ast.Constant)}
                    if isinstance(sub, ast.Call):
                        views.append((path, _name(sub.func)))
                    if isinstance(sub, ast.Name) and sub.id not in {"before", "after", "row"}:
                        views.append((path, sub.id))
    for path, view in views:
        if (path, view) in returned:
            found |= returned[(path, view)]
        else:
            for (_, name), keys in returned.items():
                if name == view and view.lstrip("_") not in GENERIC:
                    found |= keys
    return {f for f in found if isinstance(f, str)}


def _audited_entities() -> set[str]:
    """The entities audit rows are about: the literal after the action (``record(session, user,
    "event.assign", "interaction", row.id)``) or an ``entity=`` keyword."""
    found: set[str] = set()
    for _, tree in _walk():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _name(node.func) in AUDIT_CALLS):
                continue
            for action, entity in zip(node.args, node.args[1:], strict=False):
                if (
                    isinstance(action, ast.Constant)
                    and isinstance(action.value, str)
                    and CODE.match(action.value)
                    and isinstance(entity, ast.Constant)
                    and isinstance(entity.value, str)
                ):
                    found.add(entity.value)
            found |= {
                k.value.value
                for k in node.keywords
                if k.arg == "entity" and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)
            }
    return found


def _link_kinds() -> set[str]:
    """The kinds an audit row's ``kind`` names: an event's (call, recording…) and an order
    link's (duplicate, follow_up, follow_up_complaint, and a workflow's spawn ``link:``)."""
    from ticketing.surveys import COMPLAINT_LINK
    from ticketing.workflow.actions import DUPLICATE_LINK

    kinds = {*KINDS, *ASYNC_KINDS, DUPLICATE_LINK, COMPLAINT_LINK, "follow_up", "related", "coordination"}
    for path in sorted((ROOT / "ticketing" / "seeds").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            for sub in _dicts(doc):
                if isinstance(sub.get("link"), str):
                    kinds.add(sub["link"])
    return kinds


def _dicts(value):
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from _dicts(v)
    elif isinstance(value, list):
        for v in value:
            yield from _dicts(v)


def _missing(keys: set[str]) -> dict[str, list[str]]:
    return {lang: sorted(k for k in keys if not texts.get(k)) for lang, texts in TEXTS.items()}


def test_the_walk_finds_the_codes_people_reported():
    # the audit rows and opinions QA saw raw: the walk must see them, or it guards nothing
    assert {"order.link_interaction", "notice.change", "notice.end", "user.login"} <= _audit_actions()
    assert {"reassign", "extend_request", "approve", "submit", "void"} <= _opinion_actions()
    assert {"key", "version", "category", "kind", "to"} <= _audited_fields()
    assert {"call", "recording", "duplicate"} <= _link_kinds()


def test_every_audit_action_has_words():
    actions = _audit_actions()
    actions |= {f"order.{a}" for a in _opinion_actions()}
    actions |= {f"seat.{cmd}" for cmd in FORCE_COMMANDS} | {"seat.spy", "seat.spy_mode", "seat.spy_stop"}
    actions |= {f"seat.{cmd}" for cmd in _QUEUE_ACTIONS.values()}
    actions |= {f"campaign.{a}" for a in _MOVES}
    assert _missing({f"audit.action.{a}" for a in actions}) == {"zh-CN": [], "en": []}


def test_every_audited_entity_has_words():
    # QA read "interaction 121" in the 对象 column: an async event's rows had no words; every kind
    # written is one of ENTITIES (entry refuses any other), each of which the 对象 filter offers
    assert {"interaction", "work_order", "user", "crew"} <= _audited_entities() <= set(ENTITIES)
    assert _missing({f"audit.entity.{e}" for e in ENTITIES}) == {"zh-CN": [], "en": []}


def test_an_events_status_and_the_system_actor_have_words():
    # an event's rows read "new → assigned → handled" and actor "system" (a timer, the IVR)
    keys = {f"audit.event_status.{s}" for s in STATUSES} | {"audit.actor.system"}
    assert _missing(keys) == {"zh-CN": [], "en": []}
    page = (ROOT / "agent_ui" / "static" / "js" / "admin_audit.js").read_text(encoding="utf-8")
    # the page reads them: an interaction row's status by these words, the actor by audit.actor.*
    assert '"interaction.status": "audit.event_status."' in page
    assert 'named("audit.actor", row.actor)' in page


def test_every_audited_field_has_words():
    # a campaign's settings are audited as settings_of's comprehension over EDITABLE
    fields = _audited_fields() | set(EDITABLE)
    assert _missing({f"audit.field.{f}" for f in fields}) == {"zh-CN": [], "en": []}


def test_every_link_kind_has_words():
    assert _missing({f"audit.kind.{k}" for k in _link_kinds()}) == {"zh-CN": [], "en": []}


def test_every_opinion_action_has_words():
    actions = _opinion_actions()
    assert _missing({f"order.verb.{a}" for a in actions}) == {"zh-CN": [], "en": []}
    # the print reads the same words (its default language: Chinese)
    assert {a: printing.action_name(a) for a in actions if printing.action_name(a) == a} == {}
