"""标题 for an order taken without one: the console's intake form has no title box, and a list
whose 标题 column is blank for every order tells the agent nothing.

The title is the order's own 标题 form field when it has one (投诉), else the subcategory's
name and the first words of what the workflow names as its title (``title: [故障名称, 故障地址]``:
``居民停电：家中停电 天河路123号``, not the caller's "明天9点来"), else of the first description the
caller gave (a textarea field, else the first text field): ``居民生活用电：峰谷电价何时执行``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.models import Category
from ticketing.workflow.definition import Definition

#: characters of the description kept in a title; the rest is on the order's page
DESCRIPTION_CHARS = 30
TITLE_LIMIT = 200  # the column's length


def _description(fields: Mapping[str, Any], form: Mapping[str, Any], title_fields: tuple[str, ...]) -> str:
    own_title = str(form.get("标题") or "").strip()
    if own_title:
        return own_title
    named = [value.strip() for value in (form.get(name) for name in title_fields) if isinstance(value, str)]
    if any(named):
        return " ".join(part for part in named if part)
    for kind in ("textarea", "text"):
        for name, spec in fields.items():
            value = form.get(name)
            if (spec or {}).get("type", "text") == kind and isinstance(value, str) and value.strip():
                return value
    return ""


def title_from(
    fields: Mapping[str, Any],
    form: Mapping[str, Any],
    subcategory_name: str,
    title_fields: tuple[str, ...] = (),
) -> str:
    """The title of an order whose form is ``form``, ``fields`` its workflow's fields with its
    subcategory's (their specs), ``subcategory_name`` that subcategory's name ("" for none),
    ``title_fields`` the workflow's ``title``. Needs no session: migration 0018 titles the
    orders taken before titles were derived."""
    words = " ".join(_description(fields, form, title_fields).split())
    if len(words) > DESCRIPTION_CHARS:
        words = words[:DESCRIPTION_CHARS] + "…"
    return "：".join(part for part in (subcategory_name, words) if part)[:TITLE_LIMIT]


async def derived_title(
    session: AsyncSession, definition: Definition, form: Mapping[str, Any], subcategory: str
) -> str:
    name = ""
    if subcategory:
        name = await session.scalar(select(Category.name).where(Category.code == subcategory).limit(1)) or ""
    return title_from(definition.fields, form, name, definition.title_fields)
