"""The dialer's console actions from a process that does not run the dialer.

In the production process model the dialer runs beside the active bridge
(``hotline serve --role cti``: it reads Asterisk's ``DialEnd`` from the bridge's
AMI link, and its preview offers live in its memory); a web process reaches its
preview dial / skip through the same Redis command channel as the bridge's
commands (``cti.remote``).
"""

from __future__ import annotations

from typing import Any

from cti.remote import CommandClient, Unanswered

#: the dialer methods a ``CommandServer`` beside it answers
DIALER_COMMANDS = ("preview_dial", "preview_skip")


class DialerUnavailable(Exception):
    """No active dialer answered; the console shows it as the phone system being unavailable."""

    error_id = "cti.unavailable"


def dialer_handlers(dialer: Any) -> dict[str, Any]:
    return {name: getattr(dialer, name) for name in DIALER_COMMANDS}


class RemoteDialer:
    def __init__(self, client: CommandClient) -> None:
        self.client = client

    async def preview_dial(self, agent_id: str, contact_id: int) -> tuple[bool, str]:
        """(ok, call id or refusal id), as ``Dialer.preview_dial``."""
        try:
            ok, detail = await self.client.request("preview_dial", agent_id, contact_id)
        except Unanswered as exc:
            raise DialerUnavailable(exc.message) from exc
        return bool(ok), str(detail)

    async def preview_skip(self, agent_id: str, contact_id: int) -> bool:
        try:
            return bool(await self.client.request("preview_skip", agent_id, contact_id))
        except Unanswered as exc:
            raise DialerUnavailable(exc.message) from exc
