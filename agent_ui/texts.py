"""The console's words in zh-CN (first) and en, from texts/<lang>.json.

Keys are dotted (``state.ready``, ``error.auth.locked``). A key missing in
English falls back to Chinese, a key missing everywhere shows itself, so a gap
is visible on screen instead of hiding an error.
"""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

LANGUAGES = ("zh-CN", "en")
DEFAULT = "zh-CN"
_DIR = Path(__file__).parent / "texts"
#: the queue table's own words (queue.name, queue.waiting …), no queue's name
_QUEUE_WORDS = frozenset({"title", "name", "waiting", "longest", "ready"})


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

    def queue(self, lang: str, queue: str) -> str:
        """A queue by its display name: a shipped one in words (complaint → 投诉), any other as it
        is named. The table's own words (queue.name, queue.waiting …) are no queue's name."""
        if queue in _QUEUE_WORDS:
            return queue
        table = self.tables.get(lang) or self.tables[DEFAULT]
        return table.get(f"queue.{queue}") or self.tables[DEFAULT].get(f"queue.{queue}") or queue

    def _fill_from_details(
        self, lang: str, key: str, details: dict[str, Any], values: dict[str, Any]
    ) -> None:
        """Every other placeholder the error's text names, from the detail of that name: a queue
        in words (该坐席不在队列「投诉」中), a list of names joined (仍有下级单位在用：城关供电所、东关供电所),
        a name, number or code as it is. Not an allow-list, so a detail a new error carries is
        never shown as a bare ``{name}``."""
        table = self.tables.get(lang) or self.tables[DEFAULT]
        text = table.get(key) or self.tables[DEFAULT].get(key) or ""
        for name in placeholders(text):
            if name in values or name not in details:
                continue
            value = details[name]
            if name == "queue" and isinstance(value, str):
                values[name] = self.queue(lang, value)
            elif isinstance(value, list) and all(_is_scalar(v) for v in value):
                values[name] = "、".join(str(v) for v in value)
            elif _is_scalar(value):
                values[name] = value

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
            given = (details or {}).get("given")
            if (
                isinstance(given, str)
                and given.isidentifier()
                and self.get(lang, f"{key}.{given}") != f"{key}.{given}"
            ):
                # what was typed was another channel's kind (an e-mail address under 短信): said so
                key = f"{key}.{given}"
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
        self._fill_from_details(lang, key, details or {}, values)
        text = self.get(lang, key, **values)
        if text == key:
            # an error id from another package that we have no words for yet
            return fallback or self.get(lang, "error.unknown", error_id=error_id)
        return text

    def table(self, lang: str) -> dict[str, str]:
        merged = dict(self.tables[DEFAULT])
        merged.update(self.tables.get(lang, {}))
        return merged


def placeholders(text: str) -> list[str]:
    """The names a text fills in (``{queue}``, ``{count}``), in order; a literal like the numbering
    rule's ``{seq:0N}`` is named too (its name, seq)."""
    try:
        return [name for _, name, _, _ in string.Formatter().parse(text) if name]
    except ValueError:  # a stray brace: the text is shown as it is (Texts.get)
        return []


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def pick_language(requested: str | None, accept_language: str = "") -> str:
    if requested in LANGUAGES:
        return requested
    if accept_language.lower().startswith("en"):
        return "en"
    return DEFAULT
