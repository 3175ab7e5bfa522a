"""The console's words in zh-CN (first) and en, from texts/<lang>.json.

Keys are dotted (``state.ready``, ``error.auth.locked``). A key missing in
English falls back to Chinese, a key missing everywhere shows itself, so a gap
is visible on screen instead of hiding an error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

LANGUAGES = ("zh-CN", "en")
DEFAULT = "zh-CN"
_DIR = Path(__file__).parent / "texts"


class Texts:
    def __init__(self, directory: Path = _DIR) -> None:
        self.tables: dict[str, dict[str, str]] = {
            lang: json.loads((directory / f"{lang}.json").read_text(encoding="utf-8")) for lang in LANGUAGES
        }

    def get(self, lang: str, key: str, **values: Any) -> str:
        table = self.tables.get(lang) or self.tables[DEFAULT]
        text = table.get(key) or self.tables[DEFAULT].get(key) or key
        if values:
            try:
                return text.format(**values)
            except (KeyError, IndexError, ValueError):
                return text
        return text

    def reason(self, lang: str, reason: str) -> str:
        """A pause reason in words: the shipped ones (and the system's, such as 未接) translated,
        one an admin configured as it was typed."""
        table = self.tables.get(lang) or self.tables[DEFAULT]
        return table.get(f"reason.{reason}") or reason

    def field(self, lang: str, name: str) -> str:
        """A form field in words: a register's (``email``) by its ``field.*`` text, a workflow
        form's, already named in Chinese by its admin (故障地址), as it is."""
        table = self.tables.get(lang) or self.tables[DEFAULT]
        return table.get(f"field.{name}") or name

    def _problem(self, lang: str, problem: str, channel: str = "", values: Any = None) -> str:
        """A field's problem in words; the channel's own where it has them (收件人(须为手机号));
        with the ``values`` they name (不能早于到达时间 2026-11-29 17:20)."""
        values = values if isinstance(values, dict) else {}
        own = f"problem.{problem}.{channel}"
        if channel and self.get(lang, own) != own:
            return self.get(lang, own, **values)
        return self.get(lang, f"problem.{problem}", **values)

    def _field_at(self, lang: str, name: str, row: Any, form: str = "") -> str:
        own = f"field.{form}.{name}"
        # a form's own label where it has one (the new-customer form's name is 户名, not 名称)
        field = self.get(lang, own) if form and self.get(lang, own) != own else self.field(lang, name)
        return self.get(lang, "problem.in_row", field=field, row=row) if isinstance(row, int) else field

    def error(
        self, lang: str, error_id: str, fallback: str = "", details: dict[str, Any] | None = None
    ) -> str:
        key = f"error.{error_id}"
        values = {}
        channel = (details or {}).get("channel")
        if not isinstance(channel, str) or not channel.isidentifier():
            channel = ""
        if channel and self.get(lang, f"{key}.{channel}") != f"{key}.{channel}":
            # 短信须发到手机号 / 邮件须发到邮箱地址: the channel's own words where it has them
            key = f"{key}.{channel}"
        password_problems = (details or {}).get("password_problems")
        if isinstance(password_problems, list) and password_problems:
            # 密码未修改：当前密码错误；新密码不能包含工号 — every problem of a password change at once
            recent = (details or {}).get("recent")
            joined = ("；" if lang == DEFAULT else "; ").join(
                self.get(lang, f"password_problem.{p}", recent=recent) for p in password_problems
            )
            return self.get(lang, "error.auth.password_problems", problems=joined)
        missing = (details or {}).get("fields")
        if isinstance(missing, list) and missing and self.get(lang, f"{key}.named") != f"{key}.named":
            # 必填内容为空，不能关闭工单：处理描述、回访满意度 — the fields by name where the error says them
            key = f"{key}.named"
            values["missing"] = "、".join(str(f) for f in missing)
        problems = (details or {}).get("problems")
        form = (details or {}).get("form")
        form = form if isinstance(form, str) and form.isidentifier() else ""
        if isinstance(problems, dict):
            # 表单有误:故障地址(必填)… — each field with its own problem in words, and the row
            # of a list field the problem is in (影响区域第 2 行)
            rows = (details or {}).get("rows") or {}
            named = (details or {}).get("problem_values") or {}
            # Chinese brackets its problem full-width: 户名（必填）; English " (required)"
            opened, closed = ("（", "）") if lang == DEFAULT else (" (", ")")
            values["fields"] = "、".join(
                f"{self._field_at(lang, name, rows.get(name), form)}{opened}{self._problem(lang, p, channel, named.get(name))}{closed}"
                for name, p in problems.items()
            )
        pause_reason = (details or {}).get("pause_reason")
        if isinstance(pause_reason, str):
            # 转接目标未就绪（小休）: the reason in words, with its brackets, or nothing when none was given
            values["pause_reason"] = (
                self.get(lang, "call.target_reason", reason=self.reason(lang, pause_reason))
                if pause_reason
                else ""
            )
        categories = (details or {}).get("categories")
        if isinstance(categories, list):
            # 受理将不再提供:电费咨询、故障报修 — the intake categories, as their admin named them
            values["categories"] = "、".join(str(c) for c in categories)
        sites = (details or {}).get("sites")
        if isinstance(sites, list):
            # 仍有下级单位在用:城关供电所、东关供电所 — the sites by the names their admin gave them
            values["sites"] = "、".join(str(s) for s in sites)
        order_number = (details or {}).get("order_number")
        if isinstance(order_number, str):
            # 没有工单号为 GZ… 的工单: the number as the server read what was typed
            values["order_number"] = order_number
        unknown = (details or {}).get("unknown")
        if isinstance(unknown, str | int) and not isinstance(unknown, bool):
            # 没有名为“nosuch”的队列: a report filter's value as it was asked for
            values["unknown"] = unknown
        server = (details or {}).get("server")
        if isinstance(server, str):
            # 您的坐席所在的电话服务器(sz): the seat's Asterisk server, by its name in asterisk_servers
            values["server"] = server
        for name in ("category_name", "site_name", "name", "code", "names", "orders"):
            # 广州市供电局不受理「投诉举报建议」, 「海淀咨询」(consult)下还有小类别:… — as the admin named them
            value = (details or {}).get(name)
            if isinstance(value, str | int) and not isinstance(value, bool):
                values[name] = value
        text = self.get(lang, key, **values)
        if text == key:
            # an error id from another package that we have no words for yet
            return fallback or self.get(lang, "error.unknown", error_id=error_id)
        return text

    def table(self, lang: str) -> dict[str, str]:
        merged = dict(self.tables[DEFAULT])
        merged.update(self.tables.get(lang, {}))
        return merged


def pick_language(requested: str | None, accept_language: str = "") -> str:
    if requested in LANGUAGES:
        return requested
    if accept_language.lower().startswith("en"):
        return "en"
    return DEFAULT
