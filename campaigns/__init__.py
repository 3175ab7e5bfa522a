"""Outbound campaigns (回呼 / 回访): who to call, when, and placing the calls.

- ``campaigns.store``: campaigns, contacts, the do-not-call list and dispositions in the database;
- ``campaigns.sources``: queue callbacks (``CallbackRequested``), missed calls, visit-backs;
- ``campaigns.importer``: CSV / Excel lists with column mapping and a validation report;
- ``campaigns.rules``: calling windows, retries, pacing, DNC (pure);
- ``campaigns.dialer``: the asyncio worker (preview, progressive and predictive);
- ``campaigns.telephony``: its one contact with Asterisk, the CTI bridge.

The tables live in ``ticketing.models.campaigns`` (ticketing owns the schema).
"""

from campaigns.dialer import Dialer
from campaigns.events import (
    CampaignCallEnded,
    CampaignCallPlaced,
    CampaignContactOffered,
    CampaignOfferWithdrawn,
)
from campaigns.sources import CallbackListener, staffed_hours
from campaigns.store import CampaignError
from campaigns.telephony import BridgeTelephony

__all__ = [
    "BridgeTelephony",
    "CallbackListener",
    "CampaignCallEnded",
    "CampaignCallPlaced",
    "CampaignContactOffered",
    "CampaignOfferWithdrawn",
    "CampaignError",
    "Dialer",
    "staffed_hours",
]
