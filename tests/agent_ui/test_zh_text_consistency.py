"""The console's Chinese keeps one voice: 您 (never 你) to the user, 坐席 (never 座席) for a seat,
and the full-width colon ： after Chinese text (never the half-width : of 表单有误:); in
texts/zh-CN.json and in the templates' own Chinese words. A value whose colon is code (YAML the
admin types) is listed with the reason. Full-width ，（） next to Chinese text, in the texts, the
templates and the scripts' strings, and every bracket a script builds around a value through
i18n.js paren(): no text or script is let off. Likewise full-width ？；：！ next to Chinese (重置密码？,
请转交本人；) and next to a placeholder in a Chinese text ({menu}：{key}), and the colons and
semicolons a script joins in code (来电：…, 服务技能（…）；服务礼仪（…）) through i18n.js colon /
semicolon; the only ones let off are code, each listed with the reason."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ZH = json.loads((ROOT / "agent_ui" / "texts" / "zh-CN.json").read_text(encoding="utf-8"))
_CJK = "\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
HALF_COLON_AFTER_CJK = re.compile(f"[{_CJK}]:")
#: key -> why its half-width colon stays
CODE_COLONS = {"wf.problem.bad_subcategory_binding": "the YAML an admin writes (小类别代码: 选项)"}


def _templates() -> dict[str, str]:
    return {
        str(p.relative_to(ROOT)): p.read_text(encoding="utf-8")
        for p in sorted((ROOT / "agent_ui" / "templates").rglob("*.html"))
    }


def test_the_user_is_addressed_as_您():
    assert {k: v for k, v in ZH.items() if "你" in v} == {}
    assert [name for name, text in _templates().items() if "你" in text] == []


def test_a_seat_is_坐席():
    assert {k: v for k, v in ZH.items() if "座席" in v} == {}
    assert [name for name, text in _templates().items() if "座席" in text] == []
    assert "座席" not in (ROOT / "docs" / "console.md").read_text(encoding="utf-8")


def test_chinese_text_takes_the_full_width_colon():
    found = {k: v for k, v in ZH.items() if HALF_COLON_AFTER_CJK.search(v) and k not in CODE_COLONS}
    assert found == {}
    for key in CODE_COLONS:  # a key that no longer needs its exception leaves the list
        assert HALF_COLON_AFTER_CJK.search(ZH[key]), key


#: a half-width comma, parenthesis, ? ; : or ! touching Chinese text (已提交,工单状态 / (接收确认) /
#: 重置密码?原密码 / 请转交本人;首次)
HALF_WIDTH_NEXT_TO_CJK = re.compile(f"[{_CJK}][,()?;:!]|[,()?;:!][{_CJK}]")
#: in a Chinese text, the same next to a placeholder ({menu}:{key}, {area}:请填写)
HALF_WIDTH_NEXT_TO_PLACEHOLDER = re.compile(r"\}[,?;:!]|[,?;:!]\{")
#: the console's scripts and the default print template, whose strings reach the user too
SCRIPTS = sorted((ROOT / "agent_ui" / "static" / "js").glob("*.js"))
PRINT_TEMPLATE = ROOT / "ticketing" / "templates" / "print_default.html"


def _strings(source: str) -> list[str]:
    """The quoted strings of a script (its comments left out: they are not shown)."""
    code = re.sub(r"^\s*//.*$|/\*.*?\*/|\s//\s.*$", "", source, flags=re.M | re.S)
    return re.findall(r'"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`|\'(?:[^\'\\\n]|\\.)*\'', code)


def _shown(html: str) -> str:
    """A template's own words: its comments, jinja comments and character references (&#10;) left out."""
    return re.sub(r"<!--.*?-->|\{#.*?#\}|&#?\w+;", "", html, flags=re.S)


def _zh_half_width(key: str, value: str) -> bool:
    if key in CODE_COLONS:  # its YAML's "key: value" is the admin's code; nothing else may be
        value = re.sub(r"[\w\u3400-\u9fff]+: ", "", value)
    chinese = re.search("[\u3400-\u9fff]", value)
    return bool(
        HALF_WIDTH_NEXT_TO_CJK.search(value) or (chinese and HALF_WIDTH_NEXT_TO_PLACEHOLDER.search(value))
    )


