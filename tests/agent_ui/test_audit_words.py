"""Every action the code audits and every before/after field it writes has words on the audit
log (F17: 调整技能队列 rows read ``seat.queue_remove``, 改派's ``replaced``, 回拨's ``at``/``by``,
结束监听's ``spy``), and the fields that are an account's 工号 are named 名字（工号）.

The writers are read as a reviewer would grep them: ``record(…, action, …, before=…, after=…)``,
``entry``, ``record_change``, the seat actions' ``_audited_and_told`` and the order actions'
``audit(…, action, …, **extra)`` (``order.<action>``). An action is a string, either branch of
``a if … else b``, an f-string over a module's dict (its values) or over the seat commands, or a
name the function assigns one of those; a field is a key of a dict literal given as ``before``
/ ``after`` (or assigned to the name given, in the function or, for a parameter, in its callers).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from agent_ui.audit_log import REFERS
from campaigns.rules import DEFAULT_RETRY_MINUTES, RETRY_OUTCOMES
from campaigns.store import _MOVES
from tests.agent_ui.conftest import sign_in
from ticketing.audit import record
from ticketing.models import User

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("agent_ui", "ticketing", "campaigns", "recordings", "ivr", "cti", "hotline")
TEXTS = {lang: ROOT / "agent_ui" / "texts" / f"{lang}.json" for lang in ("zh-CN", "en")}
#: writer → (index of its action argument, the prefix the writer puts before it)
WRITERS = {"record": (2, ""), "entry": (1, ""), "record_change": (5, ""), "_audited_and_told": (2, "")}
#: the seat commands a supervisor's ``f"seat.{cmd}"`` ranges over (agent_ui.supervision)
SEAT_COMMANDS = ("FORCE_COMMANDS", "SPY_COMMANDS")


def modules():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(encoding="utf-8"))


def called(node: ast.Call) -> str:
    return node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")


def module_constants(tree: ast.Module) -> dict[str, ast.expr]:
    return {
        t.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for t in node.targets
        if isinstance(t, ast.Name)
    }


def strings(node: ast.expr, scope: ast.AST, consts: dict[str, ast.expr], depth: int = 0) -> list[str] | None:
    """The values an action expression can take, or None where it cannot be read."""
    if depth > 3:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        a, b = strings(node.body, scope, consts, depth), strings(node.orelse, scope, consts, depth)
        return None if a is None or b is None else a + b
    if isinstance(node, ast.JoinedStr):
        out = [""]
        for part in node.values:
            if isinstance(part, ast.Constant):
                out = [o + part.value for o in out]
                continue
            inner = part.value
            if isinstance(inner, ast.Subscript) and isinstance(
                consts.get(getattr(inner.value, "id", "")), ast.Dict
            ):
                values = [v.value for v in consts[inner.value.id].values]
            elif (
                isinstance(inner, ast.Name) and inner.id == "cmd" and all(n in consts for n in SEAT_COMMANDS)
            ):
                values = [e.value for n in SEAT_COMMANDS for e in consts[n].elts]
            else:
                values = strings(inner, scope, consts, depth + 1)
                if values is None:
                    return None
            out = [o + v for o in out for v in values]
        return out
    if isinstance(node, ast.Name):
        found = [
            strings(a.value, scope, consts, depth)
            for a in ast.walk(scope)
            if isinstance(a, ast.Assign) and any(getattr(t, "id", None) == node.id for t in a.targets)
        ]
        if not found and isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
            found = from_callers(node.id, scope, depth)
        if found and all(f is not None for f in found):
            return [s for f in found for s in f]
    return None


def from_callers(name: str, scope: ast.FunctionDef | ast.AsyncFunctionDef, depth: int) -> list:
    """The values callers give the parameter ``name`` (and its default), each read in the
    caller's function; [] when it is no parameter or no caller gives it."""
    args = scope.args
    positional = [a.arg for a in args.posonlyargs + args.args]
    keyword_only = [a.arg for a in args.kwonlyargs]
    if name not in positional + keyword_only:
        return []
    found = []
    defaults = dict(zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True))
    defaults |= {a.arg: d for a, d in zip(args.kwonlyargs, args.kw_defaults, strict=True) if d is not None}
    if name in defaults:
        found.append(strings(defaults[name], scope, {}, depth + 1))
    for caller, call, consts in CALLS:
        if called(call) != scope.name:
            continue
        given = [k.value for k in call.keywords if k.arg == name]
        if name in positional and len(call.args) > positional.index(name):
            given.append(call.args[positional.index(name)])
        found += [strings(g, caller, consts, depth + 1) for g in given]
    return found


