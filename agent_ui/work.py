"""The console's view of ticketing: counts for the state bar, the screen-pop lookup.

Thin on purpose: each function opens one short session and calls
``ticketing``'s public functions; the shaping for JSON lives in
``agent_ui.views``.
"""

from __future__ import annotations

from typing import Any

from agent_ui.auth import CurrentUser
from agent_ui.services import AppServices


async def work_counts(services: AppServices, user: CurrentUser) -> dict[str, Any] | None:
    # wired to ticketing's lists and inbox once they land
    return None


async def screen_pop(services: AppServices, caller: str) -> dict[str, Any]:
    return {"caller": caller, "matches": []}
