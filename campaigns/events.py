"""Events the dialer publishes. ``staff_no`` names the agent: the console's
websocket gateway sends an event that names a 工号 to that agent's tabs."""

from __future__ import annotations

from cti.events import Event, event


@event
class CampaignContactOffered(Event):
    """Preview: a contact waits for the agent to press dial or skip."""

    staff_no: str
    campaign_id: int
    contact_id: int
    number: str
    contact_name: str = ""
    campaign: str = ""
    script: str = ""
    attempts: int = 0
    #: the work order the call is about (a visit-back): the card names and links it
    order_id: int = 0
    order_number: str = ""
    #: Unix seconds (the dialer's clock) when the offer goes back to the list unless dialled or
    #: skipped, after the campaign's ``offer_minutes``: the card counts down to it. An edit of
    #: the minutes offers the contact again with the new time.
    held_until: float = 0.0
    offer_minutes: int = 0


@event
class CampaignCallPlaced(Event):
    """A campaign call is ringing the agent, then the customer (the console shows the card)."""

    staff_no: str
    campaign_id: int
    contact_id: int
    call_id: str
    number: str
    contact_name: str = ""
    campaign: str = ""
    script: str = ""
    #: the work order the call is about (a visit-back): the card names and links it
    order_id: int = 0
    order_number: str = ""


@event
class CampaignCallEnded(Event):
    """One attempt is over: its outcome and what became of the contact."""

    staff_no: str
    campaign_id: int
    contact_id: int
    call_id: str
    outcome: str  # answered | busy | no_answer | failed | agent_missed
    state: str  # the contact's state after it: pending | done | failed
    attempts: int = 0
    next_attempt_at: str = ""


@event
class CampaignOfferWithdrawn(Event):
    """Preview: the offered contact went back to the list (its agent signed out, the campaign
    paused, finished or out of its hours, or the offer lapsed: ``reason``)."""

    staff_no: str
    campaign_id: int
    contact_id: int
    #: why, when the dialer knows: campaign.not_running, campaign.outside_window,
    #: campaign.not_offered, campaign.offer_lapsed, campaign.dialer_restarted (a dialer that
    #: started found the offer its predecessor left out no longer holding) ("" when the agent
    #: signed out)
    reason: str = ""
    #: campaign.offer_lapsed: the campaign's minutes the offer stayed (the card says how long)
    offer_minutes: int = 0


@event
class CallbackQueued(Event):
    """A caller's callback request (pressed 9) is stored in its queue's callback campaign, so
    the wallboards' 待回拨 count it now (published after the commit; ``state``: the contact's,
    ``pending`` unless its number may not be called)."""

    queue: str
    campaign_id: int
    contact_id: int
    state: str = "pending"


@event
class CampaignStatusChanged(Event):
    """A campaign was started, paused or finished (an admin's 启动 / 暂停 / 结束, or the dialer
    finishing a list it called out): a finished callback campaign's callers wait no longer, so
    the wallboards' 待回拨 are counted again now (published after the commit)."""

    campaign_id: int
    status: str  # after the change: running | paused | finished
    kind: str = ""  # the campaign's: list | callback | visit_back …


@event
class CampaignContactDisposed(Event):
    """A contact's 结果代码 was recorded by hand (the agent's card, a manager's correction, a
    visit-back's survey): a 稍后再打 puts it back to wait, a final result ends its dialing, so the
    wallboards' 待回拨 are counted again now (published after the commit; ``state``: the
    contact's after it)."""

    campaign_id: int
    contact_id: int
    disposition: str
    state: str


@event
class DncChanged(Event):
    """A number was put on the do-not-call list (``listed``: its pending contacts are ``dnc`` now,
    but a callback the caller asked for, ``store.requested_by_caller``) or taken off it (its contacts the list held back pending again): the wallboards' 待回拨 are
    counted again now (published after the commit; ``contacts``: how many changed state)."""

    number: str
    listed: bool
    contacts: int = 0
