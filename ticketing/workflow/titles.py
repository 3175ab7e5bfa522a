"""标题 for an order taken without one: the console's intake form has no title box, and a list
whose 标题 column is blank for every order tells the agent nothing.

The title is the order's own 标题 form field when it has one (投诉), else the subcategory's
name and the first words of what the workflow names as its title (``title: [故障名称, 故障地址]``:
``居民停电：家中停电 天河路123号``, not the caller's "明天9点来"), else of the customer's own words
(the field marked ``customer: description``, ``Definition.customer_description``), else of the
first text the form holds (a textarea field, else a text field): ``居民生活用电：峰谷电价何时执行``.

It is not only the title an order is made with: each later write of its form or subcategory
(``steps.write_form``) makes it again (``followed_title``), so a 标题 corrected, a 故障名称 filled
in or a 小类别 changed shows in the lists, the screen-pop and the alerts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.models import Category, WorkOrder
from ticketing.workflow.definition import Definition

#: characters of the description kept in a title; the rest is on the order's page
DESCRIPTION_CHARS = 30
TITLE_LIMIT = 200  # the column's length
#: the form field that is the order's own title where a workflow has one (投诉)
OWN_TITLE = "标题"


def _description(
    fields: Mapping[str, Any], form: Mapping[str, Any], title_fields: tuple[str, ...], words_field: str | None
) -> str:
    own_title = str(form.get(OWN_TITLE) or "").strip()
    if own_title:
        return own_title
    named = [value.strip() for value in (form.get(name) for name in title_fields) if isinstance(value, str)]
    if any(named):
        return " ".join(part for part in named if part)
    said = form.get(words_field) if words_field else None
    if isinstance(said, str) and said.strip():
        # the customer's words, not a 处理要求 an admin's form puts before them
        return said
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
    words_field: str | None = None,
) -> str:
    """The title of an order whose form is ``form``, ``fields`` its workflow's fields with its
    subcategory's (their specs), ``subcategory_name`` that subcategory's name ("" for none),
    ``title_fields`` the workflow's ``title``, ``words_field`` the field holding the customer's own
    words (``Definition.customer_description``). Needs no session: migration 0018 titles the
    orders taken before titles were derived."""
    words = " ".join(_description(fields, form, title_fields, words_field).split())
    if len(words) > DESCRIPTION_CHARS:
        words = words[:DESCRIPTION_CHARS] + "…"
    return "：".join(part for part in (subcategory_name, words) if part)[:TITLE_LIMIT]


@dataclass(frozen=True, slots=True)
class Subcategory:
    """What an order reads of its 小类别's category row: its name (the title's first words, the
    values it gives the form) and its own form (``steps.with_subtype_fields``)."""

    name: str
    form_schema: Any


async def subcategory_row(session: AsyncSession, subcategory: str) -> Subcategory | None:
    """The row an order's 小类别 ``subcategory`` is read from: the shared one where the code has
    one, else the first site's own (by id); None for none ("" included). One rule for its fields,
    the values it binds and the title, so a title its fields gave is known again when the form
    changes (``followed_title``)."""
    if not subcategory:
        return None
    row = (
        await session.execute(
            select(Category.name, Category.form_schema)
            .where(Category.code == subcategory)
            .order_by(Category.site_id.is_not(None), Category.id)
            .limit(1)
        )
    ).first()
    return None if row is None else Subcategory(row[0] or "", row[1])


async def _subcategory_name(session: AsyncSession, subcategory: str) -> str:
    row = await subcategory_row(session, subcategory)
    return row.name if row is not None else ""


def derived_title(definition: Definition, form: Mapping[str, Any], subcategory: Subcategory | None) -> str:
    """The title a new order's form and 小类别 give it (``definition``: with the 小类别's fields;
    ``subcategory``: its row, read once with them)."""
    name = subcategory.name if subcategory is not None else ""
    return title_from(
        definition.fields, form, name, definition.title_fields, definition.customer_description()
    )


async def followed_title(
    session: AsyncSession,
    order: WorkOrder,
    definition: Definition,
    form: Mapping[str, Any],
    subcategory: str,
    was: Definition | None = None,
) -> str:
    """The title ``order`` has once its form becomes ``form`` and its subcategory ``subcategory``
    (``definition``: its fields then; ``was``: before, when the subcategory's own fields change
    with it). A title its fields gave (the one ``derived_title`` makes of the form and
    subcategory it has) follows them: 标题 edited, 故障名称 completed, another 小类别 picked, the
    lists, the screen-pop and the search show the new one (QA: it stayed what intake computed).
    A title given otherwise (an e-mail's subject) stays, unless the order's own 标题 field is
    what changed: that is its title, typed."""
    if form == order.form and subcategory == order.subcategory:
        return order.title
    old_name = await _subcategory_name(session, order.subcategory)
    new_name = old_name if subcategory == order.subcategory else await _subcategory_name(session, subcategory)
    was = was or definition
    derived_before = title_from(
        was.fields, order.form, old_name, was.title_fields, was.customer_description()
    )
    own_title = str(form.get(OWN_TITLE) or "").strip() != str(order.form.get(OWN_TITLE) or "").strip()
    if (order.title or "") != derived_before and not own_title:
        return order.title
    return title_from(
        definition.fields, form, new_name, definition.title_fields, definition.customer_description()
    )
