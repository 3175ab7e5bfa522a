"""The queue-callback campaign is named by the queue as every page names it (QA 2026-11-29 #19:
队列回呼 service（全天）, the Asterisk queue's code, where the wallboard and reports say 综合服务).
The composition root gives the console's words (agent_ui's ``queue.*`` texts); a campaign named
by the code before is the same campaign, renamed, not split from its callers still waiting."""

import functools

from agent_ui.texts import Texts
from campaigns import sources, store
from ticketing.models import Campaign

from .test_callback_hours import ROUTING, _callback
from .test_store_and_dialer import bus  # noqa: F401

QUEUE_NAMES = functools.partial(Texts().queue, "zh-CN")


async def test_the_callback_campaign_is_named_by_the_queues_display_name(sm):
    hours = sources.staffed_hours(ROUTING)
    async with sm.begin() as s:
        await store.ensure_dispositions(s)
        contact = await sources.add_callback(
            s, _callback("1790000000.1", "95598", "service", "13800000001"), hours, QUEUE_NAMES
        )
        office = await sources.add_callback(
            s, _callback("1790000000.2", "4008200000", "aftersales", "13800000002"), hours, QUEUE_NAMES
        )
        assert (await s.get(Campaign, contact.campaign_id)).name == "队列回呼 综合服务（全天）"
        assert (await s.get(Campaign, office.campaign_id)).name == "队列回呼 售后（工作日 08:00-18:00）"


async def test_a_campaign_named_by_the_queue_code_is_renamed_not_split(sm):
    hours = sources.staffed_hours(ROUTING)
    async with sm.begin() as s:
        await store.ensure_dispositions(s)
        coded = await sources.add_callback(
            s, _callback("1790000000.1", "95598", "service", "13800000001"), hours
        )
        assert (await s.get(Campaign, coded.campaign_id)).name == "队列回呼 service（全天）"
        named = await sources.add_callback(
            s, _callback("1790000000.2", "95598", "service", "13800000002"), hours, QUEUE_NAMES
        )
        assert named.campaign_id == coded.campaign_id
        assert (await s.get(Campaign, named.campaign_id)).name == "队列回呼 综合服务（全天）"


def test_a_queue_without_words_keeps_its_code():
    assert sources.callback_name("night", True, [], QUEUE_NAMES) == "队列回呼 night（全天）"
