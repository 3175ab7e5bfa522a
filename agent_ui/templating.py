"""jinja2 pages with the request's language, user and CSRF token filled in."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from aiohttp_session import get_session

from agent_ui.auth import csrf_token, user_from_session
from agent_ui.locale import language
from agent_ui.services import SERVICES, TEXTS, USER

_DIR = Path(__file__).parent / "templates"


class Templates:
    def __init__(self, directory: Path = _DIR) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(directory),
            autoescape=jinja2.select_autoescape(["html"]),
            enable_async=True,
            undefined=jinja2.StrictUndefined,
        )
        self.env.filters["tojson_attr"] = lambda v: json.dumps(v, ensure_ascii=False)

    async def render(self, request: web.Request, name: str, context: dict[str, Any] | None = None) -> str:
        lang = await language(request)
        session = await get_session(request)
        texts = request.app[TEXTS]
        services = request.app[SERVICES]
        user = request.get(USER) or user_from_session(session)
        values = {
            "lang": lang,
            "user": user,
            "csrf": csrf_token(session),
            "t": lambda key, **kw: texts.get(lang, key, **kw),
            "reason_text": lambda reason: texts.reason(lang, reason),
            **punctuation(lang),
            "texts_json": json.dumps(texts.table(lang), ensure_ascii=False),
            "hotline_number": services.hotline_number,
            "site_timezone": services.site_timezone,
            "pause_reasons": services.pause_reasons,
            "path": request.path,
        }
        values.update(context or {})
        return await self.env.get_template(name).render_async(values)

    async def response(
        self, request: web.Request, name: str, context: dict[str, Any] | None = None, status: int = 200
    ) -> web.Response:
        html = await self.render(request, name, context)
        return web.Response(text=html, content_type="text/html", status=status, headers=_NO_STORE)


_NO_STORE = {"Cache-Control": "no-store"}


def punctuation(lang: str) -> dict[str, Any]:
    """A template's brackets and label colon in its language, as i18n.js's ``paren`` / ``colon``
    are a script's: 潘红（1001）, 接听（+）, 模板：默认模板 in Chinese (full-width, no space), 潘红
    (1001), Template: default in English."""
    chinese = lang.startswith("zh")
    return {
        "paren": (lambda text: f"（{text}）") if chinese else (lambda text: f" ({text})"),
        "colon": "：" if chinese else ": ",
    }