def test_chinese_text_takes_full_width_punctuation():
    assert {k: v for k, v in ZH.items() if _zh_half_width(k, v)} == {}
    templates = {
        **_templates(),
        str(PRINT_TEMPLATE.relative_to(ROOT)): PRINT_TEMPLATE.read_text(encoding="utf-8"),
    }
    assert {
        name: HALF_WIDTH_NEXT_TO_CJK.findall(_shown(text))
        for name, text in templates.items()
        if HALF_WIDTH_NEXT_TO_CJK.search(_shown(text))
    } == {}
    assert {
        path.name: [s for s in _strings(path.read_text(encoding="utf-8")) if HALF_WIDTH_NEXT_TO_CJK.search(s)]
        for path in SCRIPTS
        if any(HALF_WIDTH_NEXT_TO_CJK.search(s) for s in _strings(path.read_text(encoding="utf-8")))
    } == {}


#: a script's brackets built around a value (`${name}(${no})`, ` (${t(…)})`): Chinese takes
#: i18n.js paren() (（…）), English its " (…)"; whatever the value, a 工号 or a code too
BUILT_BRACKETS = re.compile(r"\}\s?\(\$\{|`\s?\(\$\{")
#: the one place they are built: paren() itself, English's brackets
PAREN = "export const paren = (text) => (CHINESE ? `（${text}）` : ` (${text})`);"


def test_scripts_build_brackets_in_the_pages_language():
    found = {}
    for path in SCRIPTS:
        code = re.sub(r"^\s*//.*$", "", path.read_text(encoding="utf-8"), flags=re.M)
        if path.name == "i18n.js":
            assert code.count(PAREN) == 1, "paren() is not as this test knows it: look again"
            code = code.replace(PAREN, "")
        if brackets := BUILT_BRACKETS.findall(code):
            found[path.name] = len(brackets)
    assert found == {}


#: a label's colon or a list's semicolon a script joins in code (`${t("wb.caller")}: ${who}`,
#: `${k}:${v}` of a visit-back's answers, .join(";") of a category's dimensions): Chinese takes
#: i18n.js colon / semicolon (： ；), English its ": " / "; "
BUILT_SEPARATORS = re.compile(r"\}[:;] ?\$\{|\)\}[:;] ?`|\.join\(\"[:;] ?\"\)")
#: file -> (how many, why): the ones that are code, never read as Chinese text
CODE_SEPARATORS = {
    "api.js": (3, "a duration's clock, 1:02:03"),
    "drafts.js": (3, "drafts' storage keys: agent:call, and user:order:step on the order page"),
    "forms.js": (2, "a time zone's offset +08:00 and a time 09:30"),
    "order.js": (4, "the key of the step drawn, id:node:status"),
    "statebar.js": (3, "a transfer or conference target rebuilt from its id (queue:a:b)"),
    "workflow_editor.js": (1, "a step's other settings shown as the YAML the admin writes, key: value"),
}


def test_scripts_join_colons_and_semicolons_in_the_pages_language():
    found = {}
    for path in SCRIPTS:
        code = re.sub(r"^\s*//.*$", "", path.read_text(encoding="utf-8"), flags=re.M)
        if n := len(BUILT_SEPARATORS.findall(code)):
            found[path.name] = n
    assert found == {name: n for name, (n, _) in CODE_SEPARATORS.items()}


#: a script's square brackets built around a text (` [${t("order.handler_inactive")}]`, an
#: urgency's [高]): Chinese takes i18n.js tag() (【高】), English its " [high]"
BUILT_SQUARE = re.compile(r"\[\$\{t\(")


def test_scripts_build_square_brackets_in_the_pages_language():
    found = {}
    for path in SCRIPTS:
        code = re.sub(r"^\s*//.*$", "", path.read_text(encoding="utf-8"), flags=re.M)
        if n := len(BUILT_SQUARE.findall(code)):
            found[path.name] = n
    assert found == {}


#: half-width punctuation touching Chinese, or one space from it (潘红 (1001), 接听 (+),
#: Asterisk: 已连接, 业务受理 (Alt+N)): what a rendered page's words must not hold
HALF_WIDTH_NEAR_CJK = re.compile(f"[{_CJK}] ?[,()?;:!]|[,()?;:!] ?[{_CJK}]")


