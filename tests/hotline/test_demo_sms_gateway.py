"""The demo's SMS go to its simulated gateway (unless one is configured): it answers each with
an id, so the order pages show 已提交, and its reports follow (tests/agent_ui/
test_sms_delivery_reports.py::test_the_demos_gateway_reports_what_it_was_given)."""

from __future__ import annotations

import contextlib
import dataclasses

from hotline.config import load_settings
from hotline.runtime import _demo_sms_gateway, demo_inbound
from ticketing.notify import HttpSmsGateway


async def test_the_demo_runs_a_gateway_unless_one_is_configured(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HOTLINE_SMS_GATEWAY_URL", raising=False)
    settings = demo_inbound(load_settings())
    async with contextlib.AsyncExitStack() as stack:
        demo = await _demo_sms_gateway(stack, settings)
        assert demo.sms_gateway_url.startswith("http://127.0.0.1:")
        gateway_id = await HttpSmsGateway(demo.sms_gateway_url).send("13800138000", "", "您的工单已受理。")
        assert gateway_id and gateway_id.startswith("simgw-")
        configured = dataclasses.replace(settings, sms_gateway_url="http://gateway.example/sms")
        assert await _demo_sms_gateway(stack, configured) is configured
    # stopped with the demo: nothing listens there any more
    assert not await _answers(demo.sms_gateway_url)


async def _answers(url: str) -> bool:
    import aiohttp

    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            async with http.post(url, json={}) as resp:
                return resp.status > 0
    except aiohttp.ClientError:
        return False
