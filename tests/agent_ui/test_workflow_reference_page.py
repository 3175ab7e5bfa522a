"""流程定义参考 (/admin/workflows/reference): the admins' Chinese reference (docs/workflows.zh-CN.md)
as a console page, the English one (docs/workflows.md) for English users; admins only; nothing
of a document taken as HTML. And the reference keeps up with the code: every key the definition
validator reads, every value list it holds to and every import problem it names is in it, and
its YAML examples are YAML (the whole definitions among them import)."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import yaml
from markdown_it import MarkdownIt

from agent_ui import doc_pages, workflow_setup
from tests.agent_ui.conftest import login
from tests.agent_ui.test_error_texts import expected_keys
from ticketing.models.org import ROLES
from ticketing.workflow import conditions, definition, engine, store

ROOT = Path(__file__).resolve().parents[2]
ZH = ROOT / "docs" / "workflows.zh-CN.md"
ZH_TEXT = ZH.read_text(encoding="utf-8")


async def test_an_admin_reads_the_chinese_reference_as_a_console_page(client):
    await login(client, "9001")
    resp = await client.get("/admin/workflows/reference")
    html = await resp.text()
    assert (resp.status, resp.content_type) == (200, "text/html")
    # the console's own page: its stylesheet, its nav bar, 流程配置 to go back to
    assert "/static/css/console.css" in html and '<nav class="nav"' in html
    assert '<a href="/admin/workflows" id="doc-back">返回流程配置</a>' in html
    assert "<title>流程定义参考 · Hotline" in html and "<h1>流程定义参考</h1>" in html
    # headings with ids, and the contents linking to them, sections and their subsections
    assert '<h2 id="步骤-nodes">步骤（nodes）</h2>' in html
    assert '<h3 id="时长的写法">时长的写法</h3>' in html
    toc = html[html.index('id="doc-toc-title"') : html.index('id="doc-body"')]
    assert '<a href="#步骤-nodes">步骤（nodes）</a>' in toc and '<a href="#时长的写法">时长的写法</a>' in toc
    # YAML as a preformatted code block, escaped as text
    assert '<pre><code class="language-yaml">key: fault_repair\nname: 故障报修\n' in html
    assert "    fields: {咨询内容: required, 答复内容: required}\n" in html
    # tables as the console's tables
    assert '<table class="grid">\n<thead>\n<tr>\n<th>键</th>\n<th>含义</th>' in html
    assert "<td><code>yaml_syntax</code></td>" in html
    assert "```" not in html and "| --- |" not in html


async def test_an_english_user_reads_the_developers_reference(client):
    token = await login(client, "9001")
    await client.post("/lang", data={"_csrf": token, "lang": "en", "next": "/admin/workflows/reference"})
    resp = await client.get("/admin/workflows/reference")
    html = await resp.text()
    assert (resp.status, resp.content_type) == (200, "text/html")
    assert "<title>Workflow reference · Hotline" in html and "Back to Workflows" in html
    assert "<h1>Work-order workflows: the admin's reference</h1>" in html
    assert '<h2 id="the-file">The file</h2>' in html and '<a href="#the-file">The file</a>' in html
    assert '<pre><code class="language-yaml">key: aftersales_repair' in html
    assert '<table class="grid">' in html and "流程定义参考</h1>" not in html


async def test_only_admins_open_it(client, aiohttp_client):
    for staff_no in ("1001", "2001"):  # an agent, a supervisor
        other = await aiohttp_client(client.server)
        await login(other, staff_no)
        resp = await other.get("/admin/workflows/reference", allow_redirects=False)
        assert resp.status == 403, staff_no
        assert "流程定义参考</h1>" not in await resp.text()
    anonymous = await client.get("/admin/workflows/reference", allow_redirects=False)
    assert anonymous.status in (302, 303, 401) and "流程定义参考</h1>" not in await anonymous.text()


HOSTILE = """# 参考 <script>alert(1)</script>

## 字段 <img src=x onerror=alert(2)>

正文 <b onclick="alert(3)">粗</b> 与 <iframe src="//evil"></iframe>，[点我](javascript:alert(4))。

```yaml
key: x   # </code></pre><script>alert(5)</script>
```