def _render_all(lang: str) -> dict[str, str]:
    """Every page template rendered in ``lang`` as the console renders it (``templating``: its
    texts, brackets and colon), with a user and sample values for what a page is given, so what a
    template puts around a value (``{{ user.name }} ({{ user.staff_no }})``) is seen as shown. The
    words only: scripts, styles, tags (and their attributes) and character references left out."""
    import asyncio
    from types import SimpleNamespace

    import jinja2

    from agent_ui.templating import _DIR, punctuation
    from agent_ui.texts import Texts

    texts = Texts()
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_DIR),
        autoescape=jinja2.select_autoescape(["html"]),
        enable_async=True,
        undefined=jinja2.ChainableUndefined,  # a value no sample gives renders empty
    )
    env.filters["tojson_attr"] = lambda v: json.dumps(v, ensure_ascii=False, default=str)
    name, staff_no = ("潘红", "1001") if lang.startswith("zh") else ("Pan Hong", "1001")
    values = {
        "lang": lang,
        # an admin who may do everything: every part of a page is rendered
        "user": SimpleNamespace(
            id=1,
            name=name,
            staff_no=staff_no,
            roles=["agent", "team_leader", "supervisor", "admin"],
            can=lambda _permission: True,
            any_role=lambda *_roles: True,
            must_change_password=False,
        ),
        "csrf": "x",
        "t": lambda key, **kw: texts.get(lang, key, **kw),
        "reason_text": lambda reason: texts.reason(lang, reason),
        **punctuation(lang),
        "texts_json": "{}",
        "hotline_number": "95598",
        "site_timezone": "Asia/Shanghai",
        "pause_reasons": ["小休", "培训"],
        "path": "/",
        "template_name": "默认模板" if lang.startswith("zh") else "Default",
        "order_number": "GZ2026112900001",
        "printed": "",
        "reports": [],
        "roles": [],
        "notice_sites": [],
        "spec": {"openapi": "3.1.0", "info": {"title": "Hotline", "description": ""}, "paths": {}},
        "list_name": "mine",
        "error": None,
        "staff_no": staff_no,
        "error_id": "not_found",
        "message": "",
        "status": 404,
    }

    async def render() -> dict[str, str]:
        return {
            path.name: await env.get_template(path.name).render_async(values)
            for path in sorted(_DIR.glob("*.html"))
        }

    pages = asyncio.run(render())
    words = {}
    for page, html in pages.items():
        html = re.sub(r"<(script|style)\b.*?</\1>|<!--.*?-->", "", html, flags=re.S | re.I)
        words[page] = re.sub(r"&#?\w+;", "", re.sub(r"<[^>]*>", "", html))
    return words


def test_rendered_pages_take_full_width_punctuation_in_chinese():
    """The Chinese pages as rendered, not only the templates' literal words: a bracket or colon a
    template puts around a value (the signed-in user's （工号）, a key's （+）, 模板：) comes from
    templating.punctuation, full-width in Chinese, and is checked here as shown."""
    pages = _render_all("zh-CN")
    assert len(pages) == len(list((ROOT / "agent_ui" / "templates").glob("*.html")))
    found = {
        page: sorted(set(HALF_WIDTH_NEAR_CJK.findall(text)))
        for page, text in pages.items()
        if HALF_WIDTH_NEAR_CJK.search(text)
    }
    assert found == {}
    assert "潘红（1001）" in pages["base.html"]
    assert "接听（+）" in pages["base.html"] and "挂断（-）" in pages["base.html"]
    # the script puts 已连接 after it (statebar.js; rendered, it waits as …)
    assert "电话：" in pages["base.html"]
    assert "模板：默认模板" in pages["order_print.html"]


def test_rendered_pages_keep_half_width_punctuation_in_english():
    pages = _render_all("en")
    assert "Pan Hong (1001)" in pages["base.html"]
    assert "Phone: " in pages["base.html"]
    assert "Template: Default" in pages["order_print.html"]
    assert not any(c in text for text in pages.values() for c in "（）：")
