"""The console's aiohttp application, assembled by ``create_app``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web
from aiohttp_session import setup as setup_session

from agent_ui import (
    audit_log,
    campaigns,
    category_setup,
    colleagues,
    crew_setup,
    customers,
    dispatch_setup,
    faxes,
    gateway,
    inbox,
    knowledge,
    lists,
    login,
    message_setup,
    notifications,
    openapi,
    order_extensions,
    order_messages,
    orders,
    pages,
    reports,
    site_setup,
    sms_inbound,
    surveys,
    user_setup,
    workflow_setup,
)
from agent_ui.auth import SESSIONS, SessionStore, guard, session_storage
from agent_ui.failures import errors_middleware
from agent_ui.gateway import make_gateway
from agent_ui.media import media_routes
from agent_ui.services import GATEWAY, SERVICES, TEMPLATES, TEXTS, AppServices
from agent_ui.templating import Templates
from agent_ui.texts import Texts

STATIC = Path(__file__).parent / "static"


def create_app(services: AppServices) -> web.Application:
    if not services.secret_key:
        raise ValueError("AppServices.secret_key is required (it encrypts the session cookies)")
    app = web.Application(client_max_size=8 * 1024 * 1024)
    app[SERVICES] = services
    app[TEXTS] = Texts()
    app[TEMPLATES] = Templates()
    app[SESSIONS] = SessionStore(services.sessionmaker, idle_seconds=services.session_max_age)
    setup_session(
        app,
        session_storage(services.secret_key, secure=services.cookie_secure, max_age=services.session_max_age),
    )
    app.middlewares.append(errors_middleware)
    app.middlewares.append(guard)
    app.middlewares.append(_security_headers)
    for module in (
        login,
        gateway,
        orders,
        order_extensions,
        surveys,
        lists,
        customers,
        inbox,
        notifications,
        knowledge,
        faxes,
        sms_inbound,
        order_messages,
        campaigns,
        colleagues,
        dispatch_setup,
        crew_setup,
        message_setup,
        user_setup,
        site_setup,
        category_setup,
        workflow_setup,
        audit_log,
        reports,
        openapi,
        pages,
    ):
        app.router.add_routes(module.routes)
    if services.recordings is not None:
        app.router.add_routes(media_routes(services.recordings))
    app.router.add_static("/static", STATIC, append_version=True)
    app.cleanup_ctx.append(_gateway_ctx)
    app.on_shutdown.append(_close_tabs)
    return app


async def _close_tabs(app: web.Application) -> None:
    """The tabs' sockets closed (1001) before aiohttp waits for the handlers (``Gateway.close_tabs``)."""
    hub = app.get(GATEWAY)
    if hub is not None:
        await hub.close_tabs()


async def _gateway_ctx(app: web.Application) -> AsyncIterator[None]:
    hub = make_gateway(app)
    await hub.start()
    app[GATEWAY] = hub
    yield
    await hub.stop()


@web.middleware
async def _security_headers(request: web.Request, handler) -> web.StreamResponse:
    response = await handler(request)
    if request.path.startswith("/static/"):
        # the pages import their modules by plain name (statebar.js, not statebar.js?v=…): with no
        # Cache-Control a browser reuses its copy by heuristic for days, so after an upgrade a seat
        # ran old modules beside new ones (a new snapshot field unread) until a hard reload. Asked
        # each time, the ETag answers 304 and the file is only sent again when it changed.
        response.headers.setdefault("Cache-Control", "no-cache")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; media-src 'self' blob:; style-src 'self' 'unsafe-inline'; "
        "script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
    )
    return response