| 键 | 含义 |
| --- | --- |
| `a` | <svg onload=alert(6)> |
"""


async def test_nothing_in_the_document_is_taken_as_html(client, monkeypatch, tmp_path):
    hostile = tmp_path / "workflows.zh-CN.md"
    hostile.write_text(HOSTILE, encoding="utf-8")
    monkeypatch.setitem(workflow_setup.REFERENCES, "zh-CN", hostile)
    await login(client, "9001")
    resp = await client.get("/admin/workflows/reference")
    html = await resp.text()
    assert resp.status == 200
    page = html[html.index('<div class="doc-page">') : html.index("</main>")]
    for tag in ("<script", "<img", "<b ", "<iframe", "<svg", 'href="javascript'):
        assert tag not in page, tag
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # the heading's words in the contents are text too (escaped by the page, not taken as HTML)
    assert '<a href="#字段-img-src-x-onerror-alert-2">字段 &lt;img src=x onerror=alert(2)&gt;</a>' in page
    assert "key: x   # &lt;/code&gt;&lt;/pre&gt;&lt;script&gt;alert(5)&lt;/script&gt;" in page
    assert "<td>&lt;svg onload=alert(6)&gt;</td>" in page
    assert "[点我](javascript:alert(4))" in page  # a link the parser cannot vouch for stays text
    assert 'aria-label="参考 &lt;script&gt;alert(1)&lt;/script&gt;"' in page


async def test_a_reference_missing_from_the_installation_is_not_found(client, monkeypatch, tmp_path):
    monkeypatch.setitem(workflow_setup.REFERENCES, "zh-CN", tmp_path / "workflows.zh-CN.md")
    await login(client, "9001")
    resp = await client.get("/admin/workflows/reference")
    assert resp.status == 404 and 'data-error-id="not_found"' in await resp.text()


def test_headings_get_unique_ids_and_nest_in_the_contents(tmp_path):
    document = doc_pages.render("# 标题\n\n## 甲\n\n### 一\n\n### 一\n\n## 乙 `key`\n\n#### 深\n")
    assert document.title == "标题"
    assert [(h.text, h.id, [(c.text, c.id) for c in h.children]) for h in document.toc] == [
        ("甲", "甲", [("一", "一"), ("一", "一-2")]),
        ("乙 key", "乙-key", []),
    ]
    assert '<h3 id="一-2">一</h3>' in document.html and "<h4>深</h4>" in document.html
    # a changed file is read again; an unchanged one is not parsed again
    path = tmp_path / "doc.md"
    path.write_text("# 一\n", encoding="utf-8")
    first = doc_pages.load(path)
    assert doc_pages.load(path) is first
    path.write_text("# 第二版\n", encoding="utf-8")
    assert doc_pages.load(path).title == "第二版"


# ---- the reference keeps up with the code ---------------------------------------------------


def _functions(module) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    return {
        node.name: node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }


FUNCTIONS = _functions(definition)


def _keys_read(function: str, *names: str, functions=FUNCTIONS) -> set[str]:
    """The keys ``function`` of the validator reads of the mappings it calls ``names``:
    ``x.get("k")``, ``x["k"]``, ``"k" in x``, and ``x[k] for k in ("a", "b")``."""
    tree = functions[function]
    looped: dict[str, set[str]] = {}
    for loop in ast.walk(tree):
        if (
            isinstance(loop, ast.comprehension | ast.For)
            and isinstance(loop.target, ast.Name)
            and isinstance(loop.iter, ast.Tuple | ast.List)
        ):
            words = {e.value for e in loop.iter.elts if isinstance(e, ast.Constant)}
            looped.setdefault(loop.target.id, set()).update(words)
    keys: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id in names
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            keys.add(node.args[0].value)
        elif isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in names:
            if isinstance(node.slice, ast.Constant):
                keys.add(node.slice.value)
            elif isinstance(node.slice, ast.Name):
                keys |= looped.get(node.slice.id, set())
        elif (
            isinstance(node, ast.Compare)
            and isinstance(node.left, ast.Constant)
            and isinstance(node.ops[0], ast.In | ast.NotIn)
            and isinstance(node.comparators[0], ast.Name)
            and node.comparators[0].id in names
        ):
            keys.add(node.left.value)
    return {k for k in keys if isinstance(k, str)}


#: where in a definition → the keys the validator reads there (from its source, not a list kept)
ACCEPTED = {
    "top level": _keys_read("parse", "data"),
    "field": set().union(
        *(
            _keys_read(f, "spec")
            for f in FUNCTIONS
            if f in ("parse", "with_default_limit") or f.startswith("_check_")
        )
    ),
    "step": _keys_read("_parse_node", "raw"),
    "exit": _keys_read("_parse_node", "ex"),
    "operators": _keys_read("_parse_node", "ops"),
    "operator rule": set(definition.RULE_KEYS),
    "sla": _keys_read("_parse_sla", "raw"),
    "limit_by": _keys_read("_parse_sla", "limit_by"),
    # whom a reminder tells: operator rules, and the step's current handlers
    "reminder": _keys_read("_parse_sla", "rem") | _keys_read("_parse_notify", "raw") | {"current_handlers"},
    "action": _keys_read("_parse_sla", "action"),
    "contractor": _keys_read("_parse_contractor", "raw"),
    "required_when": _keys_read("_required_when", "perm"),
    # a follow-up order's: read where the step makes it
    "spawn": _keys_read("_parse_node", "sp") | _keys_read("_spawn", "spec", functions=_functions(engine)),
}
#: the section of the reference (its level-2 heading) where each part's keys are explained: a key
#: named only elsewhere (an action's ``opinion`` is no field's) is not explained
SECTIONS = {
    "top level": "顶层配置项",
    "field": "表单字段（fields）",
    "step": "步骤（nodes）",
    "required_when": "步骤（nodes）",
    "exit": "出口与条件（exits）",
    "operators": "处理人（operators）",
    "operator rule": "处理人（operators）",
    "sla": "时限与计时日历（sla）",
    "limit_by": "时限与计时日历（sla）",
    "action": "时限与计时日历（sla）",
    "reminder": "提醒与消息模板",
    "contractor": "外委（contractor）",
    "spawn": "后续工单（spawn）",
}
#: the values the validator holds a definition to
VOCABULARIES = {
    "field type": definition.FIELD_TYPES,
    "step type": definition.NODE_TYPES,
    "permission": definition.PERMISSIONS,
    "mode": definition.MODES,
    "role": ROLES,
    "channel": definition.CHANNELS,
    "urgency": definition.URGENCIES,
    "calendar": definition.CALENDARS,
    "automatic action": definition.AUTO_ACTIONS,
    "crew fills": definition.CREW_FILLS,
    "customer": definition.CUSTOMER_PREFILL,
    "template": definition.TEMPLATE_CHANNELS + definition.TEMPLATE_REF_KEYS,
    "condition": conditions.OPERATORS + ("all", "any", "not", "field"),
}


def _code(text: str) -> set[str]:
    """The words of the document's code (inline code and code blocks): where a key is named."""
    code = []
    for token in MarkdownIt("commonmark").enable("table").parse(text):
        if token.type in ("fence", "code_block"):
            code.append(token.content)
        code += [child.content for child in token.children or () if child.type == "code_inline"]
    return set(re.findall(r"[A-Za-z0-9_]+", "\n".join(code)))