def dict_keys(node: ast.expr) -> list[str]:
    return [
        k.value
        for d in ast.walk(node)
        if isinstance(d, ast.Dict)
        for k in d.keys
        if isinstance(k, ast.Constant) and isinstance(k.value, str)
    ]


def splatted(node: ast.expr) -> list[str]:
    """The names whose dicts a dict literal spreads into itself: ``**moved``, or a comprehension
    over one (``**{k: n for k, n in moved.items() if n}``, the counts of contacts moved)."""
    names = []
    for d in ast.walk(node):
        for key, value in zip(d.keys, d.values, strict=True) if isinstance(d, ast.Dict) else ():
            if key is not None:
                continue
            if isinstance(value, ast.Name):
                names.append(value.id)
            elif isinstance(value, ast.DictComp):
                source = value.generators[0].iter
                if isinstance(source, ast.Call) and isinstance(source.func, ast.Attribute):
                    names += [source.func.value.id] if isinstance(source.func.value, ast.Name) else []
    return names


def assigned_keys(name: str, scope: ast.AST) -> list[str]:
    """The keys a function puts in the dict it names ``name``: its literals, ``name["k"] = …``."""
    keys = []
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if getattr(t, "id", None) == name:
                    keys += dict_keys(node.value)
                if isinstance(t, ast.Subscript) and getattr(t.value, "id", None) == name:
                    keys += [t.slice.value] if isinstance(t.slice, ast.Constant) else []
    return keys


TREES = list(modules())
#: every call in a function: (that function, the call, its module's constants)
CALLS = [
    (f, c, module_constants(tree))
    for _, tree in TREES
    for f in ast.walk(tree)
    if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
    for c in ast.walk(f)
    if isinstance(c, ast.Call)
]


def scan():
    """(actions, fields, unread): the audited action codes and before/after keys, by where."""
    actions, fields, unread = {}, {}, []
    for path, tree in TREES:
        consts = module_constants(tree)
        where = path.relative_to(ROOT)
        for scope in [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)]:
            for node in ast.walk(scope):
                if not isinstance(node, ast.Call):
                    continue
                name = called(node)
                order_action = name == "audit" and path.parent.name == "workflow"
                if name not in WRITERS and not order_action:
                    continue
                at, prefix = (2, "order.") if order_action else WRITERS[name]
                if len(node.args) <= at or scope.name in WRITERS or (order_action and scope.name == "audit"):
                    continue
                said = strings(node.args[at], scope, consts)
                if said is None:
                    unread.append(f"{where}:{node.lineno}")
                for action in said or ():
                    actions.setdefault(prefix + action, f"{where}:{node.lineno}")
                given = [k.value for k in node.keywords if k.arg in ("before", "after")]
                given += node.args[at + 3 : at + 4] if order_action else []  # audit's before
                keys = [k.arg for k in node.keywords if order_action and k.arg and k.arg != "opinion"]
                for value in given:
                    keys += dict_keys(value)
                    for name in splatted(value):
                        keys += assigned_keys(name, scope)
                    if isinstance(value, ast.Name):
                        keys += assigned_keys(value.id, scope)
                        params = [a.arg for a in scope.args.args]
                        if value.id in params:  # a parameter: the dicts its callers give
                            i = params.index(value.id)
                            for caller, c, _ in CALLS:
                                if (
                                    called(c) == scope.name
                                    and len(c.args) > i
                                    and isinstance(c.args[i], ast.Name)
                                ):
                                    keys += assigned_keys(c.args[i].id, caller)
                for key in keys:
                    fields.setdefault(key, f"{where}:{node.lineno}")
    return actions, fields, unread


ACTIONS, FIELDS, UNREAD = scan()
# 启动 / 暂停 / 结束: set_status audits campaign.<action>, the action one of its moves as asked
ACTIONS |= {f"campaign.{move}": "campaigns/store.py (set_status)" for move in _MOVES}
#: the writers whose action the scan cannot read, and that are read above by hand
UNREAD_KNOWN = {"campaigns/store.py"}
#: actions no code writes any more whose rows stay in the log: each reads as the one it became
#: (撤销 was written notice.delete, though nothing is deleted: QA #8)
FORMER_ACTIONS = {"notice.delete": "notice.withdraw"}
PAGE = ROOT / "agent_ui" / "static" / "js" / "admin_audit.js"


def test_the_scan_reads_the_writers_of_f17():
    assert {"seat.queue_add", "seat.queue_remove", "seat.force_pause", "seat.spy_stop"} <= ACTIONS.keys()
    assert {"order.forward", "event.callback"} <= ACTIONS.keys()
    assert {"replaced", "at", "by", "spy", "queues", "urgency"} <= FIELDS.keys()
    # QA #7: a campaign's edit counts the contacts it moved, spread into its row (**moved)
    assert {"rescheduled", "finished"} <= FIELDS.keys()
    # QA #8: a withdrawal (撤销) is no deletion
    assert "notice.withdraw" in ACTIONS and "notice.delete" not in ACTIONS


