"""Migration 0050 on a database holding 结果代码: the shipped codes only a customer on the line gives
(满意, 不满意, 问题已解决, 拒绝回访) need an answered call; 号码错误, 稍后再打 and a code an admin
configured keep fitting any call, as before (QA 2026-11-29 #5). On both databases."""

from __future__ import annotations

from sqlalchemy import text

from ticketing import db


async def test_the_shipped_answer_codes_are_flagged_and_the_others_kept(empty_db_url):
    await db.migrate(empty_db_url, "0049")
    engine = db.create_engine(empty_db_url)
    try:
        async with engine.begin() as conn:
            for code in (
                "satisfied",
                "dissatisfied",
                "resolved",
                "call_later",
                "wrong_number",
                "refused",
                "paid",
            ):
                await conn.execute(
                    text(
                        "INSERT INTO dispositions (code, label, final, active) VALUES (:code, :code, :final, :active)"
                    ),
                    {"code": code, "final": code != "call_later", "active": True},
                )
        await db.migrate(engine)
        async with engine.begin() as conn:
            rows = (await conn.execute(text("SELECT code, needs_answer FROM dispositions"))).all()
            assert {code for code, needs in rows if needs} == {
                "satisfied",
                "dissatisfied",
                "resolved",
                "refused",
            }
            assert len(rows) == 7
            # a code added later without saying takes the column's default: fits any call
            await conn.execute(
                text(
                    "INSERT INTO dispositions (code, label, final, active) VALUES ('vip', '大客户', true, true)"
                )
            )
            assert (
                await conn.execute(text("SELECT needs_answer FROM dispositions WHERE code = 'vip'"))
            ).scalar() in (
                False,
                0,
            )
    finally:
        await engine.dispose()
