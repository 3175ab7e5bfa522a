"""Seeded defaults: the 95598 categories and workflows, phrases, survey dimensions, templates.

``seed_defaults`` is idempotent: data already present (a workflow key, a
category code) is left as it is, so an admin's changes survive a re-run.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ticketing.models import (
    Category,
    KbArticle,
    KbCategory,
    NotificationTemplate,
    StandardPhrase,
    SurveyDimension,
    WorkflowDefinition,
)
from ticketing.workflow.store import import_definition

SEEDS = Path(__file__).with_name("seeds")
WORKFLOWS = ("consult", "fault_repair", "complaint", "service_application", "aftersales_repair")


@functools.cache
def _parsed_seed(name: str) -> Any:
    # Parsed once a process: the pure-Python YAML parser took over a third of seed_defaults,
    # which the tests run hundreds of times.
    return yaml.safe_load((SEEDS / name).read_text(encoding="utf-8"))


def load_seed(name: str) -> Any:
    """A fresh copy of the seed file's data: callers may change theirs (``workflow_source``)."""
    return copy.deepcopy(_parsed_seed(name))


def workflow_source(
    key: str, *, complaint_general_limit: str = "1h", complaint_major_limit: str = "7d"
) -> dict:
    data = load_seed(f"{key}.yaml")
    if key == "complaint":
        # "general complaints within 1 working hour (configurable; some read it as 1 working day)"
        for node in data["nodes"]:
            if node["id"] == "handle":
                node["sla"]["limit_by"]["values"] = {
                    "一般": complaint_general_limit,
                    "重大": complaint_major_limit,
                }
    return data


async def seed_defaults(
    session: AsyncSession, *, complaint_general_limit: str = "1h", complaint_major_limit: str = "7d"
) -> None:
    existing = set(await session.scalars(select(WorkflowDefinition.key)))
    for key in WORKFLOWS:
        if key not in existing:
            await import_definition(
                session,
                workflow_source(
                    key,
                    complaint_general_limit=complaint_general_limit,
                    complaint_major_limit=complaint_major_limit,
                ),
            )
    await _seed_categories(session)
    await _seed_phrases(session)
    await _seed_surveys(session)
    await _seed_templates(session)
    await _seed_knowledge(session)
    await session.flush()


async def _seed_categories(session: AsyncSession) -> None:
    known = set(await session.scalars(select(Category.code).where(Category.site_id.is_(None))))
    for sort, top in enumerate(load_seed("categories.yaml")):
        if top["code"] in known:
            continue
        parent = Category(
            code=top["code"],
            name=top["name"],
            workflow_key=top.get("workflow", ""),
            number_pattern=top.get("number_pattern", ""),
            at_intake=top.get("at_intake", True),
            sort=sort,
        )
        session.add(parent)
        await session.flush()
        for sub_sort, child in enumerate(top.get("children", ())):
            session.add(
                Category(
                    code=child["code"],
                    name=child["name"],
                    parent_id=parent.id,
                    workflow_key=parent.workflow_key,
                    form_schema=child.get("form", {}),
                    sort=sub_sort,
                )
            )


async def _seed_phrases(session: AsyncSession) -> None:
    if await session.scalar(select(StandardPhrase.id).limit(1)):
        return
    for category, texts in load_seed("phrases.yaml").items():
        for sort, text in enumerate(texts):
            session.add(StandardPhrase(category=category, text=text, sort=sort))


async def _seed_surveys(session: AsyncSession) -> None:
    if await session.scalar(select(SurveyDimension.id).limit(1)):
        return
    for category, dims in load_seed("surveys.yaml").items():
        for sort, dim in enumerate(dims):
            session.add(
                SurveyDimension(category=category, name=dim["name"], options=dim["options"], sort=sort)
            )


async def _seed_knowledge(session: AsyncSession) -> None:
    if await session.scalar(select(KbCategory.id).limit(1)):
        return
    for sort, (name, articles) in enumerate(load_seed("kb.yaml").items(), start=1):
        category = KbCategory(name=name, sort=sort)
        session.add(category)
        await session.flush()
        for article in articles:
            session.add(
                KbArticle(
                    category_id=category.id,
                    title=article["title"],
                    body=article["body"],
                    tags=article.get("tags", ""),
                )
            )


async def _seed_templates(session: AsyncSession) -> None:
    if await session.scalar(select(NotificationTemplate.id).limit(1)):
        return
    for t in load_seed("notifications.yaml"):
        session.add(
            NotificationTemplate(
                name=t["name"],
                category=t["category"],
                node=t["node"],
                channel=t["channel"],
                subject=t.get("subject", ""),
                body=t["body"],
                auto_send=t.get("auto_send", False),
                enabled=t.get("enabled", True),
                audience=t.get("audience", "customer"),  # contractor: sent on 外委 dispatch
                send_on=t.get("send_on", "enter"),
            )
        )