def test_every_writer_is_read():
    # a new writer whose action is built where the scan cannot follow: read it above by hand
    assert {at.split(":")[0] for at in UNREAD} <= UNREAD_KNOWN


@pytest.mark.parametrize("lang", TEXTS)
def test_every_audited_action_has_words(lang):
    table = json.loads(TEXTS[lang].read_text(encoding="utf-8"))
    missing = {a: at for a, at in ACTIONS.items() if not table.get(f"audit.action.{a}")}
    assert missing == {}, f"{lang}: audit actions without words (written at)"


@pytest.mark.parametrize("lang", TEXTS)
def test_every_audited_field_has_words(lang):
    table = json.loads(TEXTS[lang].read_text(encoding="utf-8"))
    missing = {f: at for f, at in FIELDS.items() if not table.get(f"audit.field.{f}")}
    assert missing == {}, f"{lang}: audit fields without words (written at)"


def test_fields_holding_a_staff_no_name_the_account():
    # 改派's replaced and 回拨's by are 工号: the page words them 名字（工号）
    assert REFERS["replaced"] == REFERS["by"] == REFERS["work_order.to"] == "staff"


async def test_a_queue_change_is_found_by_its_words_and_a_staff_no_is_named(aiohttp_client, client, world):
    async with world.services.sessionmaker.begin() as db:
        boss = await db.scalar(select(User).where(User.staff_no == "2001"))
        caller = await db.scalar(select(User.name).where(User.staff_no == "1002"))
        await record(db, boss, "seat.queue_remove", "seat", "1001", after={"queue": "complaint"})
        await record(
            db, None, "event.callback", "interaction", 1, after={"by": "1002", "at": "2026-11-29T15:16:51"}
        )
    admin = await sign_in(aiohttp_client, client, "9001")
    status, page = await admin.call("GET", "/api/audit?action=移出技能队列")
    assert status == 200, page
    assert [(r["action"], r["entity_id"]) for r in page["items"]] == [("seat.queue_remove", "1001")]
    # 回拨's by is a 工号: the page names the account by it (名字（工号）)
    status, page = await admin.call("GET", "/api/audit?action=event.callback")
    assert status == 200, page
    assert page["labels"]["names"]["staff"] == {"1002": caller}


@pytest.mark.parametrize("lang", TEXTS)
def test_a_former_action_reads_as_the_one_it_became(lang):
    table = json.loads(TEXTS[lang].read_text(encoding="utf-8"))
    for former, now in FORMER_ACTIONS.items():
        assert now in ACTIONS and former not in ACTIONS
        assert table[f"audit.action.{former}"] == table[f"audit.action.{now}"]
    assert (
        json.loads(TEXTS["zh-CN"].read_text(encoding="utf-8"))["audit.action.notice.withdraw"]
        == "撤销停电信息"
    )


@pytest.mark.parametrize("lang", TEXTS)
def test_the_fields_of_a_campaigns_retry_delays_read_as_its_form_labels_them(lang):
    # QA #7: retry_minutes holds a delay by outcome (busy, no_answer …): the page words each by the
    # 外呼活动 form's label, 忙后重拨（分钟）, from the outcome's own words
    table = json.loads(TEXTS[lang].read_text(encoding="utf-8"))
    assert set(DEFAULT_RETRY_MINUTES) == set(RETRY_OUTCOMES)
    assert {o for o in RETRY_OUTCOMES if not table.get(f"camp.outcome.{o}")} == set()
    assert "{outcome}" in table["camp.retry_after"]
    assert (
        'retry_minutes: (f) => t("camp.retry_after", { outcome: t(`camp.outcome.${f}`) })'
        in PAGE.read_text(encoding="utf-8")
    )


