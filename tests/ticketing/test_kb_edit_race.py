"""Two edits of one knowledge article made from the same version at the same moment: one is
saved, the other refused (kb_article_changed_meanwhile), on both databases; never both."""

from __future__ import annotations

import asyncio

from ticketing import knowledge
from ticketing.errors import ActionRefused
from ticketing.models import KbArticle, User


async def test_of_two_edits_from_one_version_exactly_one_is_saved(sm, seeded):
    async with sm.begin() as s:
        author = await s.get(User, seeded.users["3001"].id)
        article = await knowledge.create_article(s, author, {"title": "电费查询", "body": "原文"})
        aid, version = article.id, knowledge.article_version(article)

    async def edit(staff_no: str, body: str) -> str:
        async with sm.begin() as s:
            actor = await s.get(User, seeded.users[staff_no].id)
            try:
                await knowledge.edit_article(s, actor, aid, {"body": body, "version": version})
            except ActionRefused as exc:
                assert exc.error_id == "kb_article_changed_meanwhile"
                return "refused"
            await asyncio.sleep(0.3)  # the transaction stays open while the other edit comes
            return "saved"

    outcomes = await asyncio.gather(edit("2001", "班长的修改"), edit("3001", "质检的修改"))
    assert sorted(outcomes) == ["refused", "saved"]
    winner = "班长的修改" if outcomes[0] == "saved" else "质检的修改"
    async with sm() as s:
        row = await s.get(KbArticle, aid)
        assert row.body == winner and knowledge.article_version(row) != version
