"""QA: the wallboard's seat map left out the seats not signed in, so a supervisor could not see
who was missing. In Chromium the map now lists the agents it expects that are not signed in
apart, as 未签入 with their count: every agent for a supervisor, a team leader's own team for
them. No Asterisk: the console runs in-process, nobody signed in at a seat."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import signed_in
from tests.browser.in_process import seeded_console
from tests.browser.story_seeds import demo_only

pytestmark = [pytest.mark.browser]


async def _expected(url: str) -> dict[str, set[str]]:
    """Who each viewer's map should expect, read from the seeded staff."""
    from sqlalchemy import select

    from agent_ui.supervision import in_a_team, team_of
    from ticketing.db import create_engine, sessionmaker
    from ticketing.models import User

    engine = create_engine(url)
    async with sessionmaker(engine).begin() as db:
        everyone = list(await db.scalars(select(User)))
        agents = {u.staff_no for u in everyone if u.active and in_a_team(u.roles)}
        leader = next(u for u in everyone if u.staff_no == "2001")
        team = await team_of(db, leader) & agents
    await engine.dispose()
    return {"3001": agents, "2001": team}


async def _seed_and_read(url: str) -> dict[str, set[str]]:
    await demo_only(url, 1)
    return await _expected(url)


@pytest.fixture
def board_console(tmp_path):
    with seeded_console(tmp_path / "absent.db", _seed_and_read) as server:
        yield server


def test_the_seat_map_shows_the_agents_not_signed_in(board_console, browser):
    server = board_console
    expected = server.seeded
    assert {"1001", "1002"} <= expected["3001"] and "3001" not in expected["3001"]
    assert expected["2001"] and expected["2001"] <= expected["3001"]
    for viewer in ("3001", "2001"):
        with signed_in(browser, server, viewer) as page:
            page.goto(f"{server.url}/wallboard")
            absent = page.locator("#wb-absent")
            expect(absent).to_be_visible()
            count = len(expected[viewer])
            expect(page.locator("#wb-absent-count")).to_have_text(str(count))
            expect(page.locator("#wb-summary")).to_contain_text(f"未签入 {count}")
            shown = page.locator("#wb-absent-list li").evaluate_all("els => els.map(e => e.dataset.agent)")
            assert set(shown) == expected[viewer], viewer
            expect(page.locator("#wb-absent-list li[data-agent='1001']")).to_contain_text("1001")