async def test_a_result_code_and_a_campaigns_retry_delays_read_as_applied(aiohttp_client, client, world):
    """结果代码 by its name (satisfied → 满意); a row written before the delays were kept as
    applied (retry_minutes {} for the defaults) reads the defaults, so only the delay changed
    differs; 撤销停电信息 finds the withdrawals written as notice.delete too."""
    async with world.services.sessionmaker.begin() as db:
        leader = await db.scalar(select(User).where(User.staff_no == "3001"))
        await record(
            db, leader, "campaign.disposition", "campaign_contact", 7, after={"disposition": "satisfied"}
        )
        await record(
            db,
            leader,
            "campaign.update",
            "campaign",
            3,
            before={"retry_minutes": {}},
            after={
                "retry_minutes": {"busy": 5, "no_answer": 1, "failed": 60, "abandoned": 10},
                "rescheduled": 0,
            },
        )
        await record(db, leader, "notice.delete", "outage_notice", "k-old", after={"state": "已删除"})
        await record(db, leader, "notice.withdraw", "outage_notice", "k-new", after={"state": "已删除"})
    admin = await sign_in(aiohttp_client, client, "9001")
    status, page = await admin.call("GET", "/api/audit?entity=campaign_contact")
    assert status == 200, page
    assert page["labels"]["disposition"]["satisfied"] == "满意"
    status, page = await admin.call("GET", "/api/audit?action=campaign.update")
    (row,) = page["items"]
    assert row["before"]["retry_minutes"] == DEFAULT_RETRY_MINUTES
    changed = {
        o for o in RETRY_OUTCOMES if row["before"]["retry_minutes"][o] != row["after"]["retry_minutes"][o]
    }
    assert changed == {"no_answer"}
    status, page = await admin.call("GET", "/api/audit?action=撤销停电信息")
    assert status == 200, page
    assert [r["action"] for r in page["items"]] == ["notice.withdraw", "notice.delete"]


def seat_rows() -> list[tuple[str, set[str], set[str]]]:
    """Each row a seat writer (``_audited_and_told``) writes: where, its before and after fields."""
    rows = []
    for path, tree in TREES:
        for scope in [f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)]:
            for node in ast.walk(scope):
                if isinstance(node, ast.Call) and called(node) == "_audited_and_told":
                    sides = {
                        k.arg: set(dict_keys(k.value)) for k in node.keywords if k.arg in ("before", "after")
                    }
                    where = f"{path.relative_to(ROOT)}:{node.lineno}"
                    rows.append((where, sides.get("before", set()), sides.get("after", set())))
    return rows


def test_a_seat_row_holds_on_both_sides_what_its_action_leaves_as_it_was():
    # QA #7: 加入技能队列 / 移出技能队列 read 状态：就绪 → — (the state before only) and 强制下班
    # 通话：… → —, though neither changes: the page lists a field given on one side as changed
    rows = seat_rows()
    assert len(rows) >= 2  # the forced changes and the queue moves
    assert {where: before - after for where, before, after in rows if before - after} == {}


@pytest.mark.parametrize("lang", TEXTS)
def test_a_seat_rows_codes_have_words_and_the_sign_out_names_no_role(lang):
    # QA #7: 强制下班 read 待生效：— → logged_out and 原因：— → 班长强制下班 though a 质量监控员 did it
    from cti import agents as A

    table = json.loads(TEXTS[lang].read_text(encoding="utf-8"))
    assert {p for p in (A.LOGGED_OUT, A.NOT_READY) if not table.get(f"audit.pending.{p}")} == set()
    reasons = (A.FORCED_PAUSE_REASON, A.FORCED_SIGN_OUT_REASON, *A.DEFAULT_PAUSE_REASONS)
    assert {r for r in reasons if not table.get(f"reason.{r}")} == set()
    # a supervisor or an admin signs seats out as a team leader does: the 操作人 column says who
    sign_out = table[f"reason.{A.FORCED_SIGN_OUT_REASON}"]
    assert "班长" not in sign_out and "supervisor" not in sign_out.casefold()
    page = PAGE.read_text(encoding="utf-8")
    assert '"seat.pending": "audit.pending."' in page and '"seat.reason": "reason."' in page


async def test_a_seat_row_written_before_reads_what_the_action_left_on_both_sides(
    aiohttp_client, client, world
):
    """Rows written with the state (a queue move) or the call (a forced change) before only read
    them after too: nothing changed them."""
    async with world.services.sessionmaker.begin() as db:
        supervisor = await db.scalar(select(User).where(User.staff_no == "3001"))
        await record(
            db,
            supervisor,
            "seat.queue_add",
            "seat",
            "1001",
            before={"state": "ready", "queues": ["service"]},
            after={"queue": "complaint", "queues": ["complaint", "service"]},
        )
        await record(
            db,
            supervisor,
            "seat.force_sign_out",
            "seat",
            "1001",
            before={"state": "talking", "reason": "", "call_id": "1795980844.105"},
            after={"state": "talking", "reason": "班长强制下班", "pending": "logged_out"},
        )
    admin = await sign_in(aiohttp_client, client, "9001")
    status, page = await admin.call("GET", "/api/audit?entity=seat")
    assert status == 200, page
    sign_out, queue_add = page["items"]
    assert queue_add["after"] == {"state": "ready", "queue": "complaint", "queues": ["complaint", "service"]}
    assert sign_out["after"]["call_id"] == "1795980844.105"
    changed = {k for k in sign_out["after"] if sign_out["before"].get(k) != sign_out["after"][k]}
    assert changed == {"reason", "pending"}
