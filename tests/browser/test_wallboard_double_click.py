"""QA #16 in the real Chromium, against ``hotline serve`` and the real Asterisk: a double-click on
a seat tile's 置忙 sent the command twice (two toasts 已将 … 置为未就绪, two 强制置忙 audit rows,
the second with nothing changed), and one on 强制下班 asked twice and sent twice. The tile's
button is disabled while its command is in flight (api.js once()): one intention, one command."""

from __future__ import annotations

import sqlite3

import pytest
from playwright.sync_api import expect

from tests.browser.test_wallboard_seat_force import seat_on_the_board

pytestmark = [pytest.mark.browser, pytest.mark.asterisk]

#: time for a second command, had one gone, to come back as a toast and an audit row
SECOND_ANSWER_MS = 2500


def audit_rows(console, action: str) -> int:
    """The console's audit rows of ``action`` on its story seat, read from its SQLite file."""
    with sqlite3.connect(console.db) as db:
        (count,) = db.execute(
            "SELECT count(*) FROM audit_log WHERE action = ? AND entity_id = ?", (action, console.agent)
        ).fetchone()
    return count


def test_a_double_click_on_a_seat_s_force_button_is_one_command(console, browser, asterisk):
    with seat_on_the_board(console, browser, asterisk) as (ami, agent, boss, state, tile, errors):
        toasts = boss.locator("#toasts .toast")

        pause = tile.locator("[data-force=force_pause]")
        pause.dblclick()
        expect(tile).to_have_attribute("data-state", "not_ready", timeout=10_000)
        expect(toasts.filter(has_text="置为未就绪")).to_have_count(1, timeout=10_000)
        boss.wait_for_timeout(SECOND_ANSWER_MS)
        expect(toasts).to_have_count(1)  # no second 已将 … 置为未就绪, no refusal
        assert audit_rows(console, "seat.force_pause") == 1
        expect(pause).to_be_enabled()  # usable again once its answer came

        # 强制下班 asks first: a double-click asks once and signs the seat out once
        asked: list[str] = []
        boss.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
        tile.locator("[data-force=force_sign_out]").dblclick()
        expect(tile).to_have_count(0, timeout=10_000)
        expect(state).to_have_attribute("data-state", "logged_out", timeout=10_000)
        expect(toasts.filter(has_text="强制下班")).to_have_count(1, timeout=10_000)
        boss.wait_for_timeout(SECOND_ANSWER_MS)
        assert len(asked) == 1, asked
        expect(toasts.filter(has_text="强制下班")).to_have_count(1)
        expect(boss.locator("#toasts .toast.refused")).to_have_count(0)
        assert audit_rows(console, "seat.force_sign_out") == 1
        assert errors == []
