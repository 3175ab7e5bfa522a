"""Which language a request is answered in: the session's choice, else Chinese."""

from __future__ import annotations

from aiohttp import web
from aiohttp_session import get_session

from agent_ui.services import LANG
from agent_ui.texts import DEFAULT, LANGUAGES


async def language(request: web.Request) -> str:
    cached = request.get(LANG)
    if cached:
        return cached
    lang = DEFAULT
    try:
        session = await get_session(request)
        chosen = session.get("lang")
        if chosen in LANGUAGES:
            lang = chosen
    except RuntimeError:
        pass  # no session middleware yet (very early failure)
    request[LANG] = lang
    return lang