def test_the_scan_finds_the_keys_it_is_about():
    assert {"key", "number_pattern", "calendar", "title", "fields", "nodes"} <= ACCEPTED["top level"]
    assert {"options", "min", "max", "customer", "not_before", "default", "fills", "subcategory"} <= ACCEPTED[
        "field"
    ]
    assert {"operators", "sla", "optional", "approve_name", "contractor", "spawn"} <= ACCEPTED["step"]
    assert {"limit", "limit_by", "reminders", "overrun", "action", "calendar"} <= ACCEPTED["sla"]
    assert {"before", "after", "notify", "to", "templates", "urgency"} <= ACCEPTED["reminder"]
    assert ACCEPTED["exit"] == {"to", "when", "kind", "name"}
    assert {"workflow", "link", "copy", "form", "title", "submit"} <= ACCEPTED["spawn"]


def _sections(text: str) -> dict[str, str]:
    """Each level-2 section of the document by its heading, with its subsections."""
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_key_the_validator_accepts_is_in_the_chinese_reference():
    sections = _sections(ZH_TEXT)
    assert ACCEPTED.keys() == SECTIONS.keys()
    missing = {
        where: sorted(keys - _code(sections[SECTIONS[where]]))
        for where, keys in ACCEPTED.items()
        if keys - _code(sections[SECTIONS[where]])
    }
    assert missing == {}
    named = _code(ZH_TEXT)
    missing = {
        where: sorted(set(words) - named) for where, words in VOCABULARIES.items() if set(words) - named
    }
    assert missing == {}


def test_every_import_problem_is_in_the_chinese_reference():
    """Each problem an import names (those with words on the 流程配置 page: ``wf.problem.*``)."""
    words = json.loads((ROOT / "agent_ui" / "texts" / "zh-CN.json").read_text(encoding="utf-8"))
    ids = {k.removeprefix("wf.problem.") for k in expected_keys() if k.startswith("wf.problem.")}
    for module in (definition, conditions, store, workflow_setup):
        said = set(re.findall(r'"([a-z][a-z_]+)"', Path(module.__file__).read_text(encoding="utf-8")))
        ids |= {i for i in said if f"wf.problem.{i}" in words}
    assert {"bad_structure", "not_a_mapping", "condition_bad_value", "too_deep"} <= ids
    named = _code(ZH_TEXT)
    assert sorted(ids - named) == []


def _yaml_blocks(text: str) -> list[str]:
    return [
        t.content
        for t in MarkdownIt("commonmark").parse(text)
        if t.type == "fence" and t.info.strip() == "yaml"
    ]


def test_its_yaml_examples_are_yaml_and_its_whole_definitions_import():
    blocks = _yaml_blocks(ZH_TEXT)
    assert len(blocks) > 20
    whole = 0
    for block in blocks:
        data = yaml.safe_load(block)  # a fragment too: an example an admin copies must parse
        if isinstance(data, dict) and {"key", "nodes"} <= data.keys():
            store.validated(block)
            whole += 1
    assert whole >= 1


#: half-width punctuation touching Chinese outside code (as the console's own texts are held to)
_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
HALF_WIDTH_NEAR_CJK = re.compile(f"[{_CJK}] ?[,()?;:!]|[,()?;:!] ?[{_CJK}]")


def test_the_chinese_reference_keeps_the_consoles_voice():
    prose = re.sub(r"```.*?```", "", ZH_TEXT, flags=re.S)
    prose = re.sub(r"`[^`\n]*`", "", prose)
    assert "你" not in ZH_TEXT and "座席" not in ZH_TEXT
    found = sorted({m.group(0) for m in HALF_WIDTH_NEAR_CJK.finditer(prose)})
    assert found == []
