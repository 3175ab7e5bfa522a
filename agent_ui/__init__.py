"""The agent console: aiohttp pages, JSON API and the websocket gateway.

Public surface: ``create_app(services)`` builds the ``aiohttp.web.Application``;
``AppServices`` is what the composition root hands it.
"""

from agent_ui.app import create_app
from agent_ui.services import AppServices

__all__ = ["AppServices", "create_app"]
